package image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// goodImage is a small hash-only synthetic app image.
func goodImage(t testing.TB) []byte {
	t.Helper()
	b, err := Synthetic(Ident{Kind: KindApp, Version: "1.0.0", Seed: 1}, 4000, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// messWith returns a copy of b changed by f (zip's messWith).
func messWith(b []byte, f func(b []byte) []byte) []byte {
	return f(append([]byte(nil), b...))
}

func flip(off int) func([]byte) []byte {
	return func(b []byte) []byte { b[off] ^= 0x01; return b }
}

func setU32(off int, v uint32) func([]byte) []byte {
	return func(b []byte) []byte { binary.LittleEndian.PutUint32(b[off:], v); return b }
}

func TestParseCorrupt(t *testing.T) {
	good := goodImage(t)
	codeLen := len(good) - HeaderLen
	for _, tc := range []struct {
		name    string
		mess    func([]byte) []byte
		size    int // claimed size; 0 = len(data)
		want    error
		off     int64
		withImg bool // the image comes back with the error
	}{
		{"empty", func(b []byte) []byte { return nil }, 0, ErrTruncated, 0, false},
		{"header cut", func(b []byte) []byte { return b[:HeaderLen-1] }, 0, ErrTruncated, HeaderLen - 1, false},
		{"header cut, size claims more", func(b []byte) []byte { return b[:0x200] }, 0x1000, ErrTruncated, 0x200, false},
		{"key area image id", flip(OffKeyImageID), 0, ErrUnknownImageID, OffKeyImageID, false},
		{"params key area id", setU32(OffKeyImageID, ParamsKeyAreaID), 0, ErrUnknownImageID, OffKeyImageID, false},
		{"key structure_length", flip(OffKeyStructLength), 0, ErrStructLength, OffKeyStructLength, false},
		{"info structure_length", flip(OffInfoStructLength + 1), 0, ErrStructLength, OffInfoStructLength, false},
		{"code_area_len huge", setU32(OffCodeAreaLen, 0xFFFFFFF0), 0, ErrCodeLength, OffCodeAreaLen, false},
		{"code_area_len past MaxLen", setU32(OffCodeAreaLen, MaxLen), 1 << 30, ErrCodeLength, OffCodeAreaLen, false},
		{"code cut", func(b []byte) []byte { return b[:len(b)-16] }, 0, ErrCodeLength, OffCodeAreaLen, false},
		{"code cut, size claims more", func(b []byte) []byte { return b[:len(b)-16] }, 1 << 20, ErrCodeLength, int64(len(good) - 16), false},
		{"code byte", flip(HeaderLen + 100), 0, ErrBodyHash, HeaderLen, true},
		{"last code byte", flip(HeaderLen + codeLen - 1), 0, ErrBodyHash, HeaderLen, true},
		{"code_area_hash", flip(OffCodeAreaHash + 31), 0, ErrBodyHash, HeaderLen, true},
		{"code_area_len shorter", setU32(OffCodeAreaLen, uint32(codeLen-16)), 0, ErrBodyHash, HeaderLen, true},
		// Order: the id is checked before the hash.
		{"id and code", func(b []byte) []byte { return flip(HeaderLen)(flip(0)(b)) }, 0, ErrUnknownImageID, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := messWith(good, tc.mess)
			size := int64(len(data))
			if tc.size != 0 {
				size = int64(tc.size)
			}
			im, err := Parse(bytes.NewReader(data), size)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err %T is not a *FormatError", err)
			}
			if fe.Off != tc.off {
				t.Errorf("offset %d (0x%x), want %d (0x%x)", fe.Off, fe.Off, tc.off, tc.off)
			}
			if (im != nil) != tc.withImg {
				t.Errorf("image returned: %v, want %v", im != nil, tc.withImg)
			}
			if im != nil && im.BodyHashOK() {
				t.Error("BodyHashOK on an image whose body hash failed")
			}
		})
	}
}

// Signatures and code-info ids are not Parse's business: secure boot off
// does not look at them.
func TestParseIgnoresSignatures(t *testing.T) {
	good := goodImage(t)
	for _, off := range []int{OffKeySignature, OffInfoSignature, OffInfoImageID, OffInfoVersionExt} {
		data := messWith(good, flip(off))
		if _, err := Parse(bytes.NewReader(data), int64(len(data))); err != nil {
			t.Errorf("flip at 0x%x: %v", off, err)
		}
	}
}

type errReaderAt struct{ err error }

func (r errReaderAt) ReadAt(p []byte, off int64) (int, error) { return 0, r.err }

func TestParseReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse(errReaderAt{boom}, 0x10000)
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the reader's error", err)
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		t.Error("an I/O error was reported as a format error")
	}
	_, err = Parse(errReaderAt{io.ErrUnexpectedEOF}, 0x10000)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v", err)
	}
}

func TestParseZeroLengthCode(t *testing.T) {
	b, err := Build(BuildOptions{Kind: KindFlashbootBackup})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != HeaderLen {
		t.Fatalf("len %d", len(b))
	}
	im, err := Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if im.Kind != KindFlashbootBackup || im.Len() != HeaderLen || len(im.Code) != 0 {
		t.Errorf("kind %v len %d code %d", im.Kind, im.Len(), len(im.Code))
	}
}
