package scenarios

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTransportPlan(t *testing.T) {
	data := make([]byte, 10)
	for i := range data {
		data[i] = byte(0x10 + i)
	}
	offs := func(ss []send) []uint32 {
		var o []uint32
		for _, s := range ss {
			o = append(o, s.off)
		}
		return o
	}
	for _, tc := range []struct {
		name string
		t    StoreTransport
		want []uint32
	}{
		{"plain", StoreTransport{}, []uint32{0, 2, 4, 6, 8}},
		{"reverse", StoreTransport{Order: OrderReverse}, []uint32{8, 6, 4, 2, 0}},
		{"resend every 2nd", StoreTransport{Resend: 2}, []uint32{0, 2, 2, 4, 6, 6, 8}},
		{"drop every 2nd", StoreTransport{Drop: 2}, []uint32{0, 4, 8}},
		{"corrupt 3rd", StoreTransport{Corrupt: 3}, []uint32{0, 2, 4, 4, 6, 8}},
		{"reverse, drop every 2nd in send order", StoreTransport{Order: OrderReverse, Drop: 2}, []uint32{8, 4, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, offs(tc.t.plan(data, 2))); d != "" {
				t.Error(d)
			}
		})
	}
	// corrupt: the first send of chunk 3 has exactly one bit cleared, the
	// second is right.
	ss := StoreTransport{Corrupt: 3}.plan(data, 2)
	if bad, good := ss[2].data, ss[3].data; !bytes.Equal(good, data[4:6]) || bad[0] != data[4]&(data[4]-1) || bad[1] != data[5] {
		t.Errorf("corrupt sends % x then % x, want one bit of % x cleared, then it", bad, good, data[4:6])
	}
	// shuffle: a permutation, seeded, the same every time.
	a := offs(StoreTransport{Order: OrderShuffle, Seed: 7}.plan(make([]byte, 64), 4))
	b := offs(StoreTransport{Order: OrderShuffle, Seed: 7}.plan(make([]byte, 64), 4))
	c := offs(StoreTransport{Order: OrderShuffle, Seed: 8}.plan(make([]byte, 64), 4))
	if !cmp.Equal(a, b) || cmp.Equal(a, c) || len(a) != 16 {
		t.Errorf("shuffle: %v / %v / %v", a, b, c)
	}
	seen := map[uint32]bool{}
	for _, o := range a {
		seen[o] = true
	}
	if len(seen) != 16 {
		t.Errorf("shuffle is not a permutation: %v", a)
	}
	// A chunk of zeros has no 1 bit to clear: it is sent once, as is.
	z := StoreTransport{Corrupt: 1}.plan(make([]byte, 4), 4)
	if len(z) != 1 || !strings.Contains(z[0].note, "no 1 bit") {
		t.Errorf("corrupt of a zero chunk: %+v", z)
	}
}

func TestChunkCommandsParse(t *testing.T) {
	const head = "device layout=compress\nimage a kind=app version=1\nimage f kind=flashboot version=1\npackage p images=a,f\n"
	for _, tc := range []struct{ src, msg string }{
		{"write p off=0\n", "len= is required"},
		{"write p len=4\n", "off= is required"},
		{"write p off=0 len=65536\n", "at most 65535"},
		{"write q off=0 len=4\n", `unknown package "q"`},
		{"write p off=0 len=4 sync\n", `positional argument "sync"`},
		{"read p off=0 len=0x400001\n", "at most"},
		{"prepare p len=-1\n", "len="},
		{"store p order=sideways\n", "want reverse or shuffle:SEED"},
		{"store p order=shuffle:x\n", "want reverse or shuffle:SEED"},
		{"store p drop=0\n", "drop=0: want a chunk number"},
		{"expect read maybe\n", "want same or differs"},
	} {
		_, err := Parse("t.scn", strings.NewReader(head+tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.msg)
		}
	}
	src := head + "prepare p\nprepare p len=0x10\nwrite p off=0x10 len=4 async\nwrite p off=0 len=0\nread p off=4 len=16\n" +
		"store p chunk=512 order=shuffle:9 resend=2 drop=3 corrupt=4\nstore p order=reverse\nexpect read same|differs\n"
	s, err := Parse("t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("t.scn", strings.NewReader(s.String()))
	if err != nil || back.String() != s.String() {
		t.Errorf("round trip: %v\n%s\nvs\n%s", err, s, back)
	}
}

// TestSweepChunkCalls: a power cut inside any chunk-level call is an app
// call with no return, and the old app keeps running at every point.
func TestSweepChunkCalls(t *testing.T) {
	src := smallUpgrade[:strings.Index(smallUpgrade, "power-on")] + "power-on\nsweep-begin\nprepare up\nwrite up off=0 len=0x100\nwrite up off=0x100 len=0x100 async\nread up off=0 len=0x200\nsweep-end\nexpect running app-v1\n"
	s, err := Parse("t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(s, SweepOptions{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() || rep.Ops == 0 {
		t.Errorf("sweep: passed %v, %d ops; failed %v", rep.Passed(), rep.Ops, rep.Failed())
	}
}
