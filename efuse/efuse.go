package efuse

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Size is the efuse array size in bytes: 2048 bits, as on the WS63
// (EFUSE_REGION_MAX_BITS, one region).
const Size = 256

// Field names one modelled efuse item.
type Field int

// The modelled fields. Offsets and widths are those of the WS63 SDK's
// efuse table (drivers/chips/ws63/porting/efuse/efuse_porting.c,
// g_efuse_cfg) except where the package documentation says otherwise.
const (
	FlashbootVersion Field = iota + 1 // flashboot anti-rollback bits: bit 656, 8 bits
	AppVersion                        // app ("mcu ver") anti-rollback bits: bit 624, 32 bits
	RootKeyHash                       // SHA-256 of the root public key area: bit 672, 256 bits
	SecureVerify                      // secure-verify enable, on when non-zero: bit 960, 8 bits
	MSID                              // market segment id: bit 928, 32 bits
	DieID                             // die id: bit 8, 128 bits (first 16 of the SDK's 20 bytes)
	AESKey                            // emulator model: bit 384, 128 bits (not an SDK item)
	ParamsVersion                     // params anti-rollback bits: bit 664, 8 bits
)

type fieldInfo struct {
	name string
	bit  int // start bit (a multiple of 8)
	bits int // width (a multiple of 8)
}

var fields = [...]fieldInfo{
	FlashbootVersion: {"flashboot-version", 656, 8},
	AppVersion:       {"app-version", 624, 32},
	RootKeyHash:      {"root-key-hash", 672, 256},
	SecureVerify:     {"secure-verify", 960, 8},
	MSID:             {"msid", 928, 32},
	DieID:            {"die-id", 8, 128},
	AESKey:           {"aes-key", 384, 128},
	ParamsVersion:    {"params-version", 664, 8},
}

// Fields returns every modelled field, in Field order.
func Fields() []Field {
	out := make([]Field, 0, len(fields)-1)
	for f := FlashbootVersion; int(f) < len(fields); f++ {
		out = append(out, f)
	}
	return out
}

// Valid reports whether f is one of the declared fields.
func (f Field) Valid() bool { return f >= FlashbootVersion && int(f) < len(fields) }

func (f Field) String() string {
	if !f.Valid() {
		return "Field(" + strconv.Itoa(int(f)) + ")"
	}
	return fields[f].name
}

// ParseField returns the field whose String is s.
func ParseField(s string) (Field, error) {
	for _, f := range Fields() {
		if f.String() == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownField, s)
}

// BitOffset returns the field's first bit in the efuse array (0 if invalid).
func (f Field) BitOffset() int {
	if !f.Valid() {
		return 0
	}
	return fields[f].bit
}

// Bits returns the field's width in bits (0 if invalid).
func (f Field) Bits() int {
	if !f.Valid() {
		return 0
	}
	return fields[f].bits
}

// Offset returns the field's first byte in the efuse array.
func (f Field) Offset() int { return f.BitOffset() / 8 }

// Len returns the field's width in bytes.
func (f Field) Len() int { return f.Bits() / 8 }

// Bank is the efuse array. The zero value has every bit 0 (a blank chip).
// A Bank is not safe for concurrent writes.
type Bank struct {
	b [Size]byte
}

func (b *Bank) span(f Field) []byte {
	return b.b[f.Offset() : f.Offset()+f.Len()]
}

// Read returns a copy of the field's bytes, in efuse address order, or nil
// for an unknown field.
func (b *Bank) Read(f Field) []byte {
	if !f.Valid() {
		return nil
	}
	return append([]byte(nil), b.span(f)...)
}

// ReadU32 returns a field of at most 32 bits as a little-endian integer
// (as the RISC-V core reads it), zero-extended.
func (b *Bank) ReadU32(f Field) (uint32, error) {
	if !f.Valid() {
		return 0, fmt.Errorf("%w: %v", ErrUnknownField, f)
	}
	if f.Bits() > 32 {
		return 0, fmt.Errorf("%w: %v is %d bits", ErrNotWord, f, f.Bits())
	}
	var w [4]byte
	copy(w[:], b.span(f))
	return binary.LittleEndian.Uint32(w[:]), nil
}

// Burn sets the field to value, which must be exactly f.Len() bytes. Bits
// only go 0→1: if value has a 0 where the field already has a 1, Burn
// returns ErrClearBit and burns nothing. Burning the current value again is
// allowed and changes nothing.
func (b *Bank) Burn(f Field, value []byte) error {
	if !f.Valid() {
		return fmt.Errorf("%w: %v", ErrUnknownField, f)
	}
	if len(value) != f.Len() {
		return fmt.Errorf("%w: %v needs %d bytes, got %d", ErrLength, f, f.Len(), len(value))
	}
	cur := b.span(f)
	for i := range cur {
		if cur[i]&^value[i] != 0 {
			return fmt.Errorf("%w: %v byte %d is %#02x, burning %#02x", ErrClearBit, f, i, cur[i], value[i])
		}
	}
	for i := range cur {
		cur[i] |= value[i]
	}
	return nil
}

// BurnU32 burns a field of at most 32 bits from a little-endian integer.
// It returns ErrTooWide if v has bits beyond the field's width, and
// otherwise behaves as Burn.
func (b *Bank) BurnU32(f Field, v uint32) error {
	if !f.Valid() {
		return fmt.Errorf("%w: %v", ErrUnknownField, f)
	}
	if f.Bits() > 32 {
		return fmt.Errorf("%w: %v is %d bits", ErrNotWord, f, f.Bits())
	}
	if f.Bits() < 32 && v>>f.Bits() != 0 {
		return fmt.Errorf("%w: %#x in %d-bit %v", ErrTooWide, v, f.Bits(), f)
	}
	var w [4]byte
	binary.LittleEndian.PutUint32(w[:], v)
	return b.Burn(f, w[:f.Len()])
}

// SecureVerifyEnabled reports whether secure verification is on (the
// SecureVerify field is non-zero).
func (b *Bank) SecureVerifyEnabled() bool {
	for _, v := range b.span(SecureVerify) {
		if v != 0 {
			return true
		}
	}
	return false
}

// Clone returns an independent copy. Cloning a nil Bank gives a blank one.
func (b *Bank) Clone() *Bank {
	if b == nil {
		return &Bank{}
	}
	c := *b
	return &c
}

// Equal reports whether two banks hold the same bits.
func (b *Bank) Equal(o *Bank) bool { return b.b == o.b }

// MarshalBinary returns the whole efuse array, Size bytes, each field at
// f.Offset() (the SDK's byte address: bit offset / 8).
func (b *Bank) MarshalBinary() ([]byte, error) {
	return append([]byte(nil), b.b[:]...), nil
}

// UnmarshalBinary replaces the whole array with data, which must be exactly
// Size bytes (else a *FormatError wrapping ErrSize). It is a load of saved
// state, not a burn: it may clear bits.
func (b *Bank) UnmarshalBinary(data []byte) error {
	if len(data) != Size {
		return &FormatError{Off: int64(min(len(data), Size)), Msg: fmt.Sprintf("encoded bank is %d bytes, want %d", len(data), Size), Err: ErrSize}
	}
	copy(b.b[:], data)
	return nil
}
