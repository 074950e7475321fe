package flash_test

import (
	"bytes"
	"crypto/sha256"
	"runtime"
	"sync"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

func TestSnapshotIndependence(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0x1000, flashtest.Pattern(1, 3*flash.SectorSize))
	d.SetPhase("one")
	s1 := d.Snapshot()
	want1 := d.Bytes()
	ops1, el1 := d.OpCount(), d.Elapsed()

	// Mutating the device after the snapshot does not change the snapshot.
	flashtest.MustErase(t, d, 0x2000, flash.SectorSize)
	flashtest.MustProgram(t, d, 0x1000, make([]byte, 10))
	if err := d.FlipBit(0x3001, 0); err != nil {
		t.Fatal(err)
	}
	d.SetPhase("two")
	if !bytes.Equal(s1.Bytes(), want1) {
		t.Fatalf("snapshot changed by device writes: %s", flashtest.Describe(want1, s1.Bytes()))
	}
	if s1.Hash() != sha256.Sum256(want1) {
		t.Error("snapshot hash")
	}
	if s1.OpCount() != ops1 || s1.Elapsed() != el1 || s1.Phase() != "one" || s1.EraseCount(2) != 0 {
		t.Error("snapshot counters changed")
	}
	want2 := d.Bytes()
	s2 := d.Snapshot()

	// Restore, then mutate: neither snapshot changes.
	d.CutNow()
	d.Restore(s1)
	if d.Off() {
		t.Error("Restore did not power on")
	}
	if !bytes.Equal(d.Bytes(), want1) || d.OpCount() != ops1 || d.Elapsed() != el1 || d.Phase() != "one" || d.EraseCount(2) != 0 {
		t.Fatal("restore did not bring back the state")
	}
	flashtest.MustErase(t, d, 0x1000, 4*flash.SectorSize)
	if !bytes.Equal(s1.Bytes(), want1) || !bytes.Equal(s2.Bytes(), want2) {
		t.Fatal("snapshot changed after restore + write")
	}
	d.Restore(s2)
	if !bytes.Equal(d.Bytes(), want2) || d.EraseCount(2) != 1 || d.Phase() != "two" {
		t.Fatal("restore s2")
	}
	// Two devices restored from one snapshot do not see each other.
	e := flash.New()
	e.Restore(s2)
	flashtest.MustProgram(t, e, 0x1000, make([]byte, flash.SectorSize))
	if !bytes.Equal(d.Bytes(), want2) {
		t.Fatal("device sees another device's writes")
	}
	flashtest.Check(t, d)
	flashtest.Check(t, e)
}

func TestRestoreKeepsSettings(t *testing.T) {
	d := flash.New()
	s := d.Snapshot()
	d.SetBadSector(0, true)
	d.SetLogging(true)
	var hooked int
	d.SetHook(func(flash.Op) { hooked++ })
	d.CutAt(3, flash.Tear{Kind: flash.TearAfter})
	tm := flash.Timing{SectorErase: 1, PageProgram: 2, ReadBytesPerSecond: 3}
	d.SetTiming(tm)
	d.Restore(s)
	d.Erase(0)        // op 0: bad
	d.Erase(0x1000)   // op 1
	d.Erase(0x2000)   // op 2
	err := d.Erase(0) // op 3: cut (bad sector: nothing applied)
	if err == nil || !d.Off() || hooked != 4 || len(d.Log()) != 4 || d.Timing() != tm {
		t.Errorf("settings not kept across Restore: err %v off %v hooked %d log %d", err, d.Off(), hooked, len(d.Log()))
	}
}

// TestSnapshotsShareMemory takes a snapshot before each of 2000 page
// programs on a full device. Without sharing that would be 8 GiB.
func TestSnapshotsShareMemory(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0, flashtest.Pattern(1, flash.Size))
	page := make([]byte, flash.PageSize)
	snaps := make([]*flash.Snapshot, 0, 2000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 2000 {
		snaps = append(snaps, d.Snapshot())
		if err := d.Program(uint32(i*flash.PageSize*3)%flash.Size, page); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	perSnap := (after.TotalAlloc - before.TotalAlloc) / 2000
	// One 4 KiB sector copy + one chunk copy + the snapshot itself.
	if perSnap > 8<<10 {
		t.Errorf("%d bytes allocated per snapshot+page, want < 8 KiB", perSnap)
	}
	// Every snapshot still holds its own state.
	for _, i := range []int{0, 1, 999, 1999} {
		s := snaps[i]
		if s.OpCount() != uint64(flash.Size/flash.MaxProgram+i*flash.PageSize/flash.MaxProgram) {
			t.Errorf("snapshot %d op count %d", i, s.OpCount())
		}
	}
	// Loop step 1 zeroes the page at 0x300: snapshot 1 is before it,
	// snapshot 2 after.
	orig := flashtest.Pattern(1, 0x400)[0x300:]
	e := flash.New()
	b := make([]byte, flash.PageSize)
	e.Restore(snaps[1])
	e.Read(0x300, b)
	if !bytes.Equal(b, orig) {
		t.Error("snapshot 1 sees a program done after it")
	}
	e.Restore(snaps[2])
	e.Read(0x300, b)
	if !bytes.Equal(b, page) {
		t.Error("snapshot 2 misses a program done before it")
	}
	if !flash.SameSector(snaps[0], snaps[1], 500) || flash.SameSector(snaps[0], snaps[2], 0) {
		t.Error("SameSector")
	}
}

func TestSnapshotConcurrentRestore(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0, flashtest.Pattern(5, 64<<10))
	s := d.Snapshot()
	want := s.Hash()
	var wg sync.WaitGroup
	hashes := make([][32]byte, 4)
	for w := range 4 {
		wg.Go(func() {
			e := flash.New()
			for i := range 50 {
				e.Restore(s)
				e.Program(uint32(i*flash.PageSize), make([]byte, flash.PageSize))
				e.Erase(uint32(w) * flash.SectorSize)
			}
			e.Restore(s)
			hashes[w] = e.Hash()
		})
	}
	wg.Wait()
	for w, h := range hashes {
		if h != want {
			t.Errorf("worker %d: restored hash differs", w)
		}
	}
	if s.Hash() != d.Hash() {
		t.Error("snapshot changed")
	}
}

func TestSnapshotReadAt(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, flash.Size-3, []byte{1, 2, 3})
	s := d.Snapshot()
	p := make([]byte, 5)
	n, err := s.ReadAt(p, flash.Size-3)
	if n != 3 || err == nil || !bytes.Equal(p[:3], []byte{1, 2, 3}) {
		t.Errorf("ReadAt = %d %v %v", n, err, p)
	}
	if _, err := s.ReadAt(p, -1); err == nil {
		t.Error("negative offset accepted")
	}
	if n, err := s.ReadAt(p, flash.Size); n != 0 || err == nil {
		t.Error("read at end")
	}
}

// RestoreRedo rebuilds the state at a mark from an earlier snapshot and
// the ops between: contents, wear, op counter, clock and phase equal a
// snapshot taken at the mark.
func TestRestoreRedo(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0x10000, flashtest.Pattern(3, 0x3000))
	base := d.Snapshot()
	var ops []flash.Op
	var marks []flash.Mark
	var snaps []*flash.Snapshot
	d.SetHook(func(op flash.Op) {
		op.Data = bytes.Clone(op.Data)
		ops = append(ops, op)
		marks = append(marks, d.Mark())
		snaps = append(snaps, d.Snapshot())
	})
	d.SetPhase("work")
	flashtest.MustProgram(t, d, 0x10FF0, flashtest.Pattern(4, 0x90))
	buf := make([]byte, 100)
	d.Read(0x10000, buf) // reads between ops move the clock
	if err := d.EraseBlock(0x10000, flash.Block4K); err != nil {
		t.Fatal(err)
	}
	flashtest.MustProgram(t, d, 0x10010, []byte{1, 2, 3})
	d.SetHook(nil)
	for i := range ops {
		w := flash.New()
		w.RestoreRedo(base, ops[:i], marks[i])
		want := snaps[i]
		if !bytes.Equal(w.Bytes(), want.Bytes()) || w.OpCount() != want.OpCount() || w.Elapsed() != want.Elapsed() || w.Phase() != want.Phase() || w.EraseCount(0x10) != want.EraseCount(0x10) {
			t.Fatalf("point %d: rebuilt state differs from the snapshot", i)
		}
		flashtest.Check(t, w)
	}
	if d.HasFaults() {
		t.Error("HasFaults without faults")
	}
	d.SetBadSector(0, true)
	if !d.HasFaults() {
		t.Error("HasFaults with a bad sector")
	}
	p := d.Pokes()
	d.FlipBit(5, 1)
	if d.Pokes() != p+1 {
		t.Error("FlipBit is not a poke")
	}
}

// A device restored again and again reuses the sectors it dropped: the
// sweep's per-point copy-on-write costs no allocation once warm.
func TestRestoreRecyclesSectors(t *testing.T) {
	src := flash.New()
	flashtest.MustProgram(t, src, 0, flashtest.Pattern(5, 64<<10))
	s := src.Snapshot()
	d := flash.New()
	data := make([]byte, 64)
	cycle := func() {
		d.Restore(s)
		for a := uint32(0); a < 64<<10; a += 4096 {
			d.Program(a, data)
		}
	}
	cycle()
	if allocs := testing.AllocsPerRun(20, cycle); allocs > 2 {
		t.Errorf("%v allocations per restore and 16 sector writes, want none", allocs)
	}
	if v := d.View(); !bytes.Equal(v.Bytes(), d.Bytes()) {
		t.Error("View differs from the device")
	}
	flashtest.Check(t, d)
}
