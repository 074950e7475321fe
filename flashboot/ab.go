package flashboot

import (
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// AB build (CONFIG_MIDDLEWARE_SUPPORT_UPG_AB, docs/sdk-mapping.md §5, start_fastboot).
const (
	// FlashStart is where the flash is mapped in the CPU's address space
	// (FLASH_START, sfc_cfg.mapping_addr): flash offset 0x030000 is CPU
	// address 0x230000.
	FlashStart = 0x200000
	// AppHeaderLen is APP_IMAGE_HEADER_LEN: key area + code info. Flashboot
	// jumps to the image address plus this.
	AppHeaderLen = 0x300

	abSwitchEvery = 3 // VERIFY_RETRY_CNT_THRES: switch on every 3rd consecutive failure
)

// Remap is one DMMU window (dmmu_set, FAMA remap registers): CPU addresses
// [Start, End) are served from Target onwards. Flashboot sets window 0 when
// the run region is B, so that the app — linked, like every WS63 app, for
// region A's address — executes from B unchanged. Addresses are CPU
// addresses (flash offset + FlashStart). The window is partition 0x20's
// size long, 4 KiB longer than region B: its last page shows the AB config
// page.
type Remap struct {
	Start, End, Target uint32
}

// Translate maps a CPU address through the window; addresses outside it
// are unchanged.
func (m Remap) Translate(cpu uint32) uint32 {
	if cpu >= m.Start && cpu < m.End {
		return cpu - m.Start + m.Target
	}
	return cpu
}

func (m Remap) String() string {
	return fmt.Sprintf("DMMU window 0: CPU 0x%06x-0x%06x -> 0x%06x", m.Start, m.End-1, m.Target)
}

// runAB is start_fastboot in an AB build, after ws63_upg_check returned
// without looking at any package: read the run region from the config page
// (repairing it when its check number is wrong), print "A" or "B", set up
// flash decryption for that region, verify the app there, and on failure
// count with the fix counter, switching the run region on every third
// consecutive failure, then reset() (the boot reset counter, recovery.go).
// On success, burn the app's anti-rollback version (rollback.go), set the
// DMMU window when the app is in B so the A-linked app runs from there,
// restore flashboot from its backup if ssb booted the backup, and jump to
// region A's address + 0x300.
func runAB(b Board, u *upg.Upg) Result {
	res := Result{AB: true}
	run := u.RunRegion()
	res.Region = run
	a, errA := b.Table().Lookup(partition.ImageA)
	if errA != nil {
		b.Print("Flashboot get app partition failed!, boot abort!")
		res.AppErr = errA
		res.reset(b)
		return res
	}
	imageAddr := a.Offset + FlashStart
	jump := u.RegionAddr(run) + FlashStart
	if jump == imageAddr {
		b.Print("A")
	} else {
		b.Print("B")
	}
	region := partition.Entry{ID: partition.ImageA, Offset: u.RegionAddr(run), Size: u.RegionSize(run)}
	// ws63_flash_encrypt_config(jump_addr, image_size): the window is
	// partition 0x20's size long from the region's start.
	if why, ok := flashEncryptConfigAt(b, partition.Entry{ID: partition.ImageA, Offset: region.Offset, Size: a.Size}); !ok {
		res.AppErr = errors.New("flashboot: " + why)
		res.Fix = "not run (ws63_flash_encrypt_config resets before the app is verified)"
		res.reset(b)
		return res
	}
	app, err := verifyRegion(b, region)
	if err != nil {
		b.Print("VE")
		res.AppErr = err
		res.Fix, res.Switched = tryFixAB(b, u)
		res.reset(b)
		return res
	}
	b.SetReg(RegFix, 0)
	burnAppVersion(b, app)
	if jump != imageAddr {
		res.Remap = &Remap{Start: imageAddr, End: imageAddr + a.Size, Target: jump}
	}
	res.Recovery = recovery(b)
	res.App = app
	res.Jump = imageAddr + AppHeaderLen
	res.Outcome = JumpApp
	return res
}

// verifyRegion is ws63_verify_app(addr) over a region (partition 0x20 in
// the compressed build, the run region in an AB build): verify_image_head
// and verify_image_body of the image at its start, parsed within the
// region, read as the CPU reads it (through the decryption window when
// the app asks for one).
func verifyRegion(b Board, e partition.Entry) ([]byte, error) {
	if e.Size == 0 {
		return nil, fmt.Errorf("flashboot: no app region at 0x%06x", e.Offset)
	}
	r := appReader(b, e)
	memo := b.UpgOptions().Memo
	read := memo.Read
	var raw []byte
	if memo == nil {
		// Without a memo, the code lands in a buffer with room for the
		// header in front (the board's, when it lends one), and the image
		// read below fills that same buffer again: the same ReadAt calls
		// and bytes as reading into fresh buffers, without touching 2 MiB
		// of new memory twice.
		read = func(r io.ReaderAt, off int64, n int) ([]byte, int, error) {
			raw = appBuffer(b, int(off)+n)
			got, err := r.ReadAt(raw[off:], off)
			return raw[off:], got, err
		}
	}
	im, err := image.ParseWith(r, int64(e.Size), image.ParseOptions{Sum256: memo.Sum256, Read: read})
	if err != nil {
		return nil, err
	}
	o := verifyOptions(b, image.KindApp)
	o.CodeHashChecked = true // ParseWith just did
	if err := image.Verify(im, o); err != nil {
		return nil, err
	}
	if raw == nil { // a memo read the code
		raw, _, err = memo.Read(r, 0, im.Len())
	} else { // raw is header room + code: im.Len() bytes
		_, err = r.ReadAt(raw, 0)
	}
	if err != nil {
		return nil, err
	}
	return raw, nil
}

// AppBufferer is a Board that lends the buffer the app check reads the app
// image into when there is no memo (upg.Options.Memo), to be used again at
// its next boot: Result.App is then only valid until flashboot next runs
// on that board. The emulator's device lends one (RAM: a power cut drops
// it).
type AppBufferer interface {
	AppBuffer(n int) []byte
}

// appBuffer returns n bytes to read the app into: the board's, or new.
func appBuffer(b Board, n int) []byte {
	if ab, ok := b.(AppBufferer); ok {
		if buf := ab.AppBuffer(n); len(buf) == n {
			return buf
		}
	}
	return make([]byte, n)
}

// tryFixAB is ws63_try_fix_app in an AB build: count the failure in the
// fix counter (4 bits: 15 + 1 wraps to 0) and, when the count is a multiple
// of three, print "switch booting" and make the other region the run
// region. The caller then resets (reset(), with the boot reset counter).
func tryFixAB(b Board, u *upg.Upg) (fix string, switched bool) {
	reg := b.Reg(RegFix)
	cur, _ := Counters(reg)
	cnt := cur + 1 // a uint8 in the SDK; the register keeps 4 bits
	b.SetReg(RegFix, reg&^fixMask|cnt&fixMask)
	head := fmt.Sprintf("fix counter %d -> %d", cur, cnt&fixMask)
	if cnt%abSwitchEvery != 0 {
		return head + ": reset", false
	}
	b.Print("switch booting")
	to := u.UpgRegion()
	if err := u.SetRunRegion(to); err != nil {
		return fmt.Sprintf("%s: switch to region %s failed (%v): reset", head, to, err), false
	}
	return fmt.Sprintf("%s: run region switched to %s: reset", head, to), true
}
