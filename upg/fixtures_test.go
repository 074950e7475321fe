package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ws63emu/ws63emu/image"
)

// The fixtures in testdata/ are packages made "from the spec" by this
// file: go test ./upg -run TestFixtures -update regenerates them (inputs,
// keys and packages); without -update the test repacks the stored inputs
// and requires byte-identical packages, so any change to the packer's
// output shows up as a fixture diff to review.
//
//	root_key.pem, sub_key.pem   brainpoolP256r1 test keys (seeded, not secret)
//	app.bin                     synthetic signed app image (hash-only), 6000 code bytes
//	flashboot.bin               synthetic signed flashboot image, 3000 code bytes
//	nv.bin                      1 KiB stand-in for ws63_all_nv.bin
//	sha256_lzma.fwpkg           hash-only, app+boot, both LZMA (the old SDK default)
//	sha256_raw.fwpkg            hash-only, app+boot+nv, all raw
//	ecdsa_lzma.fwpkg            ECDSA, app+boot+nv, app and boot LZMA (the SDK default + nv)
//	ecdsa_raw.fwpkg             ECDSA, app+boot, raw
//	ecdsa_unsigned.fwpkg        ECDSA config, app+boot LZMA, --unsigned (update_temp.fwpkg)

var update = flag.Bool("update", false, "regenerate upg/testdata fixtures")

// fixture describes one package in testdata.
type fixture struct {
	name     string
	mode     SignMode
	raw      bool // DecompressFlag 0 for application and flashboot
	pkt      []string
	ver      string
	unsigned bool
}

var fixtures = []fixture{
	{name: "sha256_lzma.fwpkg", mode: SignSHA256, pkt: []string{"app", "boot"}, ver: "1.2.3"},
	{name: "sha256_raw.fwpkg", mode: SignSHA256, raw: true, pkt: []string{"app", "boot", "nv"}, ver: "2.0.0-raw"},
	{name: "ecdsa_lzma.fwpkg", mode: SignECDSA, pkt: []string{"app", "nv"}, ver: "2.0.0"},
	{name: "ecdsa_raw.fwpkg", mode: SignECDSA, raw: true, pkt: []string{"app"}, ver: ""},
	{name: "ecdsa_unsigned.fwpkg", mode: SignECDSA, pkt: []string{"app", "boot"}, ver: "9.9.9", unsigned: true},
}

// fixtureConfig is the SDK default config in the fixture's mode, with
// compression switched off for raw fixtures.
func fixtureConfig(f fixture) *Config {
	c := DefaultConfig(f.mode)
	if f.raw {
		c.Image(SectionApplication).DecompressFlag = 0
		c.Image(SectionFlashboot).DecompressFlag = 0
	}
	return c
}

// seededReader is a deterministic byte stream: SHA-256 in counter mode.
type seededReader struct {
	seed string
	ctr  uint64
	buf  []byte
}

func (r *seededReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		h := sha256.Sum256(binary.LittleEndian.AppendUint64([]byte(r.seed), r.ctr))
		r.ctr++
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// fixtureInputs generates the inputs (only with -update).
func fixtureInputs(t *testing.T) (app, boot, nv []byte, root, sub *image.PrivateKey) {
	t.Helper()
	var err error
	if root, err = image.GenerateKey(&seededReader{seed: "upg fixture root key"}); err != nil {
		t.Fatal(err)
	}
	if sub, err = image.GenerateKey(&seededReader{seed: "upg fixture sub key"}); err != nil {
		t.Fatal(err)
	}
	if app, err = image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", VersionExt: 1, Seed: 63}, 6000, nil); err != nil {
		t.Fatal(err)
	}
	if boot, err = image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2.0.0", VersionExt: 1, Seed: 64}, 3000, nil); err != nil {
		t.Fatal(err)
	}
	nv = make([]byte, 1024)
	(&seededReader{seed: "upg fixture nv"}).Read(nv)
	copy(nv, "NV stand-in for ws63_all_nv.bin")
	return
}

// testdata reads a file from testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (regenerate with: go test ./upg -run TestFixtures -update)", err)
	}
	return b
}

// testKeys loads the fixture keys.
func testKeys(t testing.TB) (root, sub *image.PrivateKey) {
	t.Helper()
	var err error
	if root, err = image.ParsePrivateKeyPEM(readTestdata(t, "root_key.pem")); err != nil {
		t.Fatal(err)
	}
	if sub, err = image.ParsePrivateKeyPEM(readTestdata(t, "sub_key.pem")); err != nil {
		t.Fatal(err)
	}
	return root, sub
}

// packFixture packs a fixture from the stored inputs.
func packFixture(t testing.TB, f fixture) []byte {
	t.Helper()
	root, sub := testKeys(t)
	out, err := Pack(PackOptions{
		Config: fixtureConfig(f), Pkt: f.pkt, Ver: f.ver,
		App: readTestdata(t, "app.bin"), Flashboot: readTestdata(t, "flashboot.bin"), NV: readTestdata(t, "nv.bin"),
		RootKey: root, SubKey: sub, Unsigned: f.unsigned,
	})
	if err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	return out
}

func TestFixtures(t *testing.T) {
	if *update {
		app, boot, nv, root, sub := fixtureInputs(t)
		for name, b := range map[string][]byte{
			"app.bin": app, "flashboot.bin": boot, "nv.bin": nv,
			"root_key.pem": root.MarshalPEM(), "sub_key.pem": sub.MarshalPEM(),
		} {
			if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := 0
	for _, f := range fixtures {
		got := packFixture(t, f)
		path := filepath.Join("testdata", f.name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := readTestdata(t, f.name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: packing the stored inputs gives %d bytes that differ from the stored %d bytes; review and run with -update", f.name, len(got), len(want))
		}
		total += len(want)
	}
	if total > 150<<10 {
		t.Errorf("fixtures total %d bytes; keep testdata small", total)
	}
}
