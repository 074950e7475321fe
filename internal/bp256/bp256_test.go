//lint:file-ignore SA1019 every result is checked against the library curve, whose only API is elliptic.Curve

package bp256

import (
	"bytes"
	"crypto/elliptic"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ProtonMail/go-crypto/brainpool"
)

// ref is the library curve every result is checked against.
var ref elliptic.Curve = brainpool.P256r1()

func scalars(r *rand.Rand) [][]byte {
	n := nBig.Bytes()
	nm1 := new(big.Int).Sub(nBig, big.NewInt(1)).Bytes()
	out := [][]byte{{}, {0}, {1}, {2}, {15}, {16}, {0xff, 0xff}, n, nm1, bytes.Repeat([]byte{0xff}, 32), append(bytes.Repeat([]byte{0}, 31), 3)}
	for range 40 {
		k := make([]byte, 1+r.IntN(33))
		for i := range k {
			k[i] = byte(r.Uint32())
		}
		out = append(out, k)
	}
	return out
}

func point2(x, y *big.Int) string { return x.Text(16) + "," + y.Text(16) }

func TestFieldMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		a, b := randBelow(r, pBig), randBelow(r, pBig)
		fa, fb := toMont(a), toMont(b)
		var fc, fd, fe_, ff fe
		mul(&fc, &fa, &fb)
		add(&fd, &fa, &fb)
		sub(&fe_, &fa, &fb)
		sqr(&ff, &fa)
		want := new(big.Int).Mul(a, b)
		want.Mod(want, pBig)
		if got := fromMont(&fc); got.Cmp(want) != 0 {
			t.Fatalf("%x·%x = %x, want %x", a, b, got, want)
		}
		if got, w := fromMont(&fd), new(big.Int).Mod(new(big.Int).Add(a, b), pBig); got.Cmp(w) != 0 {
			t.Fatalf("%x+%x = %x, want %x", a, b, got, w)
		}
		if got, w := fromMont(&fe_), new(big.Int).Mod(new(big.Int).Sub(a, b), pBig); got.Cmp(w) != 0 {
			t.Fatalf("%x−%x = %x, want %x", a, b, got, w)
		}
		if got, w := fromMont(&ff), new(big.Int).Mod(new(big.Int).Mul(a, a), pBig); got.Cmp(w) != 0 {
			t.Fatalf("%x² = %x, want %x", a, got, w)
		}
	}
}

// randBelow returns a random number in [0, m), mostly of full size.
func randBelow(r *rand.Rand, m *big.Int) *big.Int {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(b), m)
}

func TestCurveA(t *testing.T) {
	// RFC 5639 §3.4, brainpoolP256r1's A.
	want, _ := new(big.Int).SetString("7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9", 16)
	if got := fromMont(&curveA); got.Cmp(want) != 0 {
		t.Fatalf("a = %X, want %X", got, want)
	}
}

func TestScalarBaseMult(t *testing.T) {
	for _, k := range scalars(rand.New(rand.NewPCG(3, 4))) {
		wx, wy := ref.ScalarBaseMult(k)
		gx, gy := ScalarBaseMult(k)
		if point2(gx, gy) != point2(wx, wy) {
			t.Fatalf("k=%x: got (%x, %x), want (%x, %x)", k, gx, gy, wx, wy)
		}
	}
}

func TestScalarMultAndCombined(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ks := scalars(r)
	for i, k := range ks {
		// a point of the curve: some multiple of G
		px, py := ref.ScalarBaseMult(ks[(i*7+3)%len(ks)])
		if px.Sign() == 0 && py.Sign() == 0 {
			px, py = ref.Params().Gx, ref.Params().Gy
		}
		wx, wy := ref.ScalarMult(px, py, k)
		gx, gy := ScalarMult(px, py, k)
		if point2(gx, gy) != point2(wx, wy) {
			t.Fatalf("k=%x P=(%x, %x): got (%x, %x), want (%x, %x)", k, px, py, gx, gy, wx, wy)
		}
		u1 := ks[(i*5+1)%len(ks)]
		ax, ay := ref.ScalarBaseMult(u1)
		wx, wy = ref.Add(ax, ay, wx, wy)
		gx, gy = CombinedMult(px, py, u1, k)
		if point2(gx, gy) != point2(wx, wy) {
			t.Fatalf("u1=%x u2=%x P=(%x, %x): got (%x, %x), want (%x, %x)", u1, k, px, py, gx, gy, wx, wy)
		}
	}
}

func TestSumToInfinity(t *testing.T) {
	// u1·G + u2·G with u1 + u2 = n is the point at infinity; with u1 = u2
	// the sum's addition is a doubling.
	u1 := big.NewInt(12345)
	u2 := new(big.Int).Sub(nBig, u1)
	gxB, gyB := ref.Params().Gx, ref.Params().Gy
	if x, y := CombinedMult(gxB, gyB, u1.Bytes(), u2.Bytes()); x.Sign() != 0 || y.Sign() != 0 {
		t.Fatalf("u1·G + (n−u1)·G = (%x, %x), want infinity", x, y)
	}
	wx, wy := ref.ScalarBaseMult(big.NewInt(2 * 12345).Bytes())
	if x, y := CombinedMult(gxB, gyB, u1.Bytes(), u1.Bytes()); x.Cmp(wx) != 0 || y.Cmp(wy) != 0 {
		t.Fatalf("u·G + u·G = (%x, %x), want (%x, %x)", x, y, wx, wy)
	}
}

func TestNotOnCurve(t *testing.T) {
	x, y := big.NewInt(1), big.NewInt(2)
	if rx, ry := ScalarMult(x, y, []byte{3}); rx.Sign() != 0 || ry.Sign() != 0 {
		t.Fatal("a point off the curve was multiplied")
	}
	if rx, ry := CombinedMult(x, y, []byte{1}, []byte{3}); rx.Sign() != 0 || ry.Sign() != 0 {
		t.Fatal("a point off the curve was multiplied")
	}
}

func FuzzCombinedMult(f *testing.F) {
	f.Add([]byte{1}, []byte{2}, []byte{3})
	f.Add(nBig.Bytes(), []byte{0}, bytes.Repeat([]byte{0xff}, 32))
	f.Fuzz(func(t *testing.T, p, u1, u2 []byte) {
		if len(p) > 40 || len(u1) > 40 || len(u2) > 40 {
			return
		}
		px, py := ref.ScalarBaseMult(p)
		if px.Sign() == 0 && py.Sign() == 0 {
			return
		}
		ax, ay := ref.ScalarBaseMult(u1)
		bx, by := ref.ScalarMult(px, py, u2)
		wx, wy := ref.Add(ax, ay, bx, by)
		if gx, gy := CombinedMult(px, py, u1, u2); gx.Cmp(wx) != 0 || gy.Cmp(wy) != 0 {
			t.Fatalf("p=%x u1=%x u2=%x: got (%x, %x), want (%x, %x)", p, u1, u2, gx, gy, wx, wy)
		}
		if gx, gy := ScalarBaseMult(u1); gx.Cmp(ax) != 0 || gy.Cmp(ay) != 0 {
			t.Fatalf("u1=%x: base mult (%x, %x), want (%x, %x)", u1, gx, gy, ax, ay)
		}
	})
}

func BenchmarkCombinedMult(b *testing.B) {
	u1 := bytes.Repeat([]byte{0x5a}, 32)
	u2 := bytes.Repeat([]byte{0xa5}, 32)
	px, py := ref.ScalarBaseMult([]byte{7})
	b.Run("bp256", func(b *testing.B) {
		for b.Loop() {
			CombinedMult(px, py, u1, u2)
		}
	})
	b.Run("ref-go-crypto", func(b *testing.B) {
		for b.Loop() {
			ax, ay := ref.ScalarBaseMult(u1)
			bx, by := ref.ScalarMult(px, py, u2)
			ref.Add(ax, ay, bx, by)
		}
	})
}
