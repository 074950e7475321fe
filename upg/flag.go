package upg

import (
	"encoding/binary"
	"fmt"
)

// Flag area: fota_upgrade_flag_area_t (docs/sdk-mapping.md §3.3), 108 bytes at the start of
// the last 4 KiB of the fota partition. Every update is an in-place program
// of erased NOR (bits only go 1→0); the area is erased by Prepare and
// ResetUpgradeFlag only.
const (
	FlagAreaLen    = 108
	FlagTailLen    = 0x3000 // status + buffer + flag areas at the end of the fota partition
	FlagHeadMagic  = 0x55AA55AA
	FlagEndMagic   = 0xAA55AA55
	flagPageOffset = 0x1000 // the flag area starts at fota_end − 0x1000

	// Offsets of the fields inside the flag area.
	flagOffHeadMagic     = 0
	flagOffBeforeOffset  = 4
	flagOffPackageLength = 8
	flagOffFirmwareNum   = 12
	flagOffFirmwareFlag  = 16
	flagOffNVFlag        = 76
	flagOffVerChange     = 79
	flagOffUpdateResult  = 80
	flagOffNVDataOffset  = 84
	flagOffNVDataLen     = 88
	flagOffNVHashOffset  = 92
	flagOffNVHashLen     = 96
	flagOffCompleteFlag  = 100
	flagOffEndMagic      = 104

	// Retry bytes of one image (three per image).
	retryNotStarted = 0xFF
	retryStarted    = 0x0F
	retryConsumed   = 0x00

	// complete_flag values.
	completePending  = 0xFFFFFFFF
	completeHalf     = 0x0000FFFF
	completeFinished = 0
)

// ImageStatus is the state derived from an image's three retry bytes.
type ImageStatus int

// Image states (upg_common.c).
const (
	ImageNotStarted ImageStatus = iota
	ImageStarted
	ImageRetry
	ImageFinished
	ImageInvalid
)

func (s ImageStatus) String() string {
	switch s {
	case ImageNotStarted:
		return "NOT_STARTED"
	case ImageStarted:
		return "STARTED"
	case ImageRetry:
		return "RETRY"
	case ImageFinished:
		return "FINISHED"
	}
	return "INVALID"
}

// Flag is the decoded flag area.
type Flag struct {
	HeadMagic     uint32
	BeforeOffset  uint32
	PackageLength uint32
	FirmwareNum   uint32
	FirmwareFlag  [MaxImages][3]byte
	NVFlag        [3]byte
	VerChangeFlag byte
	UpdateResult  uint32
	NVDataOffset  uint32
	NVDataLen     uint32
	NVHashOffset  uint32
	NVHashLen     uint32
	CompleteFlag  uint32
	EndMagic      uint32
}

// MarshalBinary encodes the flag area (FlagAreaLen bytes).
func (f *Flag) MarshalBinary() ([]byte, error) {
	b := make([]byte, FlagAreaLen)
	le := binary.LittleEndian
	le.PutUint32(b[flagOffHeadMagic:], f.HeadMagic)
	le.PutUint32(b[flagOffBeforeOffset:], f.BeforeOffset)
	le.PutUint32(b[flagOffPackageLength:], f.PackageLength)
	le.PutUint32(b[flagOffFirmwareNum:], f.FirmwareNum)
	for i := range f.FirmwareFlag {
		copy(b[flagOffFirmwareFlag+3*i:], f.FirmwareFlag[i][:])
	}
	copy(b[flagOffNVFlag:], f.NVFlag[:])
	b[flagOffVerChange] = f.VerChangeFlag
	le.PutUint32(b[flagOffUpdateResult:], f.UpdateResult)
	le.PutUint32(b[flagOffNVDataOffset:], f.NVDataOffset)
	le.PutUint32(b[flagOffNVDataLen:], f.NVDataLen)
	le.PutUint32(b[flagOffNVHashOffset:], f.NVHashOffset)
	le.PutUint32(b[flagOffNVHashLen:], f.NVHashLen)
	le.PutUint32(b[flagOffCompleteFlag:], f.CompleteFlag)
	le.PutUint32(b[flagOffEndMagic:], f.EndMagic)
	return b, nil
}

// UnmarshalBinary decodes a flag area.
func (f *Flag) UnmarshalBinary(b []byte) error {
	if len(b) < FlagAreaLen {
		return &FormatError{Off: int64(len(b)), Msg: fmt.Sprintf("flag area is %d bytes, want %d", len(b), FlagAreaLen)}
	}
	le := binary.LittleEndian
	f.HeadMagic = le.Uint32(b[flagOffHeadMagic:])
	f.BeforeOffset = le.Uint32(b[flagOffBeforeOffset:])
	f.PackageLength = le.Uint32(b[flagOffPackageLength:])
	f.FirmwareNum = le.Uint32(b[flagOffFirmwareNum:])
	for i := range f.FirmwareFlag {
		copy(f.FirmwareFlag[i][:], b[flagOffFirmwareFlag+3*i:])
	}
	copy(f.NVFlag[:], b[flagOffNVFlag:])
	f.VerChangeFlag = b[flagOffVerChange]
	f.UpdateResult = le.Uint32(b[flagOffUpdateResult:])
	f.NVDataOffset = le.Uint32(b[flagOffNVDataOffset:])
	f.NVDataLen = le.Uint32(b[flagOffNVDataLen:])
	f.NVHashOffset = le.Uint32(b[flagOffNVHashOffset:])
	f.NVHashLen = le.Uint32(b[flagOffNVHashLen:])
	f.CompleteFlag = le.Uint32(b[flagOffCompleteFlag:])
	f.EndMagic = le.Uint32(b[flagOffEndMagic:])
	return nil
}

// UpgradeNeeded is the predicate flashboot and Start use (docs/sdk-mapping.md §3.3).
func (f *Flag) UpgradeNeeded() bool {
	return f.HeadMagic == FlagHeadMagic && f.EndMagic == FlagEndMagic && f.CompleteFlag != completeFinished
}

// RetryStatus derives an image's state from its three retry bytes.
func RetryStatus(t [3]byte) ImageStatus {
	switch t {
	case [3]byte{0, 0, 0}:
		return ImageFinished
	case [3]byte{0xFF, 0xFF, 0xFF}:
		return ImageNotStarted
	}
	for _, b := range t {
		switch b {
		case retryConsumed:
			continue
		case retryStarted:
			return ImageStarted
		case retryNotStarted:
			return ImageRetry
		default:
			return ImageInvalid
		}
	}
	return ImageInvalid
}

// retryStart returns the bytes after marking the attempt started: the first
// non-zero byte, if 0xFF, becomes 0x0F. ok is false when nothing changes.
func retryStart(t [3]byte) (out [3]byte, ok bool) {
	out = t
	for i, b := range t {
		if b == retryConsumed {
			continue
		}
		if b == retryNotStarted {
			out[i] = retryStarted
			return out, true
		}
		return out, false
	}
	return out, false
}

// retryFail consumes the started attempt: the first non-zero byte, if 0x0F,
// becomes 0x00. last reports that this was the third attempt.
func retryFail(t [3]byte) (out [3]byte, last, ok bool) {
	out = t
	for i, b := range t {
		if b == retryConsumed {
			continue
		}
		if b == retryStarted {
			out[i] = retryConsumed
			return out, i == 2, true
		}
		return out, false, false
	}
	return out, false, false
}

// retryFinish marks the image finished: the first non-zero byte and all
// following become 0x00.
func retryFinish(t [3]byte) [3]byte { return [3]byte{} }

// firstNonZero is the index of the first retry byte not yet consumed (3
// when all are 0x00).
func firstNonZero(t [3]byte) int {
	for i, b := range t {
		if b != retryConsumed {
			return i
		}
	}
	return 3
}

// Retry-byte transitions (upg_set_firmware_update_status).
type retrySwitch int

const (
	switchStarted  retrySwitch = iota // the first non-zero byte, if 0xFF, becomes 0x0F
	switchRetry                       // the first non-zero byte, if 0x0F, becomes 0x00
	switchFinished                    // the first non-zero byte and all after it become 0x00
)

// setRetry applies a transition to the three retry bytes at flag offset
// off (*t holds their current value) and programs only the bytes the SDK
// writes: the one byte for STARTED and RETRY, the first non-zero byte and
// those after it for FINISHED. last reports that the byte changed was the
// third one, which the SDK takes as RETRY_ALL_FAILED, for a failure and
// for a success alike.
func (u *Upg) setRetry(off uint32, t *[3]byte, s retrySwitch) (last bool, err error) {
	i := firstNonZero(*t)
	var out [3]byte
	var ok bool
	switch s {
	case switchStarted:
		out, ok = retryStart(*t)
	case switchRetry:
		out, _, ok = retryFail(*t)
	case switchFinished:
		out, ok = retryFinish(*t), i < 3
	}
	if !ok {
		return false, nil
	}
	end := i + 1
	if s == switchFinished {
		end = 3
	}
	if err := u.writeFlag(off+uint32(i), out[i:end]); err != nil {
		return false, err
	}
	*t = out
	return i == 2 && s != switchStarted, nil
}

// byteSuffix names a retry byte after the first ("[1]", "[2]").
func byteSuffix(i uint32) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf("[%d]", i)
}

// FlagField names a flag-area field for traces.
func FlagField(off uint32) string {
	switch {
	case off == flagOffHeadMagic:
		return "head_magic"
	case off == flagOffBeforeOffset:
		return "head_before_offset"
	case off == flagOffPackageLength:
		return "package_length"
	case off == flagOffFirmwareNum:
		return "firmware_num"
	case off >= flagOffFirmwareFlag && off < flagOffNVFlag:
		return fmt.Sprintf("firmware_flag[%d]", (off-flagOffFirmwareFlag)/3) + byteSuffix((off-flagOffFirmwareFlag)%3)
	case off >= flagOffNVFlag && off < flagOffVerChange:
		return "nv_flag" + byteSuffix(off-flagOffNVFlag)
	case off == flagOffVerChange:
		return "ver_change_flag"
	case off == flagOffUpdateResult:
		return "update_result"
	case off == flagOffNVDataOffset:
		return "nv_data_offset"
	case off == flagOffNVDataLen:
		return "nv_data_len"
	case off == flagOffNVHashOffset:
		return "nv_hash_offset"
	case off == flagOffNVHashLen:
		return "nv_hash_len"
	case off == flagOffCompleteFlag:
		return "complete_flag"
	case off == flagOffEndMagic:
		return "head_end_magic"
	}
	return fmt.Sprintf("flag+%d", off)
}
