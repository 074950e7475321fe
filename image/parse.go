package image

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/internal/cliio"
)

// Parse reads a signed image from r, whose size is size bytes. r may be a
// file holding just the image or a whole partition (size = partition size,
// the image followed by other bytes); the image occupies Len() bytes.
//
// Checks, in this order, each with its own sentinel inside a *FormatError
// naming the offset: the header is present (ErrTruncated), the key-area
// image id is a known kind (ErrUnknownImageID), both structure lengths
// (ErrStructLength), code_area_len within size − HeaderLen and MaxLen
// (ErrCodeLength, checked before the code is allocated), and last the code
// hash (ErrBodyHash). On ErrBodyHash the image is returned too, complete, so
// that a caller can show what it holds; on every other error it is nil.
// Signatures, ids of the code info and versions are Verify's business.
func Parse(r io.ReaderAt, size int64) (*Image, error) {
	return ParseWith(r, size, ParseOptions{})
}

// ParseOptions adjust Parse. The zero value is Parse.
type ParseOptions struct {
	// Sum256, when set, replaces crypto/sha256.Sum256 for the code hash:
	// a power-cut sweep passes a memo that returns the same digests
	// without rehashing bytes it has seen (upg.Memo). It must return
	// sha256.Sum256 of its argument.
	Sum256 func([]byte) [32]byte
	// Read, when set, replaces the code area's fresh buffer and ReadAt:
	// it must make that same r.ReadAt(buf, off) call for n bytes and
	// return its count and error with the bytes. A sweep's memo returns
	// a shared copy of bytes it has seen (upg.Memo.Read): Image.Code must
	// then not be modified.
	Read func(r io.ReaderAt, off int64, n int) ([]byte, int, error)
}

// ParseWith is Parse with options.
func ParseWith(r io.ReaderAt, size int64, o ParseOptions) (*Image, error) {
	sum256 := sha256.Sum256
	if o.Sum256 != nil {
		sum256 = o.Sum256
	}
	if size < HeaderLen {
		return nil, &FormatError{Off: max(size, 0), Msg: fmt.Sprintf("%d bytes, shorter than the 0x%x-byte header", size, HeaderLen), Err: ErrTruncated}
	}
	var hdr [HeaderLen]byte
	if n, err := r.ReadAt(hdr[:], 0); n < HeaderLen {
		if errors.Is(err, io.EOF) || err == nil {
			return nil, &FormatError{Off: int64(n), Msg: "input ends inside the header", Err: ErrTruncated}
		}
		return nil, fmt.Errorf("image: read header: %w", err)
	}
	im := &Image{}
	im.Key.UnmarshalBinary(hdr[:KeyAreaLen])
	im.Info.UnmarshalBinary(hdr[KeyAreaLen:])

	kind, ok := KindOf(im.Key.ImageID)
	if !ok {
		return nil, &FormatError{Off: OffKeyImageID, Msg: fmt.Sprintf("key area image id 0x%08X is not app, flashboot or flashboot-backup", im.Key.ImageID), Err: ErrUnknownImageID}
	}
	im.Kind = kind
	if im.Key.StructLength != KeyAreaLen {
		return nil, &FormatError{Off: OffKeyStructLength, Msg: fmt.Sprintf("key area structure_length 0x%x, want 0x%x", im.Key.StructLength, KeyAreaLen), Err: ErrStructLength}
	}
	if im.Info.StructLength != CodeInfoLen {
		return nil, &FormatError{Off: OffInfoStructLength, Msg: fmt.Sprintf("code info structure_length 0x%x, want 0x%x", im.Info.StructLength, CodeInfoLen), Err: ErrStructLength}
	}
	room := min(size, MaxLen) - HeaderLen
	if int64(im.Info.CodeAreaLen) > room {
		return nil, &FormatError{Off: OffCodeAreaLen, Msg: fmt.Sprintf("code_area_len 0x%x exceeds the 0x%x bytes after the header", im.Info.CodeAreaLen, room), Err: ErrCodeLength}
	}

	read := func(r io.ReaderAt, off int64, n int) ([]byte, int, error) {
		b := make([]byte, n)
		got, err := r.ReadAt(b, off)
		return b, got, err
	}
	if o.Read != nil {
		read = o.Read
	}
	code, n, err := read(r, HeaderLen, int(im.Info.CodeAreaLen))
	im.Code = code
	if n < len(im.Code) {
		if errors.Is(err, io.EOF) || err == nil {
			return nil, &FormatError{Off: HeaderLen + int64(n), Msg: "input ends inside the code area", Err: ErrCodeLength}
		}
		return nil, fmt.Errorf("image: read code area: %w", err)
	}
	if sum := sum256(im.Code); sum != im.Info.CodeAreaHash {
		return im, &FormatError{Off: HeaderLen, Msg: fmt.Sprintf("SHA-256 of the 0x%x-byte code area is %x, code_area_hash (at 0x%x) is %x",
			im.Info.CodeAreaLen, sum[:8], OffCodeAreaHash, im.Info.CodeAreaHash[:8]), Err: ErrBodyHash}
	}
	return im, nil
}

// ParseBytes is Parse of an image in memory (b may hold more bytes after
// it) without copying its code: the image's Code is a slice of b, so b
// must not be modified while the image is in use.
func ParseBytes(b []byte) (*Image, error) {
	return ParseWith(bytes.NewReader(b), int64(len(b)), ParseOptions{Read: func(r io.ReaderAt, off int64, n int) ([]byte, int, error) {
		if off < 0 || off+int64(n) > int64(len(b)) { // cannot happen: the length is checked against len(b) first
			buf := make([]byte, n)
			got, err := r.ReadAt(buf, off)
			return buf, got, err
		}
		return b[off : off+int64(n) : off+int64(n)], n, nil
	}})
}

// ReadFile parses the image in a file; errors name the file. As with Parse,
// on ErrBodyHash the image is returned with the error.
func ReadFile(path string) (*Image, error) {
	in, err := cliio.Open(path, cliio.ImageLimit, "an image")
	if err != nil {
		return nil, err
	}
	defer in.Close()
	im, err := Parse(in, in.Size)
	if err != nil {
		return im, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}
