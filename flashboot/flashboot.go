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

// Retention registers flashboot uses (docs/sdk-mapping.md §4.5, §4.6).
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
	Upgraded bool   // an upgrade was attempted this boot
	UpgErr   error  // what uapi_upg_start returned
	AppErr   error  // why the app failed verification, if it did
	Fix      string // what try-fix-app did, if it ran
	Recovery bool   // the primary flashboot was restored from the backup
	App      []byte // the verified app image bytes (header + code) on JumpApp

	// AB build only (ab.go).
	AB       bool       // flashboot is an AB build: no package check, the run region boots
	Region   upg.Region // the run region read from the config page
	Switched bool       // try-fix-app switched the run region (third consecutive failure)
	Remap    *Remap     // the DMMU window set when the app runs from region B
	Jump     uint32     // the CPU address jumped to (region A + 0x300)
}

// Run is start_fastboot after the hardware set-up (docs/sdk-mapping.md §4.1): upgrade
// check, app verification, try-fix-app, flashboot recovery, jump.
func Run(b Board) Result {
	var res Result
	o := upgOptions(b) // encrypt.go: re-encryption
	u := upg.New(b.Flash(), b.Table(), o)
	u.SetRootKey(rootKey(b))
	var api upg.API = u
	if o.Engine != nil && !u.ABBuild() {
		// The SDK engine: the vendor's flashboot build of the library
		// registers its own progress callback (it prints the percentages).
		s, err := o.Engine.Open("flashboot", b.Flash(), o, b.Print)
		if err != nil {
			panic(&upg.EngineError{Err: err})
		}
		defer closeAPI(s)
		api = s
		u.Attach() // the Go model serves flashboot's flag read only
	} else {
		u.RegisterProgressCallback(func(p uint32) { b.Print(fmt.Sprintf("[UPG] upg percent : %d %%", p)) })
	}
	api = upg.Observe(api, o.Hooks.API)
	_ = api.Init()
	if u.ABBuild() {
		return runAB(b, u) // ws63_upg_check: "In AB builds return here"
	}
	if f, err := u.ReadFlag(); err == nil && f.UpgradeNeeded() {
		b.Print("need upgrade")
		res.Upgraded = true
		res.UpgErr = api.Start()
		code := upg.Code(res.UpgErr)
		if code == upg.ErrcodeSucc || code == upg.ErrcodeUpgNotNeedToUpdate || code == upg.ErrcodeUpgNotInit {
			b.Print("upgrade success, reset now")
		} else {
			b.Print(fmt.Sprintf("upgrade failed (%s), reset now", code.String()))
		}
		res.reset(b) // reset(): the boot reset counter (recovery.go)
		return res
	}
	b.Print("No need to upgrade...")

	// ws63_flash_encrypt_config(image_addr, image_size) for partition
	// 0x20 (encrypt.go); a missing partition is reported by verifyApp.
	if a, err := b.Table().Lookup(partition.ImageA); err == nil {
		if why, ok := flashEncryptConfigAt(b, a); !ok {
			res.AppErr = errors.New("flashboot: " + why)
			res.Fix = "not run (ws63_flash_encrypt_config resets before the app is verified)"
			res.reset(b)
			return res
		}
	}
	app, err := verifyApp(b)
	if err != nil {
		b.Print("VE")
		res.AppErr = err
		res.Fix = tryFixApp(b, api) // recovery.go
		res.reset(b)
		return res
	}
	// Success: clear the reset and fix counters (set_reset_count(0),
	// ws63_set_try_fix_cnt(0)): each a read-modify-write of its own four
	// bits; bits 31:8 are kept (docs/sdk-mapping.md §4.5).
	b.SetReg(RegFix, b.Reg(RegFix)&^(resetMask|fixMask))
	burnAppVersion(b, app) // rollback.go: the anti-rollback model
	res.Recovery = recovery(b)
	res.App = app
	res.Outcome = JumpApp
	return res
}

// closeAPI ends an engine instance that has a process behind it.
func closeAPI(a upg.API) {
	if c, ok := a.(io.Closer); ok {
		_ = c.Close()
	}
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
// verify_image_head then verify_image_body (verifyRegion, ab.go). It
// returns the image bytes.
func verifyApp(b Board) ([]byte, error) {
	e, err := b.Table().Lookup(partition.ImageA)
	if err != nil {
		return nil, err
	}
	return verifyRegion(b, e)
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
	o.Sum256 = b.UpgOptions().Memo.Sum256 // a sweep's memo (upg.Memo), nil-safe
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
