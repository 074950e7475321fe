package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// detReader is an endless deterministic byte stream (SHA-256 in counter
// mode) for seeded keys and field values.
type detReader struct {
	seed string
	ctr  uint64
	buf  []byte
}

func newDetReader(seed string) *detReader { return &detReader{seed: seed} }

func (r *detReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 {
			var c [8]byte
			binary.LittleEndian.PutUint64(c[:], r.ctr)
			r.ctr++
			s := sha256.Sum256(append([]byte(r.seed), c[:]...))
			r.buf = s[:]
		}
		k := copy(p[n:], r.buf)
		r.buf = r.buf[k:]
		n += k
	}
	return n, nil
}

// testKey makes a reproducible key from a name.
func testKey(t testing.TB, name string) *PrivateKey {
	t.Helper()
	k, err := GenerateKey(newDetReader("key " + name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRecordSizes(t *testing.T) {
	var k KeyArea
	var c CodeInfo
	kb, _ := k.MarshalBinary()
	cb, _ := c.MarshalBinary()
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"KeyAreaLen", KeyAreaLen, 256},
		{"CodeInfoLen", CodeInfoLen, 512},
		{"HeaderLen", HeaderLen, 0x300},
		{"KeyArea encoding", len(kb), KeyAreaLen},
		{"CodeInfo encoding", len(cb), CodeInfoLen},
		{"IdentLen", len(Ident{}.record(0)), IdentLen},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestRecordRoundTrip decodes random bytes and encodes them back.
func TestRecordRoundTrip(t *testing.T) {
	r := newDetReader("round trip")
	for i := range 20 {
		raw := make([]byte, KeyAreaLen)
		io.ReadFull(r, raw)
		var k KeyArea
		if err := k.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		back, _ := k.MarshalBinary()
		if !bytes.Equal(back, raw) {
			t.Fatalf("key area %d: round trip differs", i)
		}
		var k2 KeyArea
		k2.UnmarshalBinary(back)
		if d := cmp.Diff(k, k2); d != "" {
			t.Fatalf("key area %d (-first +second):\n%s", i, d)
		}

		raw = make([]byte, CodeInfoLen)
		io.ReadFull(r, raw)
		var c CodeInfo
		if err := c.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		back, _ = c.MarshalBinary()
		if !bytes.Equal(back, raw) {
			t.Fatalf("code info %d: round trip differs", i)
		}
	}
}

// TestRecordFieldOffsets pins each field to its spec offset (§6.2).
func TestRecordFieldOffsets(t *testing.T) {
	k := KeyArea{ImageID: 0x11, StructLength: 0x22, VersionExt: 0x33, MaintenanceMode: 0x44, CodeInfoAddr: 0x55}
	k.DieID[0] = 0x66
	k.Reserved[0] = 0x77
	k.ExtPublicKey[0] = 0x88
	k.Signature[0] = 0x99
	kb, _ := k.MarshalBinary()
	c := CodeInfo{ImageID: 0x11, VersionExt: 0x22, CodeAreaLen: 0x33, CodeEncFlag: 0x44, CodeCompressFlag: 0x55, TextSegmentSize: 0x66}
	c.CodeAreaHash[0] = 0x77
	c.IV[0] = 0x88
	c.Reserved[0] = 0x99
	c.Signature[0] = 0xAA
	c.SignatureExt[0] = 0xBB
	cb, _ := c.MarshalBinary()
	for _, tc := range []struct {
		name string
		b    []byte
		off  int
		want byte
	}{
		{"key image_id", kb, 0, 0x11}, {"key structure_length", kb, 8, 0x22}, {"key version_ext", kb, 36, 0x33},
		{"key maintenance_mode", kb, 52, 0x44}, {"key die_id", kb, 56, 0x66}, {"key code_info_addr", kb, 72, 0x55},
		{"key reserved", kb, 76, 0x77}, {"key ext_public_key", kb, 128, 0x88}, {"key signature", kb, 192, 0x99},
		{"info image_id", cb, 0, 0x11}, {"info version_ext", cb, 16, 0x22}, {"info code_area_len", cb, 36, 0x33},
		{"info code_area_hash", cb, 40, 0x77}, {"info code_enc_flag", cb, 72, 0x44}, {"info iv", cb, 108, 0x88},
		{"info code_compress_flag", cb, 124, 0x55}, {"info text_segment_size", cb, 132, 0x66},
		{"info reserved", cb, 136, 0x99}, {"info signature", cb, 384, 0xAA}, {"info signature_ext", cb, 448, 0xBB},
	} {
		if tc.b[tc.off] != tc.want {
			t.Errorf("%s at %d = 0x%x, want 0x%x", tc.name, tc.off, tc.b[tc.off], tc.want)
		}
	}
}

func TestUnmarshalWrongSize(t *testing.T) {
	var k KeyArea
	if err := k.UnmarshalBinary(make([]byte, KeyAreaLen-1)); !errors.Is(err, ErrRecordSize) {
		t.Errorf("key area: err %v, want ErrRecordSize", err)
	}
	var c CodeInfo
	if err := c.UnmarshalBinary(make([]byte, CodeInfoLen+1)); !errors.Is(err, ErrRecordSize) {
		t.Errorf("code info: err %v, want ErrRecordSize", err)
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		name      string
		kind      Kind
		key, info uint32
	}{
		{"app", KindApp, 0x4B0F2D1E, 0x4B0F2D2D},
		{"flashboot", KindFlashboot, 0x4B1E3C1E, 0x4B1E3C2D},
		{"flashboot-backup", KindFlashbootBackup, 0x4B69871E, 0x4B69872D},
	} {
		k, err := ParseKind(tc.name)
		if err != nil || k != tc.kind {
			t.Errorf("ParseKind(%q) = %v, %v", tc.name, k, err)
		}
		if k.String() != tc.name {
			t.Errorf("%v.String() = %q", k, k.String())
		}
		if a, b := k.IDs(); a != tc.key || b != tc.info {
			t.Errorf("%v.IDs() = 0x%x, 0x%x", k, a, b)
		}
		if got, ok := KindOf(tc.key); !ok || got != tc.kind {
			t.Errorf("KindOf(0x%x) = %v, %v", tc.key, got, ok)
		}
	}
	if _, err := ParseKind("nv"); !errors.Is(err, ErrKind) {
		t.Errorf("ParseKind(nv) err %v, want ErrKind", err)
	}
	if s := Kind(9).String(); s != "Kind(9)" {
		t.Errorf("Kind(9).String() = %q", s)
	}
	if _, ok := KindOf(ParamsKeyAreaID); ok {
		t.Error("KindOf(params key area id) reported a kind")
	}
}

func TestFormatErrorMessage(t *testing.T) {
	e := &FormatError{Off: 0x124, Msg: "bad", Err: ErrCodeLength}
	if got, want := e.Error(), "image: offset 292 (0x124): bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrCodeLength) {
		t.Error("FormatError does not unwrap to its sentinel")
	}
}
