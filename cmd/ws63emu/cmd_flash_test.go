package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
)

// mustRun runs the CLI and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// buildImages makes the images a new user starts from: an app and a
// flashboot, small so the test stays fast.
func buildImages(t *testing.T, dir string) (app, fb string) {
	t.Helper()
	app = filepath.Join(dir, "app-v1.bin")
	fb = filepath.Join(dir, "fb-v1.bin")
	mustRun(t, "image", "build", "--kind", "app", "--version", "1.0.0", "--version-ext", "1", "--size", "64KiB", "--seed", "1", "-o", app)
	mustRun(t, "image", "build", "--kind", "flashboot", "--version", "fb-1.0", "--version-ext", "1", "--size", "32KiB", "-o", fb)
	return app, fb
}

// TestFlashNewUserFlow is what a new user does: build two images, make a
// device flash, read back its table and images, dump a partition, diff.
func TestFlashNewUserFlow(t *testing.T) {
	dir := t.TempDir()
	app, fb := buildImages(t, dir)
	fl := filepath.Join(dir, "flash.bin")
	out := mustRun(t, "flash", "new", "--layout", "compress", "--app", app, "--flashboot", fb, "-o", fl)
	for _, s := range []string{"wrote " + fl, "compress layout", "0x20 imageA", `app "1.0.0"`, "0x01 flashboot", "0x02 flashboot-backup"} {
		if !strings.Contains(out, s) {
			t.Errorf("flash new output lacks %q:\n%s", s, out)
		}
	}
	raw, err := os.ReadFile(fl)
	if err != nil || len(raw) != flash.Size {
		t.Fatalf("flash file: %d bytes, %v", len(raw), err)
	}

	out = mustRun(t, "flash", "inspect", fl)
	for _, s := range []string{
		"params blob at 0x0, table at 0x380, compress layout",
		"key area hash-only ok; params info hash-only ok; table hash ok",
		`0x20  imageA            0x030000  0x240000  0x270000  app "1.0.0" version_ext 0x1`,
		`0x01  flashboot         0x020000  0x010000  0x030000  flashboot "fb-1.0" version_ext 0x1`,
		`0x02  flashboot-backup  0x010000  0x010000  0x020000  flashboot "fb-1.0" version_ext 0x1`,
		"0x21  fota              0x270000  0x183000  0x3F3000  package erased; flag area erased",
		"0x31  rsv1              0x3F3000  0x000000  0x3F3000  empty",
		`ident         synthetic app "1.0.0" version_ext 0x1 seed 1`,
		"key area id   0x4B0F2D1E   code info id 0x4B0F2D2D   (ids ok)",
		"relation: identical",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "warnings") {
		t.Errorf("warnings on a fresh factory flash:\n%s", out)
	}

	out = mustRun(t, "flash", "inspect", "--json", fl)
	var v struct {
		File string `json:"file"`
		emulator.Inspection
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	if v.File != fl || v.Layout != "compress" || len(v.Partitions) != partition.ItemCount {
		t.Errorf("inspect --json: file %q layout %q, %d partitions", v.File, v.Layout, len(v.Partitions))
	}
	versions := map[string]string{}
	for _, p := range v.Partitions {
		if p.Image != nil && p.Image.Ident != nil {
			versions[p.Name] = p.Image.Ident.Version
		}
	}
	if versions["imageA"] != "1.0.0" || versions["flashboot"] != "fb-1.0" || versions["flashboot-backup"] != "fb-1.0" {
		t.Errorf("inspect --json image versions: %v", versions)
	}

	// dump gives exactly the partition's bytes, by id or by name.
	for _, sel := range []string{"0x20", "imageA"} {
		dump := filepath.Join(dir, "dump-"+sel+".bin")
		out = mustRun(t, "flash", "dump", fl, "--partition", sel, "-o", dump)
		got, err := os.ReadFile(dump)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, raw[0x030000:0x270000]) {
			t.Errorf("dump %s: %d bytes, not imageA's", sel, len(got))
		}
		if !strings.Contains(out, "imageA (0x20) 0x030000..0x270000, 2359296 bytes") {
			t.Errorf("dump output: %s", out)
		}
	}
	appBytes, _ := os.ReadFile(app)
	if got, _ := os.ReadFile(filepath.Join(dir, "dump-0x20.bin")); !bytes.HasPrefix(got, appBytes) {
		t.Error("dumped imageA does not start with the app image")
	}

	// diff: a flash against itself is identical (exit 0).
	out = mustRun(t, "flash", "diff", fl, fl)
	if !strings.Contains(out, "are identical") {
		t.Errorf("diff self: %s", out)
	}
	// Against a device with another app burned: exit 1, naming imageA only.
	app2 := filepath.Join(dir, "app-v2.bin")
	mustRun(t, "image", "build", "--kind", "app", "--version", "2.0.0", "--version-ext", "3", "--size", "64KiB", "--seed", "2", "-o", app2)
	fl2 := filepath.Join(dir, "flash2.bin")
	mustRun(t, "flash", "new", "--app", app2, "--flashboot", fb, "-o", fl2)
	out, errs, code := runCLI(t, "flash", "diff", fl, fl2)
	if code != 1 {
		t.Fatalf("diff of different flashes: exit %d (%s)", code, errs)
	}
	if !strings.Contains(out, "imageA (0x20)") || !strings.Contains(out, "first at 0x030") || strings.Contains(out, "flashboot") {
		t.Errorf("diff output:\n%s", out)
	}
	if !strings.Contains(errs, "differ in 17 sectors (imageA)") {
		t.Errorf("diff error: %q", errs)
	}
	out, _, code = runCLI(t, "flash", "diff", "--json", fl, fl2)
	var dj struct {
		Sectors int                   `json:"sectors"`
		Regions []emulator.DiffRegion `json:"regions"`
	}
	if err := json.Unmarshal([]byte(out), &dj); err != nil || code != 1 || len(dj.Regions) != 1 || dj.Regions[0].Name != "imageA" || dj.Sectors != 17 {
		t.Errorf("diff --json: exit %d, %+v, %v", code, dj, err)
	}
}

func TestFlashNewAB(t *testing.T) {
	dir := t.TempDir()
	app, fb := buildImages(t, dir)
	fl := filepath.Join(dir, "ab.bin")
	mustRun(t, "flash", "new", "--layout", "ab", "--app", app, "--flashboot", fb, "-o", fl)
	out := mustRun(t, "flash", "inspect", fl)
	for _, s := range []string{
		"ab layout",
		"0x20  imageA            0x030000  0x1E1000  0x211000  app",
		"0x21  imageB            0x211000  0x1E1000  0x3F2000  erased",
		"imageB (0x21) AB config page at 0x3F1000: erased → runs region A",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("AB inspect lacks %q:\n%s", s, out)
		}
	}
	dump := filepath.Join(dir, "b.bin")
	mustRun(t, "flash", "dump", fl, "-p", "imageB", "-o", dump)
	if b, _ := os.ReadFile(dump); len(b) != 0x1E1000 {
		t.Errorf("imageB dump of %d bytes", len(b))
	}
}

// TestFlashBackupDowngrade: a backup holding an older flashboot than the
// primary is flagged loudly.
func TestFlashBackupDowngrade(t *testing.T) {
	dir := t.TempDir()
	app, fb1 := buildImages(t, dir)
	fb2 := filepath.Join(dir, "fb-v2.bin")
	mustRun(t, "image", "build", "--kind", "flashboot", "--version", "fb-2.0", "--version-ext", "3", "--size", "32KiB", "--seed", "2", "-o", fb2)
	fl := filepath.Join(dir, "flash.bin")
	mustRun(t, "flash", "new", "--app", app, "--flashboot", fb2, "--flashboot-backup", fb1, "-o", fl)
	out := mustRun(t, "flash", "inspect", fl)
	for _, s := range []string{
		`primary (0x01): flashboot "fb-2.0" version_ext 0x3`,
		`backup  (0x02): flashboot "fb-1.0" version_ext 0x1`,
		"relation: backup older",
		"!! FLASHBOOT BACKUP IS OLDER",
		"restore from backup would be a silent downgrade",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect lacks %q:\n%s", s, out)
		}
	}
}

func TestFlashBadInput(t *testing.T) {
	dir := t.TempDir()
	app, fb := buildImages(t, dir)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := filepath.Join(dir, "good.bin")
	mustRun(t, "flash", "new", "--app", app, "-o", good)
	goodBytes, _ := os.ReadFile(good)
	short := write("short.bin", goodBytes[:1000])
	notImage := write("notimage.bin", bytes.Repeat([]byte{0x5A}, 4096))
	appBytes, _ := os.ReadFile(app)
	badBody := append([]byte(nil), appBytes...)
	badBody[image.HeaderLen+7] ^= 1
	badBodyF := write("badbody.bin", badBody)
	bigNV := write("bignv.bin", make([]byte, 0x4001))
	bigFB := filepath.Join(dir, "bigfb.bin")
	mustRun(t, "image", "build", "--kind", "flashboot", "--version", "big", "--size", "64KiB", "-o", bigFB)
	missing := filepath.Join(dir, "absent.bin")
	out := filepath.Join(dir, "out.bin")

	for _, tc := range []struct {
		name string
		args []string
		want []string // all in the one-line error
	}{
		{"missing app", []string{"flash", "new", "--app", missing, "-o", out}, []string{"--app", missing}},
		{"app not an image", []string{"flash", "new", "--app", notImage, "-o", out}, []string{"--app", notImage, "offset 0 (0x0)"}},
		{"app body hash", []string{"flash", "new", "--app", badBodyF, "-o", out}, []string{badBodyF, "offset 768 (0x300)", "code_area_hash"}},
		{"flashboot as app", []string{"flash", "new", "--app", fb, "-o", out}, []string{"--app", fb, "offset 0 (0x0)", "flashboot image", "takes app"}},
		{"app as flashboot", []string{"flash", "new", "--flashboot", app, "-o", out}, []string{"--flashboot", app, "app image"}},
		{"flashboot too big", []string{"flash", "new", "--flashboot", bigFB, "-o", out}, []string{bigFB, "offset 65536 (0x10000)", "flashboot holds 0x10000"}},
		{"nv too big", []string{"flash", "new", "--nv", bigNV, "-o", out}, []string{bigNV, "offset 16384", "nv holds 0x4000"}},
		{"bad layout", []string{"flash", "new", "--layout", "xyz", "-o", out}, []string{"--layout", "xyz"}},
		{"bad root key", []string{"flash", "new", "--root-key", notImage, "-o", out}, []string{"--root-key", notImage}},
		{"no output", []string{"flash", "new", "--app", app}, []string{"-o FLASH.bin"}},
		{"inspect missing", []string{"flash", "inspect", missing}, []string{missing}},
		{"inspect truncated", []string{"flash", "inspect", short}, []string{short, "offset 1000", "1000 bytes"}},
		{"dump truncated", []string{"flash", "dump", short, "--partition", "0x20", "-o", out}, []string{short, "offset 1000"}},
		{"dump unknown partition", []string{"flash", "dump", good, "--partition", "bogus", "-o", out}, []string{"bogus"}},
		{"dump absent id", []string{"flash", "dump", good, "--partition", "0x22", "-o", out}, []string{good, "not found"}},
		{"dump empty partition", []string{"flash", "dump", good, "--partition", "rsv2", "-o", out}, []string{good, "rsv2", "empty"}},
		{"dump blank flash", []string{"flash", "dump", write("blank.bin", bytes.Repeat([]byte{0xFF}, flash.Size)), "-p", "imageA", "-o", out}, []string{"blank.bin", "no partition table at 0x380"}},
		{"diff truncated", []string{"flash", "diff", good, short}, []string{short, "offset 1000"}},
		{"diff one file", []string{"flash", "diff", good}, []string{"two flash files"}},
		{"unknown subcommand", []string{"flash", "frob"}, []string{"frob"}},
		{"no subcommand", []string{"flash"}, []string{"subcommand"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, errs, code := runCLI(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (%s)", code, errs)
			}
			last := errs[strings.LastIndex(strings.TrimSuffix(errs, "\n"), "\n")+1:]
			for _, w := range tc.want {
				if !strings.Contains(last, w) {
					t.Errorf("error %q lacks %q", last, w)
				}
			}
			if strings.Contains(strings.TrimSpace(last), "\n") {
				t.Errorf("error is not one line: %q", last)
			}
			if strings.Contains(stdout, "wrote") {
				t.Errorf("claims to have written: %s", stdout)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("left %s behind", out)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("left temporary %s behind", e.Name())
				}
			}
		})
	}
}

// TestFlashNewSDKImages burns the SDK-made images and the real NV store.
func TestFlashNewSDKImages(t *testing.T) {
	app := testutil.Reference(t, "sdk-made/app_v1-sign.bin")
	fb := testutil.Reference(t, "sdk-made/flashboot_v1_sign.bin")
	nv := testutil.Reference(t, "device/nv.bin")
	fl := filepath.Join(t.TempDir(), "sdk.bin")
	mustRun(t, "flash", "new", "--app", app, "--flashboot", fb, "--nv", nv, "-o", fl)
	out := mustRun(t, "flash", "inspect", fl)
	for _, s := range []string{
		"0x20  imageA            0x030000  0x240000  0x270000  app (not synthetic) version_ext 0x0",
		"0x01  flashboot         0x020000  0x010000  0x030000  flashboot (not synthetic) version_ext 0x0",
		"0x10  nv                0x3FC000  0x004000  0x400000  NV store 0x254D: 2 pages, 97 keys, 3460 bytes free",
		"key 0x2003     2 B  permanent             \"CN\"",
		"ident         none (not a ws63emu synthetic build)",
		"relation: identical",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect lacks %q:\n%s", s, out)
		}
	}
	nvBytes, _ := os.ReadFile(nv)
	dump := filepath.Join(t.TempDir(), "nv.bin")
	mustRun(t, "flash", "dump", fl, "--partition", "nv", "-o", dump)
	got, _ := os.ReadFile(dump)
	if !bytes.HasPrefix(got, nvBytes) || len(bytes.Trim(got[len(nvBytes):], "\xff")) != 0 {
		t.Error("the nv partition does not hold nv.bin followed by erased bytes")
	}
}

// TestFlashNewRootKey: a root key fills the root key area and ECDSA-signs
// the params; the efuse goes to its own file.
func TestFlashNewRootKey(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "root.pem")
	mustRun(t, "keygen", "-o", key)
	fl, ef := filepath.Join(dir, "flash.bin"), filepath.Join(dir, "efuse.bin")
	out := mustRun(t, "flash", "new", "--root-key", key, "--secure-boot", "--efuse-out", ef, "-o", fl)
	if !strings.Contains(out, "ECDSA-signed params") || !strings.Contains(out, "secure verify true, root key hash burned") {
		t.Errorf("flash new output:\n%s", out)
	}
	eb, err := os.ReadFile(ef)
	if err != nil || len(eb) != 256 {
		t.Fatalf("efuse file: %d bytes, %v", len(eb), err)
	}
	if eb[120] != 1 {
		t.Errorf("efuse secure-verify byte 0x%02X, want 1", eb[120])
	}
	out = mustRun(t, "flash", "inspect", fl)
	if !strings.Contains(out, "key area ECDSA ok; params info ECDSA ok; table hash ok") || strings.Contains(out, "root key area erased") {
		t.Errorf("inspect:\n%s", out)
	}
}

// TestFlashNewParams: a product's own table from the SDK's json format;
// inspect shows the customer partitions; a bad json is a one-line error
// naming the field, exit 2, and no output file.
func TestFlashNewParams(t *testing.T) {
	dir := t.TempDir()
	app, fb := buildImages(t, dir)
	custom := filepath.Join("..", "..", "scenarios", "testdata", "param_sector_custom.json")
	fl := filepath.Join(dir, "custom.bin")
	out := mustRun(t, "flash", "new", "--params", custom, "--app", app, "--flashboot", fb, "-o", fl)
	if !strings.Contains(out, "compress layout") || !strings.Contains(out, "partition table from") {
		t.Errorf("flash new output:\n%s", out)
	}
	out = mustRun(t, "flash", "inspect", fl)
	for _, s := range []string{
		"0x20  imageA            0x030000  0x220000  0x250000  app",
		"0x21  fota              0x250000  0x183000  0x3D3000",
		"0x30  rsv0              0x3D3000  0x008000  0x3DB000  erased",
		"0x36  0x36              0x3DB000  0x020000  0x3FB000  erased",
		"flag area at 0x3D2000",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect lacks %q:\n%s", s, out)
		}
	}
	good, err := os.ReadFile(custom)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, bytes.Replace(good, []byte(`"0x003D3000", "0x00008000"`), []byte(`"0x003D2000", "0x00008000"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "bad.bin")
	_, errs, code := runCLI(t, "flash", "new", "--params", bad, "-o", outFile)
	want := "Partition_Tbl.param_info[9] and [10]: fota (0x21) [0x250000,+0x183000) and rsv0 (0x30) [0x3d2000,+0x8000): partitions overlap"
	if code != exitBadInput || !strings.Contains(errs, want) || !strings.Contains(errs, "bad.json") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("bad json: exit %d, stderr %q; want exit 2 and one line with %q", code, errs, want)
	}
	if _, err := os.Stat(outFile); err == nil {
		t.Error("a bad json left an output file")
	}
}

// TestCustomTableUpgradeInspect: a full upgrade on a table from json
// leaves the customer partitions as the factory burned them, and flash
// inspect reads the flash through the custom table.
func TestCustomTableUpgradeInspect(t *testing.T) {
	fl := filepath.Join(t.TempDir(), "after.bin")
	mustRun(t, "run", filepath.Join("..", "..", "scenarios", "testdata", "custom-partition-table.scn"), "--flash-out", fl)
	out := mustRun(t, "flash", "inspect", fl)
	for _, s := range []string{
		`0x20  imageA            0x030000  0x220000  0x250000  app "2.0.0"`,
		"0x21  fota              0x250000  0x183000  0x3D3000  package",
		"0x30  rsv0              0x3D3000  0x008000  0x3DB000  data (32768 bytes used)",
		"0x36  0x36              0x3DB000  0x020000  0x3FB000  data (102400 bytes used)",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect lacks %q:\n%s", s, out)
		}
	}
}
