package upg

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ulikunitz/xz/lzma"
)

// LZMA payloads (docs/sdk-mapping.md §2.3, §4.4). The SDK packer runs the LZMA SDK's
// console encoder (`lzma_tool -d12 -lc0 -lp0 e`: 4 KiB dictionary, lc=0,
// lp=0, pb=2, the real size in the header, no end marker), then
// fill_lzma_head stretches the 13-byte ".lzma alone" header to 16 bytes
// with three zero bytes, so that the stream after it is 16-byte aligned
// for the decryption engine:
//
//	0   1  properties byte 0x5A = (pb·5 + lp)·9 + lc
//	1   4  dictionary size 0x00001000
//	5   8  uncompressed size, little-endian (the device reads the low 32 bits)
//	13  3  zero
//	16     the LZMA range-coder stream
//
// The packer then zero-pads the whole payload to 16 bytes.
const (
	LZMAHeaderLen      = 16   // LZMA_HEAD_ALIGN_SIZE
	LZMAAloneHeaderLen = 13   // the .lzma header lzma_tool writes
	LZMADictSize       = 4096 // -d12
	LZMAProps          = 0x5A // lc=0 lp=0 pb=2
	lzmaMinDict        = 4096 // LZMA_DIC_MIN: smaller header values decode as this
	lzmaMaxProps       = 9 * 5 * 5
)

// CompressLZMA compresses data with the SDK's settings and returns the
// payload in the package's form: the 16-byte header, then the stream. It
// is not padded (Pack pads). The stream comes from ulikunitz/xz's encoder,
// not the LZMA SDK's, so its bytes (and ratio) differ from lzma_tool's;
// any LZMA decoder, the device's included, decodes both.
func CompressLZMA(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("upg: lzma: cannot compress an empty image: %w", ErrLZMASize)
	}
	if uint64(len(data)) > math.MaxUint32 {
		return nil, fmt.Errorf("upg: lzma: image of %d bytes exceeds 4 GiB", len(data))
	}
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	w, err := lzma.WriterConfig{
		Properties:   &lzma.Properties{LC: 0, LP: 0, PB: 2},
		DictCap:      LZMADictSize,
		Matcher:      lzma.HashTable4, // its BinaryTree matcher does not compress (v0.5.17)
		SizeInHeader: true,
		Size:         int64(len(data)),
		EOSMarker:    false,
	}.NewWriter(&buf)
	if err != nil {
		return nil, fmt.Errorf("upg: lzma: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("upg: lzma: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("upg: lzma: %w", err)
	}
	return FillLZMAHead(buf.Bytes())
}

// FillLZMAHead is the SDK packer's fill_lzma_head: it turns a .lzma file
// (13-byte header, then the stream) into the package form by inserting
// three zero bytes after the header.
func FillLZMAHead(alone []byte) ([]byte, error) {
	if len(alone) < LZMAAloneHeaderLen {
		return nil, fmt.Errorf("upg: lzma: %d-byte input is shorter than the 13-byte .lzma header: %w", len(alone), ErrLZMAHeader)
	}
	out := make([]byte, 0, len(alone)+LZMAHeaderLen-LZMAAloneHeaderLen)
	out = append(out, alone[:LZMAAloneHeaderLen]...)
	out = append(out, 0, 0, 0)
	return append(out, alone[LZMAAloneHeaderLen:]...), nil
}

// LZMAHeader is the 16-byte payload header as the device reads it.
type LZMAHeader struct {
	Props    byte   // properties byte: (pb·5 + lp)·9 + lc
	DictSize uint32 // as written; the decoder uses max(DictSize, 4096)
	Size     uint32 // uncompressed size (low 32 bits of the 64-bit field)
}

// LC, LP and PB decode the properties byte (valid only when Props < 225).
func (h LZMAHeader) LC() int { return int(h.Props) % 9 }

// LP returns the literal position bits.
func (h LZMAHeader) LP() int { return int(h.Props) / 9 % 5 }

// PB returns the position bits.
func (h LZMAHeader) PB() int { return int(h.Props) / 45 }

// ParseLZMAHeader decodes a 16-byte payload header with the device's
// checks (upg_lzma_init): the properties byte must be below 225
// (ErrLZMAProps); bytes 9..15 must be zero (ErrLZMAHeader — the device
// sums 11 size bytes with C shifts of 32 and more, undefined behaviour,
// so only headers with zeros there have a defined meaning); the size
// must not be 0 (ErrLZMASize).
func ParseLZMAHeader(b []byte) (LZMAHeader, error) {
	var h LZMAHeader
	if len(b) < LZMAHeaderLen {
		return h, fmt.Errorf("upg: lzma: header is %d bytes, want %d: %w", len(b), LZMAHeaderLen, ErrLZMAHeader)
	}
	h = LZMAHeader{Props: b[0], DictSize: binary.LittleEndian.Uint32(b[1:5]), Size: binary.LittleEndian.Uint32(b[5:9])}
	if h.Props >= lzmaMaxProps {
		return h, fmt.Errorf("upg: lzma: properties byte 0x%02X ≥ 225: %w", h.Props, ErrLZMAProps)
	}
	for i := 9; i < LZMAHeaderLen; i++ {
		if b[i] != 0 {
			return h, fmt.Errorf("upg: lzma: header byte %d is 0x%02X, want 0 (size above 4 GiB or pad bytes not zero): %w", i, b[i], ErrLZMAHeader)
		}
	}
	if h.Size == 0 {
		return h, fmt.Errorf("upg: lzma: %w", ErrLZMASize)
	}
	return h, nil
}

// LZMADecoder decodes a package LZMA payload. It is an io.Reader of
// exactly Header.Size bytes; errors wrap ErrDecompress
// (ERRCODE_UPG_DECOMPRESS_FAIL).
type LZMADecoder struct {
	Header LZMAHeader
	r      *lzma.Reader
	n      uint32 // bytes produced so far
	err    error
}

// NewLZMADecoder reads the 16-byte header from r, checks it as
// upg_lzma_init and uapi_upg_lzma_ota_image do (ParseLZMAHeader, then
// ErrNoSpace — ERRCODE_UPG_NO_ENOUGH_SPACE — when the size exceeds maxOut,
// the target partition's size) and returns a decoder of the stream that
// follows, with the uncompressed size. The dictionary is
// min(max(DictSize, 4096), size) bytes, as on the device. r is the
// image's data as stored (image_len bytes from image_offset); bytes after
// the end of the stream (the zero padding) are not read.
func NewLZMADecoder(r io.Reader, maxOut uint32) (*LZMADecoder, uint32, error) {
	var hb [LZMAHeaderLen]byte
	if n, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, 0, fmt.Errorf("upg: lzma: header: read %d of %d bytes: %w", n, LZMAHeaderLen, ErrLZMAHeader)
	}
	h, err := ParseLZMAHeader(hb[:])
	if err != nil {
		return nil, 0, err
	}
	if h.Size > maxOut {
		return nil, 0, fmt.Errorf("upg: lzma: uncompressed size %d exceeds the %d-byte target: %w", h.Size, maxOut, ErrNoSpace)
	}
	dict := max(h.DictSize, lzmaMinDict)
	dict = min(dict, h.Size)
	// Re-create a 13-byte .lzma header with the device's effective values.
	var alone [LZMAAloneHeaderLen]byte
	alone[0] = h.Props
	binary.LittleEndian.PutUint32(alone[1:5], dict)
	binary.LittleEndian.PutUint64(alone[5:13], uint64(h.Size))
	lr, err := lzma.ReaderConfig{DictCap: int(max(dict, lzmaMinDict))}.NewReader(
		io.MultiReader(bytes.NewReader(alone[:]), bufio.NewReaderSize(r, 4096)))
	if err != nil {
		return nil, 0, fmt.Errorf("upg: lzma: %v: %w", err, ErrDecompress)
	}
	return &LZMADecoder{Header: h, r: lr}, h.Size, nil
}

// Read implements io.Reader.
func (d *LZMADecoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if rest := d.Header.Size - d.n; uint64(len(p)) > uint64(rest) {
		p = p[:rest]
	}
	if len(p) == 0 {
		d.err = io.EOF
		return 0, io.EOF
	}
	n, err := d.r.Read(p)
	d.n += uint32(n)
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) && d.n == d.Header.Size:
		d.err = io.EOF
		if n > 0 {
			return n, nil
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		d.err = fmt.Errorf("upg: lzma: stream ends after %d of %d bytes: %w", d.n, d.Header.Size, ErrDecompress)
	default:
		d.err = fmt.Errorf("upg: lzma: after %d of %d bytes: %v: %w", d.n, d.Header.Size, err, ErrDecompress)
	}
	if d.err != nil && d.err != io.EOF {
		return n, d.err
	}
	return n, nil
}

// Decompressed returns how many bytes the decoder has produced.
func (d *LZMADecoder) Decompressed() uint32 { return d.n }
