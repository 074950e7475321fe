package image

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Record sizes (docs/sdk-mapping.md §6.2). A signed image is a key area, a code info and
// the code area: the header is HeaderLen bytes and the code starts right
// after it (the boot ROM / flashboot jump to image start + HeaderLen).
const (
	KeyAreaLen  = 0x100                    // image_key_area_t
	CodeInfoLen = 0x200                    // image_code_info_t
	HeaderLen   = KeyAreaLen + CodeInfoLen // key area + code info = 0x300

	// KeyAreaSignedLen is how many leading key-area bytes its signature covers.
	KeyAreaSignedLen = 0xC0
	// CodeInfoSignedLen is how many leading code-info bytes its signature covers.
	CodeInfoSignedLen = 0x180

	keyAreaReservedLen  = 52
	codeInfoReservedLen = 248

	// MaxLen bounds a whole image: the WS63 flash is 4 MiB, no image can be
	// larger. Parse rejects a code_area_len beyond it before allocating.
	MaxLen = 4 << 20

	// CodeAlign is the code-area granularity: the signing tool zero-pads the
	// code to a multiple of 16 bytes and hashes the padded length.
	CodeAlign = 16

	// MaxCodeLen is the largest code area Build takes: what fits MaxLen
	// with the header, padded.
	MaxCodeLen = (MaxLen - HeaderLen) &^ (CodeAlign - 1)
)

// Image ids (docs/sdk-mapping.md §6.2 and §6.3). The key-area id names the image; the
// code-info id is the one the FOTA package uses for it (docs/sdk-mapping.md §1.4). ssb
// shares the flashboot ids.
const (
	AppKeyAreaID         = 0x4B0F2D1E
	AppCodeInfoID        = 0x4B0F2D2D
	FlashbootKeyAreaID   = 0x4B1E3C1E
	FlashbootCodeInfoID  = 0x4B1E3C2D
	BackupKeyAreaID      = 0x4B69871E // flashboot backup (partition 0x02)
	BackupCodeInfoID     = 0x4B69872D
	LoaderbootKeyAreaID  = 0x4BD2F01E // loaderboot (provisioning)
	LoaderbootCodeInfoID = 0x4BD2F02D
	ParamsKeyAreaID      = 0x4B87A51E // params key area at flash 0x80
	ParamsInfoID         = 0x4B87A52D // params area info at flash 0x180
	RootKeyAreaID        = 0x4BA5C31E // root public key area at flash 0x0
)

// Field values.
const (
	// StructVersion is the structure_version of every area.
	StructVersion = 0x00010000
	// NotEncrypted is the code_enc_flag value meaning the code is plain;
	// any other value makes flashboot set up on-the-fly decryption.
	NotEncrypted = 0x3C7896E1
	// CodeCompressed is the code_compress_flag value meaning compressed code.
	CodeCompressed = 0x3C7896E1
	// KeyAlgECC is the key_alg (and ecc_curve_type) of brainpoolP256r1
	// ECDSA with SHA-256, as the SDK's sign configs set it.
	KeyAlgECC = 0x2A13C812
	// MaintenanceMode is the maintenance_mode value that binds an image to
	// one chip: the key area's die_id must then equal the efuse die id.
	MaintenanceMode = 0x2A13C812
	// DefaultVersionMask is mask_version_ext in code infos the SDK signs.
	DefaultVersionMask = 0xFFFFFFFF
)

// Kind is the kind of a signed image, named by its key-area id.
type Kind uint8

// Image kinds.
const (
	KindApp             Kind = iota + 1 // the application (partition 0x20)
	KindFlashboot                       // flashboot (partition 0x01); ssb uses the same ids
	KindFlashbootBackup                 // flashboot backup (partition 0x02)
)

var kindNames = [...]string{KindApp: "app", KindFlashboot: "flashboot", KindFlashbootBackup: "flashboot-backup"}

// String returns the kind's name as ParseKind accepts it.
func (k Kind) String() string {
	if k.valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k >= KindApp && k <= KindFlashbootBackup }

// ParseKind parses "app", "flashboot" or "flashboot-backup".
func ParseKind(s string) (Kind, error) {
	for k := KindApp; k <= KindFlashbootBackup; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want app, flashboot or flashboot-backup)", ErrKind, s)
}

// IDs returns the key-area and code-info image ids of the kind (zeros for
// an invalid kind).
func (k Kind) IDs() (keyArea, codeInfo uint32) {
	switch k {
	case KindApp:
		return AppKeyAreaID, AppCodeInfoID
	case KindFlashboot:
		return FlashbootKeyAreaID, FlashbootCodeInfoID
	case KindFlashbootBackup:
		return BackupKeyAreaID, BackupCodeInfoID
	}
	return 0, 0
}

// KindOf returns the kind whose key-area id is id.
func KindOf(keyAreaID uint32) (Kind, bool) {
	for k := KindApp; k <= KindFlashbootBackup; k++ {
		if ka, _ := k.IDs(); ka == keyAreaID {
			return k, true
		}
	}
	return 0, false
}

// KeyArea is image_key_area_t (0x100 bytes). The FOTA package key area
// (upg_key_area_data_t, docs/sdk-mapping.md §1.1) has the same layout, with
// CodeInfoAddr read as fota_info_addr and the version fields as the FOTA
// key version.
type KeyArea struct {
	ImageID         uint32
	StructVersion   uint32
	StructLength    uint32
	SignatureLength uint32
	KeyOwnerID      uint32
	KeyID           uint32
	KeyAlg          uint32
	ECCCurveType    uint32
	KeyLength       uint32
	VersionExt      uint32 // key version (anti-rollback)
	MaskVersionExt  uint32
	MSIDExt         uint32
	MaskMSIDExt     uint32
	MaintenanceMode uint32
	DieID           [16]byte
	CodeInfoAddr    uint32
	Reserved        [keyAreaReservedLen]byte
	ExtPublicKey    [PublicKeyLen]byte // X ‖ Y of the key that signs the code info
	Signature       [SignatureLen]byte // over bytes [0, KeyAreaSignedLen)
}

// AppendBinary appends the KeyAreaLen-byte encoding.
func (k *KeyArea) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	for _, v := range [...]uint32{k.ImageID, k.StructVersion, k.StructLength, k.SignatureLength,
		k.KeyOwnerID, k.KeyID, k.KeyAlg, k.ECCCurveType, k.KeyLength, k.VersionExt,
		k.MaskVersionExt, k.MSIDExt, k.MaskMSIDExt, k.MaintenanceMode} {
		b = le.AppendUint32(b, v)
	}
	b = append(b, k.DieID[:]...)
	b = le.AppendUint32(b, k.CodeInfoAddr)
	b = append(b, k.Reserved[:]...)
	b = append(b, k.ExtPublicKey[:]...)
	b = append(b, k.Signature[:]...)
	return b, nil
}

// MarshalBinary returns the KeyAreaLen-byte encoding.
func (k *KeyArea) MarshalBinary() ([]byte, error) {
	return k.AppendBinary(make([]byte, 0, KeyAreaLen))
}

// UnmarshalBinary decodes exactly KeyAreaLen bytes. It checks no field.
func (k *KeyArea) UnmarshalBinary(b []byte) error {
	if len(b) != KeyAreaLen {
		return fmt.Errorf("%w: key area is %d bytes, want %d", ErrRecordSize, len(b), KeyAreaLen)
	}
	le := binary.LittleEndian
	u := func(off int) uint32 { return le.Uint32(b[off:]) }
	*k = KeyArea{
		ImageID: u(0), StructVersion: u(4), StructLength: u(8), SignatureLength: u(12),
		KeyOwnerID: u(16), KeyID: u(20), KeyAlg: u(24), ECCCurveType: u(28), KeyLength: u(32),
		VersionExt: u(36), MaskVersionExt: u(40), MSIDExt: u(44), MaskMSIDExt: u(48),
		MaintenanceMode: u(52), CodeInfoAddr: u(72),
	}
	copy(k.DieID[:], b[56:72])
	copy(k.Reserved[:], b[76:128])
	copy(k.ExtPublicKey[:], b[128:192])
	copy(k.Signature[:], b[192:256])
	return nil
}

// Digest is SHA-256 of the signed part, bytes [0, KeyAreaSignedLen).
func (k *KeyArea) Digest() [32]byte {
	b, _ := k.MarshalBinary()
	return sha256.Sum256(b[:KeyAreaSignedLen])
}

// CodeInfo is image_code_info_t (0x200 bytes).
type CodeInfo struct {
	ImageID           uint32
	StructVersion     uint32
	StructLength      uint32
	SignatureLength   uint32
	VersionExt        uint32 // anti-rollback version
	MaskVersionExt    uint32
	MSIDExt           uint32
	MaskMSIDExt       uint32
	CodeAreaAddr      uint32 // not used by verification
	CodeAreaLen       uint32 // bytes hashed, from image start + HeaderLen
	CodeAreaHash      [32]byte
	CodeEncFlag       uint32 // NotEncrypted, or the code is encrypted
	ProtectionKeyL1   [16]byte
	ProtectionKeyL2   [16]byte
	IV                [16]byte
	CodeCompressFlag  uint32
	CodeUncompressLen uint32
	TextSegmentSize   uint32
	Reserved          [codeInfoReservedLen]byte
	Signature         [SignatureLen]byte // over bytes [0, CodeInfoSignedLen)
	SignatureExt      [SignatureLen]byte // second signature (double-sign mode)
}

// AppendBinary appends the CodeInfoLen-byte encoding.
func (c *CodeInfo) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	for _, v := range [...]uint32{c.ImageID, c.StructVersion, c.StructLength, c.SignatureLength,
		c.VersionExt, c.MaskVersionExt, c.MSIDExt, c.MaskMSIDExt, c.CodeAreaAddr, c.CodeAreaLen} {
		b = le.AppendUint32(b, v)
	}
	b = append(b, c.CodeAreaHash[:]...)
	b = le.AppendUint32(b, c.CodeEncFlag)
	b = append(b, c.ProtectionKeyL1[:]...)
	b = append(b, c.ProtectionKeyL2[:]...)
	b = append(b, c.IV[:]...)
	b = le.AppendUint32(b, c.CodeCompressFlag)
	b = le.AppendUint32(b, c.CodeUncompressLen)
	b = le.AppendUint32(b, c.TextSegmentSize)
	b = append(b, c.Reserved[:]...)
	b = append(b, c.Signature[:]...)
	b = append(b, c.SignatureExt[:]...)
	return b, nil
}

// MarshalBinary returns the CodeInfoLen-byte encoding.
func (c *CodeInfo) MarshalBinary() ([]byte, error) {
	return c.AppendBinary(make([]byte, 0, CodeInfoLen))
}

// UnmarshalBinary decodes exactly CodeInfoLen bytes. It checks no field.
func (c *CodeInfo) UnmarshalBinary(b []byte) error {
	if len(b) != CodeInfoLen {
		return fmt.Errorf("%w: code info is %d bytes, want %d", ErrRecordSize, len(b), CodeInfoLen)
	}
	le := binary.LittleEndian
	u := func(off int) uint32 { return le.Uint32(b[off:]) }
	*c = CodeInfo{
		ImageID: u(0), StructVersion: u(4), StructLength: u(8), SignatureLength: u(12),
		VersionExt: u(16), MaskVersionExt: u(20), MSIDExt: u(24), MaskMSIDExt: u(28),
		CodeAreaAddr: u(32), CodeAreaLen: u(36), CodeEncFlag: u(72),
		CodeCompressFlag: u(124), CodeUncompressLen: u(128), TextSegmentSize: u(132),
	}
	copy(c.CodeAreaHash[:], b[40:72])
	copy(c.ProtectionKeyL1[:], b[76:92])
	copy(c.ProtectionKeyL2[:], b[92:108])
	copy(c.IV[:], b[108:124])
	copy(c.Reserved[:], b[136:384])
	copy(c.Signature[:], b[384:448])
	copy(c.SignatureExt[:], b[448:512])
	return nil
}

// Digest is SHA-256 of the signed part, bytes [0, CodeInfoSignedLen).
func (c *CodeInfo) Digest() [32]byte {
	b, _ := c.MarshalBinary()
	return sha256.Sum256(b[:CodeInfoSignedLen])
}

// Field offsets used in error messages and by tests that corrupt images.
const (
	OffKeyImageID       = 0x000
	OffKeyStructLength  = 0x008
	OffKeySignature     = 0x0C0
	OffInfoImageID      = KeyAreaLen + 0x000
	OffInfoStructLength = KeyAreaLen + 0x008
	OffInfoVersionExt   = KeyAreaLen + 0x010
	OffCodeAreaLen      = KeyAreaLen + 0x024
	OffCodeAreaHash     = KeyAreaLen + 0x028
	OffInfoSignature    = KeyAreaLen + 0x180
)

// Image is a parsed signed image.
type Image struct {
	Kind Kind
	Key  KeyArea
	Info CodeInfo
	Code []byte // the code area: Info.CodeAreaLen bytes (padding included)
}

// Len is the number of bytes the image occupies: HeaderLen + CodeAreaLen.
func (im *Image) Len() int { return HeaderLen + int(im.Info.CodeAreaLen) }

// MarshalBinary returns the image bytes: key area, code info, code.
func (im *Image) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, HeaderLen+len(im.Code))
	b, _ = im.Key.AppendBinary(b)
	b, _ = im.Info.AppendBinary(b)
	return append(b, im.Code...), nil
}

// BodyHashOK reports whether SHA-256 of the code equals code_area_hash.
func (im *Image) BodyHashOK() bool {
	return len(im.Code) == int(im.Info.CodeAreaLen) && sha256.Sum256(im.Code) == im.Info.CodeAreaHash
}

// Ident reads the identification record of a synthetic image's code.
func (im *Image) Ident() (Ident, bool) { return IdentOf(im.Code) }

// HashOnlySignature is what the signing tool writes in SignSuite=4
// (hash-only) mode: the digest in the first 32 bytes, then 32 zero bytes.
func HashOnlySignature(digest [32]byte) [SignatureLen]byte {
	var s [SignatureLen]byte
	copy(s[:], digest[:])
	return s
}
