package flashboot

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// fixBoard is a compressed-layout Board that implements Models.
type fixBoard struct {
	f      *flash.Device
	t      partition.Table
	ef     efuse.Bank
	regs   map[uint32]uint32
	uart   []string
	events []string
	noBurn bool
}

func newFixBoard() *fixBoard {
	return &fixBoard{f: flash.New(), t: partition.Default(partition.LayoutCompress), regs: map[uint32]uint32{}}
}

func (b *fixBoard) Flash() upg.Flash        { return b.f }
func (b *fixBoard) Table() partition.Table  { return b.t }
func (b *fixBoard) Efuse() *efuse.Bank      { return &b.ef }
func (b *fixBoard) Reg(a uint32) uint32     { return b.regs[a] }
func (b *fixBoard) SetReg(a, v uint32)      { b.regs[a] = v }
func (b *fixBoard) UpgOptions() upg.Options { return upg.Options{} }
func (b *fixBoard) Print(msg string)        { b.uart = append(b.uart, msg) }
func (b *fixBoard) AntiRollbackBurn() bool  { return !b.noBurn }
func (b *fixBoard) Event(msg string)        { b.events = append(b.events, msg) }

func (b *fixBoard) burn(t *testing.T, id partition.ID, data []byte) {
	t.Helper()
	e, err := b.t.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.f.EraseRange(e.Offset, e.Size); err != nil {
		t.Fatal(err)
	}
	if err := b.f.Program(e.Offset, data); err != nil {
		t.Fatal(err)
	}
}

func (b *fixBoard) read(t *testing.T, id partition.ID, n int) []byte {
	t.Helper()
	e, _ := b.t.Lookup(id)
	out := make([]byte, n)
	b.f.ReadAt(out, int64(e.Offset))
	return out
}

func synth(t *testing.T, k image.Kind, ver string, ext uint32) []byte {
	t.Helper()
	b, err := image.Synthetic(image.Ident{Kind: k, Version: ver, VersionExt: ext, Seed: 9}, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestResetChip(t *testing.T) {
	b := newFixBoard()
	b.regs[RegFix] = 0xAB00_0003 // other bits are kept
	for i := uint32(1); i <= resetMax; i++ {
		if o, _ := resetChip(b); o != Reset {
			t.Fatalf("reset %d: %v", i, o)
		}
		if fix, n := Counters(b.regs[RegFix]); fix != 3 || n != i || b.regs[RegFix]&^0xFF != 0xAB00_0000 {
			t.Fatalf("reset %d: register 0x%08x", i, b.regs[RegFix])
		}
	}
	if o, why := resetChip(b); o != Halt || !strings.Contains(why, "WFI") {
		t.Errorf("at 15: %v %q, want Halt", o, why)
	}
}

func TestRunOfOnes(t *testing.T) {
	got := []uint32{RunOfOnes(0), RunOfOnes(1), RunOfOnes(2), RunOfOnes(5), RunOfOnes(32), RunOfOnes(40)}
	if d := cmp.Diff([]uint32{0, 1, 3, 0x1F, 0xFFFFFFFF, 0xFFFFFFFF}, got); d != "" {
		t.Error(d)
	}
}

// TestTryFixWithoutPackage runs flashboot on a device whose app is broken
// and whose fota partition is empty, until it halts.
func TestTryFixWithoutPackage(t *testing.T) {
	b := newFixBoard()
	b.burn(t, partition.Flashboot, synth(t, image.KindFlashboot, "1", 0))
	app := synth(t, image.KindApp, "1", 0)
	app[len(app)-1] ^= 1 // a broken body
	b.burn(t, partition.ImageA, app)
	type step struct {
		Outcome      Outcome
		Fix, Resets  uint32
		VerifyFailed bool
	}
	var got []step
	for i := 0; i < 20; i++ {
		b.uart = nil
		res := Run(b)
		fix, n := Counters(b.regs[RegFix])
		got = append(got, step{res.Outcome, fix, n, slices.ContainsFunc(b.uart, func(s string) bool { return strings.HasPrefix(s, "upg_verify fail") })})
		if res.Outcome != Reset {
			if !strings.Contains(res.Fix, "gave up") || !strings.Contains(res.Fix, "WFI") {
				t.Errorf("halt reason %q", res.Fix)
			}
			break
		}
	}
	var want []step
	for i := uint32(1); i <= 15; i++ {
		want = append(want, step{Reset, min(i, 6), i, i >= 4 && i <= 6})
	}
	want = append(want, step{Halt, 6, 15, false})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("runs (-want +got):\n%s", d)
	}
}

// TestTryFixHeals stores a package, applies it, breaks the app and runs
// flashboot until the app runs again from the re-applied package.
func TestTryFixHeals(t *testing.T) {
	b := newFixBoard()
	fb := synth(t, image.KindFlashboot, "1", 0)
	b.burn(t, partition.Flashboot, fb)
	app2 := synth(t, image.KindApp, "2", 0)
	pkg, err := upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(upg.SignSHA256), App: app2, Flashboot: fb})
	if err != nil {
		t.Fatal(err)
	}
	u := upg.New(b.f, b.t, upg.Options{})
	u.Init()
	if err := u.Prepare(uint32(len(pkg))); err != nil {
		t.Fatal(err)
	}
	if err := u.WritePackageSync(0, pkg); err != nil {
		t.Fatal(err)
	}
	if err := u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	if res := Run(b); res.Outcome != Reset || res.UpgErr != nil {
		t.Fatalf("upgrade run: %+v", res)
	}
	if res := Run(b); res.Outcome != JumpApp || !bytes.Equal(res.App, app2) {
		t.Fatalf("first boot after the upgrade: %v", res.Outcome)
	}
	e, _ := b.t.Lookup(partition.ImageA)
	b.f.FlipBit(e.Offset+image.HeaderLen+100, 0)
	var outcomes []string
	for i := 0; i < 10; i++ {
		b.uart = nil
		res := Run(b)
		o := res.Outcome.String()
		if slices.Contains(b.uart, "Try fota fix app.") {
			o += " (try fota fix app)"
		}
		outcomes = append(outcomes, o)
		if res.Outcome == JumpApp {
			if !bytes.Equal(res.App, app2) || b.regs[RegFix] != 0 {
				t.Errorf("healed app differs or counters not cleared (0x%x)", b.regs[RegFix])
			}
			break
		}
	}
	want := []string{"reset", "reset", "reset", "reset (try fota fix app)", "reset", "jump-app"}
	if d := cmp.Diff(want, outcomes); d != "" {
		t.Errorf("runs (-want +got):\n%s", d)
	}
}

func TestRecoveryFromBackup(t *testing.T) {
	b := newFixBoard()
	fb1 := synth(t, image.KindFlashboot, "1", 0)
	fb1bk := func() []byte {
		im, err := image.Parse(bytes.NewReader(fb1), int64(len(fb1)))
		if err != nil {
			t.Fatal(err)
		}
		o, err := image.Build(image.BuildOptions{Kind: image.KindFlashbootBackup, Code: im.Code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}()
	fb2 := synth(t, image.KindFlashboot, "2", 0)
	b.burn(t, partition.Flashboot, fb2)
	b.burn(t, partition.FlashbootBackup, fb1bk)
	b.burn(t, partition.ImageA, synth(t, image.KindApp, "1", 0))

	// ssb booted the primary: no recovery, the register is cleared.
	b.regs[RegBoot] = BootMain
	if res := Run(b); res.Recovery || res.Outcome != JumpApp || b.regs[RegBoot] != 0 {
		t.Fatalf("main: recovery=%v outcome=%v reg=0x%x", res.Recovery, res.Outcome, b.regs[RegBoot])
	}
	b.regs[RegBoot] = BootBackup
	res := Run(b)
	if !res.Recovery || res.Outcome != JumpApp || b.regs[RegBoot] != 0 {
		t.Fatalf("backup: recovery=%v outcome=%v", res.Recovery, res.Outcome)
	}
	if got := b.read(t, partition.Flashboot, len(fb1bk)); !bytes.Equal(got, fb1bk) {
		t.Error("the primary does not hold the backup after recovery")
	}
	if !slices.Contains(b.uart, "Flashboot backup working!") || !slices.Contains(b.uart, "Recovery ok!") {
		t.Errorf("uart %q", b.uart)
	}
	if len(b.events) != 1 || !strings.Contains(b.events[0], "WARNING") || !strings.Contains(b.events[0], `"2"`) {
		t.Errorf("events %q, want one downgrade warning naming the primary's version", b.events)
	}
}

func TestBurnAppVersion(t *testing.T) {
	for _, tc := range []struct {
		name     string
		efuse    uint32
		ext      uint32
		noBurn   bool
		want     uint32
		outcome  Outcome
		burnSays bool
	}{
		{"forward", 0x1, 0x7, false, 0x7, JumpApp, true},
		{"same", 0x3, 0x3, false, 0x3, JumpApp, false},
		{"lower, secure boot off: boots, no burn", 0x7, 0x1, false, 0x7, JumpApp, false},
		{"switched off", 0x0, 0x3, true, 0x0, JumpApp, false},
	} {
		b := newFixBoard()
		b.noBurn = tc.noBurn
		b.ef.BurnU32(efuse.AppVersion, tc.efuse)
		b.burn(t, partition.Flashboot, synth(t, image.KindFlashboot, "1", 0))
		b.burn(t, partition.ImageA, synth(t, image.KindApp, "1", tc.ext))
		res := Run(b)
		got, _ := b.ef.ReadU32(efuse.AppVersion)
		if res.Outcome != tc.outcome || got != tc.want || (len(b.events) > 0) != tc.burnSays {
			t.Errorf("%s: outcome %v efuse 0x%x events %q; want %v 0x%x", tc.name, res.Outcome, got, b.events, tc.outcome, tc.want)
		}
	}
}

func TestEncryptedAppBoots(t *testing.T) {
	plain, stored, key := encryptedApp(t, [16]byte{0xFF})
	for _, tc := range []struct {
		name    string
		key     bool
		flash   []byte
		outcome Outcome
	}{
		{"encrypted flash, device key", true, stored, JumpApp},
		{"plain bytes marked encrypted, device key", true, plain, Reset},
		{"encrypted flash, no key", false, stored, Reset},
	} {
		b := newFixBoard()
		if tc.key {
			b.ef.Burn(efuse.AESKey, key[:])
		}
		b.burn(t, partition.Flashboot, synth(t, image.KindFlashboot, "1", 0))
		b.burn(t, partition.ImageA, tc.flash)
		res := Run(b)
		if res.Outcome != tc.outcome || !slices.Contains(b.uart, "flash_encrypt enable.") {
			t.Errorf("%s: %v, uart %q", tc.name, res.Outcome, b.uart)
		}
		if res.Outcome == JumpApp && !bytes.Equal(res.App, plain) {
			t.Errorf("%s: the app as verified is not the plaintext", tc.name)
		}
		if res.Outcome == Reset && !slices.Contains(b.uart, "VE") {
			t.Errorf("%s: no VE", tc.name)
		}
	}
}

// TestBootUART is a good compressed boot's UART: the upgrade check, then
// ws63_flash_encrypt_config for a plain app (the same function, and the
// same print, as an AB build's).
func TestBootUART(t *testing.T) {
	b := newFixBoard()
	b.burn(t, partition.Flashboot, synth(t, image.KindFlashboot, "1", 0))
	b.burn(t, partition.ImageA, synth(t, image.KindApp, "1", 0))
	if res := Run(b); res.Outcome != JumpApp {
		t.Fatalf("outcome %v (%v)", res.Outcome, res.AppErr)
	}
	if d := cmp.Diff([]string{"No need to upgrade...", "flash_encrypt disable."}, b.uart); d != "" {
		t.Errorf("UART (-want +got):\n%s", d)
	}
}

// encryptedApp builds an app image marked encrypted with the given IV and
// returns it plain, as the flash stores it under key (AES-CTR from
// EncryptOffset, the re-encryption model), and key.
func encryptedApp(t *testing.T, iv [16]byte) (plain, stored []byte, key [upg.FlashKeyLen]byte) {
	t.Helper()
	l1, l2 := [16]byte{0x11}, [16]byte{0x22}
	plain, err := image.Build(image.BuildOptions{Kind: image.KindApp, Code: image.SyntheticCode(image.Ident{Kind: image.KindApp, Version: "e"}, 8192),
		Encrypted: true, ProtectionKeyL1: l1, ProtectionKeyL2: l2, IV: iv})
	if err != nil {
		t.Fatal(err)
	}
	key = [upg.FlashKeyLen]byte{0xC0, 0xFF, 0xEE}
	stored = bytes.Clone(plain)
	upg.CryptAt(upg.FlashKey(key, l1, l2), iv, 0, stored[upg.EncryptOffset:])
	return plain, stored, key
}

// TestGoodBootClearsOnlyCounters: docs/sdk-mapping.md §4.5 — after a good app verify
// flashboot clears the boot reset counter (bits 7:4) and the fix counter
// (bits 3:0) of 0x40000008, each a read-modify-write of its own bits: bits
// 31:8 stay as they were.
func TestGoodBootClearsOnlyCounters(t *testing.T) {
	b := newFixBoard()
	b.burn(t, partition.Flashboot, synth(t, image.KindFlashboot, "1", 0))
	b.burn(t, partition.ImageA, synth(t, image.KindApp, "1", 0))
	b.regs[RegFix] = 0xA5C0_0123 // other bits, reset count 2, fix count 3
	if res := Run(b); res.Outcome != JumpApp {
		t.Fatalf("outcome %v (%v)", res.Outcome, res.AppErr)
	}
	if got := b.regs[RegFix]; got != 0xA5C0_0100 {
		t.Fatalf("0x40000008 = 0x%08x after a good boot, want 0xa5c00100", got)
	}
}
