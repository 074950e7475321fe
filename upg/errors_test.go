package upg

import (
	"errors"
	"fmt"
	"testing"
)

// specErrcodes is docs/sdk-mapping.md §3.5's table, typed in from the spec independently
// of errors.go.
var specErrcodes = map[string]uint32{
	"ERRCODE_SUCC": 0, "ERRCODE_FAIL": 0xFFFFFFFF, "ERRCODE_MALLOC": 0x80000005, "ERRCODE_INVALID_PARAM": 0x80000001,
	"ERRCODE_PARTITION_INIT_ERR": 0x80003000, "ERRCODE_PARTITION_NOT_SUPPORT": 0x80003001,
	"ERRCODE_PARTITION_INVALID_PARAMS": 0x80003002, "ERRCODE_PARTITION_CONFIG_NOT_FOUND": 0x80003003,
	"ERRCODE_IMAGE_CONFIG_NOT_FOUND": 0x80003004,
	"ERRCODE_UPG_NOT_INIT":           0x80003040, "ERRCODE_UPG_ALREADY_INIT": 0x80003041,
	"ERRCODE_UPG_INVALID_PARAMETER": 0x80003042, "ERRCODE_UPG_WRONG_IMAGE_NUM": 0x80003043,
	"ERRCODE_UPG_INVALID_IMAGE_ID": 0x80003044, "ERRCODE_UPG_NULL_POINTER": 0x80003045,
	"ERRCODE_UPG_NOT_SUPPORTED": 0x80003046, "ERRCODE_UPG_NOT_NEED_TO_UPDATE": 0x80003047,
	"ERRCODE_UPG_FLASH_ERASE_ERROR": 0x80003048, "ERRCODE_UPG_FLASH_WRITE_ERROR": 0x80003049,
	"ERRCODE_UPG_FLAG_NOT_INITED": 0x80003050, "ERRCODE_UPG_NO_ENOUGH_SPACE": 0x80003051,
	"ERRCODE_UPG_PARTITION_ALIGN_ERROR": 0x80003052, "ERRCODE_UPG_INVALID_PREPARE_INFO": 0x80003053,
	"ERRCODE_UPG_NOT_PREPARED": 0x80003054, "ERRCODE_UPG_INVALID_BUFF_LEN": 0x80003055,
	"ERRCODE_UPG_INVALID_OFFSET": 0x80003056, "ERRCODE_UPG_FILE_OPEN_FAIL": 0x80003057,
	"ERRCODE_UPG_FILE_WRITE_FAIL": 0x80003058, "ERRCODE_UPG_FILE_SEEK_FAIL": 0x80003059,
	"ERRCODE_UPG_FILE_READ_FAIL": 0x80003060, "ERRCODE_UPG_EMPTY_FILE": 0x80003061,
	"ERRCODE_UPG_DECOMPRESS_FAIL": 0x80003062, "ERRCODE_UPG_VERIFICATION_KEY_ERROR": 0x80003063,
	"ERRCODE_UPG_CHECK_FOTA_ERROR": 0x80003064, "ERRCODE_UPG_SET_IMG_ERROR": 0x80003065,
	"ERRCODE_UPG_BACKUP_UPDATE_ERROR": 0x80003066, "ERRCODE_UPG_RETRY_ALL_FAIL": 0x80003067,
	"ERRCODE_UPG_VERSION_ERROR": 0x80003068,
	// Not in the table but in §3.3 and §3.5's text: the SFC driver's only
	// flash failure, passed up unchanged by the FOTA paths.
	"ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY": 0x80001344,
}

func TestErrcodeTable(t *testing.T) {
	all := Errcodes()
	if len(all) != len(specErrcodes) {
		t.Errorf("%d named codes, spec lists %d", len(all), len(specErrcodes))
	}
	seen := map[Errcode]bool{}
	for _, c := range all {
		if seen[c] {
			t.Errorf("%v listed twice", c)
		}
		seen[c] = true
		want, ok := specErrcodes[c.String()]
		if !ok {
			t.Errorf("%v is not in the spec table", c)
		} else if uint32(c) != want {
			t.Errorf("%v = 0x%08X, spec says 0x%08X", c, uint32(c), want)
		}
		// Every name round trips, in any case, and so does the number.
		for _, s := range []string{c.String(), fmt.Sprintf("0x%08x", uint32(c)), " " + c.String() + " "} {
			got, err := ParseErrcode(s)
			if err != nil || got != c {
				t.Errorf("ParseErrcode(%q) = %v, %v; want %v", s, got, err, c)
			}
		}
	}
	if got, _ := ParseErrcode("errcode_upg_not_init"); got != ErrcodeUpgNotInit {
		t.Errorf("ParseErrcode is case-sensitive")
	}
	odd := Errcode(4)
	if odd.String() != "ERRCODE(0x00000004)" {
		t.Errorf("unnamed code String = %q", odd.String())
	}
	if got, err := ParseErrcode(odd.String()); err != nil || got != odd {
		t.Errorf("ParseErrcode(%q) = %v, %v", odd.String(), got, err)
	}
	if _, err := ParseErrcode("ERRCODE_NOPE"); err == nil {
		t.Errorf("ParseErrcode accepted an unknown name")
	}
	if ErrcodeUpgNotInit.Error() != "upg: ERRCODE_UPG_NOT_INIT (0x80003040)" {
		t.Errorf("Error() = %q", ErrcodeUpgNotInit.Error())
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want Errcode
	}{
		{"nil", nil, ErrcodeSucc},
		{"bare code", ErrcodeUpgNotInit, ErrcodeUpgNotInit},
		{"wrapped code", fmt.Errorf("ctx: %w", ErrcodeUpgNoEnoughSpace), ErrcodeUpgNoEnoughSpace},
		{"sentinel", ErrTooManyImages, ErrcodeUpgWrongImageNum},
		{"wrapped sentinel", fmt.Errorf("x: %w", ErrLZMASize), ErrcodeUpgInvalidParameter},
		{"format error", &FormatError{Err: ErrTruncated}, ErrcodeFail},
		{"verify error", &VerifyError{Code: ErrcodeUpgInvalidImageID}, ErrcodeUpgInvalidImageID},
		{"plain error", errors.New("boom"), ErrcodeFail},
		{"lzma props", ErrLZMAProps, Errcode(4)},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("%s: Code = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", ErrNoSpace), ErrNoSpace) {
		t.Errorf("sentinels must match with errors.Is")
	}
}

func TestResultNames(t *testing.T) {
	want := []string{"UPDATE_SUCCESS", "VERIFY_HEAD_FAILED", "VERIFY_HASH_TABLE_FAILED", "VERIFY_IMAGE_FAILED",
		"VERIFY_OLD_IMAGE_FAILED", "DECOMPRESS_IMAGE_FAILED", "DECRYPT_IMAGE_FAILED", "RECRYPT_IMAGE_FAILED",
		"DIFF_IMAGE_FAILED", "UPDATE_IMAGE_FAILED", "PROCESS_NV_FAILED", "VERIFY_VERSION_FAILED",
		"IMAGE_ID_FAILED", "RETRY_ALL_FAILED", "MAX"}
	for i, n := range want {
		r := Result(i)
		if r.String() != n {
			t.Errorf("Result(%d) = %q, want %q", i, r.String(), n)
		}
		for _, s := range []string{n, "UPG_RESULT_" + n, fmt.Sprint(i)} {
			if got, err := ParseResult(s); err != nil || got != r {
				t.Errorf("ParseResult(%q) = %v, %v", s, got, err)
			}
		}
	}
	if ResultRetryAllFailed != 13 || ResultMax != 14 {
		t.Errorf("enum values drifted")
	}
	if Result(0xFFFFFFFF).String() != "Result(4294967295)" {
		t.Errorf("out-of-range result String")
	}
	if _, err := ParseResult("BOGUS"); err == nil {
		t.Errorf("ParseResult accepted BOGUS")
	}
	for i, n := range []string{"SUCC", "FAIL", "UPDATING", "NONE"} {
		s := Status(i)
		if s.String() != n {
			t.Errorf("Status(%d) = %q", i, s)
		}
		if got, err := ParseStatus("upg_status_" + n); err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %v, %v", n, got, err)
		}
	}
	if _, err := ParseStatus("x"); err == nil {
		t.Errorf("ParseStatus accepted x")
	}
}
