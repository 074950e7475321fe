package flashboot

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// testBoard is a Board over a bare flash with the AB table.
type testBoard struct {
	f    *flash.Device
	t    partition.Table
	ef   efuse.Bank
	regs map[uint32]uint32
	uart []string
}

func newTestBoard() *testBoard {
	return &testBoard{f: flash.New(), t: partition.Default(partition.LayoutAB), regs: map[uint32]uint32{}}
}

func (b *testBoard) Flash() upg.Flash        { return b.f }
func (b *testBoard) Table() partition.Table  { return b.t }
func (b *testBoard) Efuse() *efuse.Bank      { return &b.ef }
func (b *testBoard) Reg(a uint32) uint32     { return b.regs[a] }
func (b *testBoard) SetReg(a, v uint32)      { b.regs[a] = v }
func (b *testBoard) UpgOptions() upg.Options { return upg.Options{AB: true} }
func (b *testBoard) Print(msg string)        { b.uart = append(b.uart, msg) }

func (b *testBoard) put(t *testing.T, r upg.Region, data []byte) {
	t.Helper()
	l, _ := upg.ABLayoutOf(b.t)
	addr, size, _ := l.Region(r)
	if err := b.f.EraseRange(addr, size); err != nil {
		t.Fatal(err)
	}
	if err := b.f.Program(addr, data); err != nil {
		t.Fatal(err)
	}
}

func (b *testBoard) setRun(t *testing.T, r upg.Region) {
	t.Helper()
	c := upg.ABConfig{CheckNum: upg.ABConfigMagic, RunRegion: uint32(r)}
	raw, _ := c.MarshalBinary()
	b.f.EraseRange(0x3F1000, 0x1000)
	if err := b.f.Program(0x3F1000, raw); err != nil {
		t.Fatal(err)
	}
}

func testApp(t *testing.T, ver string) []byte {
	t.Helper()
	im, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: ver, Seed: 3}, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestRunABBootsRunRegion(t *testing.T) {
	for _, tc := range []struct {
		run   upg.Region
		uart  string
		remap *Remap
	}{
		{upg.RegionA, "A", nil},
		// The A-linked app runs from B through DMMU window 0 (CPU 0x230000 → 0x411000).
		{upg.RegionB, "B", &Remap{Start: 0x230000, End: 0x230000 + 0x1E1000, Target: 0x411000}},
	} {
		t.Run(tc.uart, func(t *testing.T) {
			b := newTestBoard()
			app := testApp(t, "v-"+tc.uart)
			b.put(t, tc.run, app)
			b.setRun(t, tc.run)
			b.regs[RegFix] = 0x22 // leftovers of failed boots are cleared on success
			res := Run(b)
			if res.Outcome != JumpApp || !res.AB || res.Region != tc.run {
				t.Fatalf("outcome %v AB %v region %v (%v)", res.Outcome, res.AB, res.Region, res.AppErr)
			}
			if string(res.App) != string(app) {
				t.Errorf("booted bytes differ from the image in region %v", tc.run)
			}
			if diff := cmp.Diff(tc.remap, res.Remap); diff != "" {
				t.Errorf("remap (-want +got):\n%s", diff)
			}
			if res.Jump != 0x230300 {
				t.Errorf("jump 0x%x, want 0x230300 (region A + 0x300, whichever region runs)", res.Jump)
			}
			if diff := cmp.Diff([]string{tc.uart, "flash_encrypt disable."}, b.uart); diff != "" {
				t.Errorf("UART (-want +got):\n%s", diff)
			}
			if b.regs[RegFix] != 0 {
				t.Errorf("fix register 0x%x after a good boot", b.regs[RegFix])
			}
		})
	}
}

func TestRemapTranslate(t *testing.T) {
	m := Remap{Start: 0x230000, End: 0x411000, Target: 0x411000}
	for _, tc := range []struct{ in, out uint32 }{
		{0x230000, 0x411000}, {0x230300, 0x411300}, {0x410FFF, 0x5F1FFF}, {0x411000, 0x411000}, {0x22FFFF, 0x22FFFF},
	} {
		if got := m.Translate(tc.in); got != tc.out {
			t.Errorf("Translate(0x%x) = 0x%x, want 0x%x", tc.in, got, tc.out)
		}
	}
}

// corrupt is an app image whose code no longer matches its hash (the
// header, and so its "not encrypted" flag, intact).
func corrupt(t *testing.T, ver string) []byte {
	im := testApp(t, ver)
	im[image.HeaderLen+100] ^= 0x10
	return im
}

// TestTryFixABCounts runs flashboot over a device whose two regions both
// hold a corrupt app: every boot fails verification; the run region
// switches on failures 3, 6, 9, 12 and 15 (the 4-bit counter then wraps),
// and the boot reset counter halts flashboot at 15.
func TestTryFixABCounts(t *testing.T) {
	b := newTestBoard()
	b.put(t, upg.RegionA, corrupt(t, "a"))
	b.put(t, upg.RegionB, corrupt(t, "b"))
	b.setRun(t, upg.RegionA)
	var got []string
	for boot := 1; boot <= 16; boot++ {
		res := Run(b)
		if res.AppErr == nil {
			t.Fatalf("boot %d verified an empty region", boot)
		}
		got = append(got, fmt.Sprintf("%s fix=%d switched=%v %v", res.Region, b.regs[RegFix]&0xF, res.Switched, res.Outcome))
	}
	want := []string{
		"A fix=1 switched=false reset", "A fix=2 switched=false reset", "A fix=3 switched=true reset",
		"B fix=4 switched=false reset", "B fix=5 switched=false reset", "B fix=6 switched=true reset",
		"A fix=7 switched=false reset", "A fix=8 switched=false reset", "A fix=9 switched=true reset",
		"B fix=10 switched=false reset", "B fix=11 switched=false reset", "B fix=12 switched=true reset",
		"A fix=13 switched=false reset", "A fix=14 switched=false reset", "A fix=15 switched=true reset",
		"B fix=0 switched=false halt", // the 16th failure wraps the counter; resets = 15: reset() stops in WFI
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("boots (-want +got):\n%s", diff)
	}
}

func TestTryFixABWraps(t *testing.T) {
	// Without the reset counter in the way, the 4-bit fix counter wraps
	// from 15 to 0 on the 16th failure, which is not a multiple of 3.
	b := newTestBoard()
	b.put(t, upg.RegionB, corrupt(t, "b"))
	b.setRun(t, upg.RegionB)
	b.regs[RegFix] = 15
	res := Run(b)
	if res.Switched || b.regs[RegFix]&0xF != 0 || res.Region != upg.RegionB {
		t.Errorf("fix 15 → 0x%x, switched %v", b.regs[RegFix], res.Switched)
	}
}

func TestRunABSkipsPackage(t *testing.T) {
	// In the AB table the fota flag area (the last 4 KiB of 0x21) is the
	// AB config page. A flag that says "upgrade needed" there is ignored
	// by an AB build; the page fails the check-number test and is
	// repaired to {magic, A}.
	b := newTestBoard()
	app := testApp(t, "v1")
	b.put(t, upg.RegionA, app)
	f := upg.Flag{HeadMagic: upg.FlagHeadMagic, EndMagic: upg.FlagEndMagic, CompleteFlag: 0xFFFFFFFF, FirmwareNum: 1}
	raw, _ := f.MarshalBinary()
	b.f.EraseRange(0x3F1000, 0x1000)
	b.f.Program(0x3F1000, raw)
	res := Run(b)
	if res.Upgraded || res.Outcome != JumpApp || res.Region != upg.RegionA {
		t.Errorf("upgraded %v outcome %v region %v", res.Upgraded, res.Outcome, res.Region)
	}
	for _, l := range b.uart {
		if l == "need upgrade" || l == "No need to upgrade..." {
			t.Errorf("AB build printed %q: it never checks for a package", l)
		}
	}
	if c, _ := upg.ReadABConfig(b.f, b.t); c != (upg.ABConfig{CheckNum: upg.ABConfigMagic, RunRegion: 0}) {
		t.Errorf("config page %+v, want repaired", c)
	}
}

// TestRunABEncrypted runs an encrypted app from region B: the decryption
// window is set up by the same ws63_flash_encrypt_config as the
// compressed build's (flashEncryptConfigAt), at the region's start. A
// device without a flash key reads garbage and fails verification: "VE"
// and the fix counter, as in the compressed build.
func TestRunABEncrypted(t *testing.T) {
	plain, stored, key := encryptedApp(t, [16]byte{0x33})
	for _, tc := range []struct {
		name    string
		key     bool
		outcome Outcome
		uart    []string
		fix     uint32
	}{
		{"device key", true, JumpApp, []string{"B", "flash_encrypt enable."}, 0},
		{"no key", false, Reset, []string{"B", "flash_encrypt enable.", "VE"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBoard()
			if tc.key {
				b.ef.Burn(efuse.AESKey, key[:])
			}
			b.put(t, upg.RegionB, stored)
			b.setRun(t, upg.RegionB)
			res := Run(b)
			if res.Outcome != tc.outcome {
				t.Fatalf("outcome %v (%v), want %v", res.Outcome, res.AppErr, tc.outcome)
			}
			if res.Outcome == JumpApp && !bytes.Equal(res.App, plain) {
				t.Error("the app as verified is not the plaintext")
			}
			if diff := cmp.Diff(tc.uart, b.uart); diff != "" {
				t.Errorf("UART (-want +got):\n%s", diff)
			}
			if fix, _ := Counters(b.regs[RegFix]); fix != tc.fix {
				t.Errorf("fix counter %d, want %d", fix, tc.fix)
			}
		})
	}
}
