// Package bp256 is point arithmetic on brainpoolP256r1 (RFC 5639) for the
// emulator's ECDSA: the base-point and variable-point scalar
// multiplications and u1·G + u2·Q, the sum a verification needs.
//
// github.com/ProtonMail/go-crypto/brainpool gives the curve over
// crypto/elliptic's generic CurveParams code, whose big.Int arithmetic
// allocates at every step: one verification cost about 17 ms of a W1 run
// as a process, with the garbage it left for the collector and the page
// faults of a fresh heap. This package takes the curve's constants from
// that library and does the same sums with four 64-bit limbs in Montgomery
// form, a 4-bit fixed window, Jacobian coordinates and no allocation until
// the affine result: about ten times faster in a warm benchmark
// (BenchmarkCombinedMult, beside the library), more in a fresh process.
// Its tests and fuzz target check every operation against the library's.
//
// Like the generic code it stands in for, it is not constant-time: it is
// for the emulator's keys and for packages signed on a developer's
// machine, not for a signing service.
package bp256

//lint:file-ignore SA1019 the library curve (elliptic.Curve, the only API brainpoolP256r1 has) gives the constants and the on-curve check

import (
	"math/big"
	"math/bits"
	"sync"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// fe is a field element mod p in Montgomery form (x·2^256 mod p), four
// little-endian limbs.
type fe [4]uint64

var (
	fp     fe     // p
	pinv   uint64 // -p⁻¹ mod 2^64
	r2     fe     // 2^512 mod p: toMont's factor
	one    fe     // 1 in Montgomery form
	curveA fe     // a in Montgomery form
	pBig   *big.Int
	nBig   *big.Int
	gx, gy fe
)

func init() {
	params := brainpool.P256r1().Params()
	pBig, nBig = params.P, params.N
	fp = limbs(pBig)
	// Newton's iteration for p⁻¹ mod 2^64 (p odd): each step doubles the
	// bits that are right.
	inv := uint64(1)
	for range 6 {
		inv *= 2 - fp[0]*inv
	}
	pinv = -inv
	r := new(big.Int).Lsh(big.NewInt(1), 512)
	r2 = limbs(r.Mod(r, pBig))
	one = toMont(big.NewInt(1))
	curveA = toMont(curveParamA())
	gx, gy = toMont(params.Gx), toMont(params.Gy)
}

// curveParamA is brainpoolP256r1's a, which elliptic.CurveParams does not
// hold (its code assumes a = -3; the library's params leave b out too):
// from two points of the curve, G and 2G, y² − x³ = a·x + b gives
// a = (f(G) − f(2G)) / (x_G − x_2G) with f = y² − x³.
func curveParamA() *big.Int {
	c := brainpool.P256r1()
	params := c.Params()
	x2, y2 := c.ScalarBaseMult([]byte{2})
	f := func(x, y *big.Int) *big.Int {
		v := new(big.Int).Mul(y, y)
		return v.Sub(v, new(big.Int).Exp(x, big.NewInt(3), nil))
	}
	num := f(params.Gx, params.Gy)
	num.Sub(num, f(x2, y2))
	den := new(big.Int).Sub(params.Gx, x2)
	den.Mod(den, params.P)
	num.Mul(num, den.ModInverse(den, params.P))
	return num.Mod(num, params.P)
}

// limbs returns x (0 ≤ x < 2^256) as four little-endian limbs.
func limbs(x *big.Int) fe {
	var b [32]byte
	x.FillBytes(b[:])
	var z fe
	for i := range 4 {
		for j := range 8 {
			z[i] |= uint64(b[31-8*i-j]) << (8 * j)
		}
	}
	return z
}

func (z *fe) big() *big.Int {
	var b [32]byte
	for i := range 4 {
		for j := range 8 {
			b[31-8*i-j] = byte(z[i] >> (8 * j))
		}
	}
	return new(big.Int).SetBytes(b[:])
}

func toMont(x *big.Int) fe {
	v := limbs(new(big.Int).Mod(x, pBig))
	var z fe
	mul(&z, &v, &r2)
	return z
}

func fromMont(x *fe) *big.Int {
	var z fe
	mul(&z, x, &fe{1})
	return z.big()
}

// mul sets z = x·y·2^-256 mod p (Montgomery multiplication, CIOS).
func mul(z, x, y *fe) {
	var t [6]uint64
	for i := range 4 {
		var c uint64
		for j := range 4 {
			hi, lo := bits.Mul64(x[j], y[i])
			var c1, c2 uint64
			lo, c1 = bits.Add64(lo, t[j], 0)
			lo, c2 = bits.Add64(lo, c, 0)
			t[j], c = lo, hi+c1+c2
		}
		var c1 uint64
		t[4], c1 = bits.Add64(t[4], c, 0)
		t[5] = c1
		m := t[0] * pinv
		hi, lo := bits.Mul64(m, fp[0])
		_, c1 = bits.Add64(lo, t[0], 0)
		c = hi + c1
		for j := 1; j < 4; j++ {
			hi, lo := bits.Mul64(m, fp[j])
			var c2 uint64
			lo, c1 = bits.Add64(lo, t[j], 0)
			lo, c2 = bits.Add64(lo, c, 0)
			t[j-1], c = lo, hi+c1+c2
		}
		t[3], c1 = bits.Add64(t[4], c, 0)
		t[4] = t[5] + c1
	}
	reduce(z, t[0], t[1], t[2], t[3], t[4])
}

// reduce sets z to the 257-bit value (t4:t3..t0) < 2p minus p if it is
// at least p.
func reduce(z *fe, t0, t1, t2, t3, t4 uint64) {
	s0, b := bits.Sub64(t0, fp[0], 0)
	s1, b := bits.Sub64(t1, fp[1], b)
	s2, b := bits.Sub64(t2, fp[2], b)
	s3, b := bits.Sub64(t3, fp[3], b)
	_, b = bits.Sub64(t4, 0, b)
	if b == 0 {
		*z = fe{s0, s1, s2, s3}
		return
	}
	*z = fe{t0, t1, t2, t3}
}

func sqr(z, x *fe) { mul(z, x, x) }

func add(z, x, y *fe) {
	t0, c := bits.Add64(x[0], y[0], 0)
	t1, c := bits.Add64(x[1], y[1], c)
	t2, c := bits.Add64(x[2], y[2], c)
	t3, c := bits.Add64(x[3], y[3], c)
	reduce(z, t0, t1, t2, t3, c)
}

func sub(z, x, y *fe) {
	t0, b := bits.Sub64(x[0], y[0], 0)
	t1, b := bits.Sub64(x[1], y[1], b)
	t2, b := bits.Sub64(x[2], y[2], b)
	t3, b := bits.Sub64(x[3], y[3], b)
	if b != 0 {
		var c uint64
		t0, c = bits.Add64(t0, fp[0], 0)
		t1, c = bits.Add64(t1, fp[1], c)
		t2, c = bits.Add64(t2, fp[2], c)
		t3, _ = bits.Add64(t3, fp[3], c)
	}
	*z = fe{t0, t1, t2, t3}
}

func (z *fe) isZero() bool { return z[0]|z[1]|z[2]|z[3] == 0 }

// point is a point in Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the
// point at infinity.
type point struct{ x, y, z fe }

// double sets q = 2p (dbl-2007-bl, any a).
func (q *point) double(p *point) {
	if p.z.isZero() || p.y.isZero() {
		*q = point{}
		return
	}
	var xx, yy, yyyy, zz, s, m, t, u fe
	sqr(&xx, &p.x)
	sqr(&yy, &p.y)
	sqr(&yyyy, &yy)
	sqr(&zz, &p.z)
	add(&s, &p.x, &yy) // S = 2·((X+YY)² − XX − YYYY)
	sqr(&s, &s)
	sub(&s, &s, &xx)
	sub(&s, &s, &yyyy)
	add(&s, &s, &s)
	sqr(&m, &zz) // M = 3·XX + a·ZZ²
	mul(&m, &m, &curveA)
	add(&m, &m, &xx)
	add(&m, &m, &xx)
	add(&m, &m, &xx)
	var z3 fe // Z3 = (Y+Z)² − YY − ZZ, before Y is overwritten
	add(&z3, &p.y, &p.z)
	sqr(&z3, &z3)
	sub(&z3, &z3, &yy)
	sub(&z3, &z3, &zz)
	sqr(&t, &m) // X3 = M² − 2·S
	sub(&t, &t, &s)
	sub(&t, &t, &s)
	sub(&u, &s, &t) // Y3 = M·(S − X3) − 8·YYYY
	mul(&u, &u, &m)
	add(&yyyy, &yyyy, &yyyy)
	add(&yyyy, &yyyy, &yyyy)
	add(&yyyy, &yyyy, &yyyy)
	sub(&u, &u, &yyyy)
	q.x, q.y, q.z = t, u, z3
}

// add sets q = a + b (add-2007-bl), doubling when a = b.
func (q *point) add(a, b *point) {
	if a.z.isZero() {
		*q = *b
		return
	}
	if b.z.isZero() {
		*q = *a
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, i, j, r, v fe
	sqr(&z1z1, &a.z)
	sqr(&z2z2, &b.z)
	mul(&u1, &a.x, &z2z2)
	mul(&u2, &b.x, &z1z1)
	mul(&s1, &a.y, &b.z)
	mul(&s1, &s1, &z2z2)
	mul(&s2, &b.y, &a.z)
	mul(&s2, &s2, &z1z1)
	sub(&h, &u2, &u1)
	sub(&r, &s2, &s1)
	if h.isZero() {
		if r.isZero() {
			q.double(a)
		} else {
			*q = point{}
		}
		return
	}
	add(&i, &h, &h) // I = (2H)²
	sqr(&i, &i)
	mul(&j, &h, &i) // J = H·I
	add(&r, &r, &r) // r = 2·(S2 − S1)
	mul(&v, &u1, &i)
	var x3, y3, z3 fe
	sqr(&x3, &r) // X3 = r² − J − 2·V
	sub(&x3, &x3, &j)
	sub(&x3, &x3, &v)
	sub(&x3, &x3, &v)
	sub(&y3, &v, &x3) // Y3 = r·(V − X3) − 2·S1·J
	mul(&y3, &y3, &r)
	mul(&s1, &s1, &j)
	add(&s1, &s1, &s1)
	sub(&y3, &y3, &s1)
	add(&z3, &a.z, &b.z) // Z3 = ((Z1+Z2)² − Z1Z1 − Z2Z2)·H
	sqr(&z3, &z3)
	sub(&z3, &z3, &z1z1)
	sub(&z3, &z3, &z2z2)
	mul(&z3, &z3, &h)
	q.x, q.y, q.z = x3, y3, z3
}

// affine returns p's coordinates, (0, 0) for the point at infinity as
// crypto/elliptic does.
func (p *point) affine() (x, y *big.Int) {
	if p.z.isZero() {
		return new(big.Int), new(big.Int)
	}
	zinv := new(big.Int).ModInverse(fromMont(&p.z), pBig)
	zi := toMont(zinv)
	var zi2, zi3, ax, ay fe
	sqr(&zi2, &zi)
	mul(&zi3, &zi2, &zi)
	mul(&ax, &p.x, &zi2)
	mul(&ay, &p.y, &zi3)
	return fromMont(&ax), fromMont(&ay)
}

// table holds 0·P … 15·P for the 4-bit window.
type table [16]point

func newTable(p *point) *table {
	t := new(table)
	t[1] = *p
	for i := 2; i < 16; i++ {
		if i%2 == 0 {
			t[i].double(&t[i/2])
		} else {
			t[i].add(&t[i-1], p)
		}
	}
	return t
}

var (
	baseOnce  sync.Once
	baseTable *table
)

func base() *table {
	baseOnce.Do(func() { baseTable = newTable(&point{gx, gy, one}) })
	return baseTable
}

// mult returns Σ kᵢ·Pᵢ for big-endian scalars of any length (taken as
// they are, not reduced mod n, as crypto/elliptic takes them).
func mult(ts []*table, ks [][]byte) point {
	var q point
	n := 0
	for _, k := range ks {
		n = max(n, len(k))
	}
	for i := 0; i < 2*n; i++ { // nibbles, most significant first
		for range 4 {
			q.double(&q)
		}
		for t, k := range ks {
			pos := i - 2*(n-len(k))
			if pos < 0 {
				continue
			}
			nib := k[pos/2] >> 4
			if pos%2 == 1 {
				nib = k[pos/2] & 0xf
			}
			if nib != 0 {
				q.add(&q, &ts[t][nib])
			}
		}
	}
	return q
}

// onCurve reports whether (x, y) is a point of the curve (in range).
func onCurve(x, y *big.Int) bool {
	return brainpool.P256r1().IsOnCurve(x, y)
}

// ScalarBaseMult returns k·G, as brainpool.P256r1().ScalarBaseMult(k).
func ScalarBaseMult(k []byte) (x, y *big.Int) {
	q := mult([]*table{base()}, [][]byte{k})
	return q.affine()
}

// ScalarMult returns k·(x, y), as brainpool.P256r1().ScalarMult; (x, y)
// must be on the curve (the caller checks it: this returns (0, 0) for a
// point that is not).
func ScalarMult(x, y *big.Int, k []byte) (rx, ry *big.Int) {
	if !onCurve(x, y) {
		return new(big.Int), new(big.Int)
	}
	p := point{toMont(x), toMont(y), one}
	q := mult([]*table{newTable(&p)}, [][]byte{k})
	return q.affine()
}

// CombinedMult returns u1·G + u2·(x, y), the sum an ECDSA verification
// checks, in one pass (Shamir's trick over the two windows); (0, 0) for
// the point at infinity or a point not on the curve.
func CombinedMult(x, y *big.Int, u1, u2 []byte) (rx, ry *big.Int) {
	if !onCurve(x, y) {
		return new(big.Int), new(big.Int)
	}
	p := point{toMont(x), toMont(y), one}
	q := mult([]*table{base(), newTable(&p)}, [][]byte{u1, u2})
	return q.affine()
}
