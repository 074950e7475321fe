package lzma

import (
	"errors"
	"math"
	"testing"
)

func TestCheckEncodeSize(t *testing.T) {
	for _, c := range []struct {
		n   uint64
		err error
	}{{0, nil}, {1 << 30, nil}, {math.MaxUint32 - 1, nil}, {math.MaxUint32, ErrEncodeTooLarge}, {1 << 40, ErrEncodeTooLarge}} {
		if err := checkEncodeSize(c.n); !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("checkEncodeSize(%d) = %v, want %v", c.n, err, c.err)
		}
	}
}

// TestEncPosSlot checks the slot function against its definition: slots 0..3
// are the distances themselves, then two slots per power of two.
func TestEncPosSlot(t *testing.T) {
	for d := uint32(0); d < 1<<16; d++ {
		want := d
		if d >= 4 {
			n := uint32(31) // the top bit
			for d>>n == 0 {
				n--
			}
			want = 2*n + (d>>(n-1))&1
		}
		if got := encPosSlot(d); got != want {
			t.Fatalf("encPosSlot(%d) = %d, want %d", d, got, want)
		}
	}
}

// TestEncProbPrices pins the integer price table to a few values computed by
// hand from its definition: a probability of 1/2 costs one bit (16), and
// the price falls as the probability rises.
func TestEncProbPrices(t *testing.T) {
	if got := price0(encProbInit); got != 16 {
		t.Errorf("price of a bit at probability 1/2 = %d, want 16", got)
	}
	for i := 1; i < len(encProbPrices); i++ {
		if encProbPrices[i] > encProbPrices[i-1] {
			t.Fatalf("price table rises at %d", i)
		}
	}
}
