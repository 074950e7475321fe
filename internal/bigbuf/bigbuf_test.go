package bigbuf

import "testing"

func TestMake(t *testing.T) {
	for _, n := range []int{0, 1, Threshold - 1, Threshold, 2<<20 + 768, 5 << 20} {
		b := Make(n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("Make(%d): len %d cap %d", n, len(b), cap(b))
		}
		for i, c := range b {
			if c != 0 {
				t.Fatalf("Make(%d)[%d] = %d, want zeroed memory", n, i, c)
			}
		}
		for i := range b { // writable throughout
			b[i] = byte(i)
		}
	}
}
