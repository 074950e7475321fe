package image

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Synthetic firmware. Real firmware cannot ship with the emulator, yet its
// size and compressibility drive everything the upgrade does (package size,
// LZMA time, flash operations), so the synthetic builder makes code that
// compresses like a real RV32IMC build at the SDK's LZMA settings (4 KiB
// dictionary, lc=0 lp=0 pb=2: compressed/original between 0.55 and 0.70)
// and that starts with a record telling which build it is.

// Ident identifies a synthetic build.
type Ident struct {
	Kind       Kind
	Version    string // at most IdentVersionMax bytes
	VersionExt uint32 // anti-rollback version the image is signed with
	Seed       uint64 // varies the code; rebuilds with another seed differ throughout
}

// The identification record, IdentLen bytes at the start of the code area:
//
//	0   8  magic "WS63EMU\x00"
//	8   1  record format (1)
//	9   1  kind
//	10  1  version length (≤ 31)
//	11  1  zero
//	12  4  version_ext
//	16  8  seed
//	24 32  version, zero padded
//	56  4  code size the generator was asked for
//	60  4  CRC-32 (IEEE) of bytes 0..59
//
// All integers little-endian. Real SDK code does not start with the magic.
const (
	IdentLen        = 64
	IdentMagic      = "WS63EMU\x00"
	IdentVersionMax = 31
	identFormat     = 1
)

func (id Ident) record(size int) [IdentLen]byte {
	var r [IdentLen]byte
	v := id.Version
	if len(v) > IdentVersionMax {
		v = v[:IdentVersionMax]
	}
	copy(r[:], IdentMagic)
	r[8] = identFormat
	r[9] = byte(id.Kind)
	r[10] = byte(len(v))
	binary.LittleEndian.PutUint32(r[12:], id.VersionExt)
	binary.LittleEndian.PutUint64(r[16:], id.Seed)
	copy(r[24:56], v)
	binary.LittleEndian.PutUint32(r[56:], uint32(size))
	binary.LittleEndian.PutUint32(r[60:], crc32.ChecksumIEEE(r[:60]))
	return r
}

// IdentOf reads the identification record at the start of code. It
// reports false for code without a valid record (real SDK code).
func IdentOf(code []byte) (Ident, bool) {
	if len(code) < IdentLen || string(code[:8]) != IdentMagic || code[8] != identFormat {
		return Ident{}, false
	}
	r := code[:IdentLen]
	if binary.LittleEndian.Uint32(r[60:]) != crc32.ChecksumIEEE(r[:60]) {
		return Ident{}, false
	}
	k, n := Kind(r[9]), int(r[10])
	if !k.valid() || n > IdentVersionMax || r[11] != 0 {
		return Ident{}, false
	}
	v := r[24 : 24+n]
	if bytes.IndexByte(v, 0) >= 0 || !allZero(r[24+n:56]) {
		return Ident{}, false
	}
	return Ident{Kind: k, Version: string(v), VersionExt: binary.LittleEndian.Uint32(r[12:]), Seed: binary.LittleEndian.Uint64(r[16:])}, true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// SyntheticCode returns size bytes of synthetic firmware for id: the
// identification record, then an RV32IMC-like text section and a read-only
// data section (strings, constant tables). The bytes are a pure function
// of (id, size). A version longer than IdentVersionMax bytes is cut; a size
// below IdentLen gives a cut record (IdentOf then reports false).
func SyntheticCode(id Ident, size int) []byte {
	if size <= 0 {
		return nil
	}
	out := make([]byte, size)
	rec := id.record(size)
	n := copy(out, rec[:])
	if n < size {
		newGen(id, out[n:]).fill()
	}
	return out
}

// Synthetic builds a signed synthetic image of size code bytes (the image
// is HeaderLen + size rounded up to 16 bytes): SyntheticCode wrapped by
// Build, signed with key (nil: hash-only), version_ext = id.VersionExt.
func Synthetic(id Ident, size int, key *PrivateKey) ([]byte, error) {
	if !id.Kind.valid() {
		return nil, fmt.Errorf("%w: kind %v", ErrBadOptions, id.Kind)
	}
	if len(id.Version) > IdentVersionMax {
		return nil, fmt.Errorf("%w: version %q is longer than %d bytes", ErrBadOptions, id.Version, IdentVersionMax)
	}
	if size < IdentLen || alignUp(size, CodeAlign) > MaxLen-HeaderLen {
		return nil, fmt.Errorf("%w: synthetic code size %d outside [%d, %d]", ErrBadOptions, size, IdentLen, MaxLen-HeaderLen)
	}
	return Build(BuildOptions{Kind: id.Kind, Code: SyntheticCode(id, size), VersionExt: id.VersionExt, Key: key})
}
