package partition_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ws63emu/ws63emu/partition"
)

// memFlash is a minimal NOR model for view tests: program ANDs, erase sets
// 0xFF, and every operation is logged.
type memFlash struct {
	b   []byte
	log []string
}

func newMemFlash(n int) *memFlash { return &memFlash{b: bytes.Repeat([]byte{0xFF}, n)} }

func (m *memFlash) ReadAt(p []byte, off int64) (int, error) {
	m.log = append(m.log, fmt.Sprintf("read %#x+%#x", off, len(p)))
	if off < 0 || off+int64(len(p)) > int64(len(m.b)) {
		return 0, errors.New("memFlash: read out of range")
	}
	return copy(p, m.b[off:]), nil
}

func (m *memFlash) Program(addr uint32, data []byte) error {
	m.log = append(m.log, fmt.Sprintf("program %#x+%#x", addr, len(data)))
	for i, c := range data {
		m.b[int(addr)+i] &= c
	}
	return nil
}

func (m *memFlash) EraseRange(addr, n uint32) error {
	m.log = append(m.log, fmt.Sprintf("erase %#x+%#x", addr, n))
	for i := addr; i < addr+n; i++ {
		m.b[i] = 0xFF
	}
	return nil
}

func TestViewInside(t *testing.T) {
	dev := newMemFlash(int(partition.FlashSize))
	fota, _ := partition.Default(partition.LayoutCompress).Lookup(partition.FotaData)
	v := partition.NewView(dev, fota)
	if v.Entry() != fota || v.Size() != 0x183000 || v.Addr(0x10) != 0x270010 {
		t.Fatalf("Entry/Size/Addr = %+v %#x %#x", v.Entry(), v.Size(), v.Addr(0x10))
	}
	if err := v.Program(v.Size()-4, []byte{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dev.b[0x3F2FFC:0x3F3000], []byte{1, 2, 3, 4}) {
		t.Fatal("program did not land at the partition end")
	}
	got := make([]byte, 4)
	if n, err := v.ReadAt(got, int64(v.Size()-4)); n != 4 || err != nil || !bytes.Equal(got, []byte{1, 2, 3, 4}) {
		t.Fatalf("ReadAt = %d %v %x", n, err, got)
	}
	if err := v.EraseAll(); err != nil {
		t.Fatal(err)
	}
	if want := "erase 0x270000+0x183000"; dev.log[len(dev.log)-1] != want {
		t.Errorf("EraseAll logged %q, want %q", dev.log[len(dev.log)-1], want)
	}
	empty := partition.NewView(dev, partition.Entry{ID: partition.Reserve1, Offset: 0x3F3000})
	n := len(dev.log)
	if err := empty.EraseAll(); err != nil || len(dev.log) != n {
		t.Errorf("EraseAll of an empty partition: %v, ops %v", err, dev.log[n:])
	}
	if err := empty.Program(0, nil); err != nil {
		t.Errorf("zero-length program at offset 0 of an empty partition: %v", err)
	}
}

// TestViewRefusesSpills checks accesses crossing either end of a partition
// are refused before they reach the flash.
func TestViewRefusesSpills(t *testing.T) {
	e := partition.Entry{ID: partition.CrashInfo, Offset: 0x3FB000, Size: 0x1000}
	for _, tc := range []struct {
		name string
		op   func(v *partition.View) error
	}{
		{"read before start", func(v *partition.View) error { _, err := v.ReadAt(make([]byte, 4), -1); return err }},
		{"read past end", func(v *partition.View) error { _, err := v.ReadAt(make([]byte, 2), 0xFFF); return err }},
		{"read at end", func(v *partition.View) error { _, err := v.ReadAt(make([]byte, 1), 0x1000); return err }},
		{"read huge offset", func(v *partition.View) error { _, err := v.ReadAt(make([]byte, 1), 1<<62); return err }},
		{"program past end", func(v *partition.View) error { return v.Program(0xFFF, []byte{0, 0}) }},
		{"program wrapping", func(v *partition.View) error { return v.Program(0xFFFFFFFF, []byte{0, 0}) }},
		{"erase past end", func(v *partition.View) error { return v.EraseRange(0, 0x2000) }},
		{"erase next sector", func(v *partition.View) error { return v.EraseRange(0x1000, 0x1000) }},
		{"erase wrapping", func(v *partition.View) error { return v.EraseRange(0x1000, 0xFFFFF000) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := newMemFlash(int(partition.FlashSize))
			err := tc.op(partition.NewView(dev, e))
			if !errors.Is(err, partition.ErrOutOfBounds) {
				t.Fatalf("err = %v, want ErrOutOfBounds", err)
			}
			var be *partition.BoundsError
			if !errors.As(err, &be) || be.Entry != e {
				t.Fatalf("err %v is not a *BoundsError naming the partition", err)
			}
			if len(dev.log) != 0 {
				t.Errorf("flash was touched: %v", dev.log)
			}
			if partition.Code(err) != partition.CodeInvalidParams {
				t.Errorf("Code = %#x", partition.Code(err))
			}
		})
	}
	dev := newMemFlash(int(partition.FlashSize))
	err := partition.NewView(dev, e).Program(0xFFF, []byte{0, 0})
	const want = "partition: crash-info (0x11): program [0xfff,+0x2) leaves the partition (size 0x1000 at flash 0x3fb000)"
	if err.Error() != want {
		t.Errorf("message %q\nwant    %q", err, want)
	}
}

// TestViewEntryPastAddressSpace checks a bogus entry cannot wrap addresses.
func TestViewEntryPastAddressSpace(t *testing.T) {
	dev := newMemFlash(16)
	v := partition.NewView(dev, partition.Entry{ID: 0x30, Offset: 0xFFFFF000, Size: 0x2000})
	if err := v.Program(0x1800, []byte{0}); !errors.Is(err, partition.ErrOutOfBounds) {
		t.Fatalf("err = %v, want ErrOutOfBounds", err)
	}
	if len(dev.log) != 0 {
		t.Errorf("flash was touched: %v", dev.log)
	}
}
