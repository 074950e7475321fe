package partition

import "io"

// Programmer is the write side of a flash chip; flash.Device implements it.
// Program ANDs data into the flash at addr (bits only go 1→0); EraseRange
// sets n bytes from addr to 0xFF (both sector-aligned).
type Programmer interface {
	Program(addr uint32, data []byte) error
	EraseRange(addr, n uint32) error
}

// Device is what a View works over: a readable, programmable flash.
type Device interface {
	io.ReaderAt
	Programmer
}

// View is one partition of a flash: reads, programs and erases take offsets
// relative to the partition start, and any access that would leave the
// partition fails with a *BoundsError (ErrOutOfBounds) before touching the
// flash, so a bug never spills into the neighbour. Alignment and fault
// behaviour are the flash's.
type View struct {
	dev Device
	e   Entry
}

// NewView returns a view of partition e on dev.
func NewView(dev Device, e Entry) *View { return &View{dev: dev, e: e} }

// Entry returns the partition the view covers.
func (v *View) Entry() Entry { return v.e }

// Size returns the partition size in bytes.
func (v *View) Size() uint32 { return v.e.Size }

// Addr returns the flash address of partition offset off.
func (v *View) Addr(off uint32) uint32 { return v.e.Offset + off }

// check refuses an access of n bytes at off unless it lies inside the
// partition (and the partition inside the 32-bit flash address space).
func (v *View) check(op string, off int64, n uint64) error {
	if off < 0 || uint64(off)+n > uint64(v.e.Size) || v.e.end64() > 1<<32 {
		return &BoundsError{Entry: v.e, Op: op, Off: off, Len: n}
	}
	return nil
}

// ReadAt reads len(p) bytes at partition offset off. A read that would leave
// the partition reads nothing and returns a *BoundsError (not io.EOF).
func (v *View) ReadAt(p []byte, off int64) (int, error) {
	if err := v.check("read", off, uint64(len(p))); err != nil {
		return 0, err
	}
	return v.dev.ReadAt(p, int64(v.e.Offset)+off)
}

// Program programs data at partition offset off.
func (v *View) Program(off uint32, data []byte) error {
	if err := v.check("program", int64(off), uint64(len(data))); err != nil {
		return err
	}
	return v.dev.Program(v.e.Offset+off, data)
}

// EraseRange erases n bytes at partition offset off.
func (v *View) EraseRange(off, n uint32) error {
	if err := v.check("erase", int64(off), uint64(n)); err != nil {
		return err
	}
	return v.dev.EraseRange(v.e.Offset+off, n)
}

// EraseAll erases the whole partition (nothing for an empty one).
func (v *View) EraseAll() error {
	if v.e.Size == 0 {
		return nil
	}
	return v.EraseRange(0, v.e.Size)
}
