package flash

import (
	"bytes"
	"testing"
)

// TestReadMatches: ReadMatches answers as ReadAt and a compare would,
// charges the read time only on a match, and trusts only sectors that
// are still the very ones frozen.
func TestReadMatches(t *testing.T) {
	d := New()
	data := bytes.Repeat([]byte{0x12, 0x34, 0x56}, 3000) // 9000 bytes over three sectors
	const at = 0x1800
	if err := d.Program(at, data); err != nil {
		t.Fatal(err)
	}
	owned := d.Freeze(at, bytes.Clone(data))
	if owned.data == nil || owned.secs != nil {
		t.Fatal("Freeze of sectors the device owns: want the bytes without sectors")
	}
	if f := d.Freeze(at, data[1:]); f.data != nil {
		t.Fatal("Freeze of bytes the array does not hold is not the zero Frozen")
	}
	snap := d.Snapshot() // shares every sector
	// Matched again, the owned Frozen learns the sectors now frozen.
	if ok, nf := d.ReadMatches(at, owned); !ok || len(nf.secs) != 3 || nf.secs[0] == nil || nf.secs[2] == nil {
		t.Fatalf("after a snapshot, a match of the owned Frozen remembers %d sectors, want 3", len(nf.secs))
	}
	f := d.Freeze(at, bytes.Clone(data))
	if f.secs == nil {
		t.Fatal("Freeze of shared sectors has no sectors")
	}
	for _, fr := range []Frozen{f, owned} {
		before := d.Elapsed()
		if ok, _ := d.ReadMatches(at, fr); !ok {
			t.Fatal("unchanged bytes do not match")
		}
		ref := New()
		ref.Restore(snap)
		ref.ReadAt(make([]byte, len(data)), at)
		if got, want := d.Elapsed()-before, ref.Elapsed()-snap.Elapsed(); got != want {
			t.Fatalf("a match cost %v, ReadAt %v", got, want)
		}
	}

	// A sector changed since the Freeze is compared, not trusted; a
	// mismatch costs nothing.
	if err := d.Program(at+len32(data)-1, []byte{0}); err != nil {
		t.Fatal(err)
	}
	before := d.Elapsed()
	if ok1, _ := d.ReadMatches(at, f); ok1 {
		t.Fatal("bytes changed after the Freeze still match")
	}
	if ok2, _ := d.ReadMatches(at, owned); ok2 {
		t.Fatal("bytes changed after the Freeze still match")
	}
	if d.Elapsed() != before {
		t.Fatal("a mismatch cost read time")
	}
	d.Restore(snap)
	if ok, _ := d.ReadMatches(at, f); !ok {
		t.Fatal("restored bytes do not match")
	}
	if d.Freeze(Size-10, data).data != nil || d.Freeze(-1, data).data != nil || first(d.ReadMatches(at, Frozen{})) || first(d.ReadMatches(at+1, f)) {
		t.Fatal("a range outside the array, or the zero Frozen, matches")
	}
	d.CutNow()
	if ok, _ := d.ReadMatches(at, f); ok {
		t.Fatal("a device powered off matches")
	}
}

func len32(b []byte) uint32 { return uint32(len(b)) }

func first(ok bool, _ Frozen) bool { return ok }
