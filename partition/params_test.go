package partition_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
)

// fakeKey is a deterministic stand-in for a brainpool key: its "public key"
// is SHA-512(seed) and its "signature" of a digest is
// SHA-256(pub ‖ digest) ‖ SHA-256(digest ‖ pub), which fakeVerifier checks.
type fakeKey struct{ seed string }

func (k fakeKey) PublicKeyXY() [64]byte { return sha512.Sum512([]byte(k.seed)) }

func (k fakeKey) SignDigest(d [32]byte) ([64]byte, error) { return fakeSig(k.PublicKeyXY(), d), nil }

func fakeSig(pub [64]byte, d [32]byte) [64]byte {
	var s [64]byte
	a := sha256.Sum256(append(pub[:], d[:]...))
	b := sha256.Sum256(append(d[:], pub[:]...))
	copy(s[:32], a[:])
	copy(s[32:], b[:])
	return s
}

type fakeVerifier struct{}

func (fakeVerifier) VerifyDigest(pub [64]byte, d [32]byte, sig [64]byte) bool {
	return fakeSig(pub, d) == sig
}

type failingSigner struct{ fakeKey }

func (failingSigner) SignDigest([32]byte) ([64]byte, error) {
	return [64]byte{}, errors.New("hsm offline")
}

func TestRecordSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want int
	}{
		{"RootArea", partition.RootArea{}, partition.RootAreaLen},
		{"KeyArea", partition.KeyArea{}, partition.KeyAreaLen},
		{"InfoArea", partition.InfoArea{}, partition.InfoAreaLen},
	} {
		if got := binary.Size(tc.v); got != tc.want {
			t.Errorf("binary.Size(%s) = %#x, want %#x", tc.name, got, tc.want)
		}
	}
	for _, m := range []interface{ MarshalBinary() ([]byte, error) }{partition.RootArea{}, partition.KeyArea{}, partition.InfoArea{}} {
		b, err := m.MarshalBinary()
		if err != nil || len(b) != binary.Size(m) {
			t.Errorf("%T.MarshalBinary: %d bytes, %v", m, len(b), err)
		}
	}
	if partition.RootAreaLen+partition.KeyAreaLen+partition.InfoAreaLen+partition.TableLen != partition.ParamsLen {
		t.Error("areas do not add up to ParamsLen")
	}
	if partition.InfoAreaOffset+partition.InfoAreaLen != partition.TableOffset {
		t.Error("table does not follow the info area")
	}
}

// TestBuildParamsMatchesRealBlob rebuilds the real SDK-signed blob.
func TestBuildParamsMatchesRealBlob(t *testing.T) {
	blob := testutil.ReadReference(t, refParams)
	got, err := partition.BuildParams(partition.Default(partition.LayoutCompress), partition.ParamsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != partition.ParamsLen || len(blob) != partition.ParamsLen {
		t.Fatalf("len %#x, real %#x, want %#x", len(got), len(blob), partition.ParamsLen)
	}
	for i := range got {
		if got[i] != blob[i] {
			t.Fatalf("first difference at blob offset %#x: got %#02x, real %#02x", i, got[i], blob[i])
		}
	}
}

func TestParseParamsRealBlob(t *testing.T) {
	blob := testutil.ReadReference(t, refParams)
	p, err := partition.ParseParams(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	if p.Root != nil {
		t.Errorf("root key area decoded, want erased: %+v", p.Root)
	}
	if !p.KeyHashOK || !p.InfoHashOK || !p.TableHashOK {
		t.Errorf("hash checks key=%v info=%v table=%v, want all true", p.KeyHashOK, p.InfoHashOK, p.TableHashOK)
	}
	if d := cmp.Diff(partition.Default(partition.LayoutCompress), p.Table); d != "" {
		t.Error(d)
	}
	var pk, iv [16]byte
	hex.Decode(pk[:], []byte("00112233445566778899AABBCCDDEEFF"))
	hex.Decode(iv[:], []byte("101112131415161718191A1B1C1D1E1F"))
	want := partition.InfoArea{
		ImageID: 0x4B87A52D, StructVersion: 0x10000, StructLength: 0x200, SignatureLength: 0x40,
		AreaLen: 0x400, AreaHash: p.TableHash,
		EncFlag: 0x1E6987C3, ProtectionKeyL1: pk, ProtectionKeyL2: pk, IV: iv, UncompressLen: 0x400, TextSegmentSize: 0x10000, Signature: p.Info.Signature,
	}
	if d := cmp.Diff(want, p.Info); d != "" {
		t.Errorf("info (-want +got):\n%s", d)
	}
	if p.Key.SignatureLength != 0x40 || p.Key.KeyAlg != 0x2A13C812 || p.Key.ExtPublicKey != [64]byte{} {
		t.Errorf("key area %+v", p.Key)
	}
	if ok1, ok2 := p.VerifyECDSA(fakeVerifier{}); ok1 || ok2 {
		t.Error("hash-only blob passed ECDSA verification")
	}
}

// rootPubFromPEM extracts the sample root key's X ‖ Y with openssl.
func rootPubFromPEM(t *testing.T) [64]byte {
	t.Helper()
	pem := testutil.Reference(t, "sdk/ec_bp256_oem_root_private_key.pem")
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	der, err := exec.Command("openssl", "ec", "-in", pem, "-pubout", "-outform", "DER").Output()
	if err != nil {
		t.Skipf("openssl cannot read the brainpool key: %v", err)
	}
	if len(der) < 65 || der[len(der)-65] != 0x04 {
		t.Fatalf("unexpected DER public key (%d bytes)", len(der))
	}
	var xy [64]byte
	copy(xy[:], der[len(der)-64:])
	return xy
}

func TestRootKeyAreaHashMatchesSDK(t *testing.T) {
	xy := rootPubFromPEM(t)
	wantHex := strings.TrimSpace(string(testutil.ReadReference(t, "sdk/root_pubk.bin.hash")))
	want, err := hex.DecodeString(wantHex)
	if err != nil {
		t.Fatal(err)
	}
	area := partition.RootKeyArea(xy)
	if len(area) != partition.RootAreaLen {
		t.Fatalf("len %#x", len(area))
	}
	if got := sha256.Sum256(area); !bytes.Equal(got[:], want) {
		t.Errorf("SHA-256(root key area) = %X, want %s", got, wantHex)
	}
}

func TestBuildParamsECDSA(t *testing.T) {
	root, sub := fakeKey{"root"}, fakeKey{"sub"}
	tbl := partition.Default(partition.LayoutAB)
	for _, tc := range []struct {
		name    string
		o       partition.ParamsOptions
		wantExt [64]byte
	}{
		{"root only", partition.ParamsOptions{Root: root}, root.PublicKeyXY()},
		{"root and sub", partition.ParamsOptions{Root: root, Sub: sub, VersionExt: 3, VersionMask: 0xFF, MSID: 7, MSIDMask: 0xF}, sub.PublicKeyXY()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := partition.BuildParams(tbl, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b[:partition.RootAreaLen], partition.RootKeyArea(root.PublicKeyXY())) {
				t.Error("root key area not filled from the root signer")
			}
			b2, _ := partition.BuildParams(tbl, tc.o)
			if !bytes.Equal(b, b2) {
				t.Error("BuildParams not deterministic with a deterministic signer")
			}
			p, err := partition.ParseParams(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if p.Root == nil || p.Root.PublicKey != root.PublicKeyXY() {
				t.Fatalf("root area %+v", p.Root)
			}
			if p.RootKeyHash != sha256.Sum256(partition.RootKeyArea(root.PublicKeyXY())) {
				t.Error("RootKeyHash")
			}
			if p.Key.ExtPublicKey != tc.wantExt {
				t.Error("ext public key is not the info signer's")
			}
			if p.Key.SignatureLength != 0x40 || p.Info.SignatureLength != 0x40 {
				t.Errorf("signature lengths %#x %#x, want 0x40", p.Key.SignatureLength, p.Info.SignatureLength)
			}
			if p.KeyHashOK || p.InfoHashOK || !p.TableHashOK {
				t.Errorf("hash checks key=%v info=%v table=%v, want false false true", p.KeyHashOK, p.InfoHashOK, p.TableHashOK)
			}
			if k, i := p.VerifyECDSA(fakeVerifier{}); !k || !i {
				t.Errorf("VerifyECDSA = %v %v, want true true", k, i)
			}
			if p.Info.VersionExt != tc.o.VersionExt || p.Info.MSID != tc.o.MSID || p.Key.MSIDMask != tc.o.MSIDMask {
				t.Error("options not applied")
			}
			if d := cmp.Diff(tbl, p.Table); d != "" {
				t.Error(d)
			}
			// A flipped bit in the signed part of the key area breaks its signature only.
			b[partition.KeyAreaOffset+0x24] ^= 1
			p, err = partition.ParseParams(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if k, i := p.VerifyECDSA(fakeVerifier{}); k || !i {
				t.Errorf("after corrupting the key area: VerifyECDSA = %v %v, want false true", k, i)
			}
		})
	}
	if _, err := partition.BuildParams(tbl, partition.ParamsOptions{Root: failingSigner{}}); err == nil || !strings.Contains(err.Error(), "hsm offline") {
		t.Errorf("failing signer: %v", err)
	}
	if _, err := partition.BuildParams(tbl, partition.ParamsOptions{Root: root, Sub: failingSigner{}}); err == nil || !strings.Contains(err.Error(), "params info") {
		t.Errorf("failing sub signer: %v", err)
	}
	// Sub without Root stays hash-only.
	b, _ := partition.BuildParams(tbl, partition.ParamsOptions{Sub: sub})
	p, _ := partition.ParseParams(bytes.NewReader(b), int64(len(b)))
	if p.Root != nil || !p.KeyHashOK || !p.InfoHashOK {
		t.Error("Sub without Root did not build a hash-only blob")
	}
}

// TestParseParamsCorruption flips bytes of a hash-only blob at documented offsets.
func TestParseParamsCorruption(t *testing.T) {
	good, err := partition.BuildParams(partition.Default(partition.LayoutAB), partition.ParamsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(b []byte) *partition.Params {
		t.Helper()
		p, err := partition.ParseParams(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	b := append([]byte(nil), good...)
	b[partition.TableOffset+0x100] ^= 0x01 // padding byte of the table: hashed, not parsed
	if p := check(b); p.TableHashOK || !p.KeyHashOK || !p.InfoHashOK {
		t.Errorf("table corruption: table=%v key=%v info=%v", p.TableHashOK, p.KeyHashOK, p.InfoHashOK)
	}
	b = append([]byte(nil), good...)
	b[partition.KeyAreaOffset+0x10] ^= 0x01 // key_owner_id
	if p := check(b); p.KeyHashOK || !p.InfoHashOK || !p.TableHashOK {
		t.Error("key area corruption not isolated")
	}
	b = append([]byte(nil), good...)
	b[partition.InfoAreaOffset+0x28] ^= 0x01 // params_area_hash[0]
	if p := check(b); p.InfoHashOK || p.TableHashOK || !p.KeyHashOK {
		t.Error("info hash corruption")
	}
	b = append([]byte(nil), good...)
	b[partition.InfoAreaOffset+0x1C0] ^= 0x01 // sig_params_info_ext: not signed, not checked
	if p := check(b); !p.InfoHashOK || !p.KeyHashOK || !p.TableHashOK {
		t.Error("unsigned ext signature field affected checks")
	}

	for _, tc := range []struct {
		name    string
		mess    func(b []byte) []byte
		want    error
		wantOff int64
	}{
		{"truncated", func(b []byte) []byte { return b[:partition.ParamsLen-1] }, partition.ErrTruncated, partition.ParamsLen - 1},
		{"root id", func(b []byte) []byte { b[0x10] = 0; return b }, partition.ErrImageID, 0},
		{"key id", func(b []byte) []byte { b[partition.KeyAreaOffset] ^= 1; return b }, partition.ErrImageID, partition.KeyAreaOffset},
		{"info id", func(b []byte) []byte { b[partition.InfoAreaOffset+3] ^= 1; return b }, partition.ErrImageID, partition.InfoAreaOffset},
		{"area addr", func(b []byte) []byte { b[partition.InfoAreaOffset+32] = 4; return b }, partition.ErrAreaLayout, partition.InfoAreaOffset + 32},
		{"area len 0", func(b []byte) []byte { b[partition.InfoAreaOffset+37] = 0; return b }, partition.ErrAreaLayout, partition.InfoAreaOffset + 36},
		{"area len big", func(b []byte) []byte { b[partition.InfoAreaOffset+37] = 8; return b }, partition.ErrAreaLayout, partition.InfoAreaOffset + 36},
		{"table id", func(b []byte) []byte { b[partition.TableOffset] = 0; return b }, partition.ErrInit, partition.TableOffset},
		{"table count", func(b []byte) []byte { b[partition.TableOffset+14] = 3; return b }, partition.ErrInit, partition.TableOffset + 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mess(append([]byte(nil), good...))
			_, err := partition.ParseParams(bytes.NewReader(b), int64(len(b)))
			var fe *partition.FormatError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) {
				t.Fatalf("err = %v, want %v in a *FormatError", err, tc.want)
			}
			if fe.Off != tc.wantOff {
				t.Errorf("Off = %#x, want %#x (%v)", fe.Off, tc.wantOff, err)
			}
		})
	}
}
