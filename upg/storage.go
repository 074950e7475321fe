package upg

import (
	"bytes"
	"errors"
	"io"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/partition"
)

// Flash is the NOR chip as the update library sees it (flash.Device and the
// emulator's wrapper implement it). Addresses are flash offsets.
type Flash interface {
	io.ReaderAt
	Program(addr uint32, data []byte) error
	EraseRange(addr, n uint32) error
}

// MaxWriteLen is the largest chunk write_package accepts (its len is a uint16).
const MaxWriteLen = 0xFFFF

// CPUWork names host work that costs simulated device time.
type CPUWork int

// Kinds of CPU work reported through Hooks.CPU.
const (
	CPUHash   CPUWork = iota // SHA-256 over n bytes
	CPUDecode                // LZMA decode producing n bytes
	CPUECDSA                 // one signature verification (n = 1)
)

// Hooks let the emulator observe the library: named phases, every flag-area
// write, and CPU work for the simulated clock. Nil fields are ignored.
type Hooks struct {
	Phase     func(name string)
	FlagWrite func(field string, value []byte)
	CPU       func(work CPUWork, n int)
	// Kick is the watchdog kick the SDK does after each image and chunk.
	Kick func()
	// API, when set, sees every call the programs make through the API
	// seam and what it returned (api.go, Observe).
	API func(call string, err error)
}

// Options configure the library as the SDK's build options would.
type Options struct {
	// InOrderWrites enables the file-system variant's rule from the guide:
	// chunks must be written in order and a rewrite fails with
	// ERRCODE_UPG_INVALID_OFFSET. WS63 (no file system) does not check this.
	InOrderWrites bool
	// ImagePartitions maps package image ids to target partitions; nil
	// means DefaultImagePartitions. Ids absent from it are skipped by Start.
	ImagePartitions map[uint32]partition.ID
	// UserVerify, when set, is registered at New as if the program called
	// uapi_upg_register_user_defined_verify_func at start-up.
	UserVerify UserVerifyFunc
	UserParam  any
	Hooks      Hooks
	// Memo, when set, reuses work repeated identically across the points
	// of a power-cut sweep (memo.go); it changes no flash operation.
	// Plain runs leave it nil.
	Memo *Memo
	// VerifyPolicy is the package verifier generation of the firmware the
	// library is built into (compat.go: SDK <= 1.10.101 or later).
	VerifyPolicy VerifyPolicy
	// EncryptChunk, when set, transforms each chunk the compressed image
	// task is about to program (encrypt.go, docs/sdk-mapping.md §4.8: flashboot
	// re-encrypts a compressed image whose re_enc_flag asks for it; the
	// full image task has no crypto step).
	EncryptChunk EncryptFunc
	// AB is CONFIG_MIDDLEWARE_SUPPORT_UPG_AB: the AB scheme's build
	// (ab.go). Flashboot then skips the package check and boots the run
	// region.
	AB bool
	// ABStartSDKBug reproduces the shipped upg_ab_start, which refuses
	// both valid regions (an inverted check) and fails when the library is
	// already initialised; off, ABStart does what the guide describes.
	ABStartSDKBug bool
	// Engine, when set, runs the programs' uapi_upg_* calls (API) in
	// another implementation, the SDK engine (package sdkengine), instead
	// of this Go model. Nil is the Go model.
	Engine Engine
}

// DefaultImagePartitions is g_img_partition_map of the WS63 SDK plus the NV
// image, which has no partition (the app's NV task handles it).
func DefaultImagePartitions() map[uint32]partition.ID {
	return map[uint32]partition.ID{
		ImageIDFlashboot: partition.Flashboot,
		ImageIDApp:       partition.ImageA,
		ImageIDHilink:    partition.Hilink,
	}
}

// Upg is one program's instance of the update library (the app and
// flashboot each have their own, as on the device: RAM state is per program).
type Upg struct {
	flash Flash
	table partition.Table
	opt   Options

	inited   bool
	status   Status
	prepared bool
	storing  bool // a write followed the last prepare (for the "store" phase)
	pkgLen   uint32
	next     uint32 // InOrderWrites: the next offset expected
	result   Result // RAM context's temporary_result: UPDATE_SUCCESS (0) until Init sets RESULT_MAX
	progress func(percent uint32)
	userFn   UserVerifyFunc
	userArg  any
	rootKey  [64]byte

	// progress accounting of the running Start (docs/sdk-mapping.md §4.4)
	progTotal, progDone uint64
	progLast            uint32

	lastPhase string // the phase announced last (AB writes announce theirs once)
}

// New returns an uninitialised library over f with partition table t.
func New(f Flash, t partition.Table, o Options) *Upg {
	if o.ImagePartitions == nil {
		o.ImagePartitions = DefaultImagePartitions()
	}
	return &Upg{flash: f, table: t, opt: o, result: ResultUpdateSuccess, userFn: o.UserVerify, userArg: o.UserParam}
}

// SetRootKey sets the root public key used for ECDSA package verification
// (the SDK reads it from partition 0x03 at +0x40; the caller does that).
func (u *Upg) SetRootKey(k [64]byte) { u.rootKey = k }

// RegisterProgressCallback is uapi_upg_register_progress_callback.
func (u *Upg) RegisterProgressCallback(fn func(percent uint32)) { u.progress = fn }

// RegisterUserVerify is uapi_upg_register_user_defined_verify_func.
func (u *Upg) RegisterUserVerify(fn UserVerifyFunc, param any) { u.userFn, u.userArg = fn, param }

func (u *Upg) phase(name string) {
	u.lastPhase = name
	if u.opt.Hooks.Phase != nil {
		u.opt.Hooks.Phase(name)
	}
}

func (u *Upg) cpu(w CPUWork, n int) {
	if u.opt.Hooks.CPU != nil {
		u.opt.Hooks.CPU(w, n)
	}
}

func (u *Upg) kick() {
	if u.opt.Hooks.Kick != nil {
		u.opt.Hooks.Kick()
	}
}

// fota returns the fota data partition, or an error when the table lacks it.
func (u *Upg) fota() (partition.Entry, error) {
	e, err := u.table.Lookup(partition.FotaData)
	if err != nil || e.Size < FlagTailLen {
		return partition.Entry{}, ErrcodePartitionConfigNotFound
	}
	return e, nil
}

func (u *Upg) flagAddr() (uint32, error) {
	e, err := u.fota()
	if err != nil {
		return 0, err
	}
	return e.End() - flagPageOffset, nil
}

// ReadFlag reads the flag area from flash.
func (u *Upg) ReadFlag() (*Flag, error) {
	addr, err := u.flagAddr()
	if err != nil {
		return nil, err
	}
	b := make([]byte, FlagAreaLen)
	if _, err := u.flash.ReadAt(b, int64(addr)); err != nil {
		return nil, flashErr(err, ErrcodeFail)
	}
	f := new(Flag)
	f.UnmarshalBinary(b)
	return f, nil
}

// writeFlag programs value at offset off of the flag area (no erase).
func (u *Upg) writeFlag(off uint32, value []byte) error {
	addr, err := u.flagAddr()
	if err != nil {
		return err
	}
	if u.opt.Hooks.FlagWrite != nil {
		u.opt.Hooks.FlagWrite(FlagField(off), value)
	}
	if err := u.flash.Program(addr+off, value); err != nil {
		return sfcErr(err)
	}
	return nil
}

func (u *Upg) writeFlagU32(off, v uint32) error {
	return u.writeFlag(off, le32(v))
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

// flashErr maps a flash driver error to the SDK code the caller reports,
// keeping the cause for errors.Is.
func flashErr(err error, code Errcode) error {
	if err == nil {
		return nil
	}
	var c Errcode
	if errors.As(err, &c) {
		return err
	}
	return &flashError{code: code, err: err}
}

// sfcErr is a flash driver error as the SFC driver's own errcode_t, which
// the FOTA paths pass up unchanged (upg_flash_erase, upg_flash_write; spec
// §3.5): a not-ready timeout is ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY (the
// driver reads no program or erase failure status), an argument the driver
// refuses ERRCODE_INVALID_PARAM. The cause stays reachable by errors.Is.
func sfcErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flash.ErrTimeout):
		return flashErr(err, ErrcodeSfcFlashTimeoutWaitReady)
	case errors.Is(err, flash.ErrOutOfRange), errors.Is(err, flash.ErrMisaligned):
		return flashErr(err, ErrcodeInvalidParam)
	}
	return flashErr(err, ErrcodeFail)
}

// flashError carries the SDK code a flash failure is reported as, and the
// flash driver's error (errors.Is finds both).
type flashError struct {
	code Errcode
	err  error
}

func (e *flashError) Error() string { return "upg: " + e.code.String() + ": " + e.err.Error() }
func (e *flashError) Unwrap() []error {
	return []error{e.code, e.err}
}

// Init is uapi_upg_init: a second call fails with ERRCODE_UPG_ALREADY_INIT.
// It computes the upgrade status once and, when a finished upgrade's result
// has not been reported yet, reports it (ver_change_flag is written 0).
func (u *Upg) Init() error {
	if u.inited {
		return ErrcodeUpgAlreadyInit
	}
	u.inited = true
	u.result = ResultMax
	u.status = StatusNone
	f, err := u.ReadFlag()
	if err != nil {
		return nil // no fota partition: status stays NONE, as upg_get_status
	}
	switch {
	case f.HeadMagic != FlagHeadMagic || f.EndMagic != FlagEndMagic:
		u.status = StatusNone
	case f.CompleteFlag != completeFinished:
		u.status = StatusUpdating
	case f.VerChangeFlag == 0:
		u.status = StatusNone
	default:
		if Result(f.UpdateResult) == ResultUpdateSuccess {
			u.status = StatusSucc
		} else {
			u.status = StatusFail
		}
		if err := u.writeFlag(flagOffVerChange, []byte{0}); err != nil {
			return err
		}
	}
	return nil
}

// Status is uapi_upg_get_status as computed by Init.
func (u *Upg) Status() Status { return u.status }

// StorageSize is uapi_upg_get_storage_size: the fota partition less its
// 12 KiB tail, or 0 before Init or without a fota partition.
func (u *Upg) StorageSize() uint32 {
	if !u.inited {
		return 0
	}
	e, err := u.fota()
	if err != nil {
		return 0
	}
	return e.Size - FlagTailLen
}

// Prepare is uapi_upg_prepare: erase room for packageLen bytes and the flag
// tail, then write the flag head.
func (u *Upg) Prepare(packageLen uint32) error {
	if !u.inited {
		return ErrcodeUpgNotInit
	}
	if packageLen == 0 || packageLen > u.StorageSize() {
		return ErrcodeUpgInvalidParameter
	}
	u.phase("prepare")
	e, _ := u.fota()
	u.prepared = true
	u.storing = false
	u.pkgLen = packageLen
	u.next = 0
	if err := u.eraseKeep(e.Offset, packageLen); err != nil {
		return err
	}
	if err := u.eraseKeep(e.End()-FlagTailLen, FlagTailLen); err != nil {
		return err
	}
	if err := u.writeFlagU32(flagOffBeforeOffset, 0); err != nil {
		return err
	}
	if err := u.writeFlagU32(flagOffPackageLength, packageLen); err != nil {
		return err
	}
	return u.writeFlagU32(flagOffHeadMagic, FlagHeadMagic)
}

// eraseKeep is upg_flash_erase: erase the 4 KiB sectors covering
// [addr, addr+n) (one uapi_sfc_reg_erase, greedy blocks) but first save the
// bytes of the first and last sector that lie outside the range and
// program them back afterwards, the first then the last, each one
// uapi_sfc_reg_write. As in the SDK the saved bytes are programmed even
// when they are all 0xFF (the write-back does not skip erased data).
func (u *Upg) eraseKeep(addr, n uint32) error {
	const sector = 0x1000
	start := addr &^ (sector - 1)
	end := (addr + n + sector - 1) &^ (sector - 1)
	head := make([]byte, addr-start)
	tail := make([]byte, end-(addr+n))
	if len(head) > 0 {
		if _, err := u.flash.ReadAt(head, int64(start)); err != nil {
			return sfcErr(err)
		}
	}
	if len(tail) > 0 {
		if _, err := u.flash.ReadAt(tail, int64(addr+n)); err != nil {
			return sfcErr(err)
		}
	}
	if err := u.flash.EraseRange(start, end-start); err != nil {
		return sfcErr(err)
	}
	for _, keep := range []struct {
		at   uint32
		data []byte
	}{{start, head}, {addr + n, tail}} {
		if len(keep.data) == 0 {
			continue
		}
		if err := u.flash.Program(keep.at, keep.data); err != nil {
			return sfcErr(err)
		}
	}
	return nil
}

func allFF(b []byte) bool { return len(bytes.Trim(b, "\xff")) == 0 }

// WritePackageSync is uapi_upg_write_package_sync: program len(buf) bytes at
// package offset off, without erasing (a rewrite ANDs bits into flash).
func (u *Upg) WritePackageSync(off uint32, buf []byte) error {
	switch {
	case !u.inited:
		return ErrcodeUpgNotInit
	case buf == nil:
		return ErrcodeUpgNullPointer
	case len(buf) == 0 || len(buf) > MaxWriteLen:
		return ErrcodeUpgInvalidBuffLen
	case !u.prepared:
		return ErrcodeUpgNotPrepared
	}
	size := u.StorageSize()
	n := uint32(len(buf))
	if off >= size || uint64(off)+uint64(n) > uint64(size) || off >= u.pkgLen || uint64(off)+uint64(n) > uint64(u.pkgLen) {
		return ErrcodeUpgNoEnoughSpace
	}
	if u.opt.InOrderWrites && off != u.next {
		return ErrcodeUpgInvalidOffset
	}
	e, _ := u.fota()
	if !u.storing {
		u.storing = true
		u.phase("store")
	}
	if err := u.flash.Program(e.Offset+off, buf); err != nil {
		return sfcErr(err)
	}
	u.next = off + n
	return nil
}

// WritePackageAsync is uapi_upg_write_package_async: the same write, then
// done is called (synchronously) on success only.
func (u *Upg) WritePackageAsync(off uint32, buf []byte, done func(error)) error {
	if err := u.WritePackageSync(off, buf); err != nil {
		return err
	}
	if done != nil {
		done(nil)
	}
	return nil
}

// ReadPackage is uapi_upg_read_package: raw flash from package offset off,
// clamped to the end of the fota partition. It returns the bytes read. As
// in upg_storage.c the length is checked through a 16-bit cast: a length of
// 0 or any multiple of 0x10000 fails with ERRCODE_UPG_INVALID_BUFF_LEN.
func (u *Upg) ReadPackage(off uint32, buf []byte) (int, error) {
	if !u.inited {
		return 0, ErrcodeUpgNotInit
	}
	if buf == nil {
		return 0, ErrcodeUpgNullPointer
	}
	if uint16(len(buf)) == 0 {
		return 0, ErrcodeUpgInvalidBuffLen
	}
	return u.ReadFotaPkgData(off, buf)
}

// ReadFotaPkgData is upg_read_fota_pkg_data, what ReadPackage calls after
// its argument checks and what the NV task calls directly: raw flash from
// package offset off with the full length, clamped to the end of the fota
// partition; an offset past the partition fails with
// ERRCODE_UPG_INVALID_PARAMETER.
func (u *Upg) ReadFotaPkgData(off uint32, buf []byte) (int, error) {
	if !u.inited {
		return 0, ErrcodeUpgNotInit
	}
	e, err := u.fota()
	if err != nil {
		return 0, err
	}
	// upg_read_fota_pkg_data: the offset is checked against the whole fota
	// partition, its flag tail included, and a zero length is refused.
	if off >= e.Size || len(buf) == 0 {
		return 0, ErrcodeUpgInvalidParameter
	}
	n := uint32(len(buf))
	if off+n > e.Size || off+n < off {
		n = e.Size - off
	}
	if _, err := u.flash.ReadAt(buf[:n], int64(e.Offset+off)); err != nil {
		return 0, flashErr(err, ErrcodeFail)
	}
	return int(n), nil
}

// packageReader is the stored package as an io.ReaderAt of size bytes.
func (u *Upg) packageReader() (io.ReaderAt, int64, error) {
	e, err := u.fota()
	if err != nil {
		return nil, 0, err
	}
	return io.NewSectionReader(u.flash, int64(e.Offset), int64(e.Size-FlagTailLen)), int64(e.Size - FlagTailLen), nil
}

func (u *Upg) verifier() *Verifier {
	return &Verifier{RootKey: u.rootKey, UserVerify: u.userFn, UserParam: u.userArg, Memo: u.opt.Memo, Policy: u.opt.VerifyPolicy}
}

// VerifyStored runs the full package verification (uapi_upg_verify_file) on
// the package in the fota partition.
func (u *Upg) VerifyStored() (*Package, error) {
	r, size, err := u.packageReader()
	if err != nil {
		return nil, err
	}
	u.phase("verify")
	p, err := u.verifier().VerifyFile(r, size)
	if p != nil {
		u.chargeVerify(p, -1)
	}
	return p, err
}

// RequestUpgrade is uapi_upg_request_upgrade: verify the stored package,
// then write firmware_num and head_end_magic. Rebooting (reset=true) is the
// caller's job: the app resets the device after a successful return.
func (u *Upg) RequestUpgrade() error {
	if !u.inited {
		return ErrcodeUpgNotInit
	}
	p, err := u.VerifyStored()
	if err != nil {
		return err
	}
	if len(p.Nodes) > MaxImages {
		return ErrcodeUpgWrongImageNum
	}
	fw := uint32(0)
	for _, n := range p.Nodes {
		if n.ImageID != ImageIDNV {
			fw++
		}
	}
	u.phase("request-upgrade")
	if err := u.writeFlagU32(flagOffFirmwareNum, fw); err != nil {
		return err
	}
	return u.writeFlagU32(flagOffEndMagic, FlagEndMagic)
}

// ResetUpgradeFlag is uapi_upg_reset_upgrade_flag: erase the 12 KiB tail and
// rewrite the flag head with the same package length.
func (u *Upg) ResetUpgradeFlag() error {
	if !u.inited {
		return ErrcodeUpgNotInit
	}
	f, err := u.ReadFlag()
	if err != nil {
		return err
	}
	e, _ := u.fota()
	u.phase("reset-upgrade-flag")
	if err := u.eraseKeep(e.End()-FlagTailLen, FlagTailLen); err != nil {
		return err
	}
	if err := u.writeFlagU32(flagOffBeforeOffset, 0); err != nil {
		return err
	}
	if err := u.writeFlagU32(flagOffHeadMagic, FlagHeadMagic); err != nil {
		return err
	}
	return u.writeFlagU32(flagOffPackageLength, f.PackageLength)
}

// Result is uapi_upg_get_result: the stored update_result, and the last
// image index, which the SDK always reports as 0xFFFFFFFF.
func (u *Upg) Result() (Result, uint32, error) {
	if !u.inited {
		return 0, 0, ErrcodeUpgNotInit
	}
	f, err := u.ReadFlag()
	if err != nil {
		return 0, 0, err
	}
	return Result(f.UpdateResult), 0xFFFFFFFF, nil
}

// chargeVerify reports the CPU work of verifying the package head and
// image i (all images when i < 0) to the simulated clock.
func (u *Upg) chargeVerify(p *Package, i int) {
	if u.opt.Hooks.CPU == nil {
		return
	}
	if i < 0 {
		n := HeaderLen + int(p.Info.HashTableLen)
		if p.Key.SignatureLength != 32 {
			u.cpu(CPUECDSA, 2)
		}
		for _, h := range p.Headers {
			n += ImageHeaderLen + int(h.DataLen())
		}
		u.cpu(CPUHash, n)
		return
	}
	u.cpu(CPUHash, ImageHeaderLen+int(p.Headers[i].DataLen()))
}
