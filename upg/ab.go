package upg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/partition"
)

// AB scheme (CONFIG_MIDDLEWARE_SUPPORT_UPG_AB, docs/sdk-mapping.md §5,
// src/middleware/chips/ws63/update/ab_upg/upg_ab.c). Partitions 0x20 and
// 0x21 form one span: region A at its start, region B after it, and the
// 4 KiB config page at the end of 0x21.
const (
	// ABConfigMagic is UPG_AB_CONFIG_CHECK, check_num of a valid config page.
	ABConfigMagic = 0x70746C6C
	// ABConfigLen is sizeof(upg_ab_config_t): check_num, run_region.
	ABConfigLen = 8
	// ABConfigPageLen is UPG_AB_REGION_CONFIG_SIZE, the config page at the
	// end of partition 0x21; it is not part of either region.
	ABConfigPageLen = 0x1000
	// ABConfigTries is UPG_SET_AB_CFG_TRY_MAX: upg_set_ab_config's attempts.
	ABConfigTries = 3

	abAlign = 0x1000 // regions are rounded to 4 KiB (UPG_SIZE_4K)
)

// Region is upg_region_index: UPG_REGION_A or UPG_REGION_B. Other values
// are representable (the SDK stores a uint32) and are invalid.
type Region uint32

// The regions.
const (
	RegionA Region = 0
	RegionB Region = 1
)

// String returns "A", "B", or "Region(N)" for an invalid value.
func (r Region) String() string {
	switch r {
	case RegionA:
		return "A"
	case RegionB:
		return "B"
	}
	return fmt.Sprintf("Region(%d)", uint32(r))
}

// Valid reports whether r is A or B.
func (r Region) Valid() bool { return r == RegionA || r == RegionB }

// Other returns the other region (A for B, B for anything else), as
// upg_get_upg_region derives the upgrade region from the run region.
func (r Region) Other() Region {
	if r == RegionB {
		return RegionA
	}
	return RegionB
}

// ParseRegion parses "A" or "B" (case-insensitive) or 0 / 1.
func ParseRegion(s string) (Region, error) {
	switch s {
	case "A", "a", "0":
		return RegionA, nil
	case "B", "b", "1":
		return RegionB, nil
	}
	return 0, fmt.Errorf("upg: unknown region %q (want A or B)", s)
}

// ABConfig is upg_ab_config_t, the first ABConfigLen bytes of the config
// page; the rest of the page stays erased.
type ABConfig struct {
	CheckNum  uint32 // ABConfigMagic when valid
	RunRegion uint32 // 0 = A, 1 = B; anything else reads as A
}

// MarshalBinary encodes the record (ABConfigLen bytes, little-endian).
func (c *ABConfig) MarshalBinary() ([]byte, error) {
	b := make([]byte, ABConfigLen)
	binary.LittleEndian.PutUint32(b[0:], c.CheckNum)
	binary.LittleEndian.PutUint32(b[4:], c.RunRegion)
	return b, nil
}

// UnmarshalBinary decodes the record from exactly ABConfigLen bytes.
func (c *ABConfig) UnmarshalBinary(b []byte) error {
	if len(b) != ABConfigLen {
		return &FormatError{Off: int64(len(b)), Msg: fmt.Sprintf("AB config is %d bytes, want %d", len(b), ABConfigLen), Err: ErrRecordSize}
	}
	c.CheckNum = binary.LittleEndian.Uint32(b[0:])
	c.RunRegion = binary.LittleEndian.Uint32(b[4:])
	return nil
}

// Valid reports whether check_num is the magic.
func (c ABConfig) Valid() bool { return c.CheckNum == ABConfigMagic }

// Region is what upg_get_run_region makes of the record: run_region when
// it is A or B, else A (UPG_AB_DEFAULT_REGION). It does not look at
// check_num: the SDK repairs a bad page but still returns the run_region
// it read before the repair.
func (c ABConfig) Region() Region {
	if r := Region(c.RunRegion); r.Valid() {
		return r
	}
	return RegionA
}

// ABLayout is where the AB scheme's regions and config page are, computed
// from partitions 0x20 and 0x21 as upg_get_region_addr/size do:
//
//	total  = size(0x20) + size(0x21)
//	single = roundup4K((total − 0x1000) / 2)
//	A      = [start(0x20), single)
//	B      = [start(0x20) + single, total − 0x1000 − single)
//	config = end(0x21) − 0x1000
//
// With param_sector_double.json: A = 0x030000/0x1E1000, B =
// 0x211000/0x1E0000, config 0x3F1000. The SDK assumes 0x21 follows 0x20;
// on any other table the span is still computed from 0x20's start.
type ABLayout struct {
	AAddr, ASize uint32
	BAddr, BSize uint32
	Config       uint32 // flash address of the config page
}

// ABLayoutOf computes the AB layout of a partition table. It fails with
// ErrABLayout when 0x20 or 0x21 is missing or they are too small to hold
// two regions and the config page.
func ABLayoutOf(t partition.Table) (ABLayout, error) {
	a, errA := t.Lookup(partition.ImageA)
	b, errB := t.Lookup(partition.ImageB)
	if err := errors.Join(errA, errB); err != nil {
		return ABLayout{}, fmt.Errorf("%w: %v", ErrABLayout, err)
	}
	total := uint64(a.Size) + uint64(b.Size)
	if total < ABConfigPageLen+2*abAlign || b.Size < ABConfigPageLen || total > 1<<32 {
		return ABLayout{}, fmt.Errorf("%w: partitions 0x20 (0x%x bytes) and 0x21 (0x%x bytes)", ErrABLayout, a.Size, b.Size)
	}
	single := ((total-ABConfigPageLen)/2 + abAlign - 1) &^ (abAlign - 1)
	l := ABLayout{
		AAddr: a.Offset, ASize: uint32(single),
		BAddr: a.Offset + uint32(single), BSize: uint32(total - ABConfigPageLen - single),
		Config: b.Offset + b.Size - ABConfigPageLen,
	}
	return l, nil
}

// Region returns a region's flash address and size; ok is false for an
// invalid region (the SDK returns 0 for both).
func (l ABLayout) Region(r Region) (addr, size uint32, ok bool) {
	switch r {
	case RegionA:
		return l.AAddr, l.ASize, true
	case RegionB:
		return l.BAddr, l.BSize, true
	}
	return 0, 0, false
}

// MaxImage is the largest image the scheme can carry: an image must fit
// whichever region is the upgrade region, so the smaller of the two.
func (l ABLayout) MaxImage() uint32 { return min(l.ASize, l.BSize) }

// ReadABConfig reads the config page's record without repairing it (for
// inspection: the device's own reads go through RunRegion, which repairs).
func ReadABConfig(r io.ReaderAt, t partition.Table) (ABConfig, error) {
	l, err := ABLayoutOf(t)
	if err != nil {
		return ABConfig{}, err
	}
	var b [ABConfigLen]byte
	if _, err := r.ReadAt(b[:], int64(l.Config)); err != nil {
		return ABConfig{}, flashErr(err, ErrcodeFail)
	}
	var c ABConfig
	c.UnmarshalBinary(b[:])
	return c, nil
}

// ABBuild reports whether the library is built for the AB scheme
// (Options.AB, CONFIG_MIDDLEWARE_SUPPORT_UPG_AB): flashboot then skips the
// package check and boots the run region.
func (u *Upg) ABBuild() bool { return u.opt.AB }

// ABLayout is the AB layout of the library's partition table.
func (u *Upg) ABLayout() (ABLayout, error) { return ABLayoutOf(u.table) }

// abPhase announces an AB phase unless it is the one announced last.
func (u *Upg) abPhase(name string) {
	if u.lastPhase != name {
		u.phase(name)
	}
}

// abConfig is upg_get_ab_config: read the record; if check_num is wrong,
// repair the page (upg_ab_config_init: erase, write {magic, A}, one
// attempt) — and still return the record as read, as the SDK does (its
// caller's struct is not refreshed after the repair).
func (u *Upg) abConfig() (ABConfig, error) {
	l, err := u.ABLayout()
	if err != nil {
		return ABConfig{}, ErrcodeFail
	}
	var b [ABConfigLen]byte
	if _, err := u.flash.ReadAt(b[:], int64(l.Config)); err != nil {
		return ABConfig{}, flashErr(err, ErrcodeFail)
	}
	var c ABConfig
	c.UnmarshalBinary(b[:])
	if c.Valid() {
		return c, nil
	}
	u.abPhase("ab config repair")
	if err := u.writeABConfig(l.Config, ABConfig{CheckNum: ABConfigMagic, RunRegion: uint32(RegionA)}); err != nil {
		return c, fmt.Errorf("upg: AB config repair (check_num 0x%08x): %w", c.CheckNum, ErrcodeFail)
	}
	return c, nil
}

// writeABConfig is one attempt: erase the page, then program the record.
// Like the SDK (ret = erase; ret |= write) it programs even when the
// erase failed.
func (u *Upg) writeABConfig(addr uint32, c ABConfig) error {
	b, _ := c.MarshalBinary()
	eerr := u.flash.EraseRange(addr, ABConfigPageLen)
	werr := u.flash.Program(addr, b)
	if err := errors.Join(eerr, werr); err != nil {
		return flashErr(err, ErrcodeUpgFlashWriteError)
	}
	return nil
}

// setABConfig is upg_set_ab_config: up to ABConfigTries attempts, then
// ERRCODE_UPG_FLASH_WRITE_ERROR.
func (u *Upg) setABConfig(c ABConfig) error {
	l, err := u.ABLayout()
	if err != nil {
		return ErrcodeFail
	}
	var last error
	for try := 0; try < ABConfigTries; try++ {
		if last = u.writeABConfig(l.Config, c); last == nil {
			return nil
		}
	}
	return fmt.Errorf("%w after %d attempts: %v", ErrABConfigWrite, ABConfigTries, last)
}

// RunRegion is upg_get_run_region: the config page's run_region, or A when
// the page cannot be read or repaired or run_region is not A or B. Reading
// a page whose check_num is wrong repairs it (a flash write).
func (u *Upg) RunRegion() Region {
	c, err := u.abConfig()
	if err != nil {
		return RegionA
	}
	return c.Region()
}

// UpgRegion is upg_get_upg_region: the region that is not the run region.
func (u *Upg) UpgRegion() Region { return u.RunRegion().Other() }

// RegionAddr is upg_get_region_addr: a region's flash address, 0 for an
// invalid region or without the AB partitions.
func (u *Upg) RegionAddr(r Region) uint32 {
	l, err := u.ABLayout()
	if err != nil {
		return 0
	}
	a, _, _ := l.Region(r)
	return a
}

// RegionSize is upg_get_region_size: a region's size, 0 for an invalid
// region or without the AB partitions.
func (u *Upg) RegionSize(r Region) uint32 {
	l, err := u.ABLayout()
	if err != nil {
		return 0
	}
	_, s, _ := l.Region(r)
	return s
}

// abBounds is the check of upg_ab_image_read/write: a valid region and
// off+len within it (ERRCODE_INVALID_PARAM). The SDK adds off+len in 32
// bits, so an offset near 2^32 wraps past the check; here it is refused.
func (u *Upg) abBounds(op string, r Region, off uint32, n int) (uint32, error) {
	addr, size := u.RegionAddr(r), u.RegionSize(r)
	if addr == 0 || size == 0 || uint64(off)+uint64(n) > uint64(size) {
		return 0, fmt.Errorf("upg: %s region %s at 0x%x+%d (region is 0x%x bytes): %w", op, r, off, n, size, ErrABBounds)
	}
	return addr + off, nil
}

// ABImageRead is upg_ab_image_read: read len(buf) bytes at offset off of
// region r.
func (u *Upg) ABImageRead(r Region, off uint32, buf []byte) error {
	addr, err := u.abBounds("ab read", r, off, len(buf))
	if err != nil {
		return err
	}
	if _, err := u.flash.ReadAt(buf, int64(addr)); err != nil {
		return flashErr(err, ErrcodeFail)
	}
	return nil
}

// ABImageWrite is upg_ab_image_write: program data at offset off of region
// r without erasing (ABStart erased the region; a second write to the same
// bytes ANDs into them).
func (u *Upg) ABImageWrite(r Region, off uint32, data []byte) error {
	addr, err := u.abBounds("ab write", r, off, len(data))
	if err != nil {
		return err
	}
	u.abPhase("ab write region " + r.String())
	if err := u.flash.Program(addr, data); err != nil {
		return sfcErr(err) // upg_flash_write's code, unchanged
	}
	return nil
}

// SetRunRegion is upg_set_run_region: refuse the region the page already
// names (ERRCODE_INVALID_PARAM), else rewrite the page with run_region = r
// (up to three attempts). As in the SDK, r itself is not checked (an
// invalid value is stored and later reads as A), the comparison is with
// the run_region as read, and the record written keeps the check_num as
// read — so after a repair in the same call the page is written with the
// bad check_num again, and the next read repairs it to A.
func (u *Upg) SetRunRegion(r Region) error {
	c, err := u.abConfig()
	if err != nil {
		return err
	}
	if Region(c.RunRegion) == r {
		return fmt.Errorf("upg: set run region %s: %w", r, ErrABSameRegion)
	}
	c.RunRegion = uint32(r)
	u.abPhase("ab set run region " + r.String())
	return u.setABConfig(c)
}

// RegionErase is upg_region_erase: erase a whole region (its address and
// size must be 4 KiB aligned, else ERRCODE_INVALID_PARAM); a flash error
// is ERRCODE_FAIL.
func (u *Upg) RegionErase(r Region) error {
	addr, size := u.RegionAddr(r), u.RegionSize(r)
	if addr%abAlign != 0 || size%abAlign != 0 {
		return fmt.Errorf("upg: region %s at 0x%x+0x%x: %w", r, addr, size, ErrABAlign)
	}
	u.abPhase("ab erase region " + r.String())
	if err := u.flash.EraseRange(addr, size); err != nil {
		return flashErr(err, ErrcodeFail)
	}
	return nil
}

// ABStart is upg_ab_start: check the region argument, initialise the
// library, and erase the upgrade region. The region erased is always
// UpgRegion(), whatever the argument: the argument is only checked.
//
// The shipped SDK inverts the check (it refuses A and B with
// ERRCODE_INVALID_PARAM and goes on only for other values) and fails with
// ERRCODE_FAIL when the library is already initialised (the app
// initialises it at start-up). Options.ABStartSDKBug reproduces both; by
// default ABStart does what the guide says it does: A or B is accepted,
// an initialised library is fine, the upgrade region is erased.
func (u *Upg) ABStart(r Region) error {
	if u.opt.ABStartSDKBug {
		if r.Valid() {
			return fmt.Errorf("upg: ab start region %s (SDK's inverted check): %w", r, ErrABStartRegion)
		}
		if err := u.Init(); err != nil {
			return fmt.Errorf("upg: ab start: uapi_upg_init: %v: %w", err, ErrcodeFail)
		}
	} else {
		if !r.Valid() {
			return fmt.Errorf("upg: ab start region %s: %w", r, ErrABStartRegion)
		}
		if !u.inited {
			if err := u.Init(); err != nil {
				return fmt.Errorf("upg: ab start: uapi_upg_init: %v: %w", err, ErrcodeFail)
			}
		}
	}
	return u.RegionErase(u.UpgRegion())
}
