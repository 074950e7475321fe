package image

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

var sampleKeys = []string{"sdk/ec_bp256_oem_root_private_key.pem", "sdk/ec_bp256_app_private_key.pem"}

func TestSampleKeysSignVerify(t *testing.T) {
	for _, name := range sampleKeys {
		t.Run(name, func(t *testing.T) {
			k, err := LoadPrivateKey(testutil.Reference(t, name))
			if err != nil {
				t.Fatal(err)
			}
			d := sha256.Sum256([]byte("hello"))
			sig, err := k.SignDigest(d)
			if err != nil {
				t.Fatal(err)
			}
			if !VerifyDigest(k.XY(), d, sig) {
				t.Fatal("signature does not verify")
			}
			sig2, _ := k.SignDigest(d)
			if sig2 != sig {
				t.Error("RFC 6979 signing is not deterministic")
			}
			bad := sig
			bad[5] ^= 1
			if VerifyDigest(k.XY(), d, bad) {
				t.Error("a damaged signature verifies")
			}
			d2 := d
			d2[0] ^= 1
			if VerifyDigest(k.XY(), d2, sig) {
				t.Error("the signature verifies another digest")
			}
			if (Verifier{}).VerifyDigest(k.XY(), d, sig) != true {
				t.Error("Verifier disagrees with VerifyDigest")
			}
		})
	}
}

// TestRootKeyAreaHash rebuilds the root public key area (docs/sdk-mapping.md §6.3) from the
// sample root key: its SHA-256 is the shipped root_pubk.bin.hash, which
// proves the raw big-endian X ‖ Y encoding.
func TestRootKeyAreaHash(t *testing.T) {
	k, err := LoadPrivateKey(testutil.Reference(t, sampleKeys[0]))
	if err != nil {
		t.Fatal(err)
	}
	area := make([]byte, 0x80)
	for i, v := range []uint32{RootKeyAreaID, StructVersion, 0x80, 1, 1, KeyAlgECC, KeyAlgECC, PublicKeyLen} {
		binary.LittleEndian.PutUint32(area[4*i:], v)
	}
	xy := k.XY()
	copy(area[64:], xy[:])
	h := sha256.Sum256(area)
	want := strings.TrimSpace(string(testutil.ReadReference(t, "sdk/root_pubk.bin.hash")))
	if !strings.EqualFold(hex.EncodeToString(h[:]), want) {
		t.Fatalf("root key area hash %x, want %s", h, want)
	}
}

func TestPEMRoundTrip(t *testing.T) {
	for i := range 5 {
		k := testKey(t, string(rune('a'+i)))
		pemBytes := k.MarshalPEM()
		if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN EC PARAMETERS-----\n")) ||
			!bytes.Contains(pemBytes, []byte("-----BEGIN EC PRIVATE KEY-----\n")) {
			t.Fatalf("PEM form:\n%s", pemBytes)
		}
		k2, err := ParsePrivateKeyPEM(pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		if k2.D.Cmp(k.D) != 0 || k2.XY() != k.XY() {
			t.Fatal("round trip changed the key")
		}
		if !bytes.Equal(k2.MarshalPEM(), pemBytes) {
			t.Fatal("second encoding differs")
		}
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey(newDetReader("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey(newDetReader("same"))
	c, _ := GenerateKey(newDetReader("other"))
	if a.D.Cmp(b.D) != 0 || a.D.Cmp(c.D) == 0 {
		t.Error("GenerateKey is not a function of its randomness")
	}
	//lint:ignore SA1019 brainpoolP256r1 has no crypto/ecdh implementation; the elliptic.Curve API is the only one
	if !Curve().IsOnCurve(a.X, a.Y) {
		t.Error("public key off the curve")
	}
	if _, err := GenerateKey(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("GenerateKey with a short reader succeeded")
	}
}

func TestKeyErrors(t *testing.T) {
	n := Curve().Params().N
	for _, d := range []*big.Int{big.NewInt(0), big.NewInt(-1), n, new(big.Int).Add(n, big.NewInt(1))} {
		if _, err := NewPrivateKey(d); !errors.Is(err, ErrBadPrivateKey) {
			t.Errorf("NewPrivateKey(%v): err %v, want ErrBadPrivateKey", d, err)
		}
	}
	k := testKey(t, "x")
	xy := k.XY()
	if _, err := PublicKeyFromXY(xy); err != nil {
		t.Errorf("PublicKeyFromXY(good): %v", err)
	}
	xy[63] ^= 1
	if _, err := PublicKeyFromXY(xy); !errors.Is(err, ErrKeyNotOnCurve) {
		t.Errorf("PublicKeyFromXY(off curve): %v", err)
	}
	d := sha256.Sum256(nil)
	sig, _ := k.SignDigest(d)
	if VerifyDigest(xy, d, sig) {
		t.Error("verified under an off-curve key")
	}
	// r or s out of range.
	var zero [SignatureLen]byte
	if VerifyDigest(k.XY(), d, zero) {
		t.Error("zero signature verifies")
	}
	var big1 [SignatureLen]byte
	for i := range big1 {
		big1[i] = 0xFF
	}
	if VerifyDigest(k.XY(), d, big1) {
		t.Error("r, s ≥ n verifies")
	}
}

// TestParsePEMErrors: bad input is an ErrBadKey *FormatError naming the
// byte offset of the offending block.
func TestParsePEMErrors(t *testing.T) {
	good := testKey(t, "pem").MarshalPEM()
	secOnly := good[bytes.Index(good, []byte("-----BEGIN EC PRIVATE KEY")):]
	prefix := "# a comment line\n"
	cert := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	p256, _ := asn1.Marshal(pkcs8{Algo: pkixAlgo{Algorithm: oidECPublicKey, Parameters: rawOID(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})}, PrivateKey: []byte{0x30, 0}})
	for _, tc := range []struct {
		name string
		data string
		off  int64
	}{
		{"empty", "", 0},
		{"no PEM", "hello\n", 0},
		{"certificate only", cert, int64(len(cert))},
		{"bad DER after text", prefix + "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", int64(len(prefix))},
		{"bad curve params", "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + string(secOnly), 0},
		{"PKCS#8 P-256 key", prefix + string(pemEncode("PRIVATE KEY", p256)), int64(len(prefix))},
		{"PKCS#8 bad DER", cert + string(pemEncode("PRIVATE KEY", []byte{0x30, 0x01})), int64(len(cert))},
		{"PKCS#8 bad inner key", string(pemEncode("PRIVATE KEY", mustMarshal(pkcs8{Algo: pkixAlgo{Algorithm: oidECPublicKey, Parameters: rawOID(oidBrainpoolP256r1)}, PrivateKey: []byte{1}}))), 0},
		{"SEC1 without curve", string(pemEncode("EC PRIVATE KEY", mustMarshal(struct {
			Version    int
			PrivateKey []byte
		}{1, make([]byte, 32)}))), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKeyPEM([]byte(tc.data))
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrBadKey) {
				t.Fatalf("err %v, want an ErrBadKey *FormatError", err)
			}
			if fe.Off != tc.off {
				t.Errorf("offset %d, want %d (%v)", fe.Off, tc.off, err)
			}
		})
	}
	// A public key that does not match the scalar.
	k := testKey(t, "mismatch")
	other := testKey(t, "other")
	okey := other.XY()
	der, _ := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: k.D.FillBytes(make([]byte, 32)), NamedCurveOID: oidBrainpoolP256r1,
		PublicKey: asn1.BitString{Bytes: append([]byte{4}, okey[:]...), BitLength: 520}})
	if _, err := ParsePrivateKeyPEM(pemEncode("EC PRIVATE KEY", der)); !errors.Is(err, ErrBadKey) {
		t.Errorf("mismatched public key: %v", err)
	}
	if _, err := LoadPrivateKey(filepath.Join(t.TempDir(), "absent.pem")); err == nil {
		t.Error("LoadPrivateKey of a missing file succeeded")
	}
	p := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(p, []byte("junk"), 0o600)
	if _, err := LoadPrivateKey(p); err == nil || !strings.Contains(err.Error(), "bad.pem") {
		t.Errorf("LoadPrivateKey error %v does not name the file", err)
	}
}

// --- OpenSSL interoperability (skipped when openssl is absent) -----------

func needOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	return p
}

func openssl(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestOpenSSLReadsMarshalPEM: openssl parses what MarshalPEM writes and
// finds the same scalar and curve.
func TestOpenSSLReadsMarshalPEM(t *testing.T) {
	bin := needOpenSSL(t)
	dir := t.TempDir()
	k := testKey(t, "openssl")
	p := filepath.Join(dir, "key.pem")
	os.WriteFile(p, k.MarshalPEM(), 0o600)
	out := string(openssl(t, bin, "ec", "-in", p, "-noout", "-text"))
	if !strings.Contains(out, "brainpoolP256r1") {
		t.Errorf("openssl does not see brainpoolP256r1:\n%s", out)
	}
	hexPriv := hexBlock(out, "priv:")
	if want := hex.EncodeToString(k.D.FillBytes(make([]byte, 32))); !strings.HasSuffix(hexPriv, want) {
		t.Errorf("openssl private key %s, want %s", hexPriv, want)
	}
	xy := k.XY()
	if got, want := hexBlock(out, "pub:"), "04"+hex.EncodeToString(xy[:]); got != want {
		t.Errorf("openssl public key %s, want %s", got, want)
	}
}

// hexBlock collects the colon-separated hex lines following label.
func hexBlock(text, label string) string {
	i := strings.Index(text, label)
	if i < 0 {
		return ""
	}
	var b strings.Builder
	for _, line := range strings.Split(text[i+len(label):], "\n")[1:] {
		line = strings.TrimSpace(line)
		if line == "" || strings.Trim(line, "0123456789abcdef:") != "" {
			break
		}
		b.WriteString(strings.ReplaceAll(line, ":", ""))
	}
	return b.String()
}

type derSig struct{ R, S *big.Int }

// TestOpenSSLVerifiesSignDigest: a raw r ‖ s signature, converted to DER,
// verifies with openssl dgst; and an openssl signature, converted to raw,
// verifies with VerifyDigest.
func TestOpenSSLVerifiesSignDigest(t *testing.T) {
	bin := needOpenSSL(t)
	dir := t.TempDir()
	k := testKey(t, "dgst")
	keyPath := filepath.Join(dir, "key.pem")
	pubPath := filepath.Join(dir, "pub.pem")
	msgPath := filepath.Join(dir, "msg")
	sigPath := filepath.Join(dir, "sig.der")
	os.WriteFile(keyPath, k.MarshalPEM(), 0o600)
	openssl(t, bin, "ec", "-in", keyPath, "-pubout", "-out", pubPath)
	msg := []byte("ws63 key area bytes")
	os.WriteFile(msgPath, msg, 0o600)

	sig, err := k.SignDigest(sha256.Sum256(msg))
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(derSig{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(sigPath, der, 0o600)
	out := openssl(t, bin, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, msgPath)
	if !strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl: %s", out)
	}

	// The other way round.
	osig := filepath.Join(dir, "osig.der")
	openssl(t, bin, "dgst", "-sha256", "-sign", keyPath, "-out", osig, msgPath)
	raw, _ := os.ReadFile(osig)
	var ds derSig
	if _, err := asn1.Unmarshal(raw, &ds); err != nil {
		t.Fatal(err)
	}
	var rs [SignatureLen]byte
	ds.R.FillBytes(rs[:32])
	ds.S.FillBytes(rs[32:])
	if !VerifyDigest(k.XY(), sha256.Sum256(msg), rs) {
		t.Error("an openssl signature does not verify with VerifyDigest")
	}
}

// TestOpenSSLKeysLoad: keys made by openssl in both PEM forms load, with the
// public key openssl computes.
func TestOpenSSLKeysLoad(t *testing.T) {
	bin := needOpenSSL(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"pkcs8", []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP256r1"}},
		{"sec1", []string{"ecparam", "-genkey", "-name", "brainpoolP256r1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".pem")
			openssl(t, bin, append(tc.args, "-out", p)...)
			data, _ := os.ReadFile(p)
			if tc.name == "pkcs8" && !bytes.Contains(data, []byte("BEGIN PRIVATE KEY")) {
				t.Fatalf("openssl did not write PKCS#8:\n%s", data)
			}
			k, err := LoadPrivateKey(p)
			if err != nil {
				t.Fatal(err)
			}
			pubDER := openssl(t, bin, "ec", "-in", p, "-pubout", "-outform", "DER")
			xy := k.XY()
			if !bytes.HasSuffix(pubDER, append([]byte{4}, xy[:]...)) {
				t.Errorf("public key differs from openssl's")
			}
		})
	}
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func rawOID(oid asn1.ObjectIdentifier) asn1.RawValue {
	b, err := asn1.Marshal(oid)
	if err != nil {
		panic(err)
	}
	return asn1.RawValue{FullBytes: b}
}

// TestPublicKeyPEM: verifying takes the public key as `openssl ec -pubout`
// writes it, or the private key; signing refuses a public key.
func TestPublicKeyPEM(t *testing.T) {
	k := testKey(t, "pub")
	xy := k.XY()
	der := mustMarshal(spki{Algo: pkixAlgo{Algorithm: oidECPublicKey, Parameters: rawOID(oidBrainpoolP256r1)},
		PublicKey: asn1.BitString{Bytes: append([]byte{4}, xy[:]...), BitLength: 520}})
	pubPEM := pemEncode("PUBLIC KEY", der)
	got, err := ParsePublicKeyPEM(pubPEM)
	if err != nil || got != xy {
		t.Fatalf("public key PEM: %x, %v", got, err)
	}
	if got, err := ParsePublicKeyPEM(k.MarshalPEM()); err != nil || got != xy {
		t.Fatalf("private key PEM as public: %x, %v", got, err)
	}
	if _, err := ParsePrivateKeyPEM(pubPEM); err == nil || !strings.Contains(err.Error(), "signing needs the private key") {
		t.Fatalf("private key from a public PEM: %v", err)
	}
	off := xy
	off[63] ^= 1
	bad := mustMarshal(spki{Algo: pkixAlgo{Algorithm: oidECPublicKey, Parameters: rawOID(oidBrainpoolP256r1)},
		PublicKey: asn1.BitString{Bytes: append([]byte{4}, off[:]...), BitLength: 520}})
	if _, err := ParsePublicKeyPEM(pemEncode("PUBLIC KEY", bad)); !errors.Is(err, ErrBadKey) {
		t.Fatalf("point off the curve: %v", err)
	}
	p := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(p, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := LoadPublicKey(p); err != nil || got != xy {
		t.Fatalf("LoadPublicKey: %x, %v", got, err)
	}
}

// TestOtherKeyTypesNamed: an RSA or Ed25519 key is named as such in one
// short line, with the file and offset and without Go's ASN.1 type dumps.
func TestOtherKeyTypesNamed(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(&seededReader{}, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(&seededReader{})
	if err != nil {
		t.Fatal(err)
	}
	rsa8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ed8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	edPub, _ := x509.MarshalPKIXPublicKey(edKey.Public())
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		pem  []byte
		want string
	}{
		{"rsa pkcs8", pemEncode("PRIVATE KEY", rsa8), "an RSA key, not a brainpoolP256r1 EC key"},
		{"rsa pkcs1", pemEncode("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "is an RSA key"},
		{"ed25519", pemEncode("PRIVATE KEY", ed8), "an Ed25519 key"},
		{"ed25519 public", pemEncode("PUBLIC KEY", edPub), "an Ed25519 key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "k.pem")
			if err := os.WriteFile(p, tc.pem, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadPublicKey(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), p+": offset 0: ") {
				t.Fatalf("err %v, want %q after %q", err, tc.want, p+": offset 0: ")
			}
			if strings.Contains(err.Error(), "asn1") || strings.Contains(err.Error(), "image:") || len(err.Error()) > 200 {
				t.Fatalf("err %q: want one short line without Go internals", err)
			}
		})
	}
	if _, err := LoadPrivateKey("/dev/zero"); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("LoadPrivateKey(/dev/zero): %v", err)
	}
}

type seededReader struct{ b byte }

func (s *seededReader) Read(p []byte) (int, error) {
	for i := range p {
		s.b = s.b*29 + 11
		p[i] = s.b
	}
	return len(p), nil
}
