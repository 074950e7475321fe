package image

import (
	"bytes"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/ProtonMail/go-crypto/brainpool"

	"github.com/ws63emu/ws63emu/internal/bp256"
	"github.com/ws63emu/ws63emu/internal/cliio"
)

// Keys are brainpoolP256r1 EC keys, the curve every WS63 signature uses
// (ssb, flashboot, app, params and the FOTA package). Go's x509 package does
// not know brainpool, so the SEC1 / PKCS#8 PEM forms OpenSSL writes are
// decoded here with encoding/asn1; the curve arithmetic is the
// ProtonMail go-crypto brainpool package.
//
// Signatures are raw r‖s, 32 bytes each, big-endian, as the SDK stores them.
// Signing uses RFC 6979 deterministic nonces so that the emulator produces
// the same bytes for the same inputs (crypto/ecdsa mixes in randomness).

// oidBrainpoolP256r1 is 1.3.36.3.3.2.8.1.1.7.
var oidBrainpoolP256r1 = asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}

// oidECPublicKey is id-ecPublicKey, the PKCS#8 algorithm of EC keys.
var oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}

// Curve returns the brainpoolP256r1 curve.
func Curve() elliptic.Curve { return brainpool.P256r1() }

// PublicKeyLen and SignatureLen are the raw encodings the SDK uses.
const (
	PublicKeyLen = 64 // X ‖ Y, 32 bytes each, big-endian
	SignatureLen = 64 // r ‖ s, 32 bytes each, big-endian
)

// PublicKey is a brainpoolP256r1 public key.
type PublicKey struct {
	X, Y *big.Int
}

// PrivateKey is a brainpoolP256r1 private key.
type PrivateKey struct {
	PublicKey
	D *big.Int
}

// XY returns the raw X ‖ Y encoding stored in key areas.
func (k *PublicKey) XY() [PublicKeyLen]byte {
	var out [PublicKeyLen]byte
	k.X.FillBytes(out[:32])
	k.Y.FillBytes(out[32:])
	return out
}

// PublicKeyXY returns the raw X ‖ Y public key (partition.Signer).
func (k *PrivateKey) PublicKeyXY() [PublicKeyLen]byte { return k.PublicKey.XY() }

// PublicKeyFromXY decodes a raw X ‖ Y key and checks it is on the curve.
func PublicKeyFromXY(xy [PublicKeyLen]byte) (*PublicKey, error) {
	x := new(big.Int).SetBytes(xy[:32])
	y := new(big.Int).SetBytes(xy[32:])
	//lint:ignore SA1019 brainpoolP256r1 has no crypto/ecdh implementation; the elliptic.Curve API is the only one
	if !Curve().IsOnCurve(x, y) {
		return nil, ErrKeyNotOnCurve
	}
	return &PublicKey{X: x, Y: y}, nil
}

// NewPrivateKey derives the key pair from a scalar d (1 ≤ d < n).
func NewPrivateKey(d *big.Int) (*PrivateKey, error) {
	n := Curve().Params().N
	if d.Sign() <= 0 || d.Cmp(n) >= 0 {
		return nil, ErrBadPrivateKey
	}
	x, y := bp256.ScalarBaseMult(d.FillBytes(make([]byte, 32)))
	return &PrivateKey{PublicKey: PublicKey{X: x, Y: y}, D: new(big.Int).Set(d)}, nil
}

// GenerateKey makes a key from the randomness in r. Pass a seeded reader for
// a reproducible key, crypto/rand.Reader for a real one.
func GenerateKey(r io.Reader) (*PrivateKey, error) {
	n := Curve().Params().N
	buf := make([]byte, 40) // 64 bits more than the order: negligible bias
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("image: generate key: %w", err)
	}
	d := new(big.Int).SetBytes(buf)
	d.Mod(d, new(big.Int).Sub(n, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	return NewPrivateKey(d)
}

// SignDigest signs a SHA-256 digest, returning raw r ‖ s. The nonce is
// derived as in RFC 6979 (HMAC-SHA256), so the signature is deterministic.
func (k *PrivateKey) SignDigest(digest [32]byte) ([SignatureLen]byte, error) {
	n := Curve().Params().N
	e := hashToInt(digest[:], n)
	gen := newRFC6979(k.D, digest[:], n)
	for {
		kk := gen.next()
		x, _ := bp256.ScalarBaseMult(kk.FillBytes(make([]byte, 32)))
		r := new(big.Int).Mod(x, n)
		if r.Sign() == 0 {
			continue
		}
		s := new(big.Int).Mul(r, k.D)
		s.Add(s, e)
		s.Mul(s, new(big.Int).ModInverse(kk, n))
		s.Mod(s, n)
		if s.Sign() == 0 {
			continue
		}
		var sig [SignatureLen]byte
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
}

// verifyCache remembers verification results: verification is a pure
// function of (key, digest, signature), and sweeps verify the same package
// thousands of times. Caching changes no outcome, only the host CPU time.
var verifyCache sync.Map // [160]byte -> bool

// VerifyDigest checks a raw r ‖ s signature of digest under the raw X ‖ Y
// public key. Keys off the curve and out-of-range r, s fail.
func VerifyDigest(pub [PublicKeyLen]byte, digest [32]byte, sig [SignatureLen]byte) bool {
	var key [PublicKeyLen + 32 + SignatureLen]byte
	copy(key[:], pub[:])
	copy(key[PublicKeyLen:], digest[:])
	copy(key[PublicKeyLen+32:], sig[:])
	if v, ok := verifyCache.Load(key); ok {
		return v.(bool)
	}
	ok := verifyDigest(pub, digest, sig)
	verifyCache.Store(key, ok)
	return ok
}

func verifyDigest(pub [PublicKeyLen]byte, digest [32]byte, sig [SignatureLen]byte) bool {
	pk, err := PublicKeyFromXY(pub)
	if err != nil {
		return false
	}
	n := Curve().Params().N
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return false
	}
	e := hashToInt(digest[:], n)
	w := new(big.Int).ModInverse(s, n)
	u1 := new(big.Int).Mul(e, w)
	u1.Mod(u1, n)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, n)
	// u1·G + u2·Q (internal/bp256: the library's sum, faster).
	x, y := bp256.CombinedMult(pk.X, pk.Y, u1.FillBytes(make([]byte, 32)), u2.FillBytes(make([]byte, 32)))
	if x.Sign() == 0 && y.Sign() == 0 {
		return false
	}
	x.Mod(x, n)
	return x.Cmp(r) == 0
}

// Verifier verifies raw signatures (partition.Verifier).
type Verifier struct{}

// VerifyDigest implements partition.Verifier.
func (Verifier) VerifyDigest(pub [PublicKeyLen]byte, digest [32]byte, sig [SignatureLen]byte) bool {
	return VerifyDigest(pub, digest, sig)
}

func hashToInt(h []byte, n *big.Int) *big.Int {
	e := new(big.Int).SetBytes(h)
	if excess := len(h)*8 - n.BitLen(); excess > 0 {
		e.Rsh(e, uint(excess))
	}
	return e
}

// rfc6979 is the HMAC-SHA256 deterministic nonce generator of RFC 6979 §3.2.
type rfc6979 struct {
	k, v []byte
	n    *big.Int
}

func newRFC6979(d *big.Int, h []byte, n *big.Int) *rfc6979 {
	rlen := (n.BitLen() + 7) / 8
	x := d.FillBytes(make([]byte, rlen))
	h1 := hashToInt(h, n)
	h1.Mod(h1, n)
	hb := h1.FillBytes(make([]byte, rlen))
	g := &rfc6979{k: make([]byte, 32), v: bytes.Repeat([]byte{1}, 32), n: n}
	g.k = g.mac(g.k, g.v, []byte{0}, x, hb)
	g.v = g.mac(g.k, g.v)
	g.k = g.mac(g.k, g.v, []byte{1}, x, hb)
	g.v = g.mac(g.k, g.v)
	return g
}

func (g *rfc6979) mac(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func (g *rfc6979) next() *big.Int {
	for {
		var t []byte
		for len(t)*8 < g.n.BitLen() {
			g.v = g.mac(g.k, g.v)
			t = append(t, g.v...)
		}
		k := hashToInt(t, g.n)
		if k.Sign() > 0 && k.Cmp(g.n) < 0 {
			// Prepare the state for a retry before handing k out.
			g.k = g.mac(g.k, g.v, []byte{0})
			g.v = g.mac(g.k, g.v)
			return k
		}
		g.k = g.mac(g.k, g.v, []byte{0})
		g.v = g.mac(g.k, g.v)
	}
}

// ecPrivateKey is SEC 1's ECPrivateKey, as in "EC PRIVATE KEY" PEM blocks.
type ecPrivateKey struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

// pkcs8 is PKCS #8's PrivateKeyInfo, as in "PRIVATE KEY" PEM blocks. The
// algorithm's parameters are kept raw: other key types (RSA's NULL,
// Ed25519's absent parameters) must decode far enough to be named.
type pkcs8 struct {
	Version    int
	Algo       pkixAlgo
	PrivateKey []byte
}

// pkixAlgo is an AlgorithmIdentifier.
type pkixAlgo struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

// spki is a SubjectPublicKeyInfo, as in "PUBLIC KEY" PEM blocks
// (`openssl ec -pubout`).
type spki struct {
	Algo      pkixAlgo
	PublicKey asn1.BitString
}

// Object identifiers of key types that are not brainpoolP256r1, named in
// errors.
var keyAlgNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}, "an RSA key"},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, "an Ed25519 key"},
	{asn1.ObjectIdentifier{1, 3, 101, 113}, "an Ed448 key"},
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, "a DSA key"},
}

// checkAlgo checks that an AlgorithmIdentifier names a brainpoolP256r1 EC
// key, and says what the key is otherwise.
func checkAlgo(a pkixAlgo) error {
	for _, k := range keyAlgNames {
		if a.Algorithm.Equal(k.oid) {
			return fmt.Errorf("%s, not a brainpoolP256r1 EC key", k.name)
		}
	}
	if !a.Algorithm.Equal(oidECPublicKey) {
		return fmt.Errorf("key algorithm %v, not a brainpoolP256r1 EC key", a.Algorithm)
	}
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(a.Parameters.FullBytes, &curve); err != nil {
		return fmt.Errorf("EC key without a named curve, not brainpoolP256r1")
	}
	if !curve.Equal(oidBrainpoolP256r1) {
		return fmt.Errorf("EC key on curve %v, not brainpoolP256r1 (1.3.36.3.3.2.8.1.1.7)", curve)
	}
	return nil
}

// asn1Msg shortens encoding/asn1's errors, which can dump Go types.
func asn1Msg(err error) string {
	var se asn1.StructuralError
	var sy asn1.SyntaxError
	switch {
	case errors.As(err, &se), errors.As(err, &sy):
		return "malformed DER"
	}
	return err.Error()
}

// otherPEMTypes are PEM block types of keys that are not EC keys.
var otherPEMTypes = map[string]string{
	"RSA PRIVATE KEY": "an RSA key", "RSA PUBLIC KEY": "an RSA key", "DSA PRIVATE KEY": "a DSA key",
	"OPENSSH PRIVATE KEY":   "an OpenSSH key (convert it with ssh-keygen -p -m PEM)",
	"ENCRYPTED PRIVATE KEY": "an encrypted key (decrypt it with openssl pkcs8)",
}

// ParsePrivateKeyPEM decodes a brainpoolP256r1 private key in the PEM forms
// OpenSSL writes: "EC PRIVATE KEY" (SEC 1, optionally after an
// "EC PARAMETERS" block) or "PRIVATE KEY" (PKCS #8). Errors name the byte
// offset of the offending PEM block.
func ParsePrivateKeyPEM(data []byte) (*PrivateKey, error) {
	k, _, err := parseKeyPEM(data, false)
	return k, err
}

// ParsePublicKeyPEM decodes a brainpoolP256r1 public key: a "PUBLIC KEY"
// block (SubjectPublicKeyInfo, as `openssl ec -pubout` writes it) or any
// private key form ParsePrivateKeyPEM takes. It returns the raw X ‖ Y.
func ParsePublicKeyPEM(data []byte) ([PublicKeyLen]byte, error) {
	k, pub, err := parseKeyPEM(data, true)
	if err != nil {
		return [PublicKeyLen]byte{}, err
	}
	if k != nil {
		return k.XY(), nil
	}
	return pub.XY(), nil
}

func parseKeyPEM(data []byte, public bool) (*PrivateKey, *PublicKey, error) {
	want := "no EC PRIVATE KEY or PRIVATE KEY PEM block"
	if public {
		want = "no PUBLIC KEY, EC PRIVATE KEY or PRIVATE KEY PEM block"
	}
	rest := data
	for {
		off := len(data) - len(rest)
		block, r := pem.Decode(rest)
		if block == nil {
			return nil, nil, &FormatError{Off: int64(off), Msg: want, Err: ErrBadKey}
		}
		if start := bytes.Index(rest, []byte("-----BEGIN")); start >= 0 {
			off += start
		}
		bad := func(format string, a ...any) error {
			return &FormatError{Off: int64(off), Msg: fmt.Sprintf(format, a...), Err: ErrBadKey}
		}
		rest = r
		switch block.Type {
		case "EC PARAMETERS":
			var oid asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(block.Bytes, &oid); err != nil || !oid.Equal(oidBrainpoolP256r1) {
				return nil, nil, bad("EC PARAMETERS is not the brainpoolP256r1 curve")
			}
		case "EC PRIVATE KEY":
			k, err := parseSEC1(block.Bytes, true)
			if err != nil {
				return nil, nil, bad("EC PRIVATE KEY: %s", asn1Msg(err))
			}
			return k, nil, nil
		case "PRIVATE KEY":
			var p pkcs8
			if _, err := asn1.Unmarshal(block.Bytes, &p); err != nil {
				return nil, nil, bad("PRIVATE KEY: %s", asn1Msg(err))
			}
			if err := checkAlgo(p.Algo); err != nil {
				return nil, nil, bad("PRIVATE KEY: %v", err)
			}
			k, err := parseSEC1(p.PrivateKey, false)
			if err != nil {
				return nil, nil, bad("PRIVATE KEY: %s", asn1Msg(err))
			}
			return k, nil, nil
		case "PUBLIC KEY":
			if !public {
				return nil, nil, bad("a PUBLIC KEY; signing needs the private key")
			}
			var p spki
			if _, err := asn1.Unmarshal(block.Bytes, &p); err != nil {
				return nil, nil, bad("PUBLIC KEY: %s", asn1Msg(err))
			}
			if err := checkAlgo(p.Algo); err != nil {
				return nil, nil, bad("PUBLIC KEY: %v", err)
			}
			pt := p.PublicKey.RightAlign()
			if len(pt) != 1+PublicKeyLen || pt[0] != 4 {
				return nil, nil, bad("PUBLIC KEY: want an uncompressed point (0x04, X, Y), got %d bytes", len(pt))
			}
			pub, err := PublicKeyFromXY([PublicKeyLen]byte(pt[1:]))
			if err != nil {
				return nil, nil, bad("PUBLIC KEY: the point is not on brainpoolP256r1")
			}
			return nil, pub, nil
		default:
			if what, ok := otherPEMTypes[block.Type]; ok {
				return nil, nil, bad("%s PEM block is %s, not a brainpoolP256r1 EC key", block.Type, what)
			}
		}
	}
}

func parseSEC1(der []byte, needCurve bool) (*PrivateKey, error) {
	var k ecPrivateKey
	rest, err := asn1.Unmarshal(der, &k)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("trailing data after the key")
	}
	if k.Version != 1 {
		return nil, fmt.Errorf("unknown EC private key version %d", k.Version)
	}
	if len(k.NamedCurveOID) != 0 && !k.NamedCurveOID.Equal(oidBrainpoolP256r1) {
		return nil, fmt.Errorf("curve %v is not brainpoolP256r1", k.NamedCurveOID)
	}
	if needCurve && len(k.NamedCurveOID) == 0 {
		return nil, fmt.Errorf("no named curve")
	}
	if len(k.PrivateKey) == 0 || len(k.PrivateKey) > 32 {
		return nil, fmt.Errorf("private scalar of %d bytes", len(k.PrivateKey))
	}
	priv, err := NewPrivateKey(new(big.Int).SetBytes(k.PrivateKey))
	if err != nil {
		return nil, err
	}
	if pub := k.PublicKey.RightAlign(); len(pub) > 0 {
		want := append([]byte{4}, func() []byte { xy := priv.XY(); return xy[:] }()...)
		if !bytes.Equal(pub, want) {
			return nil, fmt.Errorf("public key does not match the private scalar")
		}
	}
	return priv, nil
}

// MarshalPEM writes the key as `openssl ecparam -genkey -name brainpoolP256r1`
// does: an EC PARAMETERS block and a SEC 1 EC PRIVATE KEY block.
func (k *PrivateKey) MarshalPEM() []byte {
	params, _ := asn1.Marshal(oidBrainpoolP256r1)
	xy := k.XY()
	pub := append([]byte{4}, xy[:]...)
	der, err := asn1.Marshal(ecPrivateKey{
		Version:       1,
		PrivateKey:    k.D.FillBytes(make([]byte, 32)),
		NamedCurveOID: oidBrainpoolP256r1,
		PublicKey:     asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)},
	})
	if err != nil {
		panic("image: marshal EC key: " + err.Error()) // fixed-shape struct: cannot fail
	}
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "EC PARAMETERS", Bytes: params})
	pem.Encode(&b, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	return b.Bytes()
}

// LoadPrivateKey reads a PEM key file (at most cliio.KeyLimit bytes);
// errors name the file and the byte offset.
func LoadPrivateKey(path string) (*PrivateKey, error) {
	data, err := cliio.ReadFile(path, cliio.KeyLimit, "a PEM key")
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, keyFileErr(path, err)
	}
	return k, nil
}

// LoadPublicKey reads a PEM key file for verifying: a public key or a
// private key; it returns the raw X ‖ Y.
func LoadPublicKey(path string) ([PublicKeyLen]byte, error) {
	data, err := cliio.ReadFile(path, cliio.KeyLimit, "a PEM key")
	if err != nil {
		return [PublicKeyLen]byte{}, err
	}
	xy, err := ParsePublicKeyPEM(data)
	if err != nil {
		return xy, keyFileErr(path, err)
	}
	return xy, nil
}

// keyFileError is a key file's *FormatError with the file's name in
// front: "root.pem: offset 0: …".
type keyFileError struct {
	path string
	fe   *FormatError
}

func (e *keyFileError) Error() string {
	return fmt.Sprintf("%s: offset %d: %s", e.path, e.fe.Off, e.fe.Msg)
}

func (e *keyFileError) Unwrap() error { return e.fe }

func keyFileErr(path string, err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return &keyFileError{path, fe}
	}
	return fmt.Errorf("%s: %w", path, err)
}
