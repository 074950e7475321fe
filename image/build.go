package image

import (
	"crypto/sha256"
	"fmt"
)

// BuildOptions describe a signed image to build.
type BuildOptions struct {
	Kind Kind
	Code []byte // the code; zero-padded to a multiple of CodeAlign

	// VersionExt is the code info's anti-rollback version (a run of ones
	// from bit 0 by convention, see CheckVersionExt; Build does not insist).
	VersionExt uint32
	// MaskVersionExt is the code info's version mask. 0 means
	// DefaultVersionMask (0xFFFFFFFF), which is what the SDK's images carry
	// whatever the version, so that a version is always checked; set
	// ZeroVersionMask to write a real 0 (the anti-rollback check then
	// always passes).
	MaskVersionExt  uint32
	ZeroVersionMask bool
	// KeyVersionExt and KeyMaskVersionExt are the key area's version words
	// (the sign config's KeyVersion / KeyVersionMask, 0 / 0 in the SDK).
	KeyVersionExt, KeyMaskVersionExt uint32
	// MSID and MSIDMask go to both areas (the sign config has one pair).
	MSID, MSIDMask uint32
	// DieID, when non-nil, sets maintenance_mode = MaintenanceMode and the
	// key area's die id: the image then boots (secure boot on) only on the
	// chip with that efuse die id.
	DieID *[16]byte

	// Key signs the code info and its public key goes to the key area's
	// ext_public_key. nil builds the SignSuite=4 hash-only form the SDK
	// signs with by default: each signature field is SHA-256 of the signed
	// bytes followed by 32 zero bytes, ext_public_key is zero.
	Key *PrivateKey
	// ParentKey signs the key area (ECDSA mode only): the flashboot key for
	// an app, the ssb key for flashboot. nil means Key (self-signed).
	ParentKey *PrivateKey

	// Encrypted marks the code as encrypted: code_enc_flag is written as 0
	// (any value but NotEncrypted means encrypted; what the closed signing
	// tool writes is not known) with the protection keys and IV below. The
	// code is stored as given: encryption uses chip keys no one has, so the
	// caller supplies the bytes to store.
	Encrypted                        bool
	ProtectionKeyL1, ProtectionKeyL2 [16]byte
	IV                               [16]byte
}

func (o *BuildOptions) validate() error {
	if !o.Kind.valid() {
		return fmt.Errorf("%w: kind %v", ErrBadOptions, o.Kind)
	}
	if n := alignUp(len(o.Code), CodeAlign); n > MaxLen-HeaderLen {
		return fmt.Errorf("%w: code of %d bytes (padded %d) exceeds the %d bytes an image can hold", ErrBadOptions, len(o.Code), n, MaxLen-HeaderLen)
	}
	if o.ParentKey != nil && o.Key == nil {
		return fmt.Errorf("%w: a parent key without a key (hash-only images have no key chain)", ErrBadOptions)
	}
	return nil
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// Build makes a signed image: key area, code info, code padded with zeros
// to a multiple of 16. With Key == nil the result is byte for byte what the
// SDK's signing tool writes in its default SignSuite=4 mode; with a key, the
// same header with raw r ‖ s brainpoolP256r1 ECDSA signatures (RFC 6979
// nonces, so Build is deterministic in both modes).
func Build(o BuildOptions) ([]byte, error) {
	im, err := BuildImage(o)
	if err != nil {
		return nil, err
	}
	return im.MarshalBinary()
}

// BuildImage is Build returning the image structure.
func BuildImage(o BuildOptions) (*Image, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	keyID, infoID := o.Kind.IDs()
	code := make([]byte, alignUp(len(o.Code), CodeAlign))
	copy(code, o.Code)

	im := &Image{Kind: o.Kind, Code: code}
	im.Key = KeyArea{
		ImageID:         keyID,
		StructVersion:   StructVersion,
		StructLength:    KeyAreaLen,
		SignatureLength: SignatureLen,
		KeyOwnerID:      1,
		KeyID:           1,
		KeyAlg:          KeyAlgECC,
		ECCCurveType:    KeyAlgECC,
		KeyLength:       PublicKeyLen,
		VersionExt:      o.KeyVersionExt,
		MaskVersionExt:  o.KeyMaskVersionExt,
		MSIDExt:         o.MSID,
		MaskMSIDExt:     o.MSIDMask,
		CodeInfoAddr:    KeyAreaLen,
	}
	if o.DieID != nil {
		im.Key.MaintenanceMode = MaintenanceMode
		im.Key.DieID = *o.DieID
	}
	mask := o.MaskVersionExt
	if mask == 0 && !o.ZeroVersionMask {
		mask = DefaultVersionMask
	}
	im.Info = CodeInfo{
		ImageID:         infoID,
		StructVersion:   StructVersion,
		StructLength:    CodeInfoLen,
		SignatureLength: SignatureLen,
		VersionExt:      o.VersionExt,
		MaskVersionExt:  mask,
		MSIDExt:         o.MSID,
		MaskMSIDExt:     o.MSIDMask,
		CodeAreaAddr:    HeaderLen,
		CodeAreaLen:     uint32(len(code)),
		CodeAreaHash:    sha256.Sum256(code),
		CodeEncFlag:     NotEncrypted,
	}
	if o.Encrypted {
		im.Info.CodeEncFlag = 0
		im.Info.ProtectionKeyL1 = o.ProtectionKeyL1
		im.Info.ProtectionKeyL2 = o.ProtectionKeyL2
		im.Info.IV = o.IV
	}
	if err := im.Sign(o.Key, o.ParentKey); err != nil {
		return nil, err
	}
	return im, nil
}

// Sign (re)writes the key area's ext_public_key and both signatures: with
// key == nil the hash-only form (ext_public_key zero), otherwise parent
// (or key when parent is nil) signs the key area and key the code info.
// Fields changed after Build take effect by calling Sign again.
func (im *Image) Sign(key, parent *PrivateKey) error {
	if key == nil {
		im.Key.ExtPublicKey = [PublicKeyLen]byte{}
		im.Key.Signature = HashOnlySignature(im.Key.Digest())
		im.Info.Signature = HashOnlySignature(im.Info.Digest())
		return nil
	}
	if parent == nil {
		parent = key
	}
	im.Key.ExtPublicKey = key.XY()
	var err error
	if im.Key.Signature, err = parent.SignDigest(im.Key.Digest()); err != nil {
		return err
	}
	im.Info.Signature, err = key.SignDigest(im.Info.Digest())
	return err
}
