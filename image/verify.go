package image

import (
	"crypto/sha256"
	"fmt"
	"math/bits"
)

// VerifyOptions is the boot-time state an image is checked against: the
// efuse words and the key the caller trusts for the key area.
type VerifyOptions struct {
	// SecureBoot is the efuse "secure verify enable" byte. Off, only the
	// body hash is checked.
	SecureBoot bool
	// ParentKey is the X ‖ Y key that must have signed the key area: the
	// flashboot key area's ext_public_key for the app, the ssb key for
	// flashboot and its backup.
	ParentKey [PublicKeyLen]byte
	// EfuseVersion is the anti-rollback word of this image's kind.
	EfuseVersion uint32
	// EfuseMSID is the efuse MSID word.
	EfuseMSID uint32
	// DieID is the efuse die id (used when maintenance_mode is set).
	DieID [16]byte
	// Sum256, when set, replaces crypto/sha256.Sum256 for the body hash
	// (ParseOptions.Sum256).
	Sum256 func([]byte) [32]byte
	// CodeHashChecked says the caller has just had im from Parse or
	// ParseWith without error and has not changed its code since: the
	// code's hash was checked then, so Verify does not hash it again.
	CodeHashChecked bool
}

// Verify checks an image as ssb and flashboot do at boot (docs/sdk-mapping.md §6.2).
//
// With secure boot on, in order: both image ids match the kind (ErrImageID);
// the key area's ECDSA signature over its first 0xC0 bytes under ParentKey
// (ErrKeyAreaSig); the code info's over its first 0x180 bytes under the key
// area's ext_public_key (ErrCodeInfoSig); anti-rollback, key area then code
// info: popcount(version & mask) ≥ popcount(efuse & mask) (ErrRollback);
// MSID, key area then code info: (msid & mask) == (efuse & mask) (ErrMSID);
// die id when maintenance_mode is MaintenanceMode (ErrDieID). Then, secure
// boot on or off, the body: SHA-256 of the code area must equal
// code_area_hash (ErrBodyHash). A hash-only (SignSuite=4) image therefore
// boots only with secure boot off.
func Verify(im *Image, o VerifyOptions) error {
	if o.SecureBoot {
		keyID, infoID := im.Kind.IDs()
		if im.Key.ImageID != keyID || keyID == 0 {
			return fmt.Errorf("%w: key area id 0x%08X, %v wants 0x%08X", ErrImageID, im.Key.ImageID, im.Kind, keyID)
		}
		if im.Info.ImageID != infoID {
			return fmt.Errorf("%w: code info id 0x%08X, %v wants 0x%08X", ErrImageID, im.Info.ImageID, im.Kind, infoID)
		}
		if !VerifyDigest(o.ParentKey, im.Key.Digest(), im.Key.Signature) {
			return fmt.Errorf("%w (parent key %x…)", ErrKeyAreaSig, o.ParentKey[:8])
		}
		if !VerifyDigest(im.Key.ExtPublicKey, im.Info.Digest(), im.Info.Signature) {
			return fmt.Errorf("%w (ext public key %x…)", ErrCodeInfoSig, im.Key.ExtPublicKey[:8])
		}
		if err := checkRollback("key area", im.Key.VersionExt, im.Key.MaskVersionExt, o.EfuseVersion); err != nil {
			return err
		}
		if err := checkRollback("code info", im.Info.VersionExt, im.Info.MaskVersionExt, o.EfuseVersion); err != nil {
			return err
		}
		if err := checkMSID("key area", im.Key.MSIDExt, im.Key.MaskMSIDExt, o.EfuseMSID); err != nil {
			return err
		}
		if err := checkMSID("code info", im.Info.MSIDExt, im.Info.MaskMSIDExt, o.EfuseMSID); err != nil {
			return err
		}
		if im.Key.MaintenanceMode == MaintenanceMode && im.Key.DieID != o.DieID {
			return fmt.Errorf("%w: image %x, efuse %x", ErrDieID, im.Key.DieID, o.DieID)
		}
	}
	if len(im.Code) != int(im.Info.CodeAreaLen) {
		return fmt.Errorf("%w: %d code bytes, code_area_len 0x%x", ErrBodyHash, len(im.Code), im.Info.CodeAreaLen)
	}
	sum256 := sha256.Sum256
	if o.Sum256 != nil {
		sum256 = o.Sum256
	}
	if !o.CodeHashChecked && sum256(im.Code) != im.Info.CodeAreaHash {
		return ErrBodyHash
	}
	return nil
}

// RollbackOK reports whether version passes the anti-rollback check
// against the efuse word: popcount(version & mask) ≥ popcount(efuse & mask).
func RollbackOK(version, mask, efuse uint32) bool {
	return bits.OnesCount32(version&mask) >= bits.OnesCount32(efuse&mask)
}

func checkRollback(area string, version, mask, efuse uint32) error {
	if !RollbackOK(version, mask, efuse) {
		return fmt.Errorf("%w: %s version_ext 0x%x (%d bits under mask 0x%x), efuse 0x%x (%d bits)", ErrRollback, area,
			version, bits.OnesCount32(version&mask), mask, efuse, bits.OnesCount32(efuse&mask))
	}
	return nil
}

func checkMSID(area string, msid, mask, efuse uint32) error {
	if msid&mask != efuse&mask {
		return fmt.Errorf("%w: %s msid 0x%x mask 0x%x, efuse 0x%x", ErrMSID, area, msid, mask, efuse)
	}
	return nil
}

// CheckVersionExt checks that an anti-rollback version is a run of ones
// from bit 0 (0, 1, 3, 7, …, 0xFFFFFFFF): the efuse version is burned one
// bit at a time, so the popcount comparison orders only such values.
func CheckVersionExt(v uint32) error {
	if v&(v+1) != 0 {
		return fmt.Errorf("%w: 0x%x", ErrVersionExtNotRun, v)
	}
	return nil
}
