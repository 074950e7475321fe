package upg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

func decodeAll(t *testing.T, payload []byte, maxOut uint32) ([]byte, error) {
	t.Helper()
	d, size, err := NewLZMADecoder(bytes.NewReader(payload), maxOut)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(d)
	if err == nil && uint32(len(out)) != size {
		t.Fatalf("decoder gave %d bytes, header says %d", len(out), size)
	}
	return out, err
}

func TestCompressLZMAForm(t *testing.T) {
	app := readTestdata(t, "app.bin")
	z, err := CompressLZMA(app)
	if err != nil {
		t.Fatal(err)
	}
	// props 0x5A (lc0 lp0 pb2), dict 4096, real size, 3 zero pad bytes.
	want := []byte{0x5A, 0x00, 0x10, 0x00, 0x00}
	want = binary.LittleEndian.AppendUint64(want, uint64(len(app)))
	want = append(want, 0, 0, 0)
	if !bytes.Equal(z[:LZMAHeaderLen], want) {
		t.Errorf("header % X, want % X", z[:LZMAHeaderLen], want)
	}
	if len(z) >= len(app) {
		t.Errorf("synthetic code did not compress: %d → %d", len(app), len(z))
	}
	got, err := decodeAll(t, z, uint32(len(app)))
	if err != nil || !bytes.Equal(got, app) {
		t.Fatalf("round trip: %v", err)
	}
	d, _, _ := NewLZMADecoder(bytes.NewReader(z), 1<<22)
	if n, _ := io.CopyN(io.Discard, d, 100); n != 100 || d.Decompressed() != 100 {
		t.Errorf("Decompressed = %d after reading %d", d.Decompressed(), n)
	}
	// With the package's zero padding after the stream.
	padded := append(bytes.Clone(z), make([]byte, alignInt(len(z))-len(z))...)
	if got, err := decodeAll(t, padded, 1<<22); err != nil || !bytes.Equal(got, app) {
		t.Fatalf("padded round trip: %v", err)
	}
	if _, err := CompressLZMA(nil); !errors.Is(err, ErrLZMASize) {
		t.Errorf("empty input: %v", err)
	}
}

func TestFillLZMAHead(t *testing.T) {
	alone := []byte{0x5A, 0, 0x10, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0xBB}
	got, err := FillLZMAHead(alone)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x5A, 0, 0x10, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0xBB}
	if !bytes.Equal(got, want) {
		t.Errorf("got % X\nwant % X", got, want)
	}
	if _, err := FillLZMAHead(alone[:12]); !errors.Is(err, ErrLZMAHeader) {
		t.Errorf("short input: %v", err)
	}
}

// TestSDKLZMAPayloads checks the SDK lzma_tool outputs in the reference
// set: the 16-byte header form (props 0x5A, dict 4096, the real size,
// three zero bytes), that our decoder restores the signed images, and
// that fill_lzma_head of the 13-byte form gives them. (The README calls
// these files the 13-byte form; the files hold the stretched 16-byte
// form, the one the package carries — the test accepts either.)
func TestSDKLZMAPayloads(t *testing.T) {
	for _, tc := range []struct{ lz, bin string }{
		{"sdk-made/app_v2-sign.lzma", "sdk-made/app_v2-sign.bin"},
		{"sdk-made/flashboot_v2_sign.lzma", "sdk-made/flashboot_v2_sign.bin"},
	} {
		file := testutil.ReadReference(t, tc.lz)
		raw := testutil.ReadReference(t, tc.bin)
		payload := file
		if _, err := decodeAll(t, file, 1<<22); err != nil {
			// The 13-byte form: stretch it as the packer does.
			if payload, err = FillLZMAHead(file); err != nil {
				t.Fatal(err)
			}
		}
		h, err := ParseLZMAHeader(payload)
		if err != nil {
			t.Fatalf("%s: %v", tc.lz, err)
		}
		if h.Props != LZMAProps || h.LC() != 0 || h.LP() != 0 || h.PB() != 2 || h.DictSize != LZMADictSize || h.Size != uint32(len(raw)) {
			t.Errorf("%s: header %+v, want props 0x5A dict 4096 size %d", tc.lz, h, len(raw))
		}
		if !bytes.Equal(payload[13:16], []byte{0, 0, 0}) {
			t.Errorf("%s: bytes 13..15 = % X, want zeros", tc.lz, payload[13:16])
		}
		got, err := decodeAll(t, payload, uint32(len(raw)))
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s: decodes to %d bytes (%v), want the %d-byte %s", tc.lz, len(got), err, len(raw), tc.bin)
		}
		alone := append(bytes.Clone(payload[:13]), payload[16:]...)
		if back, _ := FillLZMAHead(alone); !bytes.Equal(back, payload) {
			t.Errorf("%s: fill_lzma_head of the 13-byte form differs", tc.lz)
		}
		// Our encoder gives lzma_tool's bytes.
		ours, err := CompressLZMA(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, payload) {
			t.Errorf("%s: CompressLZMA gives %d bytes, lzma_tool %d; they differ", tc.bin, len(ours), len(payload))
		}
	}
}

// TestXZDecodesPayload: our payloads, with the three pad bytes removed,
// are standard .lzma files.
func TestXZDecodesPayload(t *testing.T) {
	xz, err := exec.LookPath("xz")
	if err != nil {
		t.Skip("xz not installed")
	}
	for _, name := range []string{"app.bin", "flashboot.bin"} {
		raw := readTestdata(t, name)
		z, err := CompressLZMA(raw)
		if err != nil {
			t.Fatal(err)
		}
		alone := append(bytes.Clone(z[:13]), z[16:]...)
		p := filepath.Join(t.TempDir(), name+".lzma")
		if err := os.WriteFile(p, alone, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xz, "--format=lzma", "-dc", p).Output()
		if err != nil {
			t.Fatalf("xz -d %s: %v", name, err)
		}
		if !bytes.Equal(out, raw) {
			t.Errorf("xz decodes %s to %d bytes, want the %d input bytes", name, len(out), len(raw))
		}
	}
}

func TestLZMADecoderErrors(t *testing.T) {
	raw := readTestdata(t, "flashboot.bin")
	good, err := CompressLZMA(raw)
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	setSize := func(n uint32) []byte { return mod(func(b []byte) { binary.LittleEndian.PutUint32(b[5:], n) }) }
	for _, tc := range []struct {
		name     string
		in       []byte
		maxOut   uint32
		want     error
		wantCode Errcode
		atRead   bool // the error shows while reading, not at NewLZMADecoder
	}{
		{"short header", good[:15], 1 << 22, ErrLZMAHeader, ErrcodeUpgDecompressFail, false},
		{"bad props", mod(func(b []byte) { b[0] = 225 }), 1 << 22, ErrLZMAProps, Errcode(4), false},
		{"pad byte", mod(func(b []byte) { b[14] = 1 }), 1 << 22, ErrLZMAHeader, ErrcodeUpgDecompressFail, false},
		{"size above 4 GiB", mod(func(b []byte) { b[9] = 1 }), 1 << 22, ErrLZMAHeader, ErrcodeUpgDecompressFail, false},
		{"size 0", setSize(0), 1 << 22, ErrLZMASize, ErrcodeUpgInvalidParameter, false},
		{"too big for target", good, uint32(len(raw)) - 1, ErrNoSpace, ErrcodeUpgNoEnoughSpace, false},
		{"stream cut", good[:len(good)/2], 1 << 22, ErrDecompress, ErrcodeUpgDecompressFail, true},
		{"size larger than stream", setSize(uint32(len(raw)) + 100), 1 << 22, ErrDecompress, ErrcodeUpgDecompressFail, true},
		{"size smaller than stream", setSize(uint32(len(raw)) - 100), 1 << 22, ErrDecompress, ErrcodeUpgDecompressFail, true},
	} {
		d, _, err := NewLZMADecoder(bytes.NewReader(tc.in), tc.maxOut)
		if tc.atRead {
			if err != nil {
				t.Errorf("%s: NewLZMADecoder: %v", tc.name, err)
				continue
			}
			_, err = io.ReadAll(d)
		}
		if !errors.Is(err, tc.want) || Code(err) != tc.wantCode {
			t.Errorf("%s: %v (code %v), want %v (%v)", tc.name, err, Code(err), tc.want, tc.wantCode)
		}
	}
	// A huge dictionary in the header is capped at the image size.
	big := mod(func(b []byte) { binary.LittleEndian.PutUint32(b[1:], 0xFFFFFFFF) })
	if got, err := decodeAll(t, big, 1<<22); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("dict 0xFFFFFFFF: %v", err)
	}
	// Exactly maxOut is allowed.
	if _, err := decodeAll(t, good, uint32(len(raw))); err != nil {
		t.Errorf("size == maxOut: %v", err)
	}
}
