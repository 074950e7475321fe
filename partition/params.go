package partition

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// The params blob (root_params_sign.bin) that fills the start of the root
// key partition 0x03, as ssb and flashboot read it at flash 0:
//
//	flash  size   record
//	0x000  0x080  RootArea  root public key area (its SHA-256 is the efuse root key hash)
//	0x080  0x100  KeyArea   params key area, signed by the root key
//	0x180  0x200  InfoArea  params area info, signed by the key area's ext key
//	0x380  0x400  Table     the partition table (params_area_len bytes hashed into InfoArea)
const (
	ParamsLen = 0x780 // PARAMS_PARTITION_LENGTH

	RootAreaOffset = 0x000
	RootAreaLen    = 0x80 // ROOT_PUBLIC_KEY_STRUCTURE_LENGTH
	KeyAreaOffset  = 0x080
	KeyAreaLen     = 0x100 // KEY_AREA_STRUCTURE_LENGTH
	InfoAreaOffset = 0x180
	InfoAreaLen    = 0x200 // CODE_INFO_STRUCTURE_LENGTH

	RootKeyImageID    = 0x4BA5C31E // root public key area
	ParamsKeyImageID  = 0x4B87A51E // params key area
	ParamsInfoImageID = 0x4B87A52D // params area info (PARAMS_PARTITION_IMAGE_ID)

	KeyAlgECC256      = 0x2A13C812 // key_alg: ECC256 (ECDSA, SHA-256)
	CurveBrainpool    = 0x2A13C812 // ecc_curve_type: RFC 5639 brainpoolP256r1
	PublicKeyLen      = 64         // raw X ‖ Y, big-endian
	SignatureLen      = 64         // raw r ‖ s, big-endian
	keyAreaSignedLen  = 0xC0       // bytes of the key area covered by its signature
	infoAreaSignedLen = 0x180      // bytes of the info area covered by its signature

	// FlashEncryFlag is what the SDK's signing tool writes where a code info
	// holds code_enc_flag; HiSilicon sources call 0x1E6987C3 FLASH_ENCRY_FLAG.
	// In params info these bytes are reserved: the device never reads them.
	FlashEncryFlag = 0x1E6987C3
	// TextSegmentSize is the sign configs' TextSegmentSize (0x00010000).
	TextSegmentSize = 0x00010000
)

// The sign configs' ProtectionKeyL1 / ProtectionKeyL2 / Iv defaults, which
// the signing tool copies into the reserved part of params info.
var (
	defaultProtectionKey = [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	defaultIV            = [16]byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F}
)

// RootArea is root_public_key_area_t (RootAreaLen bytes at flash 0).
type RootArea struct {
	ImageID       uint32 // RootKeyImageID
	StructVersion uint32 // StructVersion
	StructLength  uint32 // RootAreaLen
	KeyOwnerID    uint32 // 1
	KeyID         uint32 // 1
	KeyAlg        uint32 // KeyAlgECC256
	ECCCurveType  uint32 // CurveBrainpool
	KeyLength     uint32 // PublicKeyLen
	Reserved      [32]byte
	PublicKey     [PublicKeyLen]byte // X ‖ Y, big-endian
}

// KeyArea is params_key_area_t (KeyAreaLen bytes at flash 0x80); its layout
// is the image key area's.
type KeyArea struct {
	ImageID         uint32 // ParamsKeyImageID
	StructVersion   uint32 // StructVersion
	StructLength    uint32 // KeyAreaLen
	SignatureLength uint32 // 0x40, also in the hash-only blob
	KeyOwnerID      uint32 // 1
	KeyID           uint32 // 1
	KeyAlg          uint32 // KeyAlgECC256
	ECCCurveType    uint32 // CurveBrainpool
	KeyLength       uint32 // PublicKeyLen
	KeyVersionExt   uint32 // params_key_version_ext (anti-rollback)
	KeyVersionMask  uint32
	MSID            uint32
	MSIDMask        uint32
	MaintenanceMode uint32 // 0x3C7896E1 enables the die-id check
	DieID           [16]byte
	InfoAddr        uint32 // params_info_addr: 0 = info follows
	Reserved        [52]byte
	ExtPublicKey    [PublicKeyLen]byte // key that signs the params info (zero when hash-only)
	Signature       [SignatureLen]byte // over bytes 0..0xBF, by the root key
}

// InfoArea is params_area_info_t (InfoAreaLen bytes at flash 0x180). The
// device declares bytes 72..383 reserved; the SDK's signing tool fills their
// start with the code-info fields of its sign config (enc flag, protection
// keys, iv, compress flag, uncompressed length, text segment size), decoded
// here under those names.
type InfoArea struct {
	ImageID         uint32 // ParamsInfoImageID
	StructVersion   uint32 // StructVersion
	StructLength    uint32 // InfoAreaLen
	SignatureLength uint32 // 0x40
	VersionExt      uint32 // params_version_ext (anti-rollback)
	VersionMask     uint32
	MSID            uint32
	MSIDMask        uint32
	AreaAddr        uint32 // params_area_addr: 0 = the table follows
	AreaLen         uint32 // params_area_len: TableLen
	AreaHash        [32]byte
	// Reserved for the device; filled by the signing tool.
	EncFlag         uint32 // FlashEncryFlag
	ProtectionKeyL1 [16]byte
	ProtectionKeyL2 [16]byte
	IV              [16]byte
	CompressFlag    uint32 // 0
	UncompressLen   uint32 // AreaLen
	TextSegmentSize uint32 // TextSegmentSize
	Reserved        [248]byte
	Signature       [SignatureLen]byte // over bytes 0..0x17F, by KeyArea.ExtPublicKey
	SignatureExt    [SignatureLen]byte // second signature (double-sign mode), zero
}

// MarshalBinary encodes the area (RootAreaLen bytes).
func (a RootArea) MarshalBinary() ([]byte, error) { return encodeRecord(&a, RootAreaLen) }

// MarshalBinary encodes the area (KeyAreaLen bytes).
func (a KeyArea) MarshalBinary() ([]byte, error) { return encodeRecord(&a, KeyAreaLen) }

// MarshalBinary encodes the area (InfoAreaLen bytes).
func (a InfoArea) MarshalBinary() ([]byte, error) { return encodeRecord(&a, InfoAreaLen) }

func encodeRecord(v any, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := binary.Encode(b, binary.LittleEndian, v); err != nil {
		return nil, fmt.Errorf("partition: encode %T: %w", v, err)
	}
	return b, nil
}

// NewRootArea returns the root public key area for a public key, as the
// SDK's root_pubk.cfg signing step builds it.
func NewRootArea(pubXY [PublicKeyLen]byte) RootArea {
	return RootArea{
		ImageID:       RootKeyImageID,
		StructVersion: StructVersion,
		StructLength:  RootAreaLen,
		KeyOwnerID:    1,
		KeyID:         1,
		KeyAlg:        KeyAlgECC256,
		ECCCurveType:  CurveBrainpool,
		KeyLength:     PublicKeyLen,
		PublicKey:     pubXY,
	}
}

// RootKeyArea returns the RootAreaLen bytes of the root public key area for a
// public key X ‖ Y. Its SHA-256 is the root key hash burned into efuse
// (the SDK's root_pubk.bin.hash).
func RootKeyArea(pubXY [PublicKeyLen]byte) []byte {
	b, _ := NewRootArea(pubXY).MarshalBinary() // fixed-size struct: cannot fail
	return b
}

// Signer signs SHA-256 digests with a brainpoolP256r1 key; image.PrivateKey
// implements it. Signatures are raw r ‖ s, 32 bytes each, big-endian.
type Signer interface {
	PublicKeyXY() [PublicKeyLen]byte
	SignDigest(digest [32]byte) ([SignatureLen]byte, error)
}

// Verifier checks an ECDSA signature over a digest; image.Verifier
// implements it.
type Verifier interface {
	VerifyDigest(pub [PublicKeyLen]byte, digest [32]byte, sig [SignatureLen]byte) bool
}

// ParamsOptions selects how BuildParams signs the params blob. The zero value
// builds the SDK's hash-only blob with the root key area left erased.
type ParamsOptions struct {
	// Root signs the params key area and fills the root key area. nil: the
	// root key area stays 0xFF and both signatures are hash-only
	// (SHA-256 of the signed bytes, then 32 zero bytes), as in the real blob.
	Root Signer
	// Sub signs the params info; its public key goes into the key area's
	// ExtPublicKey. nil: Root. Ignored when Root is nil.
	Sub Signer

	KeyVersionExt, KeyVersionMask uint32 // key area anti-rollback
	VersionExt, VersionMask       uint32 // params info anti-rollback
	MSID, MSIDMask                uint32 // both areas
}

// BuildParams returns the ParamsLen-byte params blob for the table. With the
// zero ParamsOptions and Default(LayoutCompress) it is byte for byte the
// SDK-signed blob burned at flash 0 (root key area erased). It does not
// validate the table's geometry (so bad tables can be burned on purpose);
// it fails only if the table does not encode or a signer fails.
func BuildParams(t Table, o ParamsOptions) ([]byte, error) {
	tbl, err := t.MarshalBinary()
	if err != nil {
		return nil, err
	}
	key := KeyArea{
		ImageID: ParamsKeyImageID, StructVersion: StructVersion, StructLength: KeyAreaLen,
		SignatureLength: SignatureLen, KeyOwnerID: 1, KeyID: 1,
		KeyAlg: KeyAlgECC256, ECCCurveType: CurveBrainpool, KeyLength: PublicKeyLen,
		KeyVersionExt: o.KeyVersionExt, KeyVersionMask: o.KeyVersionMask,
		MSID: o.MSID, MSIDMask: o.MSIDMask,
	}
	info := InfoArea{
		ImageID: ParamsInfoImageID, StructVersion: StructVersion, StructLength: InfoAreaLen,
		SignatureLength: SignatureLen,
		VersionExt:      o.VersionExt, VersionMask: o.VersionMask,
		MSID: o.MSID, MSIDMask: o.MSIDMask,
		AreaLen:  TableLen,
		AreaHash: sha256.Sum256(tbl),
		EncFlag:  FlashEncryFlag, ProtectionKeyL1: defaultProtectionKey, ProtectionKeyL2: defaultProtectionKey,
		IV: defaultIV, UncompressLen: TableLen, TextSegmentSize: TextSegmentSize,
	}
	out := bytes.Repeat([]byte{0xFF}, RootAreaLen)
	var sub Signer // signs the info; nil for hash-only
	if o.Root != nil {
		sub = o.Sub
		if sub == nil {
			sub = o.Root
		}
		out = RootKeyArea(o.Root.PublicKeyXY())
		key.ExtPublicKey = sub.PublicKeyXY()
	}
	kb, _ := key.MarshalBinary()
	if key.Signature, err = signArea(o.Root, kb[:keyAreaSignedLen]); err != nil {
		return nil, fmt.Errorf("partition: sign params key area: %w", err)
	}
	kb, _ = key.MarshalBinary()
	ib, _ := info.MarshalBinary()
	if info.Signature, err = signArea(sub, ib[:infoAreaSignedLen]); err != nil {
		return nil, fmt.Errorf("partition: sign params info: %w", err)
	}
	ib, _ = info.MarshalBinary()
	out = append(out, kb...)
	out = append(out, ib...)
	return append(out, tbl...), nil
}

// signArea signs SHA-256(signed) with s, or returns the hash-only signature
// (digest, then 32 zero bytes) when s is nil.
func signArea(s Signer, signed []byte) ([SignatureLen]byte, error) {
	d := sha256.Sum256(signed)
	if s == nil {
		var sig [SignatureLen]byte
		copy(sig[:], d[:])
		return sig, nil
	}
	return s.SignDigest(d)
}

// Params is a decoded params blob with the results of its hash checks.
type Params struct {
	Root  *RootArea // nil when the root key area is erased (all 0xFF)
	Key   KeyArea
	Info  InfoArea
	Table Table

	RootKeyHash [32]byte // SHA-256 of the root key area as stored (compare with efuse)
	KeyDigest   [32]byte // SHA-256 of key area bytes 0..0xBF: what the root key signs
	InfoDigest  [32]byte // SHA-256 of info bytes 0..0x17F: what the ext key signs
	TableHash   [32]byte // SHA-256 of Info.AreaLen table bytes

	KeyHashOK   bool // Key.Signature[0:32] == KeyDigest (hash-only signing)
	InfoHashOK  bool // Info.Signature[0:32] == InfoDigest (hash-only signing)
	TableHashOK bool // TableHash == Info.AreaHash (the body check, done even without secure boot)
}

// VerifyECDSA checks the two ECDSA signatures: the key area with the root
// key area's public key (false when the root key area is erased), the info
// with the key area's ExtPublicKey.
func (p *Params) VerifyECDSA(v Verifier) (keyOK, infoOK bool) {
	if p.Root != nil {
		keyOK = v.VerifyDigest(p.Root.PublicKey, p.KeyDigest, p.Key.Signature)
	}
	infoOK = v.VerifyDigest(p.Key.ExtPublicKey, p.InfoDigest, p.Info.Signature)
	return keyOK, infoOK
}

// ParseParams decodes a params blob at offset 0 of r (size bytes, at least
// ParamsLen) and runs its hash checks. It checks, in order: length
// (ErrTruncated), the root key area's image id unless it is erased, the key
// area's and the info's image ids (ErrImageID), the info's table address and
// length (ErrAreaLayout), then the table as Parse does; all as *FormatError
// with blob offsets. Hash and signature mismatches are not errors: they are
// reported in Params.
func ParseParams(r io.ReaderAt, size int64) (*Params, error) {
	if size < ParamsLen {
		return nil, &FormatError{Off: size, Msg: fmt.Sprintf("params blob needs 0x%x bytes, have 0x%x", ParamsLen, size), Err: ErrTruncated}
	}
	var b [ParamsLen]byte
	if n, err := r.ReadAt(b[:], 0); n < ParamsLen {
		return nil, &FormatError{Off: int64(n), Msg: fmt.Sprintf("params read: %v", err), Err: ErrTruncated}
	}
	p := &Params{RootKeyHash: sha256.Sum256(b[RootAreaOffset : RootAreaOffset+RootAreaLen])}
	le := binary.LittleEndian

	rootRaw := b[RootAreaOffset : RootAreaOffset+RootAreaLen]
	if !bytes.Equal(rootRaw, bytes.Repeat([]byte{0xFF}, RootAreaLen)) {
		var ra RootArea
		decodeRecord(rootRaw, &ra)
		if ra.ImageID != RootKeyImageID {
			return nil, &FormatError{Off: RootAreaOffset, Msg: fmt.Sprintf("root key area image id 0x%08x, want 0x%08x (or erased)", ra.ImageID, uint32(RootKeyImageID)), Err: ErrImageID}
		}
		p.Root = &ra
	}
	keyRaw := b[KeyAreaOffset : KeyAreaOffset+KeyAreaLen]
	if id := le.Uint32(keyRaw); id != ParamsKeyImageID {
		return nil, &FormatError{Off: KeyAreaOffset, Msg: fmt.Sprintf("params key area image id 0x%08x, want 0x%08x", id, uint32(ParamsKeyImageID)), Err: ErrImageID}
	}
	decodeRecord(keyRaw, &p.Key)
	infoRaw := b[InfoAreaOffset : InfoAreaOffset+InfoAreaLen]
	if id := le.Uint32(infoRaw); id != ParamsInfoImageID {
		return nil, &FormatError{Off: InfoAreaOffset, Msg: fmt.Sprintf("params info image id 0x%08x, want 0x%08x", id, uint32(ParamsInfoImageID)), Err: ErrImageID}
	}
	decodeRecord(infoRaw, &p.Info)
	if p.Info.AreaAddr != 0 {
		return nil, &FormatError{Off: InfoAreaOffset + 32, Msg: fmt.Sprintf("params_area_addr 0x%x: only 0 (table follows the info) is supported", p.Info.AreaAddr), Err: ErrAreaLayout}
	}
	if p.Info.AreaLen == 0 || p.Info.AreaLen > TableLen {
		return nil, &FormatError{Off: InfoAreaOffset + 36, Msg: fmt.Sprintf("params_area_len 0x%x, want 1..0x%x", p.Info.AreaLen, TableLen), Err: ErrAreaLayout}
	}
	tblRaw := b[TableOffset : TableOffset+TableLen]
	t, err := parseTable(tblRaw, TableOffset)
	if err != nil {
		return nil, err
	}
	p.Table = t

	p.KeyDigest = sha256.Sum256(keyRaw[:keyAreaSignedLen])
	p.InfoDigest = sha256.Sum256(infoRaw[:infoAreaSignedLen])
	p.TableHash = sha256.Sum256(tblRaw[:p.Info.AreaLen])
	p.KeyHashOK = bytes.Equal(p.Key.Signature[:32], p.KeyDigest[:])
	p.InfoHashOK = bytes.Equal(p.Info.Signature[:32], p.InfoDigest[:])
	p.TableHashOK = p.TableHash == p.Info.AreaHash
	return p, nil
}

// decodeRecord decodes a fixed-size record; b is always exactly its size.
func decodeRecord(b []byte, v any) {
	_, _ = binary.Decode(b, binary.LittleEndian, v)
}
