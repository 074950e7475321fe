package upg

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errcode is the SDK's errcode_t (src/include/errcode.h, docs/sdk-mapping.md §3.5). The
// emulated uapi_upg_* calls return these values at the API boundary; Go
// code returns ordinary errors that wrap one, and Code recovers it.
type Errcode uint32

// The errcode_t values the upgrade library and its partition layer return.
// The names copy the C names; note the jump 0x80003049 → 0x80003050 in
// the C header (hex-looking decimals), copied literally.
const (
	ErrcodeSucc         Errcode = 0
	ErrcodeFail         Errcode = 0xFFFFFFFF
	ErrcodeInvalidParam Errcode = 0x80000001 // ERRCODE_INVALID_PARAM (upg_set_run_region)
	ErrcodeMalloc       Errcode = 0x80000005

	// ErrcodeSfcFlashTimeoutWaitReady is the SFC driver's only flash
	// failure (hal_sfc_regs_wait_ready): the chip did not become ready.
	// The FOTA paths pass it up unchanged (docs/sdk-mapping.md §3.5).
	ErrcodeSfcFlashTimeoutWaitReady Errcode = 0x80001344

	ErrcodePartitionInitErr        Errcode = 0x80003000
	ErrcodePartitionNotSupport     Errcode = 0x80003001
	ErrcodePartitionInvalidParams  Errcode = 0x80003002
	ErrcodePartitionConfigNotFound Errcode = 0x80003003
	ErrcodeImageConfigNotFound     Errcode = 0x80003004

	ErrcodeUpgNotInit              Errcode = 0x80003040
	ErrcodeUpgAlreadyInit          Errcode = 0x80003041
	ErrcodeUpgInvalidParameter     Errcode = 0x80003042
	ErrcodeUpgWrongImageNum        Errcode = 0x80003043
	ErrcodeUpgInvalidImageID       Errcode = 0x80003044
	ErrcodeUpgNullPointer          Errcode = 0x80003045
	ErrcodeUpgNotSupported         Errcode = 0x80003046
	ErrcodeUpgNotNeedToUpdate      Errcode = 0x80003047
	ErrcodeUpgFlashEraseError      Errcode = 0x80003048
	ErrcodeUpgFlashWriteError      Errcode = 0x80003049
	ErrcodeUpgFlagNotInited        Errcode = 0x80003050
	ErrcodeUpgNoEnoughSpace        Errcode = 0x80003051
	ErrcodeUpgPartitionAlignError  Errcode = 0x80003052
	ErrcodeUpgInvalidPrepareInfo   Errcode = 0x80003053
	ErrcodeUpgNotPrepared          Errcode = 0x80003054
	ErrcodeUpgInvalidBuffLen       Errcode = 0x80003055
	ErrcodeUpgInvalidOffset        Errcode = 0x80003056
	ErrcodeUpgFileOpenFail         Errcode = 0x80003057
	ErrcodeUpgFileWriteFail        Errcode = 0x80003058
	ErrcodeUpgFileSeekFail         Errcode = 0x80003059
	ErrcodeUpgFileReadFail         Errcode = 0x80003060
	ErrcodeUpgEmptyFile            Errcode = 0x80003061
	ErrcodeUpgDecompressFail       Errcode = 0x80003062
	ErrcodeUpgVerificationKeyError Errcode = 0x80003063
	ErrcodeUpgCheckFotaError       Errcode = 0x80003064
	ErrcodeUpgSetImgError          Errcode = 0x80003065
	ErrcodeUpgBackupUpdateError    Errcode = 0x80003066
	ErrcodeUpgRetryAllFail         Errcode = 0x80003067
	ErrcodeUpgVersionError         Errcode = 0x80003068

	// szErrorUnsupported is the LZMA SDK's SZ_ERROR_UNSUPPORTED, which
	// upg_lzma_init passes up unchanged for a bad properties byte.
	szErrorUnsupported Errcode = 4
)

// errcodeNames is the table of every named value, in header order.
var errcodeNames = []struct {
	code Errcode
	name string
}{
	{ErrcodeSucc, "ERRCODE_SUCC"},
	{ErrcodeFail, "ERRCODE_FAIL"},
	{ErrcodeInvalidParam, "ERRCODE_INVALID_PARAM"},
	{ErrcodeMalloc, "ERRCODE_MALLOC"},
	{ErrcodeSfcFlashTimeoutWaitReady, "ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY"},
	{ErrcodePartitionInitErr, "ERRCODE_PARTITION_INIT_ERR"},
	{ErrcodePartitionNotSupport, "ERRCODE_PARTITION_NOT_SUPPORT"},
	{ErrcodePartitionInvalidParams, "ERRCODE_PARTITION_INVALID_PARAMS"},
	{ErrcodePartitionConfigNotFound, "ERRCODE_PARTITION_CONFIG_NOT_FOUND"},
	{ErrcodeImageConfigNotFound, "ERRCODE_IMAGE_CONFIG_NOT_FOUND"},
	{ErrcodeUpgNotInit, "ERRCODE_UPG_NOT_INIT"},
	{ErrcodeUpgAlreadyInit, "ERRCODE_UPG_ALREADY_INIT"},
	{ErrcodeUpgInvalidParameter, "ERRCODE_UPG_INVALID_PARAMETER"},
	{ErrcodeUpgWrongImageNum, "ERRCODE_UPG_WRONG_IMAGE_NUM"},
	{ErrcodeUpgInvalidImageID, "ERRCODE_UPG_INVALID_IMAGE_ID"},
	{ErrcodeUpgNullPointer, "ERRCODE_UPG_NULL_POINTER"},
	{ErrcodeUpgNotSupported, "ERRCODE_UPG_NOT_SUPPORTED"},
	{ErrcodeUpgNotNeedToUpdate, "ERRCODE_UPG_NOT_NEED_TO_UPDATE"},
	{ErrcodeUpgFlashEraseError, "ERRCODE_UPG_FLASH_ERASE_ERROR"},
	{ErrcodeUpgFlashWriteError, "ERRCODE_UPG_FLASH_WRITE_ERROR"},
	{ErrcodeUpgFlagNotInited, "ERRCODE_UPG_FLAG_NOT_INITED"},
	{ErrcodeUpgNoEnoughSpace, "ERRCODE_UPG_NO_ENOUGH_SPACE"},
	{ErrcodeUpgPartitionAlignError, "ERRCODE_UPG_PARTITION_ALIGN_ERROR"},
	{ErrcodeUpgInvalidPrepareInfo, "ERRCODE_UPG_INVALID_PREPARE_INFO"},
	{ErrcodeUpgNotPrepared, "ERRCODE_UPG_NOT_PREPARED"},
	{ErrcodeUpgInvalidBuffLen, "ERRCODE_UPG_INVALID_BUFF_LEN"},
	{ErrcodeUpgInvalidOffset, "ERRCODE_UPG_INVALID_OFFSET"},
	{ErrcodeUpgFileOpenFail, "ERRCODE_UPG_FILE_OPEN_FAIL"},
	{ErrcodeUpgFileWriteFail, "ERRCODE_UPG_FILE_WRITE_FAIL"},
	{ErrcodeUpgFileSeekFail, "ERRCODE_UPG_FILE_SEEK_FAIL"},
	{ErrcodeUpgFileReadFail, "ERRCODE_UPG_FILE_READ_FAIL"},
	{ErrcodeUpgEmptyFile, "ERRCODE_UPG_EMPTY_FILE"},
	{ErrcodeUpgDecompressFail, "ERRCODE_UPG_DECOMPRESS_FAIL"},
	{ErrcodeUpgVerificationKeyError, "ERRCODE_UPG_VERIFICATION_KEY_ERROR"},
	{ErrcodeUpgCheckFotaError, "ERRCODE_UPG_CHECK_FOTA_ERROR"},
	{ErrcodeUpgSetImgError, "ERRCODE_UPG_SET_IMG_ERROR"},
	{ErrcodeUpgBackupUpdateError, "ERRCODE_UPG_BACKUP_UPDATE_ERROR"},
	{ErrcodeUpgRetryAllFail, "ERRCODE_UPG_RETRY_ALL_FAIL"},
	{ErrcodeUpgVersionError, "ERRCODE_UPG_VERSION_ERROR"},
}

// Errcodes returns every named errcode_t value, in the C header's order.
func Errcodes() []Errcode {
	out := make([]Errcode, len(errcodeNames))
	for i, e := range errcodeNames {
		out[i] = e.code
	}
	return out
}

// String returns the C name ("ERRCODE_UPG_NOT_INIT"), or "ERRCODE(0x…)"
// for a value the table does not name (e.g. a raw LZMA SDK SZ_* code).
func (c Errcode) String() string {
	for _, e := range errcodeNames {
		if e.code == c {
			return e.name
		}
	}
	return fmt.Sprintf("ERRCODE(0x%08X)", uint32(c))
}

// Error makes an Errcode usable as an error: "upg: ERRCODE_UPG_NOT_INIT (0x80003040)".
func (c Errcode) Error() string {
	return fmt.Sprintf("upg: %s (0x%08X)", c.String(), uint32(c))
}

// ParseErrcode parses a C name ("ERRCODE_UPG_NOT_INIT", case-insensitive),
// the String form "ERRCODE(0x…)", or a number ("0x80003040", "2147495488"),
// as scenario files write `expect error NAME`.
func ParseErrcode(s string) (Errcode, error) {
	t := strings.TrimSpace(s)
	for _, e := range errcodeNames {
		if strings.EqualFold(e.name, t) {
			return e.code, nil
		}
	}
	num := t
	if strings.HasPrefix(strings.ToUpper(num), "ERRCODE(") && strings.HasSuffix(num, ")") {
		num = num[len("ERRCODE(") : len(num)-1]
	}
	if v, err := strconv.ParseUint(num, 0, 32); err == nil {
		return Errcode(v), nil
	}
	return 0, fmt.Errorf("upg: unknown error code %q", s)
}

// Code maps an error to the errcode_t the emulated API returns: nil is
// ERRCODE_SUCC, an error wrapping an Errcode (errors.As) is that code, and
// anything else is ERRCODE_FAIL.
func Code(err error) Errcode {
	if err == nil {
		return ErrcodeSucc
	}
	var c Errcode
	if errors.As(err, &c) {
		return c
	}
	return ErrcodeFail
}

// codedError is a sentinel that carries the errcode_t the SDK returns for
// the same condition: errors.Is matches the sentinel, Code finds the code.
type codedError struct {
	msg  string
	code Errcode
}

func (e *codedError) Error() string { return e.msg }
func (e *codedError) Unwrap() error { return e.code }

func sentinel(msg string, code Errcode) error { return &codedError{msg: msg, code: code} }

// Package decoding (ReadPackage, the verifier's reads).
var (
	// ErrTruncated is returned when a record or a region a record points
	// to lies (partly) beyond the end of the package.
	ErrTruncated = sentinel("upg: package truncated", ErrcodeFail)
	// ErrTooManyImages is returned when image_num exceeds MaxImages
	// (the device's uapi_upg_request_upgrade / uapi_upg_start answer
	// ERRCODE_UPG_WRONG_IMAGE_NUM).
	ErrTooManyImages = sentinel("upg: too many images", ErrcodeUpgWrongImageNum)
	// ErrRecordSize is returned by UnmarshalBinary when given a slice of
	// the wrong length.
	ErrRecordSize = errors.New("upg: wrong record size")
)

// fota.cfg reading.
var (
	// ErrConfig is returned (wrapped in a *ConfigError naming the file and
	// line) when a fota.cfg is malformed, has an unknown section, lacks a
	// required key or holds a bad number.
	ErrConfig = errors.New("upg: bad fota.cfg")
)

// Packing (the rules of build_ws63_update.py and build_upg_pkg.py).
var (
	// ErrPkt is returned when --pkt names an unknown image or a packed
	// image has no input data.
	ErrPkt = errors.New("upg: bad package contents")
	// ErrNVWithoutApp is returned when nv is packed without the
	// application ("The NV cannot be packed separately").
	ErrNVWithoutApp = errors.New("upg: nv cannot be packed without the application")
	// ErrResDataWithoutIndex is returned when res_data is packed without
	// res_index (check_image_key).
	ErrResDataWithoutIndex = errors.New("upg: res_data cannot be packed without res_index")
	// ErrVersionTooLong is returned when --ver is longer than MaxVerLen
	// characters (UserAreaLen with PackOptions.LongVer or Images).
	ErrVersionTooLong = errors.New("upg: version string too long")
	// ErrImageID is returned when the key and info area image ids differ
	// or two packed sections share an image id (check_fota_image_id).
	ErrImageID = errors.New("upg: conflicting image ids")
	// ErrMissingKey is returned when ECDSA signing is asked for without
	// the root key or the sub key.
	ErrMissingKey = errors.New("upg: signing key missing")
	// ErrUnsupported is returned for what only the SDK's closed sign tool
	// can make: diff images, real encryption, SM2/RSA signatures.
	ErrUnsupported = sentinel("upg: not supported", ErrcodeUpgNotSupported)
)

// LZMA payloads (upg_lzma_init / upg_lzma_decode).
var (
	// ErrLZMAHeader is returned when a 16-byte payload header is short or
	// has non-zero bytes where the device needs zeros (9..15).
	ErrLZMAHeader = sentinel("upg: bad LZMA header", ErrcodeUpgDecompressFail)
	// ErrLZMAProps is returned when the properties byte is invalid
	// (≥ 225); LzmaDec_AllocateProbs returns SZ_ERROR_UNSUPPORTED (4) and
	// the device passes that number up unchanged.
	ErrLZMAProps = sentinel("upg: bad LZMA properties", szErrorUnsupported)
	// ErrLZMASize is returned when the header's uncompressed size is 0
	// (ERRCODE_UPG_INVALID_PARAMETER).
	ErrLZMASize = sentinel("upg: LZMA uncompressed size is 0", ErrcodeUpgInvalidParameter)
	// ErrNoSpace is returned when the uncompressed size exceeds the target
	// (ERRCODE_UPG_NO_ENOUGH_SPACE).
	ErrNoSpace = sentinel("upg: LZMA image larger than its partition", ErrcodeUpgNoEnoughSpace)
	// ErrDecompress is returned when the LZMA stream is corrupt or ends
	// early (ERRCODE_UPG_DECOMPRESS_FAIL).
	ErrDecompress = sentinel("upg: LZMA decompression failed", ErrcodeUpgDecompressFail)
)

// AB scheme (ab.go, docs/sdk-mapping.md §5).
var (
	// ErrABLayout is returned when the partition table lacks partitions
	// 0x20 and 0x21 or they cannot hold two regions and the config page
	// (the SDK's region functions then answer ERRCODE_FAIL or 0).
	ErrABLayout = sentinel("upg: no AB layout in the partition table", ErrcodeFail)
	// ErrABBounds is returned by ABImageRead and ABImageWrite when the
	// region is not A or B or off+len runs past its end
	// (ERRCODE_INVALID_PARAM).
	ErrABBounds = sentinel("upg: AB access outside the region", ErrcodeInvalidParam)
	// ErrABSameRegion is returned by SetRunRegion when the config page
	// already names that region (ERRCODE_INVALID_PARAM).
	ErrABSameRegion = sentinel("upg: the run region is already the one asked for", ErrcodeInvalidParam)
	// ErrABStartRegion is returned by ABStart for a region that is not A
	// or B — or, with Options.ABStartSDKBug, for A and B, as the shipped
	// SDK's inverted check does (ERRCODE_INVALID_PARAM).
	ErrABStartRegion = sentinel("upg: ab start refused the region", ErrcodeInvalidParam)
	// ErrABAlign is returned by RegionErase when a region's address or
	// size is not 4 KiB aligned (ERRCODE_INVALID_PARAM).
	ErrABAlign = sentinel("upg: AB region not 4 KiB aligned", ErrcodeInvalidParam)
	// ErrABConfigWrite is returned when the config page could not be
	// rewritten in ABConfigTries attempts (ERRCODE_UPG_FLASH_WRITE_ERROR).
	ErrABConfigWrite = sentinel("upg: AB config page write failed", ErrcodeUpgFlashWriteError)
)

// Recovery-path models (compat.go, encrypt.go) and anti-rollback packing.
var (
	// ErrSDKVersion is returned by ParseSDK when a version is not A.B.C.
	ErrSDKVersion = errors.New("upg: bad SDK version")
	// ErrNoFlashKey is returned by ReEncrypt's function when an encrypted
	// application image is written on a device without a provisioned
	// efuse flash key: the key ladder fails (ERRCODE_FAIL).
	ErrNoFlashKey = sentinel("upg: no flash encryption key in efuse", ErrcodeFail)
	// ErrVersionExt is returned by Pack when a section's version_ext is not
	// a run of ones from bit 0 (0, 1, 3, 7, …: the guide's 防回滚号 rule);
	// it also wraps image.ErrVersionExtNotRun.
	ErrVersionExt = errors.New("upg: version_ext is not a run of ones from bit 0")
)

// FormatError reports a malformed package at a byte offset.
type FormatError struct {
	Off int64  // byte offset in the package
	Msg string // what is wrong
	Err error  // the sentinel it wraps (ErrTruncated, ErrTooManyImages, …)
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("upg: offset %d (0x%x): %s", e.Off, e.Off, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// ConfigError reports a fota.cfg problem at a line (0: the whole file).
type ConfigError struct {
	Name string // file name as given to ParseConfig
	Line int    // 1-based line number, 0 when no line applies
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("upg: %s:%d: %s", e.Name, e.Line, e.Msg)
	}
	return fmt.Sprintf("upg: %s: %s", e.Name, e.Msg)
}

func (e *ConfigError) Unwrap() error { return ErrConfig }
