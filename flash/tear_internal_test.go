package flash

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestTearBitsProperties checks tearBits on random inputs: only differing
// bits move, toward want; at least one moves; not all move when two or
// more differ; the same seed gives the same result.
func TestTearBitsProperties(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	for iter := range 2000 {
		n := 1 + src.IntN(64)
		old := make([]byte, n)
		want := make([]byte, n)
		for i := range old {
			old[i] = uint8(src.Uint32())
			// sparse changes so that the 0-, 1- and 2-bit cases occur
			want[i] = old[i]
			if src.IntN(4) == 0 {
				want[i] &^= uint8(1) << src.IntN(8)
			}
		}
		total := 0
		for i := range old {
			total += bits.OnesCount8(old[i] ^ want[i])
		}
		got := append([]byte(nil), old...)
		tearBits(got, want, tearRand(uint64(iter), 7))
		again := append([]byte(nil), old...)
		tearBits(again, want, tearRand(uint64(iter), 7))
		applied := 0
		for i := range got {
			m := old[i] ^ want[i]
			ch := old[i] ^ got[i]
			if ch&^m != 0 {
				t.Fatalf("iter %d: byte %d moved bits %08b outside %08b", iter, i, ch, m)
			}
			applied += bits.OnesCount8(ch)
			if got[i] != again[i] {
				t.Fatalf("iter %d: not deterministic", iter)
			}
		}
		switch {
		case total == 0 && applied != 0,
			total >= 1 && applied == 0,
			total >= 2 && applied == total:
			t.Fatalf("iter %d: applied %d of %d", iter, applied, total)
		}
	}
}

func TestFlipNth(t *testing.T) {
	old := []byte{0x00, 0x0F, 0x00, 0xA0}
	want := []byte{0x00, 0x00, 0x00, 0x00}
	// differing bits in order: byte1 bits 0,1,2,3; byte3 bits 5,7
	for n, wantByte := range []struct {
		i int
		v byte
	}{{1, 0x0E}, {1, 0x0D}, {1, 0x0B}, {1, 0x07}, {3, 0x80}, {3, 0x20}} {
		cur := append([]byte(nil), old...)
		flipNth(cur, old, want, n)
		if cur[wantByte.i] != wantByte.v {
			t.Errorf("n=%d: byte %d = %#x, want %#x", n, wantByte.i, cur[wantByte.i], wantByte.v)
		}
	}
}
