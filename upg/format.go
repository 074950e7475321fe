package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"

	"github.com/ws63emu/ws63emu/image"
)

// Record sizes and layout of update.fwpkg (docs/sdk-mapping.md §1).
const (
	KeyAreaLen     = 256                      // upg_key_area_data_t
	InfoAreaLen    = 256                      // upg_fota_info_data_t
	HeaderLen      = KeyAreaLen + InfoAreaLen // upg_package_header_t
	HashNodeLen    = 44                       // upg_image_hash_node_t (no struct padding)
	ImageHeaderLen = 160                      // upg_image_header_t
	UserAreaLen    = 112                      // INFO_AREA_USER_LEN (the guide says 48)

	// SignedLen is how many leading bytes of the key area and of the info
	// area their signature (or hash-only check) covers.
	SignedLen = 192
	// SignatureLen is the size of the signature fields.
	SignatureLen = 64
	// HashOnlySigLen is signature_length in hash-only mode: only the first
	// 32 bytes of the signature field are compared.
	HashOnlySigLen = 32

	// Align is the granularity of the hash table and of image data.
	Align = 16

	// MaxImages is UPG_FIRMWARE_MAX_NUM, the most images a package may hold.
	MaxImages = 20
	// MaxVerLen is the longest --ver string build_ws63_update.py accepts.
	MaxVerLen = 16
)

// Magic numbers and flags.
const (
	PackageImageID   = 0xCB8D154E // key area and info area image_id
	ImageHeaderMagic = 0x464F5451 // header_magic, "QTOF" in file byte order
	StructVersion    = 0x00010000
	FlagLZMA         = 0x3C7896E1 // decompress_flag: LZMA-compressed
	FlagDiff         = 0x44494646 // decompress_flag: diff image ("FFID")
	FlagEncrypted    = 0x3C7896E1 // re_enc_flag: encrypted
)

// FOTA image ids (docs/sdk-mapping.md §1.4): the code-info ids of the signed images.
const (
	ImageIDFlashboot = 0x4B1E3C2D
	ImageIDApp       = 0x4B0F2D2D
	ImageIDHilink    = 0x5A87A52D
	ImageIDNV        = 0xCB9E063C
	ImageIDResIndex  = 0xCB9E0826 // not supported on WS63
	ImageIDResData   = 0xCB9E0832 // not supported on WS63
)

// KeyAlg values of the FOTA key area (fota.cfg comment). The device never
// reads key_alg; the packer derives signature_length from it.
const (
	KeyAlgECDSA     = 0x2A13C812 // ECC256_SHA256: brainpoolP256r1 ECDSA
	KeyAlgSM2       = 0x2A13C823 // SM2_SM3
	KeyAlgRSA       = 0x2A13C845 // RSA4096_SHA256
	KeyAlgSHA256ECC = 0x2A13C856 // SHA256 only (ECC256 format)
	KeyAlgSHA256RSA = 0x2A13C867 // SHA256 only (RSA4096 format), the old default
	KeyAlgSM3       = 0x2A13C878 // SM3_ONLY
)

// ImageName names a FOTA image id as fota.cfg sections do ("application",
// "flashboot", "nv", "hilink"), or "0x…" for another id.
func ImageName(id uint32) string {
	switch id {
	case ImageIDFlashboot:
		return "flashboot"
	case ImageIDApp:
		return "application"
	case ImageIDHilink:
		return "hilink"
	case ImageIDNV:
		return "nv"
	case ImageIDResIndex:
		return "res_index"
	case ImageIDResData:
		return "res_data"
	}
	return fmt.Sprintf("0x%08X", id)
}

// KeyArea is the FOTA key area (upg_key_area_data_t, docs/sdk-mapping.md §1.1). Its
// layout is the signed image's key area: image.KeyArea's CodeInfoAddr is
// fota_info_addr, ExtPublicKey is fota_external_public_key (the sub key,
// raw X ‖ Y) and Signature is sig_fota_key_area over bytes [0, 192).
type KeyArea = image.KeyArea

// InfoArea is the FOTA info area (upg_fota_info_data_t, docs/sdk-mapping.md §1.2).
type InfoArea struct {
	ImageID         uint32
	StructVersion   uint32
	StructLength    uint32
	SignatureLength uint32
	VersionExt      uint32 // fota_version_ext
	VersionMask     uint32 // mask_fota_version_ext
	MsidExt         uint32
	MsidMask        uint32
	HashTableAddr   uint32 // image_hash_table_addr: file offset, 0 = right after the header
	HashTableLen    uint32 // image_hash_table_length, padding included
	HashTableHash   [32]byte
	ImageNum        uint32
	HardwareID      uint32            // never checked by the device
	User            [UserAreaLen]byte // user_defined: the --ver string, zero padded
	Signature       [SignatureLen]byte
}

// AppendBinary appends the InfoAreaLen-byte encoding.
func (a *InfoArea) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	for _, v := range [...]uint32{a.ImageID, a.StructVersion, a.StructLength, a.SignatureLength,
		a.VersionExt, a.VersionMask, a.MsidExt, a.MsidMask, a.HashTableAddr, a.HashTableLen} {
		b = le.AppendUint32(b, v)
	}
	b = append(b, a.HashTableHash[:]...)
	b = le.AppendUint32(b, a.ImageNum)
	b = le.AppendUint32(b, a.HardwareID)
	b = append(b, a.User[:]...)
	return append(b, a.Signature[:]...), nil
}

// MarshalBinary returns the InfoAreaLen-byte encoding.
func (a *InfoArea) MarshalBinary() ([]byte, error) {
	return a.AppendBinary(make([]byte, 0, InfoAreaLen))
}

// UnmarshalBinary decodes exactly InfoAreaLen bytes. It checks no field.
func (a *InfoArea) UnmarshalBinary(b []byte) error {
	if len(b) != InfoAreaLen {
		return fmt.Errorf("%w: info area is %d bytes, want %d", ErrRecordSize, len(b), InfoAreaLen)
	}
	le := binary.LittleEndian
	u := func(off int) uint32 { return le.Uint32(b[off:]) }
	*a = InfoArea{
		ImageID: u(0), StructVersion: u(4), StructLength: u(8), SignatureLength: u(12),
		VersionExt: u(16), VersionMask: u(20), MsidExt: u(24), MsidMask: u(28),
		HashTableAddr: u(32), HashTableLen: u(36), ImageNum: u(72), HardwareID: u(76),
	}
	copy(a.HashTableHash[:], b[40:72])
	copy(a.User[:], b[80:192])
	copy(a.Signature[:], b[192:256])
	return nil
}

// Version returns the user area up to its first zero byte: the --ver
// string the SDK packer writes there.
func (a *InfoArea) Version() string {
	u := a.User[:]
	if i := bytes.IndexByte(u, 0); i >= 0 {
		u = u[:i]
	}
	return string(u)
}

// TableOffset is where the device reads the hash table: image_hash_table_addr,
// or right after the 512-byte header when that is 0.
func (a *InfoArea) TableOffset() int64 {
	if a.HashTableAddr == 0 {
		return HeaderLen
	}
	return int64(a.HashTableAddr)
}

// HashNode is one image hash table entry (upg_image_hash_node_t, docs/sdk-mapping.md §1.3).
type HashNode struct {
	ImageID     uint32
	ImageAddr   uint32 // file offset of the image header
	ImageLength uint32 // header + padded data
	ImageHash   [32]byte
}

// AppendBinary appends the HashNodeLen-byte encoding.
func (n *HashNode) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	b = le.AppendUint32(b, n.ImageID)
	b = le.AppendUint32(b, n.ImageAddr)
	b = le.AppendUint32(b, n.ImageLength)
	return append(b, n.ImageHash[:]...), nil
}

// MarshalBinary returns the HashNodeLen-byte encoding.
func (n *HashNode) MarshalBinary() ([]byte, error) {
	return n.AppendBinary(make([]byte, 0, HashNodeLen))
}

// UnmarshalBinary decodes exactly HashNodeLen bytes.
func (n *HashNode) UnmarshalBinary(b []byte) error {
	if len(b) != HashNodeLen {
		return fmt.Errorf("%w: hash node is %d bytes, want %d", ErrRecordSize, len(b), HashNodeLen)
	}
	le := binary.LittleEndian
	*n = HashNode{ImageID: le.Uint32(b[0:]), ImageAddr: le.Uint32(b[4:]), ImageLength: le.Uint32(b[8:])}
	copy(n.ImageHash[:], b[12:44])
	return nil
}

// ImageHeader is upg_image_header_t (docs/sdk-mapping.md §1.4).
type ImageHeader struct {
	Magic          uint32 // header_magic, ImageHeaderMagic
	ImageID        uint32
	ImageOffset    uint32 // file offset of the data
	ImageLen       uint32 // data length; the device always reads align16(ImageLen)
	ImageHash      [32]byte
	OldImageLen    uint32 // diff images only
	OldImageHash   [32]byte
	NewImageLen    uint32 // size of the original, uncompressed input
	VersionExt     uint32
	VersionMask    uint32
	DecompressFlag uint32 // FlagLZMA, FlagDiff, anything else = raw
	ReEncFlag      uint32 // FlagEncrypted, anything else = plain
	RootKeyType    uint32
	EncPKL1        [16]byte
	EncPKL2        [16]byte
	IV             [16]byte
	Padding        [4]byte
}

// AppendBinary appends the ImageHeaderLen-byte encoding.
func (h *ImageHeader) AppendBinary(b []byte) ([]byte, error) {
	le := binary.LittleEndian
	b = le.AppendUint32(b, h.Magic)
	b = le.AppendUint32(b, h.ImageID)
	b = le.AppendUint32(b, h.ImageOffset)
	b = le.AppendUint32(b, h.ImageLen)
	b = append(b, h.ImageHash[:]...)
	b = le.AppendUint32(b, h.OldImageLen)
	b = append(b, h.OldImageHash[:]...)
	for _, v := range [...]uint32{h.NewImageLen, h.VersionExt, h.VersionMask, h.DecompressFlag, h.ReEncFlag, h.RootKeyType} {
		b = le.AppendUint32(b, v)
	}
	b = append(b, h.EncPKL1[:]...)
	b = append(b, h.EncPKL2[:]...)
	b = append(b, h.IV[:]...)
	return append(b, h.Padding[:]...), nil
}

// MarshalBinary returns the ImageHeaderLen-byte encoding.
func (h *ImageHeader) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(make([]byte, 0, ImageHeaderLen))
}

// UnmarshalBinary decodes exactly ImageHeaderLen bytes. It checks no field.
func (h *ImageHeader) UnmarshalBinary(b []byte) error {
	if len(b) != ImageHeaderLen {
		return fmt.Errorf("%w: image header is %d bytes, want %d", ErrRecordSize, len(b), ImageHeaderLen)
	}
	le := binary.LittleEndian
	u := func(off int) uint32 { return le.Uint32(b[off:]) }
	*h = ImageHeader{
		Magic: u(0), ImageID: u(4), ImageOffset: u(8), ImageLen: u(12),
		OldImageLen: u(48), NewImageLen: u(84), VersionExt: u(88), VersionMask: u(92),
		DecompressFlag: u(96), ReEncFlag: u(100), RootKeyType: u(104),
	}
	copy(h.ImageHash[:], b[16:48])
	copy(h.OldImageHash[:], b[52:84])
	copy(h.EncPKL1[:], b[108:124])
	copy(h.EncPKL2[:], b[124:140])
	copy(h.IV[:], b[140:156])
	copy(h.Padding[:], b[156:160])
	return nil
}

// DataLen is the number of data bytes the device reads and hashes:
// align16(image_len) computed in 32 bits, as upg_aligned does (an
// image_len above 0xFFFFFFF0 wraps to 0, as on the chip).
func (h *ImageHeader) DataLen() uint32 { return align32(h.ImageLen) }

// Compressed reports whether decompress_flag marks an LZMA image.
func (h *ImageHeader) Compressed() bool { return h.DecompressFlag == FlagLZMA }

// Encrypted reports whether re_enc_flag marks an encrypted image.
func (h *ImageHeader) Encrypted() bool { return h.ReEncFlag == FlagEncrypted }

// Package is a decoded update.fwpkg: its records, in file order. The image
// data stays in the io.ReaderAt the package was read from.
type Package struct {
	Key     KeyArea
	Info    InfoArea
	Nodes   []HashNode    // Info.ImageNum entries
	Headers []ImageHeader // Headers[i] is the header Nodes[i] points to
}

// Version is the --ver string in the info area's user area.
func (p *Package) Version() string { return p.Info.Version() }

// ImageIndex returns the index of the first image with the given id, or -1.
func (p *Package) ImageIndex(id uint32) int {
	for i := range p.Nodes {
		if p.Nodes[i].ImageID == id {
			return i
		}
	}
	return -1
}

// align32 rounds n up to Align in uint32 arithmetic (upg_aligned).
func align32(n uint32) uint32 { return (n + Align - 1) &^ (Align - 1) }

// alignInt rounds n up to Align.
func alignInt(n int) int { return (n + Align - 1) &^ (Align - 1) }

// scratch holds the buffers one verification or decode reuses, so that
// walking many images allocates nothing per image.
type scratch struct {
	node [HashNodeLen]byte
	hdr  [ImageHeaderLen]byte
	buf  [4096]byte
	sum  [32]byte
	h    hash.Hash
	memo *Memo // Options.Memo, for sweeps; nil in plain runs
}

func newScratch() *scratch { return &scratch{h: sha256.New()} }

// readInto fills dst from off, or returns a *FormatError wrapping
// ErrTruncated; what names the record (called only on error).
func readInto(r io.ReaderAt, size, off int64, dst []byte, what func() string) error {
	n := int64(len(dst))
	if off < 0 || off > size || n > size-off {
		return &FormatError{Off: off, Msg: fmt.Sprintf("%s (%d bytes) runs past the end of the %d-byte package", what(), n, size), Err: ErrTruncated}
	}
	if got, err := r.ReadAt(dst, off); got != len(dst) {
		return &FormatError{Off: off + int64(got), Msg: fmt.Sprintf("read %s: %v", what(), err), Err: ErrTruncated}
	}
	return nil
}

// readHeader reads and decodes the 512-byte package header, returning
// the raw bytes too.
func readHeader(r io.ReaderAt, size int64) (*Package, []byte, error) {
	b := make([]byte, HeaderLen)
	if err := readInto(r, size, 0, b, func() string { return "package header" }); err != nil {
		return nil, nil, err
	}
	p := new(Package)
	_ = p.Key.UnmarshalBinary(b[:KeyAreaLen])
	_ = p.Info.UnmarshalBinary(b[KeyAreaLen:])
	return p, b, nil
}

// readNode reads hash table entry i as the device does: at the table
// offset + 44·i, whatever image_hash_table_length says.
func readNode(r io.ReaderAt, size int64, info *InfoArea, i int, s *scratch) (HashNode, error) {
	var n HashNode
	off := info.TableOffset() + int64(i)*HashNodeLen
	if err := readInto(r, size, off, s.node[:], func() string { return fmt.Sprintf("hash table entry %d", i) }); err != nil {
		return n, err
	}
	_ = n.UnmarshalBinary(s.node[:])
	return n, nil
}

// readImageHeader reads the 160-byte header a node points to into s.hdr
// (the bytes the node's hash covers).
func readImageHeader(r io.ReaderAt, size int64, n *HashNode, i int, s *scratch) (ImageHeader, error) {
	var h ImageHeader
	if err := readInto(r, size, int64(n.ImageAddr), s.hdr[:], func() string { return fmt.Sprintf("image %d header", i) }); err != nil {
		return h, err
	}
	_ = h.UnmarshalBinary(s.hdr[:])
	return h, nil
}

// checkData checks that image i's data lies inside the package.
func checkData(size int64, h *ImageHeader, i int) error {
	off, n := int64(h.ImageOffset), int64(h.DataLen())
	if off > size || n > size-off {
		return &FormatError{Off: off, Msg: fmt.Sprintf("image %d data (%d bytes) runs past the end of the %d-byte package", i, n, size), Err: ErrTruncated}
	}
	return nil
}

// ReadPackage decodes a package: the header, image_num hash table entries
// and the image headers they point to. It checks bounds (every record and
// every image's align16(image_len) data bytes lie inside size) and
// image_num ≤ MaxImages, but no magic number and no hash: verification is
// the Verifier's job, in the device's order. It allocates at most a few
// KiB whatever the input.
func ReadPackage(r io.ReaderAt, size int64) (*Package, error) {
	p, _, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	s := newScratch()
	n := p.Info.ImageNum
	if n > MaxImages {
		return nil, &FormatError{Off: KeyAreaLen + 72, Msg: fmt.Sprintf("image_num %d exceeds %d", n, MaxImages), Err: ErrTooManyImages}
	}
	p.Nodes = make([]HashNode, n)
	p.Headers = make([]ImageHeader, n)
	for i := range p.Nodes {
		if p.Nodes[i], err = readNode(r, size, &p.Info, i, s); err != nil {
			return nil, err
		}
		if p.Headers[i], err = readImageHeader(r, size, &p.Nodes[i], i, s); err != nil {
			return nil, err
		}
		if err := checkData(size, &p.Headers[i], i); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ImageData returns a reader of image i's align16(image_len) data bytes as
// stored (compressed payloads included, zero padding included).
func (p *Package) ImageData(r io.ReaderAt, size int64, i int) (*io.SectionReader, error) {
	if i < 0 || i >= len(p.Headers) {
		return nil, fmt.Errorf("upg: image index %d out of range [0, %d)", i, len(p.Headers))
	}
	h := &p.Headers[i]
	if err := checkData(size, h, i); err != nil {
		return nil, err
	}
	return io.NewSectionReader(r, int64(h.ImageOffset), int64(h.DataLen())), nil
}

// hashSection returns SHA-256 of n bytes at off (already bounds-checked),
// read in 4 KiB chunks through s (and through s.memo when set, memo.go).
func hashSection(r io.ReaderAt, off, n int64, s *scratch) ([32]byte, error) {
	if s.memo != nil {
		return s.memo.hashSection(r, off, n, s)
	}
	return hashSectionPlain(r, off, n, s)
}

func hashSectionPlain(r io.ReaderAt, off, n int64, s *scratch) ([32]byte, error) {
	s.h.Reset()
	for done := int64(0); done < n; {
		k := min(n-done, int64(len(s.buf)))
		if got, err := r.ReadAt(s.buf[:k], off+done); int64(got) != k {
			return [32]byte{}, &FormatError{Off: off + done + int64(got), Msg: fmt.Sprintf("read %d bytes: %v", k, err), Err: ErrTruncated}
		}
		s.h.Write(s.buf[:k])
		done += k
	}
	s.h.Sum(s.sum[:0])
	return s.sum, nil
}
