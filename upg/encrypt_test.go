package upg

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"testing"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
)

// TestCryptAtMatchesStream checks that CryptAt at any offset continues the
// AES-128-CTR stream of (key, iv) from the start of the window.
func TestCryptAtMatchesStream(t *testing.T) {
	key := [FlashKeyLen]byte{1, 2, 3}
	iv := [16]byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE} // low half carries
	plain := make([]byte, 1000)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	block, _ := aes.NewCipher(key[:])
	want := make([]byte, len(plain))
	cipher.NewCTR(block, iv[:]).XORKeyStream(want, plain)
	for _, cuts := range [][]int{{0, 1000}, {0, 5, 16, 17, 100, 999, 1000}, {0, 33, 512, 1000}} {
		got := bytes.Clone(plain)
		for i := 0; i+1 < len(cuts); i++ {
			CryptAt(key, iv, uint32(cuts[i]), got[cuts[i]:cuts[i+1]])
		}
		if !bytes.Equal(got, want) {
			t.Errorf("cuts %v: CryptAt differs from one AES-CTR stream", cuts)
		}
		CryptAt(key, iv, 0, got) // the same operation decrypts
		if !bytes.Equal(got, plain) {
			t.Errorf("cuts %v: CryptAt twice is not the identity", cuts)
		}
	}
}

func TestFlashKeyUsesSalt(t *testing.T) {
	var k [FlashKeyLen]byte
	l1, l2 := [16]byte{1}, [16]byte{2}
	a := FlashKey(k, l1, l2)
	l2b := l2
	l2b[12] = 9 // beyond the 28-byte salt: ignored
	if FlashKey(k, l1, l2b) != a {
		t.Error("FlashKey reads protection_key_l2 beyond its first 12 bytes")
	}
	l2b[11] = 9
	if FlashKey(k, l1, l2b) == a {
		t.Error("FlashKey ignores protection_key_l2[11]")
	}
	k[0] = 1
	if FlashKey(k, l1, l2) == a {
		t.Error("FlashKey ignores the efuse key")
	}
}

func TestReEncrypt(t *testing.T) {
	key := [FlashKeyLen]byte{7}
	h := ImageHeader{ImageID: ImageIDApp, ReEncFlag: FlagEncrypted, EncPKL1: [16]byte{1}, EncPKL2: [16]byte{2}, IV: [16]byte{3}}
	img := make([]byte, 0x2000)
	for i := range img {
		img[i] = byte(i)
	}
	// Whole-image reference: header plain, the rest one stream.
	want := bytes.Clone(img)
	CryptAt(FlashKey(key, h.EncPKL1, h.EncPKL2), h.IV, 0, want[EncryptOffset:])
	got := bytes.Clone(img)
	enc := ReEncrypt(key, true)
	for off := 0; off < len(got); off += 0x1000 {
		if err := enc(h, uint32(off), got[off:off+0x1000]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, want) {
		t.Error("chunked ReEncrypt differs from encrypting the image at once")
	}
	if !bytes.Equal(got[:EncryptOffset], img[:EncryptOffset]) {
		t.Error("the header was encrypted")
	}

	for name, hh := range map[string]ImageHeader{
		"plain app":           {ImageID: ImageIDApp},
		"encrypted flashboot": {ImageID: ImageIDFlashboot, ReEncFlag: FlagEncrypted},
	} {
		b := bytes.Clone(img)
		if err := ReEncrypt(key, false)(hh, 0, b); err != nil || !bytes.Equal(b, img) {
			t.Errorf("%s: ReEncrypt touched it (err %v)", name, err)
		}
	}
	err := ReEncrypt(key, false)(h, 0x1000, bytes.Clone(img[:0x1000]))
	if !errors.Is(err, ErrNoFlashKey) || Code(err) != ErrcodeFail {
		t.Errorf("no key: err = %v (code %v), want ErrNoFlashKey / ERRCODE_FAIL", err, Code(err))
	}
}

func TestPackRefusesVersionExt(t *testing.T) {
	app, boot, _, _, _ := fixtureInputs(t)
	for _, v := range []uint32{0, 1, 3, 7, 0xF, 0xFFFFFFFF} {
		cfg := DefaultConfig(SignSHA256)
		cfg.Image(SectionApplication).VersionExt = v
		if _, err := Pack(PackOptions{Config: cfg, App: app, Flashboot: boot}); err != nil {
			t.Errorf("version_ext 0x%x: %v", v, err)
		}
	}
	for _, v := range []uint32{2, 5, 6, 0x10, 0xFFFFFFFE} {
		cfg := DefaultConfig(SignSHA256)
		cfg.Image(SectionFlashboot).VersionExt = v
		_, err := Pack(PackOptions{Config: cfg, App: app, Flashboot: boot})
		if !errors.Is(err, ErrVersionExt) || !errors.Is(err, image.ErrVersionExtNotRun) {
			t.Errorf("version_ext 0x%x: err = %v, want ErrVersionExt", v, err)
		}
	}
}

// TestStartReEncrypts runs the compressed and the full task with
// Options.EncryptChunk: after the compressed task imageA must hold the app
// encrypted from 0x300 on; the full task has no crypto step (docs/sdk-mapping.md §4.8:
// uapi_upg_full_image_update copies the data as stored), so imageA holds
// the app in the clear although re_enc_flag asks for encryption.
func TestStartReEncrypts(t *testing.T) {
	app, boot, _, root, sub := fixtureInputs(t)
	key := [FlashKeyLen]byte{0x5A}
	for _, compress := range []bool{true, false} {
		cfg := DefaultConfig(SignECDSA)
		ic := cfg.Image(SectionApplication)
		ic.Encrypt, ic.ReEncFlag = true, FlagEncrypted
		ic.ProtectionKeyL1, ic.ProtectionKeyL2, ic.IV = [16]byte{1}, [16]byte{2}, [16]byte{0xFF}
		if !compress {
			ic.DecompressFlag = 0
		}
		pkg, err := Pack(PackOptions{Config: cfg, App: app, Flashboot: boot, RootKey: root, SubKey: sub, PlainEncrypted: true})
		if err != nil {
			t.Fatal(err)
		}
		u, f := newStoredDevice(t, pkg, root.XY(), Options{})
		if err := u.RequestUpgrade(); err != nil {
			t.Fatal(err)
		}
		fb := New(f, partition.Default(partition.LayoutCompress), Options{EncryptChunk: ReEncrypt(key, true)})
		fb.SetRootKey(root.XY())
		fb.Init()
		if err := fb.Start(); err != nil {
			t.Fatalf("compress=%v: Start: %v", compress, err)
		}
		e, _ := partition.Default(partition.LayoutCompress).Lookup(partition.ImageA)
		got := make([]byte, len(app))
		f.ReadAt(got, int64(e.Offset))
		if !compress {
			if !bytes.Equal(got, app) {
				t.Errorf("raw image: imageA is not the app as stored in the package")
			}
			continue
		}
		if bytes.Equal(got, app) {
			t.Fatalf("compress=%v: imageA holds the app in the clear", compress)
		}
		CryptAt(FlashKey(key, ic.ProtectionKeyL1, ic.ProtectionKeyL2), ic.IV, 0, got[EncryptOffset:])
		if !bytes.Equal(got, app) {
			t.Errorf("compress=%v: imageA decrypted is not the app", compress)
		}
	}
}
