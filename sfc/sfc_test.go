package sfc_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/sfc"
)

// cmd is one chip command as recorded by the flash hook.
type cmd struct {
	Kind flash.OpKind
	Addr uint32
	Len  uint32
	Data []byte
}

func record(f *flash.Device) *[]cmd {
	var got []cmd
	f.SetHook(func(op flash.Op) {
		got = append(got, cmd{op.Kind, op.Addr, op.Len, bytes.Clone(op.Data)})
	})
	return &got
}

func ff(n int) []byte { return bytes.Repeat([]byte{0xFF}, n) }

func TestWriteCommands(t *testing.T) {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		name string
		addr uint32
		data []byte
		want []cmd
	}{
		{"aligned word", 0x1000, []byte{1, 2, 3, 4}, []cmd{{flash.OpProgram, 0x1000, 4, []byte{1, 2, 3, 4}}}},
		{"one byte is a word", 0x3F204C, []byte{0x0F}, []cmd{{flash.OpProgram, 0x3F204C, 4, []byte{0x0F, 0xFF, 0xFF, 0xFF}}}},
		{"one byte mid word", 0x3F2011, []byte{0x0F}, []cmd{{flash.OpProgram, 0x3F2010, 4, []byte{0xFF, 0x0F, 0xFF, 0xFF}}}},
		{"two bytes in one word", 0x3F2011, []byte{1, 2}, []cmd{{flash.OpProgram, 0x3F2010, 4, []byte{0xFF, 1, 2, 0xFF}}}},
		{"unaligned both ends", 0x2003, seq(11), []cmd{
			{flash.OpProgram, 0x2000, 4, []byte{0xFF, 0xFF, 0xFF, 0}},
			{flash.OpProgram, 0x2004, 8, seq(9)[1:]},
			{flash.OpProgram, 0x200C, 4, []byte{9, 10, 0xFF, 0xFF}},
		}},
		{"body split at 64-byte boundaries", 0x103C, seq(100), []cmd{
			{flash.OpProgram, 0x103C, 4, seq(4)},
			{flash.OpProgram, 0x1040, 64, seq(68)[4:]},
			{flash.OpProgram, 0x1080, 32, seq(100)[68:]},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := flash.New()
			got := record(f)
			if err := sfc.New(f).Program(tt.addr, tt.data); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			b := make([]byte, len(tt.data))
			f.Read(tt.addr, b)
			if !bytes.Equal(b, tt.data) {
				t.Errorf("flash holds % x, want % x", b, tt.data)
			}
		})
	}
}

func TestWriteSectorIs64Commands(t *testing.T) {
	f := flash.New()
	got := record(f)
	if err := sfc.New(f).Program(0x270000, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 64 {
		t.Fatalf("%d commands, want 64", len(*got))
	}
	for i, c := range *got {
		if c.Addr != 0x270000+uint32(i)*64 || c.Len != 64 {
			t.Fatalf("command %d: %+v", i, c)
		}
	}
}

// The read-modify-write programs the other bytes of the word with what
// the driver read: bits cleared there stay cleared, nothing else moves.
func TestWriteKeepsNeighbours(t *testing.T) {
	f := flash.New()
	d := sfc.New(f)
	if err := d.Program(0x100, []byte{0x12, 0x34, 0x56, 0x78}); err != nil {
		t.Fatal(err)
	}
	got := record(f)
	if err := d.Program(0x102, []byte{0x00}); err != nil {
		t.Fatal(err)
	}
	want := []cmd{{flash.OpProgram, 0x100, 4, []byte{0x12, 0x34, 0x00, 0x78}}}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestInvalidParam(t *testing.T) {
	f := flash.New()
	got := record(f)
	d := sfc.New(f)
	for name, err := range map[string]error{
		"empty write":         d.Program(0x100, nil),
		"write past end":      d.Program(sfc.ChipSize-2, []byte{1, 2, 3}),
		"write wraps":         d.Program(0xFFFFFFFF, []byte{1, 2}),
		"empty erase":         d.EraseRange(0x1000, 0),
		"erase past end":      d.EraseRange(sfc.ChipSize-0x1000, 0x2000),
		"erase unaligned":     d.EraseRange(0x1001, 0x1000),
		"erase unaligned len": d.EraseRange(0x1000, 0x800),
	} {
		if !errors.Is(err, sfc.ErrInvalidParam) {
			t.Errorf("%s: %v, want ErrInvalidParam", name, err)
		}
	}
	if len(*got) != 0 {
		t.Errorf("%d commands issued for invalid parameters", len(*got))
	}
}

func TestEraseGreedy(t *testing.T) {
	tests := []struct {
		name    string
		addr, n uint32
		want    []uint32 // block sizes in order
	}{
		{"one sector", 0x3F0000, 0x1000, []uint32{0x1000}},
		{"12 KiB tail", 0x3F0000, 0x3000, []uint32{0x1000, 0x1000, 0x1000}},
		{"4K then 32K", 0x7000, 0x9000, []uint32{0x1000, 0x8000}},
		{"32K then 64K", 0x8000, 0x18000, []uint32{0x8000, 0x10000}},
		{"flashboot partition", 0x20000, 0x10000, []uint32{0x10000}},
		{"64K not aligned falls to 32K", 0x38000, 0x10000, []uint32{0x8000, 0x8000}},
		{"mixed", 0x7000, 0x1A000, []uint32{0x1000, 0x8000, 0x10000, 0x1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := flash.New()
			flashProgramAll(t, f, tt.addr-0x1000, tt.n+0x2000)
			got := record(f)
			if err := sfc.New(f).EraseRange(tt.addr, tt.n); err != nil {
				t.Fatal(err)
			}
			var sizes []uint32
			at := tt.addr
			for _, c := range *got {
				if c.Kind != flash.OpErase || c.Addr != at {
					t.Fatalf("command %+v, want an erase at 0x%x", c, at)
				}
				sizes = append(sizes, c.Len)
				at += c.Len
			}
			if diff := cmp.Diff(tt.want, sizes); diff != "" {
				t.Errorf("block sizes (-want +got):\n%s", diff)
			}
			b := f.Bytes()
			if !bytes.Equal(b[tt.addr:tt.addr+tt.n], ff(int(tt.n))) || b[tt.addr-1] != 0 || b[tt.addr+tt.n] != 0 {
				t.Errorf("erase did not cover exactly [0x%x, 0x%x)", tt.addr, tt.addr+tt.n)
			}
		})
	}
}

func TestEraseWholeApp(t *testing.T) {
	f := flash.New()
	got := record(f)
	if err := sfc.New(f).EraseRange(0x30000, 0x240000); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 36 {
		t.Errorf("%d erase commands for the app partition, want 36 of 64 KiB", len(*got))
	}
}

// A failing command ends the call; the commands before it stay applied.
func TestStopsAtFirstFailure(t *testing.T) {
	f := flash.New()
	f.CutAt(1, flash.Tear{Kind: flash.TearBefore})
	err := sfc.New(f).Program(0x1002, make([]byte, 70)) // word, 64 bytes, 2-byte end: cut at the 64
	if !errors.Is(err, flash.ErrPowerOff) {
		t.Fatalf("err = %v, want ErrPowerOff", err)
	}
	f.PowerOn()
	b := make([]byte, 8)
	f.Read(0x1000, b)
	if !bytes.Equal(b, []byte{0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF}) {
		t.Errorf("flash % x", b)
	}
	if f.OpCount() != 2 {
		t.Errorf("op count %d, want 2", f.OpCount())
	}
}

func flashProgramAll(t *testing.T, f *flash.Device, addr, n uint32) {
	t.Helper()
	if err := f.Program(addr, make([]byte, n)); err != nil {
		t.Fatal(err)
	}
}
