package upg

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/ws63emu/ws63emu/lzma"
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

// CompressLZMA compresses data as the SDK packer does and returns the
// payload in the package's form: the 16-byte header, then the stream. It
// is not padded (Pack pads). The stream is lzma_tool's byte for byte: it
// comes from package lzma, the LZMA SDK 22.00 encoder with lzma_tool's
// settings.
func CompressLZMA(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("upg: lzma: cannot compress an empty image: %w", ErrLZMASize)
	}
	if uint64(len(data)) > math.MaxUint32 {
		return nil, fmt.Errorf("upg: lzma: image of %d bytes exceeds 4 GiB", len(data))
	}
	// Encode straight into the package form: 13-byte header, 3 zero
	// bytes, stream.
	out := make([]byte, LZMAHeaderLen-LZMAAloneHeaderLen, len(data)/2+64)
	out, err := lzma.AppendEncode(out, data)
	if err != nil {
		return nil, fmt.Errorf("upg: lzma: %w", err)
	}
	copy(out, out[LZMAHeaderLen-LZMAAloneHeaderLen:LZMAHeaderLen])
	clear(out[LZMAAloneHeaderLen:LZMAHeaderLen])
	return out, nil
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

// DeviceLZMASize is the uncompressed size as upg_lzma_init computes it:
// the sum of the 11 bytes after the properties, byte i shifted left by
// 8·i in 32-bit arithmetic. Shifts of 32 and more are undefined in C; the
// WS63's RISC-V shift instructions use the amount modulo 32, which is
// what this reproduces: header bytes 9..15 are not rejected, they wrap
// into the size (zero in every package the SDK's packer makes).
func DeviceLZMASize(h []byte) uint32 {
	var size uint32
	for i := 0; i < 11 && lzma.PropsLen+i < len(h); i++ {
		size += uint32(h[lzma.PropsLen+i]) << (uint(8*i) & 31)
	}
	return size
}

// LZMADecoder decodes a package LZMA payload for tools (pkg inspect, the
// scenario runner's image extraction). It is an io.Reader of exactly
// Header.Size bytes over package lzma, the decoder the upgrade task uses;
// errors wrap ErrDecompress (ERRCODE_UPG_DECOMPRESS_FAIL).
type LZMADecoder struct {
	Header LZMAHeader
	r      io.Reader
	dec    *lzma.Decoder
	in     []byte // buffered input not yet consumed
	inBuf  []byte
	eof    bool // r is exhausted
	n      uint32
	err    error
}

// NewLZMADecoder reads the 16-byte header from r, checks it as
// upg_lzma_init and uapi_upg_lzma_ota_image do (ParseLZMAHeader, then
// ErrNoSpace — ERRCODE_UPG_NO_ENOUGH_SPACE — when the size exceeds maxOut,
// the target partition's size) and returns a decoder of the stream that
// follows, with the uncompressed size. The dictionary buffer is
// min(max(DictSize, 4096), size) bytes, as on the device. r is the
// image's data as stored (image_len bytes from image_offset).
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
	props, err := lzma.ParseProps(hb[:lzma.PropsLen])
	if err != nil {
		return nil, 0, fmt.Errorf("upg: lzma: %v: %w", err, ErrLZMAProps)
	}
	dec, err := lzma.NewDecoder(props, int(min(props.DictSize, h.Size)))
	if err != nil {
		return nil, 0, fmt.Errorf("upg: lzma: %v: %w", err, ErrDecompress)
	}
	return &LZMADecoder{Header: h, r: r, dec: dec, inBuf: make([]byte, 4096)}, h.Size, nil
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
	total := 0
	for total < len(p) {
		if len(d.in) == 0 && !d.eof {
			k, err := d.r.Read(d.inBuf)
			d.in = d.inBuf[:k]
			if err == io.EOF {
				d.eof = true
			} else if err != nil {
				d.err = fmt.Errorf("upg: lzma: after %d of %d bytes: %v: %w", d.n, d.Header.Size, err, ErrDecompress)
				return total, d.err
			}
		}
		mode := lzma.FinishAny
		if d.n+uint32(len(p)-total) == d.Header.Size {
			mode = lzma.FinishEnd
		}
		nOut, nIn, _, err := d.dec.DecodeToBuf(p[total:], d.in, mode)
		d.in = d.in[nIn:]
		total += nOut
		d.n += uint32(nOut)
		if err != nil {
			d.err = fmt.Errorf("upg: lzma: after %d of %d bytes: %v: %w", d.n, d.Header.Size, err, ErrDecompress)
			return total, d.err
		}
		if nOut == 0 && nIn == 0 && len(d.in) == 0 && d.eof {
			d.err = fmt.Errorf("upg: lzma: stream ends after %d of %d bytes: %w", d.n, d.Header.Size, ErrDecompress)
			return total, d.err
		}
	}
	return total, nil
}

// Decompressed returns how many bytes the decoder has produced.
func (d *LZMADecoder) Decompressed() uint32 { return d.n }
