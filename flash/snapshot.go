package flash

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Snapshot is an immutable copy of a device's state: contents, per-sector
// wear, op counter, elapsed time and phase label. It shares unchanged
// sectors with the device and with other snapshots (copy-on-write), so
// taking one costs a few hundred bytes whatever the contents. Snapshots are
// safe for concurrent use, and one snapshot may be restored into many
// devices at once.
type Snapshot struct {
	chunks  [numChunks]*chunk
	owned   *[NumSectors]bool // a View's: the device's sectors it may still change
	ops     uint64
	elapsed time.Duration
	readRem int64
	phase   string

	hashOnce sync.Once
	hash     [32]byte
}

// Snapshot captures the device state. It is O(1) in the contents: it copies
// the chunk pointers and marks everything shared, so the device copies a
// chunk (32 pointers) and a sector (4 KiB) the first time it writes them
// afterwards. It works while off.
func (d *Device) Snapshot() *Snapshot {
	d.disown()
	return &Snapshot{
		chunks:  d.chunks,
		ops:     d.ops,
		elapsed: d.elapsed,
		readRem: d.readRem,
		phase:   d.phase,
	}
}

// Restore puts the device back in the state s was taken in: contents,
// wear, op counter, elapsed time and phase label; the device is powered on.
// Settings are kept as they are: timing, hook, logging and the log's
// entries, bad and worn sectors, program failures, timeouts, and an armed cut that has not
// fired (so CutAt may be called before or after Restore). It is O(1) in
// the contents.
func (d *Device) Restore(s *Snapshot) {
	d.recycle()
	d.chunks = s.chunks
	d.pokes++
	d.disown()
	d.ops = s.ops
	d.elapsed = s.elapsed
	d.readRem = s.readRem
	d.phase = s.phase
	d.off = false
}

// View returns the device's current state as a Snapshot without making
// its sectors copy-on-write: it costs nothing, and it is valid only until
// the device next changes (an op, FlipBit, Restore). It is for reading
// right away (a digest of the final flash); keep a Snapshot otherwise.
func (d *Device) View() *Snapshot {
	return &Snapshot{chunks: d.chunks, owned: &d.secOwned, ops: d.ops, elapsed: d.elapsed, readRem: d.readRem, phase: d.phase}
}

// SectorID names the array holding a sector's contents. Two equal
// SectorIDs that are both frozen hold the same bytes, for good: a frozen
// sector (no device owns it) is never written again. It is comparable and
// may be a map key (which keeps the sector in memory).
type SectorID struct{ p *sector }

// SectorID returns the array holding sector i and whether it is frozen:
// always for a Snapshot, and for a View unless the device owns the sector.
func (s *Snapshot) SectorID(i int) (SectorID, bool) {
	if i < 0 || i >= NumSectors {
		return SectorID{}, false
	}
	return SectorID{s.chunks[i>>chunkShift].sec[i&(chunkSectors-1)]}, s.owned == nil || !s.owned[i]
}

// Mark is the device's op counter, clock and phase at one moment: what a
// Snapshot holds besides contents and wear.
type Mark struct {
	ops     uint64
	elapsed time.Duration
	readRem int64
	phase   string
}

// Mark returns the device's op counter, clock and phase now.
func (d *Device) Mark() Mark {
	return Mark{ops: d.ops, elapsed: d.elapsed, readRem: d.readRem, phase: d.phase}
}

// Pokes counts the content changes that were not ops since New (FlipBit,
// Restore): a state rebuilt with RestoreRedo over ops is exact only if no
// poke came between them.
func (d *Device) Pokes() uint64 { return d.pokes }

// HasFaults reports whether a bad or worn sector, a program failure or a
// timeout is set: then ops must be issued one by one (no fast path, no
// redo), since one may be refused or left with stuck bits.
func (d *Device) HasFaults() bool {
	return d.nbad > 0 || len(d.failProg) > 0 || len(d.timeout) > 0 || len(d.worn) > 0
}

// RestoreRedo puts the device in the state it had at mark m, rebuilt from
// snapshot s taken earlier and the ops issued between the two, in order
// (with their Data): Restore(s), then each op's effect on contents and
// wear as issuing it had, then the op counter, clock and phase of m. The
// caller guarantees that the ops were issued from s's state with no fault
// set and no poke between them (HasFaults, Pokes): then the result equals
// a Snapshot taken at m, at a fraction of the memory. Ops are not hooked,
// tapped or logged again.
func (d *Device) RestoreRedo(s *Snapshot, redo []Op, m Mark) {
	d.Restore(s)
	for _, op := range redo {
		switch op.Kind {
		case OpProgram:
			d.andInto(op.Addr, op.Data, false)
		case OpErase:
			for sec := op.Addr / SectorSize; sec < (op.Addr+op.Len)/SectorSize; sec++ {
				d.eraseSector(sec)
			}
		}
	}
	d.ops, d.elapsed, d.readRem, d.phase = m.ops, m.elapsed, m.readRem, m.phase
}

// OpCount returns the op counter at the time of the snapshot.
func (s *Snapshot) OpCount() uint64 { return s.ops }

// Elapsed returns the simulated time at the time of the snapshot.
func (s *Snapshot) Elapsed() time.Duration { return s.elapsed }

// Phase returns the phase label at the time of the snapshot.
func (s *Snapshot) Phase() string { return s.phase }

// EraseCount returns the erase cycles of sector i at the time of the
// snapshot, or 0 for an out-of-range index.
func (s *Snapshot) EraseCount(i int) uint32 {
	if i < 0 || i >= NumSectors {
		return 0
	}
	return s.chunks[i>>chunkShift].wear[i&(chunkSectors-1)]
}

// ReadAt implements io.ReaderAt over the snapshot's contents, with the same
// end-of-array behaviour as Device.ReadAt.
func (s *Snapshot) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: read at offset %d", ErrOutOfRange, off)
	}
	if off >= Size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	var err error
	if rest := Size - off; int64(len(p)) > rest {
		p, err = p[:rest], io.EOF
	}
	n := len(p)
	addr := uint32(off)
	for len(p) > 0 {
		sec := s.chunks[addr/SectorSize>>chunkShift].sec[addr/SectorSize&(chunkSectors-1)]
		k := copy(p, sec[addr%SectorSize:])
		p = p[k:]
		addr += uint32(k)
	}
	return n, err
}

// Bytes returns a copy of the snapshot's 4 MiB.
func (s *Snapshot) Bytes() []byte {
	b := make([]byte, Size)
	s.ReadAt(b, 0)
	return b
}

// Hash returns the SHA-256 of the snapshot's 4 MiB, computed once.
func (s *Snapshot) Hash() [32]byte {
	s.hashOnce.Do(func() { s.hash = hashChunks(&s.chunks) })
	return s.hash
}

// SameSector reports whether sector i has identical contents in a and b.
// Sectors that were never written since a common ancestor are recognised
// without comparing bytes.
func SameSector(a, b *Snapshot, i int) bool {
	if i < 0 || i >= NumSectors {
		return true
	}
	ca, cb := a.chunks[i>>chunkShift], b.chunks[i>>chunkShift]
	sa, sb := ca.sec[i&(chunkSectors-1)], cb.sec[i&(chunkSectors-1)]
	return sa == sb || *sa == *sb
}
