package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
)

// sdkInputs loads the reference set the SDK packer was run on.
func sdkInputs(t *testing.T) (cfg *Config, app, boot, appZ, bootZ []byte) {
	t.Helper()
	var err error
	if cfg, err = LoadConfig(testutil.Reference(t, "sdk-made/fota.cfg")); err != nil {
		t.Fatal(err)
	}
	app = testutil.ReadReference(t, "sdk-made/app_v2-sign.bin")
	boot = testutil.ReadReference(t, "sdk-made/flashboot_v2_sign.bin")
	for _, p := range []struct {
		name string
		dst  *[]byte
	}{{"sdk-made/app_v2-sign.lzma", &appZ}, {"sdk-made/flashboot_v2_sign.lzma", &bootZ}} {
		b := testutil.ReadReference(t, p.name)
		if _, err := ParseLZMAHeader(b); err != nil || !bytes.Equal(b[13:16], []byte{0, 0, 0}) {
			if b, err = FillLZMAHead(b); err != nil { // the 13-byte form
				t.Fatal(err)
			}
		}
		*p.dst = b
	}
	return
}

// TestPackSDKReference re-packs the inputs of the SDK-made package
// (hash-only fota.cfg, --pkt app,boot, --ver 1.2.3) with our own LZMA
// encoder and compares every byte, signed (update.fwpkg) and unsigned
// (update_temp.fwpkg).
func TestPackSDKReference(t *testing.T) {
	want := testutil.ReadReference(t, "sdk-made/update.fwpkg")
	wantTemp := testutil.ReadReference(t, "sdk-made/update_temp.fwpkg")
	cfg, app, boot, appZ, bootZ := sdkInputs(t)
	opts := PackOptions{Config: cfg, Pkt: []string{"app", "boot"}, Ver: "1.2.3", App: app, Flashboot: boot}

	// 1. From the raw inputs, with CompressLZMA, every byte must match.
	got, err := Pack(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("update.fwpkg: %s", firstDiff(got, want))
	}
	opts.Unsigned = true
	gotTemp, err := Pack(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotTemp, wantTemp) {
		t.Errorf("update_temp.fwpkg: %s", firstDiff(gotTemp, wantTemp))
	}
	// 2. Our payloads are lzma_tool's.
	for _, c := range []struct {
		name     string
		raw, sdk []byte
	}{{"app", app, appZ}, {"flashboot", boot, bootZ}} {
		if z, err := CompressLZMA(c.raw); err != nil || !bytes.Equal(z, c.sdk) {
			t.Errorf("CompressLZMA(%s) differs from lzma_tool's payload (%v): %s", c.name, err, firstDiff(z, c.sdk))
		}
	}
	// 3. Signing the SDK's unsigned output as the sign tool does gives its signed output.
	signed := bytes.Clone(wantTemp)
	if err := SignPackage(signed, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(signed, want) {
		t.Errorf("SignPackage(update_temp.fwpkg): %s", firstDiff(signed, want))
	}
	// 4. The device accepts it.
	if v, err := (&Verifier{}).VerifyFile(bytes.NewReader(want), int64(len(want))); err != nil || v.Version() != "1.2.3" {
		t.Errorf("VerifyFile(update.fwpkg): %v", err)
	}
}

func TestPackRules(t *testing.T) {
	app, boot, nv := readTestdata(t, "app.bin"), readTestdata(t, "flashboot.bin"), readTestdata(t, "nv.bin")
	root, sub := testKeys(t)
	base := func() PackOptions {
		return PackOptions{Config: DefaultConfig(SignSHA256), App: app, Flashboot: boot, NV: nv, Hilink: boot[:100]}
	}
	order := func(o PackOptions) ([]string, error) {
		b, err := Pack(o)
		if err != nil {
			return nil, err
		}
		p, err := ReadPackage(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, n := range p.Nodes {
			names = append(names, ImageName(n.ImageID))
		}
		return names, nil
	}
	for _, tc := range []struct {
		name string
		pkt  []string
		want []string
	}{
		{"default is app (+boot)", nil, []string{"application", "flashboot"}},
		{"boot always added", []string{"app"}, []string{"application", "flashboot"}},
		{"boot alone", []string{"boot"}, []string{"flashboot"}},
		{"order application, flashboot, nv", []string{"nv", "boot", "app"}, []string{"application", "flashboot", "nv"}},
		{"hilink before flashboot", []string{"nv", "hilink", "app"}, []string{"application", "hilink", "flashboot", "nv"}},
		{"test and app_iot pack the application once", []string{"test", "app_iot", "app"}, []string{"application", "flashboot"}},
		{"blanks trimmed", []string{" app", "nv "}, []string{"application", "flashboot", "nv"}},
	} {
		o := base()
		o.Pkt = tc.pkt
		got, err := order(o)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tc.name, diff)
		}
	}

	for _, tc := range []struct {
		name string
		edit func(o *PackOptions)
		want error
	}{
		{"nv without application", func(o *PackOptions) { o.Pkt = []string{"nv", "boot"} }, ErrNVWithoutApp},
		{"unknown pkt", func(o *PackOptions) { o.Pkt = []string{"app", "bootloader"} }, ErrPkt},
		{"ver of 17 characters", func(o *PackOptions) { o.Ver = "12345678901234567" }, ErrVersionTooLong},
		{"missing input", func(o *PackOptions) { o.Flashboot = nil }, ErrPkt},
		{"missing section", func(o *PackOptions) {
			o.Pkt = []string{"hilink"}
			o.Config.Images = o.Config.Images[:3]
		}, ErrPkt},
		{"ecdsa without keys", func(o *PackOptions) { o.Config = DefaultConfig(SignECDSA) }, ErrMissingKey},
		{"ecdsa without sub key", func(o *PackOptions) { o.Config, o.RootKey = DefaultConfig(SignECDSA), root }, ErrMissingKey},
		{"SM2 cannot be signed", func(o *PackOptions) { o.Config.KeyArea.KeyAlg = KeyAlgSM2 }, ErrUnsupported},
		{"diff image", func(o *PackOptions) { o.Config.Image(SectionApplication).DecompressFlag = FlagDiff }, ErrUnsupported},
		{"encryption", func(o *PackOptions) { o.Config.Image(SectionApplication).Encrypt = true }, ErrUnsupported},
		{"key/info id mismatch", func(o *PackOptions) { o.Config.InfoArea.ImageID = 1 }, ErrImageID},
		{"duplicate image id", func(o *PackOptions) { o.Config.Image(SectionFlashboot).ImageID = ImageIDApp }, ErrImageID},
	} {
		o := base()
		tc.edit(&o)
		_, err := Pack(o)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if Code(func() error { o := base(); o.Config.KeyArea.KeyAlg = KeyAlgRSA; _, err := Pack(o); return err }()) != ErrcodeUpgNotSupported {
		t.Errorf("ErrUnsupported should carry ERRCODE_UPG_NOT_SUPPORTED")
	}

	// Accepted edge cases.
	for _, tc := range []struct {
		name string
		edit func(o *PackOptions)
	}{
		{"ver of 16 characters", func(o *PackOptions) { o.Ver = "1234567890123456" }},
		{"ver of 16 multi-byte characters", func(o *PackOptions) { o.Ver = strings.Repeat("版", 16) }},
		{"ecdsa unsigned needs no keys", func(o *PackOptions) { o.Config, o.Unsigned = DefaultConfig(SignECDSA), true }},
		{"SM2 unsigned", func(o *PackOptions) { o.Config.KeyArea.KeyAlg, o.Unsigned = KeyAlgSM2, true }},
		{"ecdsa with keys", func(o *PackOptions) { o.Config, o.RootKey, o.SubKey = DefaultConfig(SignECDSA), root, sub }},
	} {
		o := base()
		tc.edit(&o)
		b, err := Pack(o)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		p, _ := ReadPackage(bytes.NewReader(b), int64(len(b)))
		if p.Info.User != UserArea(o.Ver) {
			t.Errorf("%s: user area %q, want %q", tc.name, p.Info.User, UserArea(o.Ver))
		}
	}
}

func TestPackNVNeverCompressed(t *testing.T) {
	app, boot, nv := readTestdata(t, "app.bin"), readTestdata(t, "flashboot.bin"), readTestdata(t, "nv.bin")
	cfg := DefaultConfig(SignSHA256)
	cfg.Image(SectionNV).DecompressFlag = FlagLZMA // the SDK skips nv by image id whatever the flag
	b, err := Pack(PackOptions{Config: cfg, Pkt: []string{"app", "nv"}, App: app, Flashboot: boot, NV: nv})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadPackage(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	i := p.ImageIndex(ImageIDNV)
	h := p.Headers[i]
	data := b[h.ImageOffset : h.ImageOffset+h.ImageLen]
	if !bytes.Equal(data[:len(nv)], nv) || h.NewImageLen != uint32(len(nv)) || h.ImageLen != uint32(alignInt(len(nv))) {
		t.Errorf("nv stored processed: len %d new %d", h.ImageLen, h.NewImageLen)
	}
	if h.DecompressFlag != FlagLZMA {
		t.Errorf("the header carries the config's DecompressFlag as the SDK writes it, got %#x", h.DecompressFlag)
	}
	if a := p.Headers[p.ImageIndex(ImageIDApp)]; !a.Compressed() || a.NewImageLen != uint32(len(app)) || a.ImageLen >= uint32(len(app)) {
		t.Errorf("application not compressed: %+v", a)
	}
}

func TestPackPlainEncrypted(t *testing.T) {
	c, err := parseCfgText(strings.Replace(minimalCfg, "ReRncFlag=0x0",
		"ReRncFlag=0x3C7896E1\nProtectionKeyL1=00112233445566778899AABBCCDDEEFF\nProtectionKeyL2=00112233445566778899AABB00000000\nIv=FF000000000000000000000000000000", 1))
	if err != nil {
		t.Fatal(err)
	}
	boot := DefaultConfig(SignSHA256).Image(SectionFlashboot)
	c.Images = append(c.Images, *boot)
	b, err := Pack(PackOptions{Config: c, App: readTestdata(t, "app.bin"), Flashboot: readTestdata(t, "flashboot.bin"), PlainEncrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ReadPackage(bytes.NewReader(b), int64(len(b)))
	h := p.Headers[0]
	if !h.Encrypted() || h.EncPKL1[0] != 0x00 || h.EncPKL1[15] != 0xFF || h.EncPKL2[11] != 0xBB || h.IV[0] != 0xFF {
		t.Errorf("encryption fields: %+v", h)
	}
	if p.Headers[1].Encrypted() || p.Headers[1].IV != ([16]byte{}) {
		t.Errorf("flashboot not encrypted in the config")
	}
}

func TestPackDeterministic(t *testing.T) {
	for _, f := range fixtures {
		if !bytes.Equal(packFixture(t, f), packFixture(t, f)) {
			t.Errorf("%s: two packs differ", f.name)
		}
	}
}

func TestSignPackage(t *testing.T) {
	root, sub := testKeys(t)
	unsigned := readTestdata(t, "ecdsa_unsigned.fwpkg")
	b := bytes.Clone(unsigned)
	if err := SignPackage(b, nil, nil); !errors.Is(err, ErrMissingKey) {
		t.Errorf("no keys: %v", err)
	}
	if err := SignPackage(b, root, sub); err != nil {
		t.Fatal(err)
	}
	var v Verifier
	v.RootKey = root.XY()
	if _, err := v.VerifyFile(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("signed unsigned fixture: %v", err)
	}
	if !bytes.Equal(b[HeaderLen:], unsigned[HeaderLen:]) {
		t.Errorf("SignPackage touched bytes after the header")
	}
	if err := SignPackage(b[:100], root, sub); !errors.Is(err, ErrTruncated) {
		t.Errorf("short package: %v", err)
	}
}

// TestOpenSSLVerifiesECDSA: the signatures ws63emu writes are standard
// brainpoolP256r1 ECDSA-SHA256 signatures once r ‖ s is DER-encoded.
func TestOpenSSLVerifiesECDSA(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	root, sub := testKeys(t)
	pkg := readTestdata(t, "ecdsa_lzma.fwpkg")
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		area []byte
		key  *image.PrivateKey
	}{
		{"key area (root key)", pkg[:KeyAreaLen], root},
		{"info area (sub key)", pkg[KeyAreaLen:HeaderLen], sub},
	} {
		data := filepath.Join(dir, "data")
		sigf := filepath.Join(dir, "sig.der")
		pubf := filepath.Join(dir, "pub.pem")
		mustOK(t, os.WriteFile(data, tc.area[:SignedLen], 0o644))
		mustOK(t, os.WriteFile(sigf, derSignature(t, tc.area[SignedLen:SignedLen+SignatureLen]), 0o644))
		mustOK(t, os.WriteFile(pubf, publicKeyPEM(t, tc.key.XY()), 0o644))
		out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pubf, "-signature", sigf, data).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verified OK") {
			t.Errorf("%s: openssl: %v: %s", tc.name, err, out)
		}
		// And a corrupted message is refused, so the check is real.
		bad := bytes.Clone(tc.area[:SignedLen])
		bad[0] ^= 1
		mustOK(t, os.WriteFile(data, bad, 0o644))
		if out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pubf, "-signature", sigf, data).CombinedOutput(); err == nil {
			t.Errorf("%s: openssl accepted a corrupted message: %s", tc.name, out)
		}
	}
	// The sub key's X ‖ Y is in the key area.
	xy := sub.XY()
	if !bytes.Equal(pkg[128:192], xy[:]) {
		t.Errorf("key area public key is not the sub key")
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func derSignature(t *testing.T, rs []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// publicKeyPEM is a SubjectPublicKeyInfo for a brainpoolP256r1 point.
func publicKeyPEM(t *testing.T, xy [64]byte) []byte {
	t.Helper()
	type algo struct {
		Algorithm, Curve asn1.ObjectIdentifier
	}
	spki := struct {
		Algo algo
		Key  asn1.BitString
	}{
		Algo: algo{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}},
		Key:  asn1.BitString{Bytes: append([]byte{4}, xy[:]...), BitLength: 8 * 65},
	}
	der, err := asn1.Marshal(spki)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// tableHash recomputes a package's hash table hash (for tests that edit
// a table entry and want to get past step 6).
func tableHash(b []byte) [32]byte {
	le := binary.LittleEndian
	var info InfoArea
	_ = info.UnmarshalBinary(b[KeyAreaLen:HeaderLen])
	off := info.TableOffset()
	return sha256.Sum256(b[off : off+int64(le.Uint32(b[KeyAreaLen+36:]))])
}
