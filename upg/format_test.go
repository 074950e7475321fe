package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

type binaryRecord interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

func TestRecordSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  binaryRecord
		want int
	}{
		{"key area", new(KeyArea), KeyAreaLen},
		{"info area", new(InfoArea), InfoAreaLen},
		{"hash node", new(HashNode), HashNodeLen},
		{"image header", new(ImageHeader), ImageHeaderLen},
	} {
		b, err := tc.rec.MarshalBinary()
		if err != nil || len(b) != tc.want {
			t.Errorf("%s: %d bytes (%v), want %d", tc.name, len(b), err, tc.want)
		}
		if err := tc.rec.UnmarshalBinary(make([]byte, tc.want+1)); err == nil {
			t.Errorf("%s: UnmarshalBinary accepted %d bytes", tc.name, tc.want+1)
		}
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"KeyAreaLen", KeyAreaLen, 256}, {"InfoAreaLen", InfoAreaLen, 256}, {"HeaderLen", HeaderLen, 512},
		{"HashNodeLen", HashNodeLen, 44}, {"ImageHeaderLen", ImageHeaderLen, 160}, {"UserAreaLen", UserAreaLen, 112},
		{"LZMAHeaderLen", LZMAHeaderLen, 16}, {"MaxImages", MaxImages, 20},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	var ih InfoArea
	if err := ih.UnmarshalBinary(nil); !errors.Is(err, ErrRecordSize) {
		t.Errorf("short info area: %v, want ErrRecordSize", err)
	}
}

// pattern fills b with distinct bytes so that a field written at the
// wrong offset shows.
func patternBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func TestRecordRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  binaryRecord
		size int
	}{
		{"key area", new(KeyArea), KeyAreaLen},
		{"info area", new(InfoArea), InfoAreaLen},
		{"hash node", new(HashNode), HashNodeLen},
		{"image header", new(ImageHeader), ImageHeaderLen},
	} {
		in := patternBytes(tc.size, 3)
		if err := tc.rec.UnmarshalBinary(in); err != nil {
			t.Fatal(err)
		}
		out, _ := tc.rec.MarshalBinary()
		if !bytes.Equal(in, out) {
			t.Errorf("%s: decode→encode changed bytes", tc.name)
		}
	}
}

// TestFieldOffsets checks each field's offset against docs/sdk-mapping.md §1 tables by
// decoding a buffer with a marker at the documented offset.
func TestFieldOffsets(t *testing.T) {
	le := binary.LittleEndian
	put := func(n, off int, v uint32) []byte {
		b := make([]byte, n)
		le.PutUint32(b[off:], v)
		return b
	}
	var info InfoArea
	_ = info.UnmarshalBinary(put(InfoAreaLen, 32, 0x200))
	if info.HashTableAddr != 0x200 {
		t.Errorf("image_hash_table_addr not at info+32")
	}
	_ = info.UnmarshalBinary(put(InfoAreaLen, 72, 3))
	if info.ImageNum != 3 {
		t.Errorf("image_num not at info+72")
	}
	b := put(InfoAreaLen, 76, 9)
	copy(b[80:], "1.2.3")
	_ = info.UnmarshalBinary(b)
	if info.HardwareID != 9 || info.Version() != "1.2.3" {
		t.Errorf("hardware_id / user_defined offsets: %d %q", info.HardwareID, info.Version())
	}
	var h ImageHeader
	for _, c := range []struct {
		off int
		get func() uint32
	}{
		{0, func() uint32 { return h.Magic }}, {4, func() uint32 { return h.ImageID }},
		{8, func() uint32 { return h.ImageOffset }}, {12, func() uint32 { return h.ImageLen }},
		{48, func() uint32 { return h.OldImageLen }}, {84, func() uint32 { return h.NewImageLen }},
		{88, func() uint32 { return h.VersionExt }}, {92, func() uint32 { return h.VersionMask }},
		{96, func() uint32 { return h.DecompressFlag }}, {100, func() uint32 { return h.ReEncFlag }},
		{104, func() uint32 { return h.RootKeyType }},
	} {
		_ = h.UnmarshalBinary(put(ImageHeaderLen, c.off, 0xA5A5_0000|uint32(c.off)))
		if c.get() != 0xA5A5_0000|uint32(c.off) {
			t.Errorf("image header field at %d decoded wrongly", c.off)
		}
	}
	var n HashNode
	_ = n.UnmarshalBinary(put(HashNodeLen, 8, 77))
	if n.ImageLength != 77 {
		t.Errorf("image_length not at node+8")
	}
}

func TestImageName(t *testing.T) {
	for id, want := range map[uint32]string{
		ImageIDApp: "application", ImageIDFlashboot: "flashboot", ImageIDNV: "nv", ImageIDHilink: "hilink", 0x12345678: "0x12345678",
	} {
		if got := ImageName(id); got != want {
			t.Errorf("ImageName(0x%08X) = %q, want %q", id, got, want)
		}
	}
}

func TestReadPackageFixtures(t *testing.T) {
	for _, f := range fixtures {
		b := readTestdata(t, f.name)
		p, err := ReadPackage(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		secs, _ := Sections(f.pkt)
		if len(p.Nodes) != len(secs) || int(p.Info.ImageNum) != len(secs) {
			t.Fatalf("%s: %d images, want %d", f.name, len(p.Nodes), len(secs))
		}
		for i, s := range secs {
			if got := ImageName(p.Nodes[i].ImageID); got != s {
				t.Errorf("%s: image %d is %s, want %s", f.name, i, got, s)
			}
			if p.Headers[i].ImageID != p.Nodes[i].ImageID || p.Headers[i].Magic != ImageHeaderMagic {
				t.Errorf("%s: image %d header id/magic", f.name, i)
			}
		}
		if p.Version() != f.ver {
			t.Errorf("%s: version %q, want %q", f.name, p.Version(), f.ver)
		}
	}
}

func TestReadPackageErrors(t *testing.T) {
	good := readTestdata(t, "sha256_raw.fwpkg")
	le := binary.LittleEndian
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		want    error
		wantOff int64
	}{
		{"empty", nil, ErrTruncated, 0},
		{"header cut", good[:HeaderLen-1], ErrTruncated, 0},
		{"table cut", good[:HeaderLen+10], ErrTruncated, HeaderLen},
		{"image_num 21", mod(func(b []byte) { le.PutUint32(b[KeyAreaLen+72:], 21) }), ErrTooManyImages, KeyAreaLen + 72},
		{"image_num huge", mod(func(b []byte) { le.PutUint32(b[KeyAreaLen+72:], 0xFFFFFFFF) }), ErrTooManyImages, KeyAreaLen + 72},
		{"node addr past end", mod(func(b []byte) { le.PutUint32(b[HeaderLen+4:], uint32(len(good))) }), ErrTruncated, int64(len(good))},
		{"data past end", mod(func(b []byte) {
			h := le.Uint32(b[HeaderLen+4:])
			le.PutUint32(b[h+12:], 0xFFFFFF00)
		}), ErrTruncated, -1},
		{"data cut", good[:len(good)-1], ErrTruncated, -1},
	} {
		_, err := ReadPackage(bytes.NewReader(tc.in), int64(len(tc.in)))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %T is not a *FormatError", tc.name, err)
		} else if tc.wantOff >= 0 && fe.Off != tc.wantOff {
			t.Errorf("%s: offset %d, want %d", tc.name, fe.Off, tc.wantOff)
		} else if want := fmt.Sprintf("upg: offset %d (0x%x): ", fe.Off, fe.Off); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: message %q does not start with %q", tc.name, err, want)
		}
	}
	// ErrTooManyImages maps to the code uapi_upg_request_upgrade returns.
	_, err := ReadPackage(bytes.NewReader(mod(func(b []byte) { le.PutUint32(b[KeyAreaLen+72:], 21) })), int64(len(good)))
	if Code(err) != ErrcodeUpgWrongImageNum {
		t.Errorf("Code = %v, want ERRCODE_UPG_WRONG_IMAGE_NUM", Code(err))
	}
}

func TestDataLenWraps(t *testing.T) {
	// upg_aligned in uint32: the device hashes 0 bytes for these lengths.
	for in, want := range map[uint32]uint32{0: 0, 1: 16, 16: 16, 17: 32, 0xFFFFFFF0: 0xFFFFFFF0, 0xFFFFFFF1: 0, 0xFFFFFFFF: 0} {
		h := ImageHeader{ImageLen: in}
		if got := h.DataLen(); got != want {
			t.Errorf("DataLen(%#x) = %#x, want %#x", in, got, want)
		}
	}
}

// specPackage builds a package byte by byte from docs/sdk-mapping.md §1's tables,
// independently of Pack, for an unsigned package whose images are given
// as the stored data (already processed).
func specPackage(keyAlg uint32, ver string, ids []uint32, newLens []uint32, flags []uint32, datas [][]byte) []byte {
	le := binary.LittleEndian
	n := len(ids)
	tableLen := (44*n + 15) / 16 * 16
	out := make([]byte, 512+tableLen)
	sigLen := uint32(64)
	if keyAlg == 0x2A13C856 || keyAlg == 0x2A13C867 {
		sigLen = 32
	}
	// §1.1 key area
	le.PutUint32(out[0:], 0xCB8D154E)
	le.PutUint32(out[4:], 0x00010000)
	le.PutUint32(out[8:], 256)
	le.PutUint32(out[12:], sigLen)
	le.PutUint32(out[24:], keyAlg)
	// §1.2 info area
	info := out[256:512]
	le.PutUint32(info[0:], 0xCB8D154E)
	le.PutUint32(info[4:], 0x00010000)
	le.PutUint32(info[8:], 256)
	le.PutUint32(info[12:], sigLen)
	le.PutUint32(info[32:], 0x200)
	le.PutUint32(info[36:], uint32(tableLen))
	le.PutUint32(info[72:], uint32(n))
	copy(info[80:], ver)
	// §1.3–1.5 images
	for i := range ids {
		data := datas[i]
		padded := make([]byte, (len(data)+15)/16*16)
		copy(padded, data)
		hdrOff := len(out)
		hdr := make([]byte, 160)
		le.PutUint32(hdr[0:], 0x464F5451)
		le.PutUint32(hdr[4:], ids[i])
		le.PutUint32(hdr[8:], uint32(hdrOff+160))
		le.PutUint32(hdr[12:], uint32(len(padded)))
		dh := sha256.Sum256(padded)
		copy(hdr[16:], dh[:])
		le.PutUint32(hdr[84:], newLens[i])
		le.PutUint32(hdr[96:], flags[i])
		out = append(out, hdr...)
		out = append(out, padded...)
		node := out[512+44*i : 512+44*i+44]
		le.PutUint32(node[0:], ids[i])
		le.PutUint32(node[4:], uint32(hdrOff))
		le.PutUint32(node[8:], uint32(160+len(padded)))
		hh := sha256.Sum256(hdr)
		copy(node[12:], hh[:])
	}
	th := sha256.Sum256(out[512 : 512+tableLen])
	copy(out[256+40:], th[:]) // out was reallocated: write through out, not info
	return out
}

func TestPackMatchesSpecLayout(t *testing.T) {
	app, boot, nv := readTestdata(t, "app.bin"), readTestdata(t, "flashboot.bin"), readTestdata(t, "nv.bin")
	appZ, err := CompressLZMA(app)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    fixture
		want []byte
	}{
		{"ecdsa lzma app+boot+nv", fixture{mode: SignECDSA, pkt: []string{"nv", "app"}, ver: "v", unsigned: true},
			specPackage(KeyAlgECDSA, "v", []uint32{ImageIDApp, ImageIDFlashboot, ImageIDNV},
				[]uint32{uint32(len(app)), uint32(len(boot)), uint32(len(nv))}, []uint32{FlagLZMA, FlagLZMA, 0},
				[][]byte{appZ, mustLZMA(t, boot), nv})},
		{"sha256 raw app+boot", fixture{mode: SignSHA256, raw: true, pkt: []string{"boot", "app"}, ver: "1234567890abcdef", unsigned: true},
			specPackage(KeyAlgSHA256RSA, "1234567890abcdef", []uint32{ImageIDApp, ImageIDFlashboot},
				[]uint32{uint32(len(app)), uint32(len(boot))}, []uint32{0, 0}, [][]byte{app, boot})},
	} {
		got := packFixture(t, tc.f)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: Pack differs from the spec-built package: %s", tc.name, firstDiff(got, tc.want))
		}
	}
}

func mustLZMA(t *testing.T, b []byte) []byte {
	t.Helper()
	z, err := CompressLZMA(b)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("first difference at offset 0x%X (got %02X, want %02X)", i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("got %d bytes, want %d", len(a), len(b))
	}
	return "equal"
}
