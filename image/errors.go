package image

import (
	"errors"
	"fmt"
)

// Key errors.
var (
	// ErrBadKey is returned when a PEM key file cannot be decoded as a
	// brainpoolP256r1 private key.
	ErrBadKey = errors.New("image: bad key")
	// ErrBadPrivateKey is returned when a private scalar is out of range.
	ErrBadPrivateKey = errors.New("image: private scalar out of range")
	// ErrKeyNotOnCurve is returned when a raw X ‖ Y key is not a curve point.
	ErrKeyNotOnCurve = errors.New("image: public key is not on brainpoolP256r1")
)

// Record errors.
var (
	// ErrRecordSize is returned when a key area or code info is decoded
	// from a buffer of the wrong length.
	ErrRecordSize = errors.New("image: wrong record size")
	// ErrKind is returned when a kind name or value is not app, flashboot or
	// flashboot-backup.
	ErrKind = errors.New("image: unknown image kind")
)

// Parse errors, in the order Parse checks them.
var (
	// ErrTruncated is returned when the input ends inside the 0x300-byte
	// header.
	ErrTruncated = errors.New("image: truncated header")
	// ErrUnknownImageID is returned when the key-area image id is not the
	// app, flashboot or flashboot-backup id.
	ErrUnknownImageID = errors.New("image: unknown key area image id")
	// ErrStructLength is returned when a key area's structure_length is not
	// 0x100 or a code info's is not 0x200.
	ErrStructLength = errors.New("image: bad structure length")
	// ErrCodeLength is returned when code_area_len runs past the end of the
	// input (file or partition) or past MaxLen.
	ErrCodeLength = errors.New("image: code area length out of bounds")
	// ErrBodyHash is returned (by Parse and Verify) when SHA-256 of the code
	// area differs from code_area_hash: fatal even with secure boot off.
	ErrBodyHash = errors.New("image: code area hash mismatch")
)

// Verification errors (secure boot on), in the order Verify checks them.
var (
	// ErrImageID is returned when the key-area or code-info image id is not
	// the one of the image's kind.
	ErrImageID = errors.New("image: image id does not match the image kind")
	// ErrKeyAreaSig is returned when the key-area ECDSA signature does not
	// verify under the parent key.
	ErrKeyAreaSig = errors.New("image: key area signature invalid")
	// ErrCodeInfoSig is returned when the code-info ECDSA signature does not
	// verify under the key area's external public key.
	ErrCodeInfoSig = errors.New("image: code info signature invalid")
	// ErrRollback is returned when popcount(version & mask) is below
	// popcount(efuse version & mask) for the key area or the code info.
	ErrRollback = errors.New("image: version below the efuse anti-rollback version")
	// ErrMSID is returned when (msid & mask) differs from (efuse msid & mask).
	ErrMSID = errors.New("image: MSID does not match the efuse MSID")
	// ErrDieID is returned when maintenance_mode is set and the key area's
	// die id differs from the efuse die id.
	ErrDieID = errors.New("image: die id does not match the efuse die id")
)

// Build errors.
var (
	// ErrBadOptions is returned when BuildOptions cannot make an image.
	ErrBadOptions = errors.New("image: bad build options")
	// ErrVersionExtNotRun is returned when an anti-rollback version is not a
	// run of ones from bit 0 (0, 1, 3, 7, …).
	ErrVersionExtNotRun = errors.New("image: version_ext is not a run of ones from bit 0")
)

// FormatError reports malformed input at a byte offset.
type FormatError struct {
	Off int64  // byte offset in the input
	Msg string // what is wrong
	Err error  // the sentinel it wraps
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("image: offset %d (0x%x): %s", e.Off, e.Off, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }
