package upg

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

// allocated returns the bytes f allocates on the heap.
func heapAllocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// Allocation bounds: the decoders allocate a fixed amount (records, a
// 4 KiB hashing buffer, ≤ MaxImages entries) whatever the input claims,
// never a length read from the input. verifySlack is large because the
// two ECDSA verifications of steps 2 and 3 make ~0.9 MiB of short-lived
// big.Int garbage each in the brainpool library; it is a constant, not
// input-driven (TestAllocationBounds holds hash-only verification to
// readSlack).
const (
	readSlack   = 32 << 10
	verifySlack = 4 << 20
	cfgSlack    = 64 << 10
)

func addFixtureSeeds(f *testing.F) {
	m, _ := filepath.Glob("testdata/*.fwpkg")
	for _, p := range m {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:HeaderLen+HashNodeLen])
	}
	f.Add([]byte{})
	f.Add(make([]byte, HeaderLen))
}

func FuzzReadPackage(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p *Package
		var err error
		n := heapAllocated(func() { p, err = ReadPackage(bytes.NewReader(data), int64(len(data))) })
		if n > readSlack+uint64(len(data)) {
			t.Fatalf("ReadPackage allocated %d bytes for a %d-byte input", n, len(data))
		}
		if err != nil {
			return
		}
		if len(p.Nodes) != int(p.Info.ImageNum) || len(p.Nodes) > MaxImages {
			t.Fatalf("%d nodes for image_num %d", len(p.Nodes), p.Info.ImageNum)
		}
		for i := range p.Headers {
			d, err := p.ImageData(bytes.NewReader(data), int64(len(data)), i)
			if err != nil {
				t.Fatalf("image %d data out of bounds after a successful ReadPackage: %v", i, err)
			}
			if _, err := io.Copy(io.Discard, d); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzVerifyFile(f *testing.F) {
	addFixtureSeeds(f)
	root, _ := testKeys(f)
	// Warm up: the curve's lazily built tables are allocated once per process.
	warm := readTestdata(f, "ecdsa_raw.fwpkg")
	if _, err := (&Verifier{RootKey: root.XY()}).VerifyFile(bytes.NewReader(warm), int64(len(warm))); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := &Verifier{RootKey: root.XY()}
		var err error
		n := heapAllocated(func() { _, err = v.VerifyFile(bytes.NewReader(data), int64(len(data))) })
		if n > verifySlack+uint64(len(data)) {
			t.Fatalf("VerifyFile allocated %d bytes for a %d-byte input (%v)", n, len(data), err)
		}
		if err == nil {
			// Whatever verifies must also decode.
			if _, err := ReadPackage(bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatalf("verified but ReadPackage fails: %v", err)
			}
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(minimalCfg))
	f.Add([]byte("[SIGN_CFG]\nA=1\n  b\n\n  c\n[FOTA_KEY_AREA]\n"))
	f.Add([]byte("[x"))
	for _, p := range []string{"sdk/fota.cfg", "sdk/fota_sha256_only.cfg"} {
		if dir := testutil.ReferenceDir(); dir != "" {
			if b, err := os.ReadFile(filepath.Join(dir, p)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *Config
		var err error
		n := heapAllocated(func() { c, err = ParseConfig(bytes.NewReader(data), "fuzz.cfg") })
		if n > cfgSlack+8*uint64(len(data)) {
			t.Fatalf("ParseConfig allocated %d bytes for a %d-byte input", n, len(data))
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "upg: fuzz.cfg") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		if c.Image("nope") != nil {
			t.Fatal("unknown image section found")
		}
	})
}

func FuzzLZMADecoder(f *testing.F) {
	for _, name := range []string{"app.bin", "flashboot.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		z, err := CompressLZMA(b[:min(len(b), 2000)])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(z)
	}
	f.Add(make([]byte, LZMAHeaderLen))
	const maxOut = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		d, size, err := NewLZMADecoder(bytes.NewReader(data), maxOut)
		if err != nil {
			if Code(err) == ErrcodeFail {
				t.Fatalf("decoder error without an SDK code: %v", err)
			}
			return
		}
		if size == 0 || size > maxOut {
			t.Fatalf("size %d accepted", size)
		}
		n, err := io.Copy(io.Discard, d)
		if err == nil && n != int64(size) {
			t.Fatalf("decoded %d bytes without error, header says %d", n, size)
		}
		if err != nil && Code(err) != ErrcodeUpgDecompressFail {
			t.Fatalf("read error code %v: %v", Code(err), err)
		}
		if n > int64(size) {
			t.Fatalf("decoded %d > %d bytes", n, size)
		}
	})
}

// TestAllocationBounds runs the bound checks on hostile shapes: huge
// counts and lengths in small inputs.
func TestAllocationBounds(t *testing.T) {
	good := readTestdata(t, "sha256_raw.fwpkg")
	le := binary.LittleEndian
	hostile := bytes.Clone(good[:HeaderLen+HashNodeLen])
	le.PutUint32(hostile[KeyAreaLen+72:], 0xFFFFFFFF) // image_num
	le.PutUint32(hostile[KeyAreaLen+36:], 0xFFFFFFFF) // table length
	for _, in := range [][]byte{hostile, good} {
		if n := heapAllocated(func() { _, _ = ReadPackage(bytes.NewReader(in), int64(len(in))) }); n > readSlack+uint64(len(in)) {
			t.Errorf("ReadPackage: %d bytes", n)
		}
		if n := heapAllocated(func() { _, _ = (&Verifier{}).VerifyFile(bytes.NewReader(in), int64(len(in))) }); n > readSlack+uint64(len(in)) {
			t.Errorf("VerifyFile (hash-only): %d bytes", n)
		}
	}
	// image_num 200 entries that all pass: allocation must not grow per image.
	b := bytes.Clone(good)
	node := bytes.Clone(b[HeaderLen : HeaderLen+HashNodeLen])
	tbl := bytes.Repeat(node, 200)
	le.PutUint32(b[KeyAreaLen+32:], uint32(len(b)))
	le.PutUint32(b[KeyAreaLen+36:], uint32(len(tbl)))
	le.PutUint32(b[KeyAreaLen+72:], 200)
	b = append(b, tbl...)
	resign(t, b)
	var err error
	n := heapAllocated(func() { _, err = (&Verifier{}).VerifyFile(bytes.NewReader(b), int64(len(b))) })
	if Code(err) != ErrcodeUpgWrongImageNum {
		t.Fatalf("200 images: %v", err)
	}
	if n > readSlack {
		t.Errorf("VerifyFile of 200 images allocated %d bytes", n)
	}
}
