package flash_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

// step is one call on a device in a table test.
type step struct {
	erase     bool   // Erase(addr)
	rng       bool   // EraseRange(addr, n)
	n         uint32 // EraseRange length
	block     uint32 // EraseBlock(addr, block) when non-zero
	addr      uint32
	data      []byte
	wantErr   error
	wantOps   uint64 // op counter after the step
	wantBytes map[uint32][]byte
}

func TestNORRules(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"program ANDs into erased", []step{
			{addr: 0x10, data: []byte{0x12, 0xF0}, wantOps: 1, wantBytes: map[uint32][]byte{0x0F: {0xFF, 0x12, 0xF0, 0xFF}}},
		}},
		{"program twice gives AND", []step{
			{addr: 0x10, data: []byte{0xF0}, wantOps: 1},
			{addr: 0x10, data: []byte{0x3C}, wantOps: 2, wantBytes: map[uint32][]byte{0x10: {0x30}}},
		}},
		{"program cannot set bits", []step{
			{addr: 0x10, data: []byte{0x00}, wantOps: 1},
			{addr: 0x10, data: []byte{0xFF}, wantOps: 2, wantBytes: map[uint32][]byte{0x10: {0x00}}},
		}},
		{"erase restores 0xFF in one sector only", []step{
			{addr: 0x0FFE, data: []byte{1, 2, 3, 4}, wantOps: 2},
			{erase: true, addr: 0x1000, wantOps: 3, wantBytes: map[uint32][]byte{0x0FFE: {1, 2, 0xFF, 0xFF}}},
		}},
		{"erase range of sectors", []step{
			{addr: 0x2000, data: bytes.Repeat([]byte{0}, 3*flash.SectorSize), wantOps: 192},
			{rng: true, n: 2 * flash.SectorSize, addr: 0x3000, wantOps: 194,
				wantBytes: map[uint32][]byte{0x2FFF: {0, 0xFF}, 0x4FFF: {0xFF}}},
		}},
		{"erase range greedy blocks", []step{
			// 0x7000 4K, 0x8000 32K, 0x10000 64K, 0x20000 4K
			{rng: true, n: 0x1A000, addr: 0x7000, wantOps: 4},
		}},
		{"erase block 32K", []step{
			{addr: 0x7FFF, data: []byte{0, 0}, wantOps: 2},
			{block: flash.Block32K, addr: 0x8000, wantOps: 3, wantBytes: map[uint32][]byte{0x7FFF: {0, 0xFF}}},
		}},
		{"erase block 64K", []step{
			{addr: 0x1FFFF, data: []byte{0, 0}, wantOps: 2},
			{block: flash.Block64K, addr: 0x10000, wantOps: 3, wantBytes: map[uint32][]byte{0xFFFF: {0xFF, 0xFF}, 0x20000: {0}}},
		}},
		{"erase block misaligned", []step{
			{block: flash.Block64K, addr: 0x8000, wantErr: flash.ErrMisaligned, wantOps: 0},
			{block: 0x2000, addr: 0x8000, wantErr: flash.ErrMisaligned, wantOps: 0},
			{block: flash.Block64K, addr: flash.Size, wantErr: flash.ErrOutOfRange, wantOps: 0},
		}},
		{"page split across boundary", []step{
			{addr: 0xF0, data: make([]byte, 0x20), wantOps: 2},
		}},
		{"64 bytes within a page is one command", []step{
			{addr: 0x130, data: make([]byte, 64), wantOps: 1},
		}},
		{"long program split at 64-byte boundaries", []step{
			{addr: 0x90, data: make([]byte, 600), wantOps: 10}, // 0x90-0xBF, then 64-byte commands, last 0x2C0-0x2E7
		}},
		{"page aligned exactly one page", []step{
			{addr: 0x300, data: make([]byte, flash.PageSize), wantOps: 4},
		}},
		{"empty program issues no op", []step{
			{addr: 0x300, data: nil, wantOps: 0},
			{addr: flash.Size, data: nil, wantOps: 0},
		}},
		{"program out of range", []step{
			{addr: flash.Size - 2, data: []byte{0, 0, 0}, wantErr: flash.ErrOutOfRange, wantOps: 0,
				wantBytes: map[uint32][]byte{flash.Size - 2: {0xFF, 0xFF}}},
			{addr: 0xFFFFFFFF, data: []byte{0}, wantErr: flash.ErrOutOfRange, wantOps: 0},
		}},
		{"program ends at last byte", []step{
			{addr: flash.Size - 1, data: []byte{0x5A}, wantOps: 1, wantBytes: map[uint32][]byte{flash.Size - 1: {0x5A}}},
		}},
		{"erase misaligned", []step{
			{erase: true, addr: 0x1001, wantErr: flash.ErrMisaligned, wantOps: 0},
		}},
		{"erase out of range", []step{
			{erase: true, addr: flash.Size, wantErr: flash.ErrOutOfRange, wantOps: 0},
		}},
		{"erase range misaligned length", []step{
			{rng: true, n: 100, addr: 0x1000, wantErr: flash.ErrMisaligned, wantOps: 0},
		}},
		{"erase range past end", []step{
			{rng: true, n: 2 * flash.SectorSize, addr: flash.Size - flash.SectorSize, wantErr: flash.ErrOutOfRange, wantOps: 0},
			{rng: true, n: 0xFFFFF000, addr: 0x1000, wantErr: flash.ErrOutOfRange, wantOps: 0},
		}},
		{"erase range whole chip", []step{
			{rng: true, n: flash.Size, addr: 0, wantOps: flash.Size / flash.Block64K},
		}},
		{"erase range zero length", []step{
			{rng: true, n: 0, addr: 0x1000, wantOps: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := flash.New()
			for i, s := range tt.steps {
				var err error
				switch {
				case s.block != 0:
					err = d.EraseBlock(s.addr, s.block)
				case s.rng:
					err = d.EraseRange(s.addr, s.n)
				case s.erase:
					err = d.Erase(s.addr)
				default:
					err = d.Program(s.addr, s.data)
				}
				if !errors.Is(err, s.wantErr) || (err != nil) != (s.wantErr != nil) {
					t.Fatalf("step %d: err = %v, want %v", i, err, s.wantErr)
				}
				if got := d.OpCount(); got != s.wantOps {
					t.Errorf("step %d: OpCount = %d, want %d", i, got, s.wantOps)
				}
				for addr, want := range s.wantBytes {
					got := make([]byte, len(want))
					if err := d.Read(addr, got); err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("step %d: bytes at 0x%x (-want +got):\n%s", i, addr, diff)
					}
				}
			}
			flashtest.Check(t, d)
		})
	}
}

// TestProgramMatchesModel programs random data at random places and
// compares with a plain byte-slice model of the NOR rules.
func TestProgramMatchesModel(t *testing.T) {
	d := flash.New()
	model := bytes.Repeat([]byte{0xFF}, flash.Size)
	data := flashtest.Pattern(1, 3000)
	for i := range 200 {
		r := flashtest.Pattern(uint64(100+i), 8)
		addr := (uint32(r[0]) | uint32(r[1])<<8 | uint32(r[2])<<16) % (flash.Size - 3000)
		n := int(uint16(r[3])|uint16(r[4])<<8) % 3000
		if r[5]%5 == 0 {
			sec := addr &^ (flash.SectorSize - 1)
			if err := d.Erase(sec); err != nil {
				t.Fatal(err)
			}
			copy(model[sec:sec+flash.SectorSize], bytes.Repeat([]byte{0xFF}, flash.SectorSize))
			continue
		}
		p := data[:n]
		if err := d.Program(addr, p); err != nil {
			t.Fatal(err)
		}
		for j := range p {
			model[int(addr)+j] &= p[j]
		}
	}
	if got := d.Bytes(); !bytes.Equal(got, model) {
		t.Fatalf("device differs from model: %s", flashtest.Describe(model, got))
	}
	flashtest.Check(t, d)
}

func TestOpsAndLog(t *testing.T) {
	d := flash.New()
	d.SetLogging(true)
	d.SetPhase("store")
	flashtest.MustProgram(t, d, 0x10F0, make([]byte, 0x120))
	d.SetPhase("erase")
	flashtest.MustErase(t, d, 0x1000, flash.SectorSize)
	d.SetBadSector(0x5000, true)
	if err := d.Erase(0x5000); !errors.Is(err, flash.ErrBadSector) {
		t.Fatalf("erase bad sector: %v", err)
	}
	if err := d.Erase(0x5001); !errors.Is(err, flash.ErrMisaligned) {
		t.Fatalf("misaligned: %v", err)
	}
	want := []flash.Op{
		{Index: 0, Kind: flash.OpProgram, Addr: 0x10F0, Len: 0x10, Phase: "store"},
		{Index: 1, Kind: flash.OpProgram, Addr: 0x1100, Len: 0x40, Phase: "store"},
		{Index: 2, Kind: flash.OpProgram, Addr: 0x1140, Len: 0x40, Phase: "store"},
		{Index: 3, Kind: flash.OpProgram, Addr: 0x1180, Len: 0x40, Phase: "store"},
		{Index: 4, Kind: flash.OpProgram, Addr: 0x11C0, Len: 0x40, Phase: "store"},
		{Index: 5, Kind: flash.OpProgram, Addr: 0x1200, Len: 0x10, Phase: "store"},
		{Index: 6, Kind: flash.OpErase, Addr: 0x1000, Len: flash.SectorSize, Phase: "erase"},
		{Index: 7, Kind: flash.OpErase, Addr: 0x5000, Len: flash.SectorSize, Phase: "erase"},
	}
	if diff := cmp.Diff(want, d.Log()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if d.OpCount() != 8 {
		t.Errorf("OpCount = %d, want 8", d.OpCount())
	}
	d.ResetLog()
	if len(d.Log()) != 0 {
		t.Errorf("log not reset")
	}
	d.SetLogging(false)
	flashtest.MustProgram(t, d, 0, []byte{0})
	if len(d.Log()) != 0 {
		t.Errorf("logged while logging off")
	}
	if got, want := d.Log(), []flash.Op(nil); !cmp.Equal(got, want) {
		t.Errorf("Log() = %v", got)
	}
	if s := want[1].String(); s != "op 1 program 0x001100+64 (store)" {
		t.Errorf("Op.String() = %q", s)
	}
}

func TestHook(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0x100, []byte{0x0F})
	var seen []flash.Op
	var before []byte
	d.SetHook(func(op flash.Op) {
		if d.OpCount() != op.Index {
			t.Errorf("hook: OpCount %d != op.Index %d", d.OpCount(), op.Index)
		}
		b := make([]byte, 1)
		if err := d.Read(0x100, b); err != nil {
			t.Error(err)
		}
		before = append(before, b[0])
		op.Data = append([]byte(nil), op.Data...)
		seen = append(seen, op)
	})
	d.FailProgramAt(3)
	d.CutAt(4, flash.Tear{Kind: flash.TearBefore})
	flashtest.MustProgram(t, d, 0x100, []byte{0x03})
	flashtest.MustErase(t, d, 0, flash.SectorSize)
	if err := d.Program(0x100, []byte{0x01}); !errors.Is(err, flash.ErrProgramFailed) {
		t.Fatalf("program failure: %v", err)
	}
	if err := d.Program(0x100, []byte{0x00}); !errors.Is(err, flash.ErrPowerOff) {
		t.Fatalf("cut: %v", err)
	}
	if err := d.Program(0x100, []byte{0x00}); !errors.Is(err, flash.ErrPowerOff) {
		t.Fatalf("after cut: %v", err)
	}
	want := []flash.Op{
		{Index: 1, Kind: flash.OpProgram, Addr: 0x100, Len: 1, Data: []byte{0x03}},
		{Index: 2, Kind: flash.OpErase, Addr: 0, Len: flash.SectorSize},
		{Index: 3, Kind: flash.OpProgram, Addr: 0x100, Len: 1, Data: []byte{0x01}},
		{Index: 4, Kind: flash.OpProgram, Addr: 0x100, Len: 1, Data: []byte{0x00}},
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("hook ops (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]byte{0x0F, 0x03, 0xFF, 0xFF}, before); diff != "" {
		t.Errorf("contents seen by hook (-want +got):\n%s", diff)
	}
	if d.OpCount() != 5 {
		t.Errorf("OpCount = %d, want 5 (ops while off are not counted)", d.OpCount())
	}
}

func TestHookCutNowCutsThisOp(t *testing.T) {
	d := flash.New()
	d.SetHook(func(op flash.Op) {
		if op.Index == 1 {
			d.CutNow()
		}
	})
	err := d.Program(0, make([]byte, 3*flash.PageSize))
	if !errors.Is(err, flash.ErrPowerOff) {
		t.Fatalf("err = %v, want ErrPowerOff", err)
	}
	d.PowerOn()
	got := make([]byte, 2*flash.PageSize)
	if err := d.Read(0, got); err != nil {
		t.Fatal(err)
	}
	want := append(make([]byte, flash.MaxProgram), bytes.Repeat([]byte{0xFF}, 2*flash.PageSize-flash.MaxProgram)...)
	if !bytes.Equal(got, want) {
		t.Errorf("contents: %s", flashtest.Describe(want, got))
	}
	if d.OpCount() != 2 {
		t.Errorf("OpCount = %d, want 2", d.OpCount())
	}
}

func TestPowerOff(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0, []byte{1, 2, 3})
	d.CutNow()
	if !d.Off() {
		t.Fatal("not off after CutNow")
	}
	hash := d.Hash()
	el := d.Elapsed()
	buf := make([]byte, 3)
	calls := map[string]func() error{
		"program":    func() error { return d.Program(0, []byte{0}) },
		"erase":      func() error { return d.Erase(0) },
		"eraseRange": func() error { return d.EraseRange(0, flash.SectorSize) },
		"read":       func() error { return d.Read(0, buf) },
		"readAt":     func() error { _, err := d.ReadAt(buf, 0); return err },
		"bad args":   func() error { return d.Erase(3) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, flash.ErrPowerOff) {
			t.Errorf("%s while off: %v, want ErrPowerOff", name, err)
		}
	}
	if d.OpCount() != 1 || d.Hash() != hash || d.Elapsed() != el {
		t.Errorf("state changed while off: ops %d", d.OpCount())
	}
	// Inspection views work while off.
	if got := d.Bytes()[:3]; !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("Bytes while off = %v", got)
	}
	d.PowerOn()
	if err := d.Read(0, buf); err != nil || !bytes.Equal(buf, []byte{1, 2, 3}) {
		t.Errorf("after PowerOn: %v %v", buf, err)
	}
	if err := flash.ErrPowerOff.Error(); err != "flash: device is powered off" {
		t.Errorf("ErrPowerOff text = %q", err)
	}
}

// TestPowerOnKeepsArmedCut: a cut is armed at an operation number; a power
// cycle before it does not disarm it (a scenario's `cut op=N` followed by
// `power-on` cuts during the boot).
func TestPowerOnKeepsArmedCut(t *testing.T) {
	d := flash.New()
	d.CutAt(1, flash.Tear{})
	d.PowerOn()
	flashtest.MustProgram(t, d, 0, []byte{0})
	if err := d.Program(0, []byte{0}); !errors.Is(err, flash.ErrPowerOff) || !d.Off() {
		t.Fatalf("armed cut at op 1 did not fire after PowerOn: %v", err)
	}
	d.PowerOn()
	flashtest.MustProgram(t, d, 0, []byte{0}) // the cut fired once: disarmed
	d.CutAt(0, flash.Tear{})                  // below OpCount: never fires
	flashtest.MustProgram(t, d, 0, []byte{0})
	if d.Off() {
		t.Error("stale cut fired")
	}
}

func TestReadAt(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, flash.Size-2, []byte{1, 2})
	var _ io.ReaderAt = d
	tests := []struct {
		name    string
		off     int64
		n       int
		want    []byte
		wantErr error
	}{
		{"inside", flash.Size - 4, 4, []byte{0xFF, 0xFF, 1, 2}, nil},
		{"spills", flash.Size - 2, 4, []byte{1, 2}, io.EOF},
		{"at end", flash.Size, 4, []byte{}, io.EOF},
		{"at end empty", flash.Size, 0, []byte{}, nil},
		{"far", 1 << 40, 1, []byte{}, io.EOF},
		{"negative", -1, 1, []byte{}, flash.ErrOutOfRange},
		{"across sectors", 0xFFE, 4, []byte{0xFF, 0xFF, 0xFF, 0xFF}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := make([]byte, tt.n)
			n, err := d.ReadAt(p, tt.off)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, p[:n]); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
	if err := d.Read(flash.Size-1, make([]byte, 2)); !errors.Is(err, flash.ErrOutOfRange) {
		t.Errorf("Read spilling: %v", err)
	}
}

func TestBadSector(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0x3000, []byte{0x55})
	d.SetBadSector(0x3ABC, true)
	if !d.BadSector(0x3000) || d.BadSector(0x4000) {
		t.Fatal("BadSector marks wrong sector")
	}
	if err := d.Erase(0x3000); !errors.Is(err, flash.ErrBadSector) {
		t.Errorf("erase: %v", err)
	}
	if err := d.Program(0x3001, []byte{0}); !errors.Is(err, flash.ErrBadSector) {
		t.Errorf("program: %v", err)
	}
	// A range program stops at the first op in the bad sector.
	err := d.Program(0x2F00, make([]byte, 0x200))
	if !errors.Is(err, flash.ErrBadSector) {
		t.Errorf("range program: %v", err)
	}
	if d.OpCount() != 8 || d.EraseCount(3) != 0 { // 1 + 1 + 1 + four 64-byte commands before 0x3000 + the refused one
		t.Errorf("ops %d wear %d, want 8 0", d.OpCount(), d.EraseCount(3))
	}
	b := make([]byte, 2)
	d.Read(0x2FFF, b)
	if !bytes.Equal(b, []byte{0x00, 0x55}) {
		t.Errorf("bytes around the bad sector = %x", b)
	}
	d.SetBadSector(0x3000, false)
	if err := d.Erase(0x3000); err != nil || d.EraseCount(3) != 1 {
		t.Errorf("erase after clearing: %v", err)
	}
	d.SetBadSector(flash.Size, true) // ignored
	if d.BadSector(flash.Size) {
		t.Error("out-of-range sector marked bad")
	}
}

func TestFailProgramAt(t *testing.T) {
	d := flash.New()
	d.FailProgramAt(1)
	d.FailProgramAt(2) // index 2 will be an erase: not affected
	err := d.Program(0, make([]byte, 2*flash.PageSize))
	if !errors.Is(err, flash.ErrProgramFailed) {
		t.Fatalf("err = %v", err)
	}
	b := d.Bytes()
	if b[0] != 0 || b[flash.PageSize] != 0xFF {
		t.Errorf("first page applied %x, second page untouched %x", b[0], b[flash.PageSize])
	}
	if err := d.Erase(0); err != nil {
		t.Errorf("erase at a failing program index: %v", err)
	}
	if d.OpCount() != 3 {
		t.Errorf("OpCount = %d", d.OpCount())
	}
	d.ClearFaults()
	s := d.Snapshot()
	d.FailProgramAt(3)
	d.Restore(s)
	if err := d.Program(0, []byte{0}); !errors.Is(err, flash.ErrProgramFailed) {
		t.Errorf("failure not kept across Restore: %v", err)
	}
}

func TestFlipBit(t *testing.T) {
	d := flash.New()
	if err := d.FlipBit(0x1234, 3); err != nil {
		t.Fatal(err)
	}
	if err := d.FlipBit(0x1234, 8); !errors.Is(err, flash.ErrBadBit) {
		t.Errorf("bit 8: %v", err)
	}
	if err := d.FlipBit(flash.Size, 0); !errors.Is(err, flash.ErrOutOfRange) {
		t.Errorf("out of range: %v", err)
	}
	d.CutNow()
	if err := d.FlipBit(0x1234, 0); err != nil {
		t.Errorf("flip while off: %v", err)
	}
	d.PowerOn()
	b := make([]byte, 1)
	d.Read(0x1234, b)
	if b[0] != 0xF6 {
		t.Errorf("byte = %#x, want 0xf6", b[0])
	}
	if d.OpCount() != 0 || d.Elapsed() != 25*time.Nanosecond { // only the 1-byte read costs time
		t.Errorf("FlipBit counted as op: ops %d elapsed %v", d.OpCount(), d.Elapsed())
	}
	// A flipped-to-1 bit can be programmed back to 0; erase clears flips.
	flashtest.MustProgram(t, d, 0x1234, []byte{0xF7})
	d.Read(0x1234, b)
	if b[0] != 0xF6 {
		t.Errorf("after program = %#x", b[0])
	}
	flashtest.MustErase(t, d, 0x1000, flash.SectorSize)
	d.Read(0x1234, b)
	if b[0] != 0xFF {
		t.Errorf("after erase = %#x", b[0])
	}
	flashtest.Check(t, d)
}

func TestEraseCount(t *testing.T) {
	d := flash.New()
	for range 3 {
		flashtest.MustErase(t, d, 0x2000, 2*flash.SectorSize)
	}
	flashtest.MustErase(t, d, 0x2000, flash.SectorSize)
	got := []uint32{d.EraseCount(1), d.EraseCount(2), d.EraseCount(3), d.EraseCount(-1), d.EraseCount(flash.NumSectors)}
	if diff := cmp.Diff([]uint32{0, 4, 3, 0, 0}, got); diff != "" {
		t.Errorf("erase counts (-want +got):\n%s", diff)
	}
	// Wear survives a power cycle and is part of snapshots.
	s := d.Snapshot()
	flashtest.MustErase(t, d, 0x2000, flash.SectorSize)
	d.CutNow()
	d.PowerOn()
	if d.EraseCount(2) != 5 || s.EraseCount(2) != 4 {
		t.Errorf("device wear %d, snapshot wear %d", d.EraseCount(2), s.EraseCount(2))
	}
	d.Restore(s)
	if d.EraseCount(2) != 4 {
		t.Errorf("restored wear %d", d.EraseCount(2))
	}
}

func TestElapsed(t *testing.T) {
	d := flash.New()
	wantTiming := flash.Timing{SectorErase: 50 * time.Millisecond, BlockErase32K: 150 * time.Millisecond,
		BlockErase64K: 250 * time.Millisecond, PageProgram: 600 * time.Microsecond,
		ProgramFirstByte: 30 * time.Microsecond, ProgramNextByte: 2200 * time.Nanosecond, ReadBytesPerSecond: 40_000_000}
	if diff := cmp.Diff(wantTiming, d.Timing()); diff != "" {
		t.Errorf("default timing (-want +got):\n%s", diff)
	}
	flashtest.MustErase(t, d, 0, 2*flash.SectorSize) // two 4 KiB erases
	flashtest.MustProgram(t, d, 0x80, make([]byte, 300))
	// four 64-byte commands and one of 44: 30 µs + 2.2 µs per further byte
	want := 2*50*time.Millisecond + 4*(30*time.Microsecond+63*2200*time.Nanosecond) + 30*time.Microsecond + 43*2200*time.Nanosecond
	if d.Elapsed() != want {
		t.Errorf("elapsed = %v, want %v", d.Elapsed(), want)
	}
	// 40 MB/s: 1 byte is 25 ns; many small reads must not drift.
	b := make([]byte, 1)
	for range 40 {
		d.Read(0, b)
	}
	want += time.Microsecond
	if d.Elapsed() != want {
		t.Errorf("after reads elapsed = %v, want %v", d.Elapsed(), want)
	}
	d.SetTiming(flash.Timing{ReadBytesPerSecond: 3, SectorErase: -1})
	if d.Timing().SectorErase != 0 {
		t.Errorf("negative timing not clamped")
	}
	for range 3 {
		d.Read(0, b) // 1/3 s each, exact in total
	}
	want += time.Second
	flashtest.MustErase(t, d, 0, flash.SectorSize)
	if d.Elapsed() != want {
		t.Errorf("elapsed = %v, want %v", d.Elapsed(), want)
	}
}

func TestNewIsErasedAndCheap(t *testing.T) {
	allocs := testing.AllocsPerRun(10, func() { _ = flash.New() })
	if allocs > 2 {
		t.Errorf("New allocates %v times", allocs)
	}
	d := flash.New()
	if !bytes.Equal(d.Bytes(), bytes.Repeat([]byte{0xFF}, flash.Size)) {
		t.Error("new device not erased")
	}
	// Programming a page in an owned sector does not allocate.
	flashtest.MustProgram(t, d, 0, []byte{0})
	page := make([]byte, flash.PageSize)
	allocs = testing.AllocsPerRun(100, func() {
		if err := d.Program(0x100, page); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("steady-state page program allocates %v times", allocs)
	}
}

// Program's quiet fast path (no hook, tap, log, fault or cut in reach)
// gives exactly what issuing each command does: contents, op counter,
// clock. The slow path is forced with a hook that does nothing.
func TestProgramFastPathEqualsCommands(t *testing.T) {
	fast, slow := flash.New(), flash.New()
	slow.SetHook(func(flash.Op) {})
	seed := uint64(1)
	for i := range 300 {
		seed = seed*6364136223846793005 + 1442695040888963407
		addr := uint32(seed>>20) % (flash.Size - 20000)
		n := 1 + int(seed>>8)%9000
		data := flashtest.Pattern(uint64(i), n)
		for _, d := range []*flash.Device{fast, slow} {
			if err := d.Program(addr, data); err != nil {
				t.Fatal(err)
			}
		}
		if i%50 == 0 {
			for _, d := range []*flash.Device{fast, slow} {
				d.EraseRange(addr&^(flash.SectorSize-1), flash.SectorSize)
			}
		}
	}
	if fast.Hash() != slow.Hash() || fast.OpCount() != slow.OpCount() || fast.Elapsed() != slow.Elapsed() {
		t.Fatalf("fast path: ops %d elapsed %v; commands: ops %d elapsed %v; same contents %v",
			fast.OpCount(), fast.Elapsed(), slow.OpCount(), slow.Elapsed(), fast.Hash() == slow.Hash())
	}
	// A cut armed inside a long program still tears exactly that command.
	a, b := flash.New(), flash.New()
	b.SetHook(func(flash.Op) {})
	for _, d := range []*flash.Device{a, b} {
		d.CutAt(5, flash.Tear{Kind: flash.TearPrefix, K: 10})
		if err := d.Program(0x100, make([]byte, 1000)); !errors.Is(err, flash.ErrPowerOff) {
			t.Fatalf("cut inside a long program: %v", err)
		}
	}
	if a.Hash() != b.Hash() || a.OpCount() != b.OpCount() {
		t.Error("a cut inside a long program differs from the command-by-command path")
	}
}
