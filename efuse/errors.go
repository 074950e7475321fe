package efuse

import (
	"errors"
	"fmt"
)

// Errors from Burn and BurnU32. Nothing is burned when one is returned.
var (
	// ErrClearBit is returned when a burn would need a bit that is already
	// 1 to become 0: efuse bits only ever go 0→1.
	ErrClearBit = errors.New("efuse: cannot clear a burned bit")

	// ErrLength is returned when the value given to Burn is not exactly the
	// field's length in bytes.
	ErrLength = errors.New("efuse: value length does not match the field")

	// ErrTooWide is returned when the value given to BurnU32 does not fit in
	// the field (e.g. above 0xFF for an 8-bit field).
	ErrTooWide = errors.New("efuse: value does not fit the field")
)

// Errors about fields.
var (
	// ErrUnknownField is returned for a Field that is not one of the
	// declared constants, or by ParseField for an unknown name.
	ErrUnknownField = errors.New("efuse: unknown field")

	// ErrNotWord is returned by ReadU32 and BurnU32 for a field wider than
	// 32 bits.
	ErrNotWord = errors.New("efuse: field is wider than 32 bits")
)

// Errors from UnmarshalBinary.
var (
	// ErrSize is returned (wrapped in a *FormatError) when the encoded bank
	// is not exactly Size bytes.
	ErrSize = errors.New("efuse: encoded bank is not 256 bytes")
)

// FormatError reports an encoded bank that cannot be decoded: the byte
// offset and what is wrong. It unwraps to a sentinel.
type FormatError struct {
	Off int64
	Msg string
	Err error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("efuse: offset %d: %s", e.Off, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }
