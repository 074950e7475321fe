package flashboot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// The recovery paths of the compressed build (docs/sdk-mapping.md §4.5, §4.6; flashboot
// main.c and boot_reset.c): reset() with the boot reset counter,
// ws63_try_fix_app with the fix counter, and ws63_flashboot_recovery.
//
// Register 0x40000008 (RegFix, gp_reg1_union): bits 3:0 fota_fix_app_cnt,
// bits 7:4 reset_cnt, the rest kept. Both survive a soft reset, not a
// power cut, and both are cleared when the app verifies.
//
//   - reset() is update_reset_count then the chip reset: every reset
//     flashboot itself performs (after an upgrade attempt, after "VE")
//     counts; at a count of 15 it stops in WFI instead (Halt).
//   - ws63_try_fix_app, on a failed app verification: below 3 it only
//     counts; from 3 to 5 it counts, verifies the package in the fota
//     partition (uapi_upg_verify_file), resets the flag area and requests
//     the upgrade again (uapi_upg_reset_upgrade_flag,
//     uapi_upg_request_upgrade(false)), printing "Try fota fix app."; a
//     failing step prints why and stops there (the count stays spent);
//     from 6 it does nothing. The caller resets either way.
//   - ws63_flashboot_recovery, just before the jump (after the upgrade
//     check and the app verification): if ssb left 0x5A5A5A5A in
//     0x40000024 (it booted the backup), erase partition 0x01 and copy the
//     whole backup partition over it. Erase and write errors are printed
//     and ignored, as in the SDK. Because it runs after the upgrade check,
//     a backup that finds an upgrade pending re-applies the package and
//     resets first: the primary is then rewritten by the package, and the
//     recovery does not run.
//
// What the SDK does not show and the emulator adds: the backup partition
// is never written by FOTA, so after a flashboot upgrade it still holds
// the old flashboot, and a later recovery silently puts the old one back.
// recovery compares the two copies before it copies and reports a
// downgrade through Models.Event.

// Models are the emulator's switches and observation hook for what the
// SDK does not show (recovery.go, rollback.go). A Board may implement it;
// without it flashboot burns anti-rollback versions and reports nothing.
type Models interface {
	// AntiRollbackBurn reports whether flashboot burns the app's
	// anti-rollback version into efuse after the app verified.
	AntiRollbackBurn() bool
	// Event records an observation that is not a UART print: an efuse
	// word burned, a recovery that puts an older flashboot back.
	Event(msg string)
}

func event(b Board, format string, a ...any) {
	if m, ok := b.(Models); ok {
		m.Event(fmt.Sprintf(format, a...))
	}
}

// Register fields of RegFix.
const (
	fixMask   = 0x0F
	resetMask = 0xF0
)

// Counters returns the two counters of a RegFix value.
func Counters(reg uint32) (fix, resets uint32) { return reg & fixMask, reg & resetMask >> 4 }

// resetChip is reset() (boot_reset.c): update_reset_count, then the chip
// reset. It reports Halt, with the reason, when the boot reset counter is
// already at its limit: the SDK disables the watchdog and waits in WFI.
func resetChip(b Board) (Outcome, string) {
	reg := b.Reg(RegFix)
	_, n := Counters(reg)
	if n >= resetMax {
		return Halt, fmt.Sprintf("boot reset counter %d (max %d): WFI", n, resetMax)
	}
	b.SetReg(RegFix, reg&^resetMask|(n+1)<<4)
	return Reset, ""
}

// reset ends the run with reset(): Outcome Reset, or Halt with the reason
// appended to Fix.
func (res *Result) reset(b Board) {
	o, why := resetChip(b)
	res.Outcome = o
	if o == Halt {
		if res.Fix != "" {
			res.Fix += "; "
		}
		res.Fix += why
	}
}

// tryFixApp is ws63_try_fix_app of the compressed build. It returns what
// it did; the caller resets.
func tryFixApp(b Board, u upg.API) string {
	reg := b.Reg(RegFix)
	cnt, _ := Counters(reg)
	set := func(c uint32) { b.SetReg(RegFix, reg&^fixMask|c&fixMask) }
	switch {
	case cnt < fixTryUpgrade:
		set(cnt + 1)
		return fmt.Sprintf("fix counter %d -> %d: reset", cnt, cnt+1)
	case cnt >= fixGiveUp:
		return fmt.Sprintf("fix counter %d: gave up (%d consecutive failed verifications; the package in the fota partition was tried at counts %d to %d)", cnt, cnt, fixTryUpgrade, fixGiveUp-1)
	}
	set(cnt + 1)
	head := fmt.Sprintf("fix counter %d -> %d", cnt, cnt+1)
	if err := u.VerifyStoredPackage(); err != nil {
		b.Print(fmt.Sprintf("upg_verify fail, ret = 0x%08X", uint32(upg.Code(err))))
		return fmt.Sprintf("%s: no good package in the fota partition (%v): reset", head, err)
	}
	if err := u.ResetUpgradeFlag(); err != nil {
		b.Print(fmt.Sprintf("reset upgrade flag fail, ret=0x%08X", uint32(upg.Code(err))))
		return fmt.Sprintf("%s: reset upgrade flag failed (%v): reset", head, err)
	}
	if err := u.RequestUpgrade(); err != nil {
		b.Print(fmt.Sprintf("request upgrade fail, ret=0x%08X", uint32(upg.Code(err))))
		return fmt.Sprintf("%s: request upgrade failed (%v): reset", head, err)
	}
	b.Print("Try fota fix app.")
	return head + ": the stored package verifies; upgrade re-requested: reset"
}

// recovery is ws63_flashboot_recovery (docs/sdk-mapping.md §4.6). It reports whether it
// ran (ssb had booted the backup).
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
	if errors.Join(err1, err2) != nil {
		b.Print("Flashboot partition info get fail!")
		return false
	}
	f := b.Flash()
	compareCopies(b, f, src, dst)
	if src.Size > dst.Size {
		event(b, "WARNING: recovery writes the %d-byte backup partition over the %d-byte primary: %d bytes past its end are overwritten", src.Size, dst.Size, src.Size-dst.Size)
	}
	if err := f.EraseRange(dst.Offset, dst.Size); err != nil {
		b.Print(fmt.Sprintf("Recovery erase failed!! ret = 0x%08X", uint32(upg.Code(err))))
	}
	buf := make([]byte, 0x1000)
	for off := uint32(0); off < src.Size; off += uint32(len(buf)) {
		n := min(uint32(len(buf)), src.Size-off)
		if _, err := f.ReadAt(buf[:n], int64(src.Offset+off)); err != nil {
			b.Print(fmt.Sprintf("Recovery write failed!! ret = 0x%08X", uint32(upg.Code(err))))
			break
		}
		if err := f.Program(dst.Offset+off, buf[:n]); err != nil {
			b.Print(fmt.Sprintf("Recovery write failed!! ret = 0x%08X", uint32(upg.Code(err))))
			break
		}
	}
	b.Print("Recovery ok!")
	return true
}

// flashbootCopy is what a flashboot partition holds, read without
// verifying (the primary is usually damaged when recovery runs).
type flashbootCopy struct {
	ok       bool        // the header decodes
	code     []byte      // the code area (nil if !ok)
	ident    image.Ident // synthetic builds only
	hasIdent bool
	verExt   uint32 // code info version_ext & mask
}

func readCopy(f io.ReaderAt, e partition.Entry) flashbootCopy {
	var c flashbootCopy
	if e.Size < image.HeaderLen {
		return c
	}
	hdr := make([]byte, image.HeaderLen)
	if _, err := f.ReadAt(hdr, int64(e.Offset)); err != nil {
		return c
	}
	var ci image.CodeInfo
	if ci.UnmarshalBinary(hdr[image.KeyAreaLen:]) != nil || ci.CodeAreaLen > e.Size-image.HeaderLen {
		return c
	}
	code := make([]byte, ci.CodeAreaLen)
	if _, err := f.ReadAt(code, int64(e.Offset)+image.HeaderLen); err != nil {
		return c
	}
	c.ok, c.code, c.verExt = true, code, ci.VersionExt&ci.MaskVersionExt
	c.ident, c.hasIdent = image.IdentOf(code)
	return c
}

func (c flashbootCopy) String() string {
	switch {
	case !c.ok:
		return "unreadable"
	case c.hasIdent:
		return fmt.Sprintf("flashboot %q version_ext 0x%x", c.ident.Version, c.verExt)
	}
	return fmt.Sprintf("a flashboot with version_ext 0x%x", c.verExt)
}

// compareCopies reports, before recovery copies the backup over the
// primary, when that puts back an older or different flashboot.
func compareCopies(b Board, f io.ReaderAt, src, dst partition.Entry) {
	bk, pr := readCopy(f, src), readCopy(f, dst)
	switch {
	case !bk.ok:
		event(b, "WARNING: recovery copies an unreadable backup partition over the primary flashboot")
	case !pr.ok:
		event(b, "recovery: the primary flashboot is unreadable (erased or torn); it is replaced by the backup's %s", bk)
	case bytes.Equal(bk.code, pr.code):
		// The same build: recovery restores what was there.
	case bits.OnesCount32(bk.verExt) < bits.OnesCount32(pr.verExt):
		event(b, "WARNING: silent flashboot downgrade: recovery replaces the primary's %s with the backup's older %s (lower anti-rollback version; FOTA never updates the backup)", pr, bk)
	case bits.OnesCount32(bk.verExt) > bits.OnesCount32(pr.verExt):
		event(b, "recovery replaces the primary's %s with the backup's %s, a higher anti-rollback version", pr, bk)
	default:
		event(b, "WARNING: recovery replaces the primary's %s with the backup's %s, a different build: FOTA never updates the backup, so after a flashboot upgrade this silently puts the old flashboot back", pr, bk)
	}
}
