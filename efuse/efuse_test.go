package efuse_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/efuse"
)

func TestFieldMap(t *testing.T) {
	type info struct {
		Name           string
		Bit, Bits, Off int
	}
	want := []info{
		{"flashboot-version", 656, 8, 82},
		{"app-version", 624, 32, 78},
		{"root-key-hash", 672, 256, 84},
		{"secure-verify", 960, 8, 120},
		{"msid", 928, 32, 116},
		{"die-id", 8, 128, 1},
		{"aes-key", 384, 128, 48},
		{"params-version", 664, 8, 83},
	}
	var got []info
	for _, f := range efuse.Fields() {
		got = append(got, info{f.String(), f.BitOffset(), f.Bits(), f.Offset()})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field map (-want +got):\n%s", diff)
	}
	// No two fields overlap, all fit in the array.
	var owner [efuse.Size]efuse.Field
	for _, f := range efuse.Fields() {
		if f.Offset()+f.Len() > efuse.Size {
			t.Errorf("%v past the end", f)
		}
		for i := f.Offset(); i < f.Offset()+f.Len(); i++ {
			if owner[i] != 0 {
				t.Errorf("%v overlaps %v at byte %d", f, owner[i], i)
			}
			owner[i] = f
		}
	}
	for _, f := range efuse.Fields() {
		p, err := efuse.ParseField(f.String())
		if err != nil || p != f {
			t.Errorf("ParseField(%q) = %v, %v", f, p, err)
		}
	}
	if _, err := efuse.ParseField("nope"); !errors.Is(err, efuse.ErrUnknownField) {
		t.Errorf("ParseField(nope): %v", err)
	}
	if s := efuse.Field(0).String(); s != "Field(0)" {
		t.Errorf("invalid field String = %q", s)
	}
}

func TestBurn(t *testing.T) {
	hash := bytes.Repeat([]byte{0xA5}, 32)
	tests := []struct {
		name    string
		burn    func(b *efuse.Bank) error
		wantErr error
		field   efuse.Field
		want    []byte
	}{
		{"u32 into blank", func(b *efuse.Bank) error { return b.BurnU32(efuse.AppVersion, 0x3) }, nil, efuse.AppVersion, []byte{3, 0, 0, 0}},
		{"u32 grow", func(b *efuse.Bank) error {
			b.BurnU32(efuse.AppVersion, 0x3)
			return b.BurnU32(efuse.AppVersion, 0x7)
		}, nil, efuse.AppVersion, []byte{7, 0, 0, 0}},
		{"u32 same again", func(b *efuse.Bank) error {
			b.BurnU32(efuse.AppVersion, 0x3)
			return b.BurnU32(efuse.AppVersion, 0x3)
		}, nil, efuse.AppVersion, []byte{3, 0, 0, 0}},
		{"clear attempt", func(b *efuse.Bank) error {
			b.BurnU32(efuse.AppVersion, 0x3)
			return b.BurnU32(efuse.AppVersion, 0x4)
		}, efuse.ErrClearBit, efuse.AppVersion, []byte{3, 0, 0, 0}},
		{"clear attempt bytes", func(b *efuse.Bank) error {
			b.Burn(efuse.RootKeyHash, hash)
			other := bytes.Clone(hash)
			other[31] = 0xFF
			other[30] = 0x00
			return b.Burn(efuse.RootKeyHash, other)
		}, efuse.ErrClearBit, efuse.RootKeyHash, hash},
		{"8-bit flashboot", func(b *efuse.Bank) error { return b.BurnU32(efuse.FlashbootVersion, 0xFF) }, nil, efuse.FlashbootVersion, []byte{0xFF}},
		{"8-bit too wide", func(b *efuse.Bank) error { return b.BurnU32(efuse.FlashbootVersion, 0x100) }, efuse.ErrTooWide, efuse.FlashbootVersion, []byte{0}},
		{"wrong length", func(b *efuse.Bank) error { return b.Burn(efuse.RootKeyHash, hash[:31]) }, efuse.ErrLength, efuse.RootKeyHash, make([]byte, 32)},
		{"u32 on wide field", func(b *efuse.Bank) error { return b.BurnU32(efuse.DieID, 1) }, efuse.ErrNotWord, efuse.DieID, make([]byte, 16)},
		{"unknown field", func(b *efuse.Bank) error { return b.Burn(efuse.Field(99), nil) }, efuse.ErrUnknownField, efuse.MSID, make([]byte, 4)},
		{"unknown field u32", func(b *efuse.Bank) error { return b.BurnU32(efuse.Field(0), 1) }, efuse.ErrUnknownField, efuse.MSID, make([]byte, 4)},
		{"secure verify", func(b *efuse.Bank) error { return b.Burn(efuse.SecureVerify, []byte{1}) }, nil, efuse.SecureVerify, []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b efuse.Bank
			err := tt.burn(&b)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "efuse: ") {
				t.Errorf("message %q lacks package prefix", err)
			}
			if diff := cmp.Diff(tt.want, b.Read(tt.field)); diff != "" {
				t.Errorf("%v (-want +got):\n%s", tt.field, diff)
			}
		})
	}
	if efuse.ErrClearBit.Error() != "efuse: cannot clear a burned bit" {
		t.Errorf("ErrClearBit text %q", efuse.ErrClearBit)
	}
}

func TestReadU32(t *testing.T) {
	var b efuse.Bank
	if err := b.BurnU32(efuse.MSID, 0x12345678); err != nil {
		t.Fatal(err)
	}
	if err := b.BurnU32(efuse.FlashbootVersion, 0x0F); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f       efuse.Field
		want    uint32
		wantErr error
	}{
		{efuse.MSID, 0x12345678, nil},
		{efuse.FlashbootVersion, 0x0F, nil},
		{efuse.AppVersion, 0, nil},
		{efuse.RootKeyHash, 0, efuse.ErrNotWord},
		{efuse.Field(-1), 0, efuse.ErrUnknownField},
	}
	for _, tt := range tests {
		got, err := b.ReadU32(tt.f)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("ReadU32(%v) = %#x, %v; want %#x, %v", tt.f, got, err, tt.want, tt.wantErr)
		}
	}
	if b.Read(efuse.Field(42)) != nil {
		t.Error("Read of unknown field not nil")
	}
	if b.SecureVerifyEnabled() {
		t.Error("secure verify on in blank field")
	}
	b.Burn(efuse.SecureVerify, []byte{0x80})
	if !b.SecureVerifyEnabled() {
		t.Error("secure verify off with a bit set")
	}
}

func TestCloneIndependent(t *testing.T) {
	var a efuse.Bank
	a.BurnU32(efuse.AppVersion, 1)
	c := a.Clone()
	if !c.Equal(&a) {
		t.Fatal("clone differs")
	}
	c.BurnU32(efuse.AppVersion, 3)
	a.BurnU32(efuse.MSID, 9)
	if v, _ := a.ReadU32(efuse.AppVersion); v != 1 {
		t.Errorf("original app version %d", v)
	}
	if v, _ := c.ReadU32(efuse.MSID); v != 0 {
		t.Errorf("clone msid %d", v)
	}
	r := a.Read(efuse.AppVersion)
	r[0] = 0xFF // Read returns a copy
	if v, _ := a.ReadU32(efuse.AppVersion); v != 1 {
		t.Error("Read aliases the bank")
	}
	var nilBank *efuse.Bank
	if !nilBank.Clone().Equal(&efuse.Bank{}) {
		t.Error("nil clone not blank")
	}
}

func TestMarshal(t *testing.T) {
	var b efuse.Bank
	b.BurnU32(efuse.AppVersion, 0x12345678)
	b.BurnU32(efuse.FlashbootVersion, 0x07)
	b.Burn(efuse.RootKeyHash, bytes.Repeat([]byte{0xAB}, 32))
	b.Burn(efuse.SecureVerify, []byte{1})
	enc, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != efuse.Size || efuse.Size != 256 {
		t.Fatalf("encoded %d bytes, want %d", len(enc), 256)
	}
	// Bytes sit at the SDK addresses (bit offset / 8).
	want := make([]byte, efuse.Size)
	copy(want[624/8:], []byte{0x78, 0x56, 0x34, 0x12})
	want[656/8] = 0x07
	copy(want[672/8:], bytes.Repeat([]byte{0xAB}, 32))
	want[960/8] = 0x01
	if diff := cmp.Diff(want, enc); diff != "" {
		t.Errorf("encoding (-want +got):\n%s", diff)
	}
	var back efuse.Bank
	if err := back.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(&b) {
		t.Error("round trip")
	}
	enc[0] = 0xEE // MarshalBinary returns a copy
	if b.Read(efuse.DieID)[0] != 0 || back.Read(efuse.DieID)[0] != 0 {
		t.Error("aliasing")
	}
	for _, n := range []int{0, 255, 257} {
		err := back.UnmarshalBinary(make([]byte, n))
		var fe *efuse.FormatError
		if !errors.As(err, &fe) || !errors.Is(err, efuse.ErrSize) || fe.Off != int64(min(n, 256)) {
			t.Errorf("UnmarshalBinary(%d bytes) = %v", n, err)
		}
	}
	if !back.Equal(&b) {
		t.Error("failed UnmarshalBinary changed the bank")
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var b efuse.Bank
		if err := b.UnmarshalBinary(in); err != nil {
			if len(in) == efuse.Size || !errors.Is(err, efuse.ErrSize) {
				t.Fatalf("%d bytes: %v", len(in), err)
			}
			return
		}
		out, _ := b.MarshalBinary()
		if !bytes.Equal(out, in) {
			t.Fatal("round trip")
		}
		// Burning any field's current value back is always allowed.
		for _, fl := range efuse.Fields() {
			if err := b.Burn(fl, b.Read(fl)); err != nil {
				t.Fatalf("%v: %v", fl, err)
			}
		}
	})
}
