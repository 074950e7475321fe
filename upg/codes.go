package upg

import (
	"fmt"
	"strconv"
	"strings"
)

// Result is upg_result_t (upg.h, docs/sdk-mapping.md §3.4): the outcome of an upgrade as
// stored in the flag area's update_result and reported by
// uapi_upg_get_result. With the WS63 build options only UpdateSuccess,
// VerifyHeadFailed, VerifyHashTableFailed, VerifyImageFailed and
// RetryAllFailed can actually be produced.
type Result uint32

// The upg_result_t values.
const (
	ResultUpdateSuccess         Result = 0
	ResultVerifyHeadFailed      Result = 1
	ResultVerifyHashTableFailed Result = 2
	ResultVerifyImageFailed     Result = 3
	ResultVerifyOldImageFailed  Result = 4
	ResultDecompressImageFailed Result = 5
	ResultDecryptImageFailed    Result = 6
	ResultRecryptImageFailed    Result = 7
	ResultDiffImageFailed       Result = 8
	ResultUpdateImageFailed     Result = 9
	ResultProcessNVFailed       Result = 10
	ResultVerifyVersionFailed   Result = 11
	ResultImageIDFailed         Result = 12
	ResultRetryAllFailed        Result = 13
	ResultMax                   Result = 14 // UPG_RESULT_MAX: what uapi_upg_init sets the RAM temporary result to (0 before)
)

var resultNames = [...]string{
	ResultUpdateSuccess:         "UPDATE_SUCCESS",
	ResultVerifyHeadFailed:      "VERIFY_HEAD_FAILED",
	ResultVerifyHashTableFailed: "VERIFY_HASH_TABLE_FAILED",
	ResultVerifyImageFailed:     "VERIFY_IMAGE_FAILED",
	ResultVerifyOldImageFailed:  "VERIFY_OLD_IMAGE_FAILED",
	ResultDecompressImageFailed: "DECOMPRESS_IMAGE_FAILED",
	ResultDecryptImageFailed:    "DECRYPT_IMAGE_FAILED",
	ResultRecryptImageFailed:    "RECRYPT_IMAGE_FAILED",
	ResultDiffImageFailed:       "DIFF_IMAGE_FAILED",
	ResultUpdateImageFailed:     "UPDATE_IMAGE_FAILED",
	ResultProcessNVFailed:       "PROCESS_NV_FAILED",
	ResultVerifyVersionFailed:   "VERIFY_VERSION_FAILED",
	ResultImageIDFailed:         "IMAGE_ID_FAILED",
	ResultRetryAllFailed:        "RETRY_ALL_FAILED",
	ResultMax:                   "MAX",
}

// String returns the name without the UPG_RESULT_ prefix ("VERIFY_HEAD_FAILED"),
// or "Result(N)" for a value outside the enum (an erased flag reads 0xFFFFFFFF).
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", uint32(r))
}

// ParseResult parses a name with or without the UPG_RESULT_ prefix
// (case-insensitive) or a number.
func ParseResult(s string) (Result, error) {
	t := strings.TrimSpace(s)
	u := strings.TrimPrefix(strings.ToUpper(t), "UPG_RESULT_")
	for i, n := range resultNames {
		if n == u {
			return Result(i), nil
		}
	}
	if v, err := strconv.ParseUint(t, 0, 32); err == nil {
		return Result(v), nil
	}
	return 0, fmt.Errorf("upg: unknown upgrade result %q", s)
}

// Status is upg_status_t, what uapi_upg_get_status reports (docs/sdk-mapping.md §3.4).
type Status uint32

// The upg_status_t values.
const (
	StatusSucc     Status = 0
	StatusFail     Status = 1
	StatusUpdating Status = 2
	StatusNone     Status = 3
)

var statusNames = [...]string{StatusSucc: "SUCC", StatusFail: "FAIL", StatusUpdating: "UPDATING", StatusNone: "NONE"}

// String returns the name without the UPG_STATUS_ prefix ("UPDATING").
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint32(s))
}

// ParseStatus parses a name with or without the UPG_STATUS_ prefix, or a number.
func ParseStatus(s string) (Status, error) {
	t := strings.TrimSpace(s)
	u := strings.TrimPrefix(strings.ToUpper(t), "UPG_STATUS_")
	for i, n := range statusNames {
		if n == u {
			return Status(i), nil
		}
	}
	if v, err := strconv.ParseUint(t, 0, 32); err == nil {
		return Status(v), nil
	}
	return 0, fmt.Errorf("upg: unknown upgrade status %q", s)
}
