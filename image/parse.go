package image

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
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

	im.Code = make([]byte, im.Info.CodeAreaLen)
	if n, err := r.ReadAt(im.Code, HeaderLen); n < len(im.Code) {
		if errors.Is(err, io.EOF) || err == nil {
			return nil, &FormatError{Off: HeaderLen + int64(n), Msg: "input ends inside the code area", Err: ErrCodeLength}
		}
		return nil, fmt.Errorf("image: read code area: %w", err)
	}
	if sum := sha256.Sum256(im.Code); sum != im.Info.CodeAreaHash {
		return im, &FormatError{Off: HeaderLen, Msg: fmt.Sprintf("SHA-256 of the 0x%x-byte code area is %x, code_area_hash (at 0x%x) is %x",
			im.Info.CodeAreaLen, sum[:8], OffCodeAreaHash, im.Info.CodeAreaHash[:8]), Err: ErrBodyHash}
	}
	return im, nil
}

// ReadFile parses the image in a file; errors name the file. As with Parse,
// on ErrBodyHash the image is returned with the error.
func ReadFile(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	im, err := Parse(f, st.Size())
	if err != nil {
		return im, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}
