package image

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildHashOnlyFields pins the header of a hash-only build (what the
// SDK-made images carry; TestBuildMatchesSDK checks the bytes when the
// reference data is present).
func TestBuildHashOnlyFields(t *testing.T) {
	code := []byte("seventeen bytes!!")
	im, err := BuildImage(BuildOptions{Kind: KindFlashboot, Code: code, VersionExt: 1})
	if err != nil {
		t.Fatal(err)
	}
	padded := append(append([]byte(nil), code...), make([]byte, 15)...)
	wantKey := KeyArea{
		ImageID: FlashbootKeyAreaID, StructVersion: 0x10000, StructLength: 0x100, SignatureLength: 0x40,
		KeyOwnerID: 1, KeyID: 1, KeyAlg: 0x2A13C812, ECCCurveType: 0x2A13C812, KeyLength: 0x40, CodeInfoAddr: 0x100,
	}
	kb, _ := wantKey.MarshalBinary()
	wantKey.Signature = HashOnlySignature(sha256.Sum256(kb[:0xC0]))
	wantInfo := CodeInfo{
		ImageID: FlashbootCodeInfoID, StructVersion: 0x10000, StructLength: 0x200, SignatureLength: 0x40,
		VersionExt: 1, MaskVersionExt: 0xFFFFFFFF, CodeAreaAddr: 0x300, CodeAreaLen: 32,
		CodeAreaHash: sha256.Sum256(padded), CodeEncFlag: 0x3C7896E1,
	}
	ib, _ := wantInfo.MarshalBinary()
	wantInfo.Signature = HashOnlySignature(sha256.Sum256(ib[:0x180]))
	if d := cmp.Diff(wantKey, im.Key); d != "" {
		t.Errorf("key area (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantInfo, im.Info); d != "" {
		t.Errorf("code info (-want +got):\n%s", d)
	}
	if !bytes.Equal(im.Code, padded) {
		t.Errorf("code %q, want zero padded to 32", im.Code)
	}
	if im.Len() != HeaderLen+32 {
		t.Errorf("Len %d", im.Len())
	}
	if sig := HashOnlySignature([32]byte{1}); sig[0] != 1 || !allZero(sig[32:]) {
		t.Errorf("HashOnlySignature %x", sig)
	}
}

func TestBuildOptions(t *testing.T) {
	k := testKey(t, "opts")
	for _, tc := range []struct {
		name  string
		o     BuildOptions
		check func(t *testing.T, im *Image)
	}{
		{"mask given", BuildOptions{Kind: KindApp, MaskVersionExt: 0xF0}, func(t *testing.T, im *Image) {
			if im.Info.MaskVersionExt != 0xF0 {
				t.Errorf("mask 0x%x", im.Info.MaskVersionExt)
			}
		}},
		{"zero mask", BuildOptions{Kind: KindApp, ZeroVersionMask: true}, func(t *testing.T, im *Image) {
			if im.Info.MaskVersionExt != 0 {
				t.Errorf("mask 0x%x", im.Info.MaskVersionExt)
			}
		}},
		{"msid in both areas", BuildOptions{Kind: KindApp, MSID: 0x12, MSIDMask: 0xFF}, func(t *testing.T, im *Image) {
			if im.Key.MSIDExt != 0x12 || im.Key.MaskMSIDExt != 0xFF || im.Info.MSIDExt != 0x12 || im.Info.MaskMSIDExt != 0xFF {
				t.Errorf("key %x/%x info %x/%x", im.Key.MSIDExt, im.Key.MaskMSIDExt, im.Info.MSIDExt, im.Info.MaskMSIDExt)
			}
		}},
		{"die id", BuildOptions{Kind: KindApp, DieID: &[16]byte{9}}, func(t *testing.T, im *Image) {
			if im.Key.MaintenanceMode != MaintenanceMode || im.Key.DieID[0] != 9 {
				t.Errorf("maintenance 0x%x die %x", im.Key.MaintenanceMode, im.Key.DieID)
			}
		}},
		{"encrypted", BuildOptions{Kind: KindApp, Code: []byte{1}, Encrypted: true, ProtectionKeyL1: [16]byte{1}, ProtectionKeyL2: [16]byte{2}, IV: [16]byte{3}},
			func(t *testing.T, im *Image) {
				if im.Info.CodeEncFlag == NotEncrypted || im.Info.ProtectionKeyL1[0] != 1 || im.Info.ProtectionKeyL2[0] != 2 || im.Info.IV[0] != 3 {
					t.Errorf("enc flag 0x%x keys %x %x iv %x", im.Info.CodeEncFlag, im.Info.ProtectionKeyL1, im.Info.ProtectionKeyL2, im.Info.IV)
				}
			}},
		{"ecdsa", BuildOptions{Kind: KindApp, Key: k}, func(t *testing.T, im *Image) {
			if im.Key.ExtPublicKey != k.XY() || !allZero(im.Info.SignatureExt[:]) {
				t.Error("ext key or signature_ext")
			}
			if !VerifyDigest(k.XY(), im.Key.Digest(), im.Key.Signature) || !VerifyDigest(k.XY(), im.Info.Digest(), im.Info.Signature) {
				t.Error("signatures do not verify")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := BuildImage(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, im)
		})
	}
}

func TestBuildBadOptions(t *testing.T) {
	k := testKey(t, "bad")
	for _, tc := range []struct {
		name string
		o    BuildOptions
	}{
		{"no kind", BuildOptions{}},
		{"kind out of range", BuildOptions{Kind: 4}},
		{"code too big", BuildOptions{Kind: KindApp, Code: make([]byte, MaxLen-HeaderLen+1)}},
		{"parent without key", BuildOptions{Kind: KindApp, ParentKey: k}},
	} {
		if _, err := Build(tc.o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("%s: err %v, want ErrBadOptions", tc.name, err)
		}
	}
	// The largest code that fits.
	if _, err := Build(BuildOptions{Kind: KindApp, Code: make([]byte, MaxLen-HeaderLen)}); err != nil {
		t.Errorf("largest image: %v", err)
	}
}

// TestSignAfterChange re-signs an image after a field change.
func TestSignAfterChange(t *testing.T) {
	im, err := BuildImage(BuildOptions{Kind: KindApp, Code: []byte{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	im.Info.VersionExt = 3
	if err := im.Sign(nil, nil); err != nil {
		t.Fatal(err)
	}
	want, _ := Build(BuildOptions{Kind: KindApp, Code: []byte{1, 2, 3}, VersionExt: 3})
	got, _ := im.MarshalBinary()
	if !bytes.Equal(got, want) {
		t.Error("re-signed image differs from a fresh build")
	}
}
