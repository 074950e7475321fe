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
