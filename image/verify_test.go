package image

import (
	"bytes"
	"errors"
	"testing"
)

// chain is a key chain as the SDK's sign configs set it up: the ssb key
// signs flashboot's key area, flashboot's ext key (flash key) signs the app
// key area, the app key signs the app code info.
type chain struct {
	ssb, flash, app *PrivateKey
}

func testChain(t testing.TB) chain {
	return chain{ssb: testKey(t, "ssb"), flash: testKey(t, "flash"), app: testKey(t, "app")}
}

func buildParsed(t testing.TB, o BuildOptions) *Image {
	t.Helper()
	b, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	im, err := Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestVerifyChain(t *testing.T) {
	c := testChain(t)
	fb := buildParsed(t, BuildOptions{Kind: KindFlashboot, Code: SyntheticCode(Ident{Kind: KindFlashboot, Version: "fb1"}, 3000), Key: c.flash, ParentKey: c.ssb})
	app := buildParsed(t, BuildOptions{Kind: KindApp, Code: SyntheticCode(Ident{Kind: KindApp, Version: "app1"}, 5000), Key: c.app, ParentKey: c.flash, VersionExt: 3})

	if err := Verify(fb, VerifyOptions{SecureBoot: true, ParentKey: c.ssb.XY()}); err != nil {
		t.Errorf("flashboot: %v", err)
	}
	if fb.Key.ExtPublicKey != c.flash.XY() {
		t.Error("flashboot ext_public_key is not the flash key")
	}
	// flashboot verifies the app with its own key area's ext key.
	if err := Verify(app, VerifyOptions{SecureBoot: true, ParentKey: fb.Key.ExtPublicKey, EfuseVersion: 3}); err != nil {
		t.Errorf("app: %v", err)
	}
	if err := Verify(app, VerifyOptions{SecureBoot: true, ParentKey: c.ssb.XY()}); !errors.Is(err, ErrKeyAreaSig) {
		t.Errorf("app under the ssb key: %v, want ErrKeyAreaSig", err)
	}
	// Self-signed: ParentKey nil means Key.
	self := buildParsed(t, BuildOptions{Kind: KindApp, Code: []byte("x"), Key: c.app})
	if err := Verify(self, VerifyOptions{SecureBoot: true, ParentKey: c.app.XY()}); err != nil {
		t.Errorf("self-signed: %v", err)
	}
	// Deterministic: RFC 6979 nonces.
	again := buildParsed(t, BuildOptions{Kind: KindApp, Code: []byte("x"), Key: c.app})
	if self.Key.Signature != again.Key.Signature || self.Info.Signature != again.Info.Signature {
		t.Error("two ECDSA builds of the same image differ")
	}
}

// TestVerifySentinels produces each verification sentinel from a good
// ECDSA image changed in one place.
func TestVerifySentinels(t *testing.T) {
	c := testChain(t)
	die := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	base := BuildOptions{Kind: KindApp, Code: SyntheticCode(Ident{Kind: KindApp, Version: "v"}, 2000),
		Key: c.app, ParentKey: c.flash, VersionExt: 7, MSID: 0x5A, MSIDMask: 0xFF, DieID: &die}
	good := VerifyOptions{SecureBoot: true, ParentKey: c.flash.XY(), EfuseVersion: 7, EfuseMSID: 0x125A, DieID: die}
	for _, tc := range []struct {
		name  string
		build func(o *BuildOptions)
		image func(im *Image) // changed after signing
		opts  func(o *VerifyOptions)
		want  error
	}{
		{name: "good", want: nil},
		{name: "secure boot off ignores all but the body", image: func(im *Image) { im.Info.ImageID = 0; im.Key.Signature[0] ^= 1 },
			opts: func(o *VerifyOptions) { o.SecureBoot = false; o.EfuseVersion = 0xFF; o.EfuseMSID = 0 }, want: nil},
		{name: "kind differs from key id", image: func(im *Image) { im.Kind = KindFlashboot }, want: ErrImageID},
		{name: "code info id", build: func(o *BuildOptions) {}, image: func(im *Image) { im.Info.ImageID = FlashbootCodeInfoID }, want: ErrImageID},
		{name: "key area byte", image: func(im *Image) { im.Key.Reserved[3] ^= 1 }, want: ErrKeyAreaSig},
		{name: "key area signature", image: func(im *Image) { im.Key.Signature[40] ^= 1 }, want: ErrKeyAreaSig},
		{name: "wrong parent key", opts: func(o *VerifyOptions) { o.ParentKey = c.app.XY() }, want: ErrKeyAreaSig},
		{name: "no parent key", opts: func(o *VerifyOptions) { o.ParentKey = [64]byte{} }, want: ErrKeyAreaSig},
		{name: "hash-only image", build: func(o *BuildOptions) { o.Key, o.ParentKey = nil, nil }, want: ErrKeyAreaSig},
		{name: "code info byte", image: func(im *Image) { im.Info.TextSegmentSize = 1 }, want: ErrCodeInfoSig},
		{name: "code info signature", image: func(im *Image) { im.Info.Signature[0] ^= 1 }, want: ErrCodeInfoSig},
		{name: "version below efuse", opts: func(o *VerifyOptions) { o.EfuseVersion = 0xF }, want: ErrRollback},
		{name: "key version below efuse", build: func(o *BuildOptions) { o.KeyMaskVersionExt = 0xFF; o.KeyVersionExt = 1 }, want: ErrRollback},
		{name: "version above efuse", opts: func(o *VerifyOptions) { o.EfuseVersion = 1 }, want: nil},
		{name: "zero mask disables rollback", build: func(o *BuildOptions) { o.ZeroVersionMask = true },
			opts: func(o *VerifyOptions) { o.EfuseVersion = 0xFFFF }, want: nil},
		{name: "partial mask", build: func(o *BuildOptions) { o.MaskVersionExt = 0x3 },
			opts: func(o *VerifyOptions) { o.EfuseVersion = 0xFF }, want: nil},
		{name: "msid", opts: func(o *VerifyOptions) { o.EfuseMSID = 0x5B }, want: ErrMSID},
		{name: "msid outside mask", opts: func(o *VerifyOptions) { o.EfuseMSID = 0xFF5A }, want: nil},
		{name: "die id", opts: func(o *VerifyOptions) { o.DieID[15] ^= 1 }, want: ErrDieID},
		{name: "no maintenance mode", build: func(o *BuildOptions) { o.DieID = nil }, opts: func(o *VerifyOptions) { o.DieID = [16]byte{} }, want: nil},
		{name: "body", image: func(im *Image) { im.Code[10] ^= 1 }, want: ErrBodyHash},
		{name: "body, secure boot off", image: func(im *Image) { im.Code[10] ^= 1 }, opts: func(o *VerifyOptions) { o.SecureBoot = false }, want: ErrBodyHash},
		{name: "code shorter than code_area_len", image: func(im *Image) { im.Code = im.Code[:16] }, opts: func(o *VerifyOptions) { o.SecureBoot = false }, want: ErrBodyHash},
		// CodeHashChecked: the caller vouches for the code (Parse just
		// checked it), so the hash is not computed again; the length is
		// still checked.
		{name: "code hash checked by the caller", image: func(im *Image) { im.Code[10] ^= 1 }, opts: func(o *VerifyOptions) { o.CodeHashChecked = true }, want: nil},
		{name: "code hash checked, code shorter", image: func(im *Image) { im.Code = im.Code[:16] }, opts: func(o *VerifyOptions) { o.CodeHashChecked = true }, want: ErrBodyHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			if tc.build != nil {
				tc.build(&o)
			}
			im := buildParsed(t, o)
			if tc.image != nil {
				tc.image(im)
			}
			vo := good
			if tc.opts != nil {
				tc.opts(&vo)
			}
			err := Verify(im, vo)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRollbackOK(t *testing.T) {
	for _, tc := range []struct {
		v, mask, efuse uint32
		want           bool
	}{
		{0, 0xFFFFFFFF, 0, true},
		{1, 0xFFFFFFFF, 0, true},
		{1, 0xFFFFFFFF, 1, true},
		{1, 0xFFFFFFFF, 3, false},
		{7, 0xFFFFFFFF, 3, true},
		{0x10, 0xFFFFFFFF, 1, true}, // popcount, not order: 0x10 has as many bits as 1
		{0, 0, 0xFFFFFFFF, true},
		{3, 0x1, 0x3, true},
	} {
		if got := RollbackOK(tc.v, tc.mask, tc.efuse); got != tc.want {
			t.Errorf("RollbackOK(0x%x, 0x%x, 0x%x) = %v", tc.v, tc.mask, tc.efuse, got)
		}
	}
}

func TestCheckVersionExt(t *testing.T) {
	for _, tc := range []struct {
		v  uint32
		ok bool
	}{
		{0, true}, {1, true}, {3, true}, {7, true}, {0xF, true}, {0x7FFFFFFF, true}, {0xFFFFFFFF, true},
		{2, false}, {4, false}, {5, false}, {6, false}, {0x8, false}, {0xE, false}, {0x80000000, false}, {0xFFFFFFFE, false},
	} {
		err := CheckVersionExt(tc.v)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, ErrVersionExtNotRun) {
			t.Errorf("CheckVersionExt(0x%x) = %v", tc.v, err)
		}
	}
}
