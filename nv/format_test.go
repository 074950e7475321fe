package nv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecordSizes(t *testing.T) {
	ph, _ := NewPageHeader(StoreApp, 1, 7).MarshalBinary()
	kh, _ := KeyHeader{}.MarshalBinary()
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"kv_page_header_t", len(ph), PageHeaderLen},
		{"kv_key_header_t", len(kh), KeyHeaderLen},
		{"key of 1 byte", keyFlashLen(1), KeyHeaderLen + 4 + CRCLen},
		{"key of 6 bytes", keyFlashLen(6), KeyHeaderLen + 8 + CRCLen},
		{"largest key fills a page", keyFlashLen(MaxValueLen) + PageHeaderLen, PageSize},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.name, c.got, c.want)
		}
	}
}

func TestPageHeaderRoundTrip(t *testing.T) {
	h := NewPageHeader(StoreBackup, 3, 0x01020304)
	b, _ := h.MarshalBinary()
	var got PageHeader
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if !got.Valid() {
		t.Error("NewPageHeader is not Valid")
	}
	// The check words: bytes 4..7 are the complement of 0..3.
	if d, inv := binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint32(b[4:]); d != ^inv {
		t.Errorf("details %08x, ~details %08x", d, inv)
	}
	if err := got.UnmarshalBinary(b[:PageHeaderLen-1]); err == nil {
		t.Error("short page header decoded")
	}
}

func TestPageHeaderValid(t *testing.T) {
	good := NewPageHeader(StoreApp, 0, 0)
	for _, c := range []struct {
		name string
		mod  func(h *PageHeader)
		want bool
	}{
		{"good", func(*PageHeader) {}, true},
		{"erased", func(h *PageHeader) { *h = PageHeader{0xFFFF, 0xFF, 0xFF, ^uint32(0), ^uint32(0), ^uint32(0)} }, false},
		{"store id 0", func(h *PageHeader) { h.StoreID = 0; h.InvDetails = ^h.details() }, false},
		{"details flipped", func(h *PageHeader) { h.Index ^= 1 }, false},
		{"sequence torn", func(h *PageHeader) { h.Seq = 1 }, false},
		{"sequence 5", func(h *PageHeader) { h.Seq, h.InvSeq = 5, ^uint32(5) }, true},
	} {
		h := good
		c.mod(&h)
		if got := h.Valid(); got != c.want {
			t.Errorf("%s: Valid() = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestKeyHeaderRoundTrip(t *testing.T) {
	h := KeyHeader{Magic: KeyMagic, Valid: validYes, Length: 0x5D, Type: typePermanent, Upgrade: upgradeNo,
		ID: 0x2053, EncKey: 0, Version: 0x1234, Rnd: 0xDEADBEEF}
	b, _ := h.MarshalBinary()
	want := []byte{0xA9, 0xFF, 0x5D, 0x00, 0x00, 0x00, 0x53, 0x20, 0x00, 0x00, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE}
	if !bytes.Equal(b, want) {
		t.Errorf("encoded % x\nwant    % x", b, want)
	}
	var got KeyHeader
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if a := got.Attr(); a != Permanent|NonUpgrade {
		t.Errorf("Attr = %v, want permanent|non-upgrade", a)
	}
	if err := got.UnmarshalBinary(b[:3]); err == nil {
		t.Error("short key header decoded")
	}
}

func TestAttrString(t *testing.T) {
	for a, want := range map[Attr]string{
		0:                       "normal",
		NonUpgrade:              "non-upgrade",
		Permanent | NonUpgrade:  "permanent|non-upgrade",
		Encrypted | 0x10:        "encrypted|0x10",
		Permanent | Encrypted:   "permanent|encrypted",
		Permanent | 0x80 | 0x08: "permanent|0x88",
	} {
		if got := a.String(); got != want {
			t.Errorf("Attr(%#x) = %q, want %q", uint8(a), got, want)
		}
	}
}

// TestEncodeKey checks the entry layout: header, value zero-padded to 4,
// CRC-32 of both stored big-endian.
func TestEncodeKey(t *testing.T) {
	b, err := EncodeKey(Key{ID: 0x0005, Value: []byte{1, 2, 3, 4, 5, 6}, Attr: NonUpgrade})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 16+8+4 {
		t.Fatalf("%d bytes, want 28", len(b))
	}
	wantHdr := []byte{0xA9, 0xFF, 6, 0, 0xFF, 0x00, 5, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	if !bytes.Equal(b[:16], wantHdr) {
		t.Errorf("header % x\nwant   % x", b[:16], wantHdr)
	}
	if !bytes.Equal(b[16:24], []byte{1, 2, 3, 4, 5, 6, 0, 0}) {
		t.Errorf("padded value % x", b[16:24])
	}
	if got, want := binary.BigEndian.Uint32(b[24:]), crc32.ChecksumIEEE(b[:24]); got != want {
		t.Errorf("CRC %08x, want %08x (big-endian)", got, want)
	}
	for _, c := range []struct {
		name string
		k    Key
		want error
	}{
		{"empty", Key{ID: 1}, ErrValueLen},
		{"too long", Key{ID: 1, Value: make([]byte, MaxValueLen+1)}, ErrValueLen},
		{"encrypted", Key{ID: 1, Value: []byte{1}, Attr: Encrypted}, ErrEncrypted},
	} {
		if _, err := EncodeKey(c.k); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestFormatError(t *testing.T) {
	_, err := ParsePage(make([]byte, 10))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Off != 10 || !errors.Is(err, ErrPageSize) {
		t.Fatalf("ParsePage(10 bytes) = %v, want a *FormatError at 10 wrapping ErrPageSize", err)
	}
	if got := fe.Error(); got != "nv: at offset 0xa: page is 10 bytes, want 4096" {
		t.Errorf("Error() = %q", got)
	}
}
