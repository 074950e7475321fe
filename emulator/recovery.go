package emulator

import (
	"fmt"
	"math/bits"

	"go.uber.org/zap"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flashboot"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// The recovery-path models the device adds to the SDK's programs:
// anti-rollback burning (flashboot/rollback.go for the app; ssb here for
// flashboot), the efuse flash key of flash encryption (upg/encrypt.go),
// and the SDK version of the firmware, which selects its package verifier
// (upg/compat.go). Every boot event carries the retention register with
// the fix and boot reset counters and the efuse anti-rollback words.

// Models configure the device's recovery-path models. The zero value is
// the default device: anti-rollback words burned forward, no flash
// encryption, firmware of upg.DefaultSDK.
type Models struct {
	// RollbackBurn turns on the anti-rollback burning model: ssb and
	// flashboot burn the efuse anti-rollback words forward after booting a
	// newer version. Nothing in the open-source SDK burns them (docs/sdk-mapping.md §1.6
	// step 8, §6.2: upg_anti_rollback_version_update is compiled out), so
	// the default keeps them as they are: an older version still boots
	// after a newer one ran (rollback).
	RollbackBurn bool
	// FlashKey, when set, is burned into efuse.AESKey at manufacture: the
	// device has flash encryption.
	FlashKey *[upg.FlashKeyLen]byte
	// SDK is the SDK version of firmware FirmwareSDK does not know ("":
	// upg.DefaultSDK).
	SDK string
	// FirmwareSDK returns the SDK version an image (header and code, as
	// verified) was built with, or "" when it does not know it.
	FirmwareSDK func(image []byte) string
}

func (m *Models) validate() error {
	if m.SDK != "" {
		if _, err := upg.ParseSDK(m.SDK); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}
	return nil
}

// history is what the emulator remembers about the device's past boots,
// beyond flash and efuse: it is the observer's, not the device's.
type history struct {
	appHigh int    // highest app anti-rollback popcount that ran
	appCur  int    // the running app's
	fbSDK   string // SDK of the flashboot copy ssb booted
	appSDK  string // SDK of the app flashboot jumped to
}

// sdkEvents reports whether the trace says which SDK each program was
// built with: when the device's SDK is set (Models.SDK).
func (d *Device) sdkEvents() bool { return d.cfg.Models.SDK != "" }

// BootState is the device state at the start of a boot, as the boot event
// shows it: the retention register and the efuse anti-rollback words.
type BootState struct {
	RegFix          uint32 `json:"reg_0x40000008"`
	Fix             uint32 `json:"fix_count"`   // bits 3:0, fota_fix_app_cnt
	Resets          uint32 `json:"reset_count"` // bits 7:4, boot reset counter
	EfuseApp        uint32 `json:"efuse_app_version"`
	EfuseFlashboot  uint32 `json:"efuse_flashboot_version"`
	FlashEncryption bool   `json:"flash_encryption,omitempty"` // efuse holds a flash key
}

func (d *Device) bootState() BootState {
	reg := d.regs[flashboot.RegFix]
	fix, resets := flashboot.Counters(reg)
	s := BootState{RegFix: reg, Fix: fix, Resets: resets}
	s.EfuseApp, _ = d.Efuse.ReadU32(efuse.AppVersion)
	s.EfuseFlashboot, _ = d.Efuse.ReadU32(efuse.FlashbootVersion)
	for _, b := range d.Efuse.Read(efuse.AESKey) {
		if b != 0 {
			s.FlashEncryption = true
		}
	}
	return s
}

// emitBoot emits the boot event with the boot state.
func (d *Device) emitBoot(how string) {
	s := d.bootState()
	msg := fmt.Sprintf("boot #%d (%s) fix=%d resets=%d [0x40000008=0x%08x] efuse app-version=0x%08x flashboot-version=0x%02x",
		d.boot, how, s.Fix, s.Resets, s.RegFix, s.EfuseApp, s.EfuseFlashboot)
	if s.FlashEncryption {
		msg += " flash-encryption"
	}
	e := Event{Seq: len(d.trace), At: d.Now(), Boot: d.boot, Op: d.Flash.OpCount(), Kind: KindBoot, Msg: msg, State: &s}
	d.trace = append(d.trace, e)
	if ce := d.log.Check(zap.DebugLevel, msg); ce != nil { // no field is built when logging is off
		ce.Write(zap.String("kind", string(KindBoot)), zap.Int("boot", e.Boot), zap.Uint64("op", e.Op), zap.Duration("at", e.At))
	}
}

// provision burns the manufacture-time efuse of the models.
func (d *Device) provision() error {
	if k := d.cfg.Models.FlashKey; k != nil && *k != [upg.FlashKeyLen]byte{} {
		if err := d.Efuse.Burn(efuse.AESKey, k[:]); err != nil {
			return err
		}
	}
	return nil
}

// firmwareSDK is the SDK version of an image.
func (d *Device) firmwareSDK(raw []byte) string {
	if f := d.cfg.Models.FirmwareSDK; f != nil {
		if v := f(raw); v != "" {
			return v
		}
	}
	if d.cfg.Models.SDK != "" {
		return d.cfg.Models.SDK
	}
	return upg.DefaultSDK
}

// verifyPolicy is the package verifier of the program now running.
func (d *Device) verifyPolicy(p Program) upg.VerifyPolicy {
	v := d.hist.appSDK
	if p == ProgFlashboot {
		v = d.hist.fbSDK
	}
	if v == "" {
		v = d.cfg.Models.SDK
	}
	pol, err := upg.PolicyOf(v)
	if err != nil {
		return upg.PolicySignatureLength
	}
	return pol
}

// codeInfo decodes an image's code info.
func codeInfo(raw []byte) (image.CodeInfo, bool) {
	var ci image.CodeInfo
	if len(raw) < image.HeaderLen {
		return ci, false
	}
	return ci, ci.UnmarshalBinary(raw[image.KeyAreaLen:image.HeaderLen]) == nil
}

// ssbBooted is called when ssb boots a flashboot copy (raw, from
// partition id): it records its SDK and, in the anti-rollback model,
// burns its version into efuse flashboot-version (8 bits).
func (d *Device) ssbBooted(id partition.ID, raw []byte) {
	d.hist.fbSDK = d.firmwareSDK(raw)
	if d.sdkEvents() {
		pol, _ := upg.PolicyOf(d.hist.fbSDK)
		d.emit(KindBoot, fmt.Sprintf("ssb: %s is an SDK %s build (package verifier: %s)", id, d.hist.fbSDK, pol))
	}
	if !d.cfg.Models.RollbackBurn {
		return
	}
	ci, ok := codeInfo(raw)
	if !ok {
		return
	}
	cur, err := d.Efuse.ReadU32(efuse.FlashbootVersion)
	if err != nil {
		return
	}
	n := min(bits.OnesCount32(ci.VersionExt&ci.MaskVersionExt), efuse.FlashbootVersion.Bits())
	if n <= bits.OnesCount32(cur) {
		return
	}
	v := flashboot.RunOfOnes(n) | cur
	if err := d.Efuse.BurnU32(efuse.FlashbootVersion, v); err != nil {
		d.emit(KindBoot, fmt.Sprintf("anti-rollback model: burning efuse flashboot-version 0x%x failed: %v", v, err))
		return
	}
	d.emit(KindBoot, fmt.Sprintf("anti-rollback model: ssb burned efuse flashboot-version 0x%02x -> 0x%02x (%s's version_ext 0x%x)", cur, v, id, ci.VersionExt))
}

// appBooted is called when flashboot jumps to the app (raw, as verified).
func (d *Device) appBooted(raw []byte) {
	d.hist.appSDK = d.firmwareSDK(raw)
	if d.sdkEvents() {
		pol, _ := upg.PolicyOf(d.hist.appSDK)
		d.emit(KindBoot, fmt.Sprintf("app %s is an SDK %s build (package verifier: %s)", d.appName, d.hist.appSDK, pol))
	}
	n := 0
	if ci, ok := codeInfo(raw); ok {
		n = bits.OnesCount32(ci.VersionExt & ci.MaskVersionExt)
	}
	d.hist.appCur = n
	if n > d.hist.appHigh {
		d.hist.appHigh = n
	}
}

// afterFlashboot notes what the SDK's order means when the backup copy
// runs: ws63_flashboot_recovery is the last step before the jump, so a
// backup that resets first (after an upgrade attempt, or after "VE")
// leaves the primary as it is, and ssb decides again at the next boot.
func (d *Device) afterFlashboot(which uint32, res flashboot.Result) {
	if which == flashboot.BootBackup && res.Outcome != flashboot.JumpApp && !res.AB {
		d.emit(KindBoot, "the backup flashboot resets before its recovery step (ws63_flashboot_recovery runs only just before the jump): the primary is not restored from the backup this boot")
	}
}

// rolledBack reports whether the running app's anti-rollback version is
// below one that already ran on this device (the emulator's memory) or
// below the efuse word (possible only with secure boot off, which skips
// the check): docs/design.md §5's rollback. It needs secure boot off or the
// anti-rollback words left unburned (the default, Models.RollbackBurn off); with both on,
// an older app is refused at boot instead (VE, then brick or a heal).
func (d *Device) rolledBack() (string, bool) {
	if d.state != Running {
		return "", false
	}
	ef, _ := d.Efuse.ReadU32(efuse.AppVersion)
	high := max(d.hist.appHigh, bits.OnesCount32(ef))
	if d.hist.appCur < high {
		return fmt.Sprintf("the running app %s has anti-rollback version %d (bits), below %d", d.appName, d.hist.appCur, high), true
	}
	return "", false
}

// The board implements flashboot.Models.

// AntiRollbackBurn is flashboot.Models: the anti-rollback model switch.
func (b board) AntiRollbackBurn() bool { return b.d.cfg.Models.RollbackBurn }

// Event is flashboot.Models: an observation that is not a UART print.
func (b board) Event(msg string) { b.d.emit(KindBoot, msg) }

var _ flashboot.Models = board{}
