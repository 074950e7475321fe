package flash

import "bytes"

// Frozen is bytes the array held at an offset, remembered with the sectors
// that held them when none of those could change any more: a sector no
// device owns (one a Snapshot or Restore shared, or the erased sector) is
// never written again — a write copies it first — so while a device still
// has those very sectors it still holds the bytes. The zero Frozen holds
// nothing and matches nothing.
type Frozen struct {
	addr uint32
	data []byte
	secs []*sector // nil when a sector was owned: compare data instead
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
	addr := uint32(off)
	first, last := addr/SectorSize, (addr+uint32(n)-1)/SectorSize
	secs := make([]*sector, 0, last-first+1)
	for s := first; s <= last; s++ {
		if d.secOwned[s] {
			secs = nil
			break
		}
		secs = append(secs, d.sectorAt(s))
	}
	if !d.equalAt(addr, data, nil) {
		return Frozen{}
	}
	return Frozen{addr: addr, data: data, secs: secs}
}

// Data returns the frozen bytes (not a copy).
func (f Frozen) Data() []byte { return f.data }

// ReadMatches reports whether the array still holds f's bytes at f's
// offset, comparing in place (no copy) and only the sectors that are not
// the very ones f was frozen from. When it does, the read costs simulated
// time as ReadAt of the bytes would; when it does not, or the device is
// off, it returns false and costs nothing, so that the caller can then
// ReadAt them.
func (d *Device) ReadMatches(f Frozen) bool {
	if d.off || f.data == nil || !d.equalAt(f.addr, f.data, f.secs) {
		return false
	}
	d.addRead(len(f.data))
	return true
}

// equalAt reports whether the array holds want at addr (in range); secs,
// when not nil, are sectors known to hold want's bytes: those are not
// compared.
func (d *Device) equalAt(addr uint32, want []byte, secs []*sector) bool {
	first := addr / SectorSize
	for len(want) > 0 {
		s := addr / SectorSize
		sec := d.sectorAt(s)
		o := addr % SectorSize
		k := min(SectorSize-int(o), len(want))
		if (secs == nil || secs[s-first] != sec) && !bytes.Equal(sec[o:int(o)+k], want[:k]) {
			return false
		}
		want = want[k:]
		addr += uint32(k)
	}
	return true
}
