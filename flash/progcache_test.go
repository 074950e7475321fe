package flash

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestProgramCache: devices sharing a cache end exactly as one without
// it (contents, ops, clock), and once every step of the writes was seen
// twice (a sector written in k pieces: k+1 devices) they share the
// written sectors (frozen, the same SectorID) instead of copying.
func TestProgramCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, 3*SectorSize+1000)
	for i := range img {
		img[i] = byte(rng.Uint32())
	}
	base := New()
	if err := base.Program(0x20000, bytes.Repeat([]byte{0x5A}, 2*SectorSize)); err != nil { // old contents, erased below
		t.Fatal(err)
	}
	start := base.Snapshot()
	work := func(d *Device) {
		t.Helper()
		if err := d.EraseRange(0x20000, 4*SectorSize); err != nil {
			t.Fatal(err)
		}
		// Flushes of odd lengths, as the LZMA task's, and a small one.
		for off, n := 0, 0; off < len(img); off += n {
			n = min(5000+off%777, len(img)-off)
			if err := d.Program(0x20000+uint32(off), img[off:off+n]); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Program(0x20000+uint32(len(img))+3, bytes.Repeat([]byte{7}, 16)); err != nil { // a 16-byte command
			t.Fatal(err)
		}
	}
	plain := New()
	plain.Restore(start)
	work(plain)
	want := plain.Snapshot()

	c := NewProgramCache(1 << 20)
	var ids [][NumSectors]SectorID
	const devices = 6
	for range devices {
		d := New()
		d.SetProgramCache(c)
		d.Restore(start)
		work(d)
		if d.OpCount() != plain.OpCount() || d.Elapsed() != plain.Elapsed() {
			t.Fatalf("with the cache: %d ops, %v; without: %d, %v", d.OpCount(), d.Elapsed(), plain.OpCount(), plain.Elapsed())
		}
		got := d.View()
		if got.Hash() != want.Hash() {
			t.Fatal("contents differ with the cache")
		}
		var row [NumSectors]SectorID
		for i := 0x20; i < 0x24; i++ {
			id, frozen := got.SectorID(i)
			// 0x23 ends with the 16-byte command: neither bulk nor a
			// word, not shared, so that sector stays the device's own.
			if len(ids) == devices-1 && frozen != (i != 0x23) {
				t.Errorf("last device: sector 0x%x frozen %v", i, frozen)
			}
			if i != 0x23 {
				row[i] = id
			}
		}
		ids = append(ids, row)
	}
	if ids[devices-2] != ids[devices-1] {
		t.Error("the last two devices do not share their written sectors")
	}
	if st := c.Stats(); st.Hits == 0 || st.Kept == 0 {
		t.Errorf("stats %+v: want hits and kept results", st)
	}
	// A full cache forgets and goes on, still exact.
	small := NewProgramCache(SectorSize)
	for range 3 {
		d := New()
		d.SetProgramCache(small)
		d.Restore(start)
		work(d)
		if d.View().Hash() != want.Hash() {
			t.Fatal("contents differ with a one-sector cache")
		}
	}
}
