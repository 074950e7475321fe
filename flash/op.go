package flash

import (
	"fmt"
	"strconv"
)

// OpKind is the kind of a flash operation.
type OpKind uint8

// Operation kinds.
const (
	OpErase   OpKind = iota + 1 // one block erase (4, 32 or 64 KiB)
	OpProgram                   // one program command: 1..MaxProgram bytes within a page
)

func (k OpKind) String() string {
	switch k {
	case OpErase:
		return "erase"
	case OpProgram:
		return "program"
	}
	return "OpKind(" + strconv.Itoa(int(k)) + ")"
}

// Op is one flash operation, which is one cut point: one command the chip
// receives. A block erase of 4, 32 or 64 KiB, or a program command of at
// most MaxProgram bytes that does not cross a 256-byte page.
type Op struct {
	Index uint64 // 0-based operation counter value of this op (counts every erase/program op since New, including ops that failed)
	Kind  OpKind
	Addr  uint32
	Len   uint32 // bytes programmed, or the block size for erase
	Phase string // phase label current when the op ran (SetPhase)
	Data  []byte // program: the bytes asked to be programmed (only valid during a Hook call; nil in Log())
}

// String gives a one-line description, e.g. "op 12 program 0x001f00+256 (store)".
func (op Op) String() string {
	s := fmt.Sprintf("op %d %s 0x%06x+%d", op.Index, op.Kind, op.Addr, op.Len)
	if op.Phase != "" {
		s += " (" + op.Phase + ")"
	}
	return s
}

// Validate reports whether op could have been issued by a Device: a known
// kind; an erase of one whole, aligned, in-range 4, 32 or 64 KiB block; or
// a program of 1..MaxProgram bytes that stays within one page, with
// len(Data) == Len.
// ApplyTorn applies only valid ops.
func (op Op) Validate() error {
	switch op.Kind {
	case OpErase:
		if op.Len != Block4K && op.Len != Block32K && op.Len != Block64K {
			return fmt.Errorf("%w: %s", ErrMisaligned, op)
		}
		if uint64(op.Addr)+uint64(op.Len) > Size {
			return fmt.Errorf("%w: %s", ErrOutOfRange, op)
		}
		if op.Addr%op.Len != 0 {
			return fmt.Errorf("%w: %s", ErrMisaligned, op)
		}
		return nil
	case OpProgram:
		if op.Len == 0 || op.Len > MaxProgram || int(op.Len) != len(op.Data) {
			return fmt.Errorf("flash: program op needs 1..%d bytes with len(Data) == Len: %s", MaxProgram, op)
		}
		if uint64(op.Addr)+uint64(op.Len) > Size {
			return fmt.Errorf("%w: %s", ErrOutOfRange, op)
		}
		if op.Addr/PageSize != (op.Addr+op.Len-1)/PageSize {
			return fmt.Errorf("flash: program op crosses a page boundary: %s", op)
		}
		return nil
	}
	return fmt.Errorf("flash: unknown op kind: %s", op)
}
