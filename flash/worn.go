package flash

import (
	"math/rand/v2"
	"slices"
)

// Worn sectors: the realistic bad-sector model. On real NOR a worn or bad
// sector does not report a failure: the SFC layer only ever sees a
// not-ready timeout, never a program or erase error (docs/sdk-mapping.md §3.5). The
// program or erase "succeeds" and leaves some bits wrong, which only a
// later hash check finds.
//
// A worn sector has WornStuckBits stuck bits, chosen from a seed: each is
// a bit position in the sector and the value it is stuck at. After every
// program or erase op that reaches the sector (a torn one included, unless
// torn "before"), the stuck bits inside the op's range read their stuck
// value whatever the op wrote. Contents already in the sector when it is
// marked worn are left as they are (the charge is retained); only new
// programs and erases go wrong.

// WornStuckBits is the number of stuck bits of a worn sector. With 16,
// random data matches every stuck bit with probability 2⁻¹⁶: a program of a
// real image into a worn sector almost surely leaves it wrong.
const WornStuckBits = 16

// WornStream is the PCG stream of the stuck-bit choice.
const WornStream = 0x5717_c4b1_7500_0000

// stuckBit is one stuck bit of a worn sector.
type stuckBit struct {
	off uint16 // byte offset in the sector
	bit uint8  // 0..7
	one bool   // stuck at 1 (a program cannot clear it); else stuck at 0 (an erase cannot raise it)
}

// stuckBits chooses the stuck bits of sector s from seed: a PCG seeded
// with (seed ^ s, WornStream); positions sorted, without repeats.
func stuckBits(seed uint64, s uint32) []stuckBit {
	rng := rand.New(rand.NewPCG(seed^uint64(s), WornStream))
	seen := map[uint32]bool{}
	out := make([]stuckBit, 0, WornStuckBits)
	for len(out) < WornStuckBits {
		pos := rng.Uint32N(SectorSize * 8)
		if seen[pos] {
			continue
		}
		seen[pos] = true
		out = append(out, stuckBit{off: uint16(pos / 8), bit: uint8(pos % 8), one: rng.Uint32()&1 == 1})
	}
	slices.SortFunc(out, func(a, b stuckBit) int { return int(a.off)*8 + int(a.bit) - int(b.off)*8 - int(b.bit) })
	return out
}

// SetWornSector marks the sector holding addr worn, with stuck bits chosen
// from seed (the same seed and sector always give the same bits), or
// clears the mark. Its program and erase ops succeed and leave the stuck
// bits wrong. Addresses at or beyond Size are ignored.
func (d *Device) SetWornSector(addr uint32, seed uint64, worn bool) {
	if addr >= Size {
		return
	}
	s := addr / SectorSize
	if !worn {
		delete(d.worn, s)
		return
	}
	if d.worn == nil {
		d.worn = map[uint32][]stuckBit{}
	}
	d.worn[s] = stuckBits(seed, s)
}

// WornSector reports whether the sector holding addr is marked worn.
func (d *Device) WornSector(addr uint32) bool {
	_, ok := d.worn[addr/SectorSize]
	return addr < Size && ok
}

// StuckBits lists the stuck bits of the worn sector holding addr as flash
// addresses, bit numbers and stuck values, for traces and tests.
func (d *Device) StuckBits(addr uint32) (addrs []uint32, bitNos []uint, ones []bool) {
	s := addr / SectorSize
	for _, b := range d.worn[s] {
		addrs = append(addrs, s*SectorSize+uint32(b.off))
		bitNos = append(bitNos, uint(b.bit))
		ones = append(ones, b.one)
	}
	return addrs, bitNos, ones
}

// stick forces the stuck bits of worn sectors inside [addr, addr+n) to
// their stuck values, after an op changed that range.
func (d *Device) stick(addr, n uint32) {
	if len(d.worn) == 0 || n == 0 {
		return
	}
	for s := addr / SectorSize; s <= (addr+n-1)/SectorSize; s++ {
		bits, ok := d.worn[s]
		if !ok {
			continue
		}
		base := s * SectorSize
		for _, b := range bits {
			a := base + uint32(b.off)
			if a < addr || a >= addr+n {
				continue
			}
			cur := d.sectorAt(s)[b.off]
			want := cur &^ (1 << b.bit)
			if b.one {
				want = cur | 1<<b.bit
			}
			if want != cur {
				d.writable(s)[b.off] = want
			}
		}
	}
}
