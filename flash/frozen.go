package flash

import "bytes"

// Frozen is bytes the array held at an offset, remembered with the sectors
// that held them where those could not change any more: a sector no
// device owns (one a Snapshot or Restore shared, a program cache's, or the
// erased sector) is never written again — a write copies it first — so
// while a device still has that very sector it still holds those bytes.
// The zero Frozen holds nothing and matches nothing.
type Frozen struct {
	addr uint32
	data []byte
	secs []*sector // per sector of the range; nil where it was owned: compare
}

// Freeze returns data, the bytes just read at off, as a Frozen (kept, not
// copied: the caller must not modify data afterwards). It checks them
// against the array: the zero Frozen when they differ or the range leaves
// the array.
func (d *Device) Freeze(off int64, data []byte) Frozen {
	n := len(data)
	if off < 0 || n == 0 || off+int64(n) > Size {
		return Frozen{}
	}
	f := Frozen{addr: uint32(off), data: data}
	same, secs := d.equalAt(f)
	if !same {
		return Frozen{}
	}
	f.secs = secs
	return f
}

// ReadMatches reports whether the array still holds f's bytes at off,
// where f was frozen (at any other offset: false), comparing in place (no copy) and only the sectors that are not
// the very ones f remembers. When it does, the read costs simulated time
// as ReadAt of the bytes would, and the Frozen returned also remembers
// the compared sectors that are frozen now, so that the caller's next
// check need not compare them: keep it in place of f. When it does not,
// or the device is off, it returns false and f, and costs nothing, so
// that the caller can then ReadAt the bytes.
func (d *Device) ReadMatches(off int64, f Frozen) (bool, Frozen) {
	if d.off || f.data == nil || off != int64(f.addr) {
		return false, f
	}
	same, secs := d.equalAt(f)
	if !same {
		return false, f
	}
	d.addRead(len(f.data))
	if secs != nil {
		f.secs = secs
	}
	return true, f
}

// equalAt reports whether the array holds f's bytes (in range), comparing
// the sectors f does not remember. When some compared sector is frozen,
// it also returns the sectors to remember from now on (else nil).
func (d *Device) equalAt(f Frozen) (same bool, secs []*sector) {
	addr, want := f.addr, f.data
	first := addr / SectorSize
	gained := false
	for len(want) > 0 {
		s := addr / SectorSize
		j := s - first
		sec := d.sectorAt(s)
		o := addr % SectorSize
		k := min(SectorSize-int(o), len(want))
		if f.secs == nil || f.secs[j] != sec {
			if !bytes.Equal(sec[o:int(o)+k], want[:k]) {
				return false, nil
			}
			if !d.secOwned[s] {
				if !gained {
					gained = true
					secs = make([]*sector, (f.addr+uint32(len(f.data))-1)/SectorSize-first+1)
					copy(secs, f.secs)
				}
				secs[j] = sec
			}
		}
		want = want[k:]
		addr += uint32(k)
	}
	return true, secs
}
