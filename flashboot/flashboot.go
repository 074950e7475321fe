package flashboot

import (
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Retention registers flashboot uses (spec §4.5, §4.6).
const (
	// RegFix is the GP register 0x40000008: bits 3:0 fota_fix_app_cnt,
	// bits 7:4 the boot reset counter.
	RegFix uint32 = 0x40000008
	// RegBoot is 0x40000024, where ssb says which flashboot copy it booted.
	RegBoot uint32 = 0x40000024

	BootMain   = 0xA5A5A5A5 // ssb booted the primary flashboot
	BootBackup = 0x5A5A5A5A // ssb fell back to the backup copy

	fixTryUpgrade = 3  // from this many failures, re-apply the stored package
	fixGiveUp     = 6  // from this many, give up
	resetMax      = 15 // boot reset counter limit, then WFI
)

// Board is the device as flashboot sees it; the emulator implements it.
// A power cut stops flashboot inside a Flash call: it never returns.
type Board interface {
	Flash() upg.Flash
	Table() partition.Table
	Efuse() *efuse.Bank
	Reg(addr uint32) uint32
	SetReg(addr, v uint32)
	// UpgOptions returns the update library options with the emulator's
	// hooks (trace, clock) wired in.
	UpgOptions() upg.Options
	// Print is flashboot's UART.
	Print(msg string)
}

// Outcome is how a flashboot run ends.
type Outcome int

// Ways flashboot ends.
const (
	JumpApp Outcome = iota // the app verified: jump to it
	Reset                  // flashboot resets the chip
	Halt                   // WFI: the boot reset counter is exhausted
)

func (o Outcome) String() string {
	switch o {
	case JumpApp:
		return "jump-app"
	case Reset:
		return "reset"
	}
	return "halt"
}

// Result is what one flashboot run did, for the trace and verdicts.
type Result struct {
	Outcome  Outcome
	Upgraded bool    // an upgrade was attempted this boot
	UpgErr   error   // what uapi_upg_start returned
	AppErr   error   // why the app failed verification, if it did
	Fix      string  // what try-fix-app did, if it ran
	Recovery bool    // the primary flashboot was restored from the backup
	App      []byte  // the verified app image bytes (header + code) on JumpApp
}

// Run is start_fastboot after the hardware set-up (spec §4.1): upgrade
// check, app verification, try-fix-app, flashboot recovery, jump.
func Run(b Board) Result {
	var res Result
	u := upg.New(b.Flash(), b.Table(), b.UpgOptions())
	u.SetRootKey(rootKey(b))
	u.RegisterProgressCallback(func(p uint32) { b.Print(fmt.Sprintf("[UPG] upg percent : %d %%", p)) })
	_ = u.Init()
	if f, err := u.ReadFlag(); err == nil && f.UpgradeNeeded() {
		b.Print("need upgrade")
		res.Upgraded = true
		res.UpgErr = u.Start()
		code := upg.Code(res.UpgErr)
		if code == upg.ErrcodeSucc || code == upg.ErrcodeUpgNotNeedToUpdate || code == upg.ErrcodeUpgNotInit {
			b.Print("upgrade success, reset now")
		} else {
			b.Print(fmt.Sprintf("upgrade failed (%s), reset now", code.String()))
		}
		res.Outcome = Reset
		return res
	}
	b.Print("No need to upgrade...")

	app, err := verifyApp(b)
	if err != nil {
		b.Print("VE")
		res.AppErr = err
		res.Fix, res.Outcome = tryFixApp(b, u)
		return res
	}
	// Success: clear the reset and fix counters.
	b.SetReg(RegFix, 0)
	res.Recovery = recovery(b)
	res.App = app
	res.Outcome = JumpApp
	return res
}

// rootKey reads the root public key from the root key area (flash 0x40).
func rootKey(b Board) [64]byte {
	var k [64]byte
	e, err := b.Table().Lookup(partition.RootKey)
	if err != nil {
		return k
	}
	b.Flash().ReadAt(k[:], int64(e.Offset)+0x40)
	return k
}

// verifyApp checks the app in partition 0x20 as flashboot does:
// verify_image_head then verify_image_body. It returns the image bytes.
func verifyApp(b Board) ([]byte, error) {
	e, err := b.Table().Lookup(partition.ImageA)
	if err != nil {
		return nil, err
	}
	r := io.NewSectionReader(b.Flash(), int64(e.Offset), int64(e.Size))
	im, err := image.Parse(r, int64(e.Size))
	if err != nil {
		return nil, err
	}
	if err := image.Verify(im, verifyOptions(b, image.KindApp)); err != nil {
		return nil, err
	}
	raw := make([]byte, im.Len())
	if _, err := r.ReadAt(raw, 0); err != nil {
		return nil, err
	}
	return raw, nil
}

// verifyOptions builds the secure-boot context from efuse.
func verifyOptions(b Board, k image.Kind) image.VerifyOptions {
	ef := b.Efuse()
	o := image.VerifyOptions{}
	if sv := ef.Read(efuse.SecureVerify); len(sv) > 0 && sv[0] != 0 {
		o.SecureBoot = true
	}
	field := efuse.AppVersion
	if k != image.KindApp {
		field = efuse.FlashbootVersion
	}
	o.EfuseVersion, _ = ef.ReadU32(field)
	o.EfuseMSID, _ = ef.ReadU32(efuse.MSID)
	copy(o.DieID[:], ef.Read(efuse.DieID))
	o.ParentKey = flashbootExtKey(b)
	return o
}

// flashbootExtKey is flashboot_key_area.ext_pulic_key_area: the key that
// signs the app's key area (the flashboot image's own key area, +128).
func flashbootExtKey(b Board) [64]byte {
	var k [64]byte
	e, err := b.Table().Lookup(partition.Flashboot)
	if err != nil {
		return k
	}
	b.Flash().ReadAt(k[:], int64(e.Offset)+128)
	return k
}

// tryFixApp is ws63_try_fix_app (spec §4.5).
func tryFixApp(b Board, u *upg.Upg) (string, Outcome) {
	reg := b.Reg(RegFix)
	fix := reg & 0xF
	resets := (reg >> 4) & 0xF
	if resets >= resetMax {
		return "boot reset counter exhausted: WFI", Halt
	}
	resets++
	switch {
	case fix < fixTryUpgrade:
		fix++
		b.SetReg(RegFix, resets<<4|fix)
		return fmt.Sprintf("fix counter %d: reset", fix), Reset
	case fix < fixGiveUp:
		fix++
		b.SetReg(RegFix, resets<<4|fix)
		if _, err := u.VerifyStored(); err != nil {
			return fmt.Sprintf("fix counter %d: stored package does not verify (%v): reset", fix, err), Reset
		}
		if err := u.ResetUpgradeFlag(); err != nil {
			return fmt.Sprintf("fix counter %d: reset upgrade flag failed (%v): reset", fix, err), Reset
		}
		if err := u.RequestUpgrade(); err != nil {
			return fmt.Sprintf("fix counter %d: request upgrade failed (%v): reset", fix, err), Reset
		}
		b.Print("Try fota fix app.")
		return fmt.Sprintf("fix counter %d: re-requested the stored package", fix), Reset
	}
	b.SetReg(RegFix, resets<<4|fix)
	return fmt.Sprintf("fix counter %d: gave up", fix), Reset
}

// recovery is ws63_flashboot_recovery (spec §4.6): when ssb booted the
// backup, copy the whole backup partition over the primary.
func recovery(b Board) bool {
	v := b.Reg(RegBoot)
	b.SetReg(RegBoot, 0)
	if v != BootBackup {
		return false
	}
	b.Print("Flashboot backup working!")
	t := b.Table()
	src, err1 := t.Lookup(partition.FlashbootBackup)
	dst, err2 := t.Lookup(partition.Flashboot)
	if err := errors.Join(err1, err2); err != nil {
		return false
	}
	f := b.Flash()
	if err := f.EraseRange(dst.Offset, dst.Size); err != nil {
		return false
	}
	buf := make([]byte, 0x1000)
	for off := uint32(0); off < src.Size && off < dst.Size; off += uint32(len(buf)) {
		if _, err := f.ReadAt(buf, int64(src.Offset+off)); err != nil {
			return false
		}
		if err := f.Program(dst.Offset+off, buf); err != nil {
			return false
		}
	}
	b.Print("Recovery ok!")
	return true
}
