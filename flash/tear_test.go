package flash_test

import (
	"bytes"
	"errors"
	"math/bits"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

func TestParseTear(t *testing.T) {
	tests := []struct {
		in      string
		want    flash.Tear
		str     string
		wantErr bool
	}{
		{in: "before", want: flash.Tear{Kind: flash.TearBefore}, str: "before"},
		{in: "after", want: flash.Tear{Kind: flash.TearAfter}, str: "after"},
		{in: "prefix:0", want: flash.Tear{Kind: flash.TearPrefix, K: 0}, str: "prefix:0"},
		{in: "prefix:17", want: flash.Tear{Kind: flash.TearPrefix, K: 17}, str: "prefix:17"},
		{in: "prefix:0x100", want: flash.Tear{Kind: flash.TearPrefix, K: 256}, str: "prefix:256"},
		{in: "prefix:4096", want: flash.Tear{Kind: flash.TearPrefix, K: 4096}, str: "prefix:4096"},
		{in: "bits", want: flash.Tear{Kind: flash.TearBits}, str: "bits"},
		{in: "bits:0", want: flash.Tear{Kind: flash.TearBits}, str: "bits"},
		{in: "bits:42", want: flash.Tear{Kind: flash.TearBits, Seed: 42}, str: "bits:42"},
		{in: "bits:0xffffffffffffffff", want: flash.Tear{Kind: flash.TearBits, Seed: 1<<64 - 1}, str: "bits:18446744073709551615"},
		{in: "prefix:65536", want: flash.Tear{Kind: flash.TearPrefix, K: 65536}, str: "prefix:65536"},
		{in: "prefix:65537", wantErr: true},
		{in: "prefix:-1", wantErr: true},
		{in: "prefix", wantErr: true},
		{in: "prefix:", wantErr: true},
		{in: "before:1", wantErr: true},
		{in: "after:", wantErr: true},
		{in: "bits:x", wantErr: true},
		{in: "bits:-3", wantErr: true},
		{in: "Before", wantErr: true},
		{in: "", wantErr: true},
		{in: "middle", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := flash.ParseTear(tt.in)
			if tt.wantErr {
				if !errors.Is(err, flash.ErrBadTear) {
					t.Fatalf("ParseTear(%q) err = %v, want ErrBadTear", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.String() != tt.str {
				t.Errorf("String() = %q, want %q", got.String(), tt.str)
			}
			back, err := flash.ParseTear(got.String())
			if err != nil || back != got {
				t.Errorf("round trip: %v %v", back, err)
			}
		})
	}
	for _, k := range []flash.TearKind{flash.TearBefore, flash.TearAfter, flash.TearPrefix, flash.TearBits} {
		if got, err := flash.ParseTearKind(k.String()); err != nil || got != k {
			t.Errorf("ParseTearKind(%q) = %v, %v", k, got, err)
		}
	}
	if s := flash.TearKind(9).String(); s != "TearKind(9)" {
		t.Errorf("unknown kind String = %q", s)
	}
}

// tearCase sets up a device whose op number `at` is the one to be cut.
type tearCase struct {
	name string
	prep func(d *flash.Device) // ops before the cut op
	run  func(d *flash.Device) error
	at   uint64 // index of the cut op
}

const tearAddr = 0x7000

var tearCases = []tearCase{
	{
		name: "program command",
		prep: func(d *flash.Device) {
			d.Program(tearAddr, bytes.Repeat([]byte{0xF0}, flash.MaxProgram)) // op 0
		},
		run: func(d *flash.Device) error {
			return d.Program(tearAddr, flashtest.Pattern(7, flash.MaxProgram)) // op 1
		},
		at: 1,
	},
	{
		name: "program second piece",
		prep: func(d *flash.Device) {},
		run: func(d *flash.Device) error {
			return d.Program(tearAddr+0x80, flashtest.Pattern(8, 3*flash.PageSize)) // ops 0..11
		},
		at: 2,
	},
	{
		name: "erase sector",
		prep: func(d *flash.Device) {
			d.Program(tearAddr, flashtest.Pattern(9, flash.SectorSize)) // ops 0..63
		},
		run: func(d *flash.Device) error { return d.Erase(tearAddr) }, // op 64
		at:  64,
	},
	{
		name: "erase 32K block",
		prep: func(d *flash.Device) {
			d.Program(0x18000, flashtest.Pattern(10, flash.Block32K)) // ops 0..511
		},
		run: func(d *flash.Device) error { return d.EraseBlock(0x18000, flash.Block32K) }, // op 512
		at:  512,
	},
	{
		name: "erase 64K block",
		prep: func(d *flash.Device) {
			d.Program(0x20000, flashtest.Pattern(11, flash.Block64K)) // ops 0..1023
		},
		run: func(d *flash.Device) error { return d.EraseBlock(0x20000, flash.Block64K) }, // op 1024
		at:  1024,
	},
}

// runCut runs c with CutAt(c.at, tear) and returns the device.
func runCut(t *testing.T, c tearCase, tear flash.Tear) *flash.Device {
	t.Helper()
	d := flash.New()
	d.SetLogging(true)
	c.prep(d)
	d.CutAt(c.at, tear)
	if err := c.run(d); !errors.Is(err, flash.ErrPowerOff) {
		t.Fatalf("%s: cut op returned %v, want ErrPowerOff", c.name, err)
	}
	if !d.Off() {
		t.Fatalf("%s: device on after cut", c.name)
	}
	return d
}

// runFull runs c without a cut; it returns the state before op c.at and
// after it, and the op itself.
func runFull(t *testing.T, c tearCase) (before, after []byte, op flash.Op) {
	t.Helper()
	d := flash.New()
	c.prep(d)
	d.SetHook(func(o flash.Op) {
		if o.Index == c.at {
			before = d.Bytes()
			op = o
			op.Data = append([]byte(nil), o.Data...)
		}
	})
	if err := c.run(d); err != nil {
		t.Fatal(err)
	}
	d.SetHook(nil)
	// State right after op c.at: replay up to it with a cut "after".
	after = runCut(t, c, flash.Tear{Kind: flash.TearAfter}).Bytes()
	return before, after, op
}

func TestTearModels(t *testing.T) {
	for _, c := range tearCases {
		t.Run(c.name, func(t *testing.T) {
			before, after, op := runFull(t, c)
			if bytes.Equal(before, after) {
				t.Fatal("test op changes nothing")
			}
			lo, hi := int(op.Addr), int(op.Addr+op.Len)

			if got := runCut(t, c, flash.Tear{Kind: flash.TearBefore}).Bytes(); !bytes.Equal(got, before) {
				t.Errorf("before: %s", flashtest.Describe(before, got))
			}
			// after == a normal run stopped just after the op
			d := flash.New()
			c.prep(d)
			d.SetHook(func(o flash.Op) {
				if o.Index == c.at+1 {
					d.CutNow()
				}
			})
			c.run(d)
			if got := runCut(t, c, flash.Tear{Kind: flash.TearAfter}).Bytes(); !bytes.Equal(got, d.Bytes()) {
				t.Errorf("after: %s", flashtest.Describe(d.Bytes(), got))
			}

			for _, k := range []int{0, 1, 37, int(op.Len) - 1, int(op.Len), 5000} {
				got := runCut(t, c, flash.Tear{Kind: flash.TearPrefix, K: k}).Bytes()
				split := lo + min(k, int(op.Len))
				want := append(append(append([]byte(nil), after[:split]...), before[split:hi]...), after[hi:]...)
				if !bytes.Equal(got, want) {
					t.Errorf("prefix:%d: %s", k, flashtest.Describe(want, got))
				}
			}

			var prev []byte
			for seed := uint64(1); seed <= 4; seed++ {
				got := runCut(t, c, flash.Tear{Kind: flash.TearBits, Seed: seed}).Bytes()
				again := runCut(t, c, flash.Tear{Kind: flash.TearBits, Seed: seed}).Bytes()
				if !bytes.Equal(got, again) {
					t.Errorf("bits:%d not deterministic", seed)
				}
				if bytes.Equal(got, before) || bytes.Equal(got, after) {
					t.Errorf("bits:%d left the range old or new", seed)
				}
				if prev != nil && bytes.Equal(got, prev) {
					t.Errorf("bits:%d equals bits:%d", seed, seed-1)
				}
				prev = got
				checkBitsBetween(t, before, after, got, lo, hi)
			}
		})
	}
}

// checkBitsBetween checks that got only differs from before inside
// [lo,hi), only in bits that differ between before and after, and only
// toward after.
func checkBitsBetween(t *testing.T, before, after, got []byte, lo, hi int) {
	t.Helper()
	if !bytes.Equal(got[:lo], before[:lo]) || !bytes.Equal(got[hi:], before[hi:]) {
		t.Errorf("bits tear changed bytes outside the op")
	}
	applied, total := 0, 0
	for i := lo; i < hi; i++ {
		m := before[i] ^ after[i]
		ch := before[i] ^ got[i]
		if ch&^m != 0 {
			t.Fatalf("byte 0x%x: changed bits %08b outside the op's changes %08b", i, ch, m)
		}
		applied += bits.OnesCount8(ch)
		total += bits.OnesCount8(m)
	}
	if applied == 0 || applied == total {
		t.Errorf("bits tear applied %d of %d changing bits", applied, total)
	}
}

func TestTearBitsSingleBit(t *testing.T) {
	// An erase of a sector with exactly one 0 bit: the only possible partial
	// state is the erased one; the tear must still do something.
	d := flash.New()
	flashtest.MustProgram(t, d, 0x100, []byte{0xFB})
	d.CutAt(1, flash.Tear{Kind: flash.TearBits, Seed: 3})
	d.Erase(0)
	if got := d.Bytes()[0x100]; got != 0xFF {
		t.Errorf("byte = %#x, want 0xff", got)
	}
	// Program whose change is one bit: applied.
	d = flash.New()
	d.CutAt(0, flash.Tear{Kind: flash.TearBits, Seed: 3})
	d.Program(0x100, []byte{0xEF, 0xFF})
	if got := d.Bytes()[0x100]; got != 0xEF {
		t.Errorf("byte = %#x, want 0xef", got)
	}
	// Program that changes nothing: nothing, and no sector copy needed.
	d = flash.New()
	d.CutAt(0, flash.Tear{Kind: flash.TearBits, Seed: 3})
	d.Program(0x100, []byte{0xFF})
	if d.Hash() != flash.New().Hash() {
		t.Errorf("no-op program tear changed contents")
	}
}

func TestTearBitsSeedPerOp(t *testing.T) {
	// Same seed, same data, different op index: different bits.
	page := make([]byte, flash.PageSize)
	d1 := flash.New()
	d1.CutAt(0, flash.Tear{Kind: flash.TearBits, Seed: 5})
	d1.Program(0, page)
	d2 := flash.New()
	d2.Erase(0x1000)
	d2.CutAt(1, flash.Tear{Kind: flash.TearBits, Seed: 5})
	d2.Program(0, page)
	if bytes.Equal(d1.Bytes()[:flash.PageSize], d2.Bytes()[:flash.PageSize]) {
		t.Error("op index does not enter the bits seed")
	}
}

func TestTearWearAndTime(t *testing.T) {
	tests := []struct {
		tear     flash.Tear
		wantWear uint32
		wantTime time.Duration
	}{
		{flash.Tear{Kind: flash.TearBefore}, 0, 0},
		{flash.Tear{Kind: flash.TearAfter}, 1, flash.DefaultSectorErase},
		{flash.Tear{Kind: flash.TearPrefix, K: 0}, 1, flash.DefaultSectorErase},
		{flash.Tear{Kind: flash.TearPrefix, K: 100}, 1, flash.DefaultSectorErase},
		{flash.Tear{Kind: flash.TearBits, Seed: 1}, 1, flash.DefaultSectorErase},
		{flash.Tear{Kind: 77}, 0, 0}, // unknown kind behaves as before
	}
	for _, tt := range tests {
		t.Run(tt.tear.String(), func(t *testing.T) {
			d := flash.New()
			d.CutAt(0, tt.tear)
			d.Erase(0x1000)
			if d.EraseCount(1) != tt.wantWear || d.Elapsed() != tt.wantTime || d.OpCount() != 1 {
				t.Errorf("wear %d time %v ops %d, want %d %v 1", d.EraseCount(1), d.Elapsed(), d.OpCount(), tt.wantWear, tt.wantTime)
			}
		})
	}
}

func TestTearOnFaultedOpChangesNothing(t *testing.T) {
	d := flash.New()
	d.SetBadSector(0, true)
	d.CutAt(0, flash.Tear{Kind: flash.TearAfter})
	if err := d.Program(0, []byte{0}); !errors.Is(err, flash.ErrPowerOff) {
		t.Fatalf("err = %v", err)
	}
	d.ClearFaults()
	d.PowerOn()
	d.FailProgramAt(1)
	d.CutAt(1, flash.Tear{Kind: flash.TearAfter})
	d.Program(0, []byte{0})
	if d.Hash() != flash.New().Hash() {
		t.Error("torn faulted op changed contents")
	}
}

// TestApplyTornMatchesCutAt: for every op of a workload and every tear,
// restoring the snapshot taken before the op and calling ApplyTorn gives
// the same device as arming CutAt and running the workload.
func TestApplyTornMatchesCutAt(t *testing.T) {
	work := func(d *flash.Device) {
		d.SetPhase("erase")
		d.EraseRange(0x1000, 2*flash.SectorSize)
		d.SetPhase("write")
		d.Program(0x10F0, flashtest.Pattern(3, 0x220))
		d.Program(0x1100, bytes.Repeat([]byte{0x0F}, 0x40))
		d.Erase(0x1000)
		d.Program(0x1FF0, flashtest.Pattern(4, 0x30))
	}
	base := flash.New()
	flashtest.MustProgram(t, base, 0x1000, flashtest.Pattern(2, 2*flash.SectorSize))
	start := base.Snapshot()

	rec := flash.New()
	rec.Restore(start)
	points := flashtest.Record(rec)
	work(rec)
	if len(points.Points) != 16 {
		t.Fatalf("workload has %d ops, want 16", len(points.Points))
	}
	tears := []flash.Tear{
		{Kind: flash.TearBefore}, {Kind: flash.TearAfter},
		{Kind: flash.TearPrefix, K: 0}, {Kind: flash.TearPrefix, K: 9}, {Kind: flash.TearPrefix, K: 300},
		{Kind: flash.TearBits}, {Kind: flash.TearBits, Seed: 99},
	}
	sweep := flash.New()
	sweep.SetLogging(true)
	for _, p := range points.Points {
		for _, tear := range tears {
			viaCut := flash.New()
			viaCut.SetLogging(true)
			viaCut.Restore(start)
			viaCut.CutAt(p.Op.Index, tear)
			work(viaCut)

			sweep.ResetLog()
			sweep.Restore(p.Before)
			sweep.ApplyTorn(p.Op, tear)

			if !viaCut.Off() || !sweep.Off() {
				t.Fatalf("op %d %s: not off", p.Op.Index, tear)
			}
			if viaCut.Hash() != sweep.Hash() {
				t.Errorf("%s %s: contents differ: %s", p.Op, tear, flashtest.Describe(viaCut.Bytes(), sweep.Bytes()))
			}
			// (The phase label is the caller's: the workload keeps setting it after the cut.)
			got := []any{sweep.OpCount(), sweep.Elapsed(), wear(sweep)}
			want := []any{viaCut.OpCount(), viaCut.Elapsed(), wear(viaCut)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s: state (-cut +apply):\n%s", p.Op, tear, diff)
			}
			cutLog := viaCut.Log()
			if diff := cmp.Diff(cutLog[len(cutLog)-1:], sweep.Log()); diff != "" {
				t.Errorf("%s %s: last log entry (-cut +apply):\n%s", p.Op, tear, diff)
			}
			flashtest.Check(t, sweep)
		}
	}
	// The snapshots were not disturbed by all that.
	if start.Hash() != base.Hash() {
		t.Error("start snapshot changed")
	}
}

func wear(d *flash.Device) []uint32 {
	w := make([]uint32, 4)
	for i := range w {
		w[i] = d.EraseCount(i)
	}
	return w
}

func TestApplyTornInvalid(t *testing.T) {
	tests := []flash.Op{
		{Kind: 0},
		{Kind: flash.OpErase, Addr: 0x1001, Len: flash.SectorSize},
		{Kind: flash.OpErase, Addr: flash.Size, Len: flash.SectorSize},
		{Kind: flash.OpProgram, Addr: 0xFF, Len: 2, Data: []byte{0, 0}},
		{Kind: flash.OpProgram, Addr: 0, Len: 2, Data: []byte{0}},
		{Kind: flash.OpProgram, Addr: 0, Len: 0},
		{Kind: flash.OpProgram, Addr: flash.Size - 1, Len: 2, Data: []byte{0, 0}},
	}
	for _, op := range tests {
		if op.Validate() == nil {
			t.Errorf("%v: Validate accepted", op)
		}
		d := flash.New()
		d.ApplyTorn(op, flash.Tear{Kind: flash.TearAfter})
		if !d.Off() || d.OpCount() != 0 || d.Hash() != flash.New().Hash() {
			t.Errorf("%v: ApplyTorn of an invalid op changed state", op)
		}
	}
	// On a device that is already off, nothing happens either.
	d := flash.New()
	d.CutNow()
	d.ApplyTorn(flash.Op{Kind: flash.OpProgram, Len: 1, Data: []byte{0}}, flash.Tear{Kind: flash.TearAfter})
	if d.OpCount() != 0 || d.Hash() != flash.New().Hash() {
		t.Error("ApplyTorn on an off device changed state")
	}
}
