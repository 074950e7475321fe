package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ws63emu/ws63emu/scenarios"
)

// The tests below each take one item of issue 13 (bad input and outputs);
// TestBadInputs has the table of bad invocations they share.

// runCases runs the named cases of the bad-input table.
func runCases(t *testing.T, names ...string) {
	t.Helper()
	fx := getFixture(t)
	byName := map[string]badCase{}
	for _, c := range badCases() {
		byName[c.name] = c
	}
	for _, n := range names {
		tc, ok := byName[n]
		if !ok {
			t.Fatalf("no case %q", n)
		}
		before := dirState(t, fx.dir)
		r := runSub(t, fx.dir, nil, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d with %q", n, r.code, r.stderr, tc.code, tc.want)
		}
		if d := diffStates(before, dirState(t, fx.dir)); d != "" {
			t.Errorf("%s: the folder changed:\n%s", n, d)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Item 1: outputs are written through symlinks, special files in place,
// "-" is standard output, and run - reads the script from standard input.
func TestItem1OutputsThroughLinksAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real.pem"), filepath.Join(dir, "link.pem")
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.pem", link); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runCLI(t, "keygen", "-o", link); code != 0 {
		t.Fatalf("keygen through a link: %s", errs)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced")
	}
	if b, _ := os.ReadFile(real); !bytes.Contains(b, []byte("EC PRIVATE KEY")) {
		t.Fatalf("the link's target holds %q", b)
	}

	// A device is written in place.
	if _, errs, code := runCLI(t, "keygen", "-o", "/dev/null"); code != 0 {
		t.Fatalf("keygen -o /dev/null: %s", errs)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatal("/dev/null is no longer a device")
	}
	// A FIFO too: its reader gets the key, and it stays a FIFO.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if _, errs, code := runCLI(t, "keygen", "-o", fifo); code != 0 {
		t.Fatalf("keygen into a FIFO: %s", errs)
	}
	if b := <-got; !bytes.Contains(b, []byte("EC PRIVATE KEY")) {
		t.Fatalf("the FIFO's reader got %q", b)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatal("the FIFO was replaced")
	}

	// "-": the image on standard output, the summary on standard error.
	file := filepath.Join(dir, "a.bin")
	if _, errs, code := runCLI(t, "image", "build", "--size", "4K", "-o", file); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := runCLI(t, "image", "build", "--size", "4K", "-o", "-")
	want, _ := os.ReadFile(file)
	if code != 0 || out != string(want) || !strings.Contains(errs, "wrote -") {
		t.Fatalf("image build -o -: exit %d, %d bytes on stdout (want %d), stderr %q", code, len(out), len(want), errs)
	}

	// /dev/stdout is a link to the process's standard output (a pipe
	// here): written in place, through the link.
	r0 := runSub(t, dir, nil, "image", "build", "--size", "4K", "-o", "/dev/stdout")
	if r0.code != 0 || r0.stdout != string(want) {
		t.Fatalf("image build -o /dev/stdout: exit %d, %d bytes on stdout (want %d), stderr %q", r0.code, len(r0.stdout), len(want), r0.stderr)
	}

	// run - reads the script from standard input.
	r := runSub(t, dir, []byte(okScript), "run", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "ok   -:14: expect verdict") {
		t.Fatalf("run -: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Item 2: an output that is an input, or two outputs on one file, is
// refused before any work, comparing resolved paths and device and inode.
func TestItem2OutputIsInputRefused(t *testing.T) {
	runCases(t, "pack output is the app", "flash dump onto itself", "run flash-out is the script", "sweep json is the script",
		"flash new efuse-out is -o", "sweep json is junit", "run json is flash-out", "image build output is key via link",
		"flash new output is app", "sweep merge onto its input")
	// A hard link is the same file by another name: device and inode.
	fx := getFixture(t)
	dir := t.TempDir()
	app := filepath.Join(dir, "app.bin")
	copyFile(t, filepath.Join(fx.dir, "app.bin"), app)
	hard := filepath.Join(dir, "hard.bin")
	if err := os.Link(app, hard); err != nil {
		t.Skip("no hard links here:", err)
	}
	_, errs, code := runCLI(t, "pack", "--sign", "sha256", "--app", app, "--flashboot", filepath.Join(fx.dir, "fb.bin"), "-o", hard)
	if code != 2 || !strings.Contains(errs, "is also the input --app") {
		t.Fatalf("pack onto a hard link of its app: exit %d, %s", code, errs)
	}
}

// Item 3: every output is checked before the work: the sweep does not run,
// and its other output is not written.
func TestItem3OutputsCheckedFirst(t *testing.T) {
	fx := getFixture(t)
	r := runSub(t, fx.dir, nil, "sweep", "ok.scn", "--json", "ok.json", "--junit", "/nonexistent/x.xml")
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: want exit 2 before the sweep runs", r.code, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(fx.dir, "ok.json")); !os.IsNotExist(err) {
		t.Fatal("ok.json was written")
	}
	runCases(t, "sweep junit into missing folder", "run json into missing folder", "pack missing folder", "keygen into a missing folder")
}

// Item 4: every input is read with a limit; /dev/zero and a 2 GiB sparse
// file are refused with the file and the limit, in bounded memory
// (TestBadInputs checks the peak RSS of each case).
func TestItem4BoundedReads(t *testing.T) {
	runCases(t, "pack app /dev/zero", "pack app sparse", "pkg verify key /dev/zero", "image build key /dev/zero",
		"flash new nv /dev/zero", "pack flashboot /dev/zero", "pack nv /dev/zero", "image inspect sparse 2 GiB",
		"sweep merge /dev/zero", "run image file /dev/zero")
}

// Item 5: pkg verify checks that the device would install the package,
// and pack refuses one it would not unless --force.
func TestItem5DeviceFit(t *testing.T) {
	fx := getFixture(t)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	fb := filepath.Join(fx.dir, "fb.bin")
	// 3 MiB of code: larger than imageA (0x240000), and its package larger
	// than the fota storage.
	if _, errs, code := runCLI(t, "image", "build", "--kind", "app", "--size", "3MiB", "-o", p("big.bin")); code != 0 {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		name, app, boot string
		want            []string
	}{
		{"too large", p("big.bin"), fb, []string{"the fota storage holds 1572864", "ERRCODE_UPG_INVALID_PARAMETER", "partition imageA (0x20) holds 0x240000", "bricks"}},
		{"swapped", fb, filepath.Join(fx.dir, "app.bin"), []string{"holds a flashboot image", "exhausts its retries"}},
		{"garbage app", filepath.Join(fx.dir, "garbage.bin"), fb, []string{"is not a signed app image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg := p(strings.ReplaceAll(tc.name, " ", "-") + ".fwpkg")
			args := []string{"pack", "--sign", "sha256", "--app", tc.app, "--flashboot", tc.boot, "-o", pkg}
			_, errs, code := runCLI(t, args...)
			if code != 2 || !strings.Contains(errs, "--force writes it anyway") {
				t.Fatalf("pack: exit %d, %s", code, errs)
			}
			if _, err := os.Stat(pkg); !os.IsNotExist(err) {
				t.Fatal("pack wrote the refused package")
			}
			if _, errs, code = runCLI(t, append(args, "--force")...); code != 0 || !strings.Contains(errs, "warning: --force") {
				t.Fatalf("pack --force: exit %d, %s", code, errs)
			}
			_, errs, code = runCLI(t, "pkg", "verify", pkg)
			if code != 1 {
				t.Fatalf("pkg verify: exit %d, %s", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("pkg verify says %q, want %q", errs, w)
				}
			}
		})
	}
	if out, errs, code := runCLI(t, "pkg", "verify", filepath.Join(fx.dir, "pkg.fwpkg"), "--root-key", filepath.Join(fx.dir, "root.pem")); code != 0 {
		t.Fatalf("a good package: exit %d, %s%s", code, out, errs)
	}
}

// Item 6: flash inspect exits 1 when a check fails.
func TestItem6FlashInspectFails(t *testing.T) {
	fx := getFixture(t)
	if _, errs, code := runCLI(t, "flash", "inspect", filepath.Join(fx.dir, "flash.bin")); code != 0 {
		t.Fatalf("a good flash: exit %d, %s", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(fx.dir, "flash.bin"))
	if err != nil {
		t.Fatal(err)
	}
	b[0x30000+0x300+100] ^= 1 // imageA's code: the body hash breaks
	bad := filepath.Join(t.TempDir(), "bad.bin")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := runCLI(t, "flash", "inspect", bad, "--json")
	if code != 1 || !strings.Contains(errs, "imageA: body hash MISMATCH") {
		t.Fatalf("imageA body flipped: exit %d, %s", code, errs)
	}
	runCases(t, "flash inspect random")
}

// Item 7: verifying takes a public key; image inspect checks the key area
// under --root-key / --parent-key.
func TestItem7PublicKeys(t *testing.T) {
	fx := getFixture(t)
	p := func(n string) string { return filepath.Join(fx.dir, n) }
	if out, errs, code := runCLI(t, "pkg", "verify", p("pkg.fwpkg"), "--root-key", p("pub.pem")); code != 0 || !strings.HasPrefix(out, "OK ") {
		t.Fatalf("pkg verify with the public key: exit %d, %s%s", code, out, errs)
	}
	if out, errs, code := runCLI(t, "pkg", "inspect", p("pkg.fwpkg"), "--root-key", p("pub.pem")); code != 0 || !strings.Contains(out, "all checks ok") {
		t.Fatalf("pkg inspect with the public key: exit %d, %s", code, errs)
	}
	out, errs, code := runCLI(t, "image", "inspect", p("app.bin"), "--root-key", p("pub.pem"))
	if code != 0 || !strings.Contains(out, "key area    signature valid under --root-key") {
		t.Fatalf("image inspect --root-key pub.pem: exit %d\n%s%s", code, out, errs)
	}
	out, _, code = runCLI(t, "image", "inspect", p("app.bin"), "--parent-key", p("sub.pem"), "--json")
	if code != 1 || !strings.Contains(out, `"key_area_check": "INVALID under --parent-key`) {
		t.Fatalf("image inspect --parent-key sub.pem: exit %d\n%s", code, out)
	}
}

// Item 8: a file that is no package fails at the image id, whatever its
// signature_length field holds.
func TestItem8ImageIDFirst(t *testing.T) {
	fx := getFixture(t)
	_, errs, code := runCLI(t, "pkg", "verify", filepath.Join(fx.dir, "garbage.bin"))
	if code != 1 || strings.Contains(errs, "ECDSA-signed") || !strings.Contains(errs, "step 1 (image id)") {
		t.Fatalf("exit %d, %s", code, errs)
	}
}

// Item 9: a scenario file starting with a UTF-8 BOM runs.
func TestItem9BOM(t *testing.T) {
	dir := t.TempDir()
	s := filepath.Join(dir, "bom.scn")
	if err := os.WriteFile(s, append([]byte("\xEF\xBB\xBF"), okScript...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := runCLI(t, "run", s); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
}

// Item 10: sweep merge exits 1 naming missing shards unless
// --allow-partial.
func TestItem10MergeMissingShards(t *testing.T) {
	fx := getFixture(t)
	dir := t.TempDir()
	shard0 := filepath.Join(fx.dir, "shard0.json")
	_, errs, code := runCLI(t, "sweep", "merge", shard0, "--junit", filepath.Join(dir, "j.xml"))
	if code != 1 || !strings.Contains(errs, "shards missing (1/2)") {
		t.Fatalf("one shard of two: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "j.xml")); !os.IsNotExist(err) {
		t.Fatal("a JUnit file was written for a partial merge")
	}
	if _, errs, code := runCLI(t, "sweep", "merge", shard0, "--allow-partial"); code != 0 {
		t.Fatalf("--allow-partial: exit %d, %s", code, errs)
	}
	shard1 := filepath.Join(dir, "shard1.json")
	if _, errs, code := runCLI(t, "sweep", filepath.Join(fx.dir, "ok.scn"), "--stride", "150", "--shard", "1/2", "--json", shard1); code != 0 {
		t.Fatal(errs)
	}
	if out, errs, code := runCLI(t, "sweep", "merge", shard0, shard1); code != 0 {
		t.Fatalf("both shards: exit %d\n%s%s", code, out, errs)
	}
}

// Item 12: a sweep that checks nothing after sweep-end warns, and its
// points still power on and settle (no "off").
func TestItem12EmptyTailWarns(t *testing.T) {
	dir := t.TempDir()
	s := filepath.Join(dir, "tail.scn")
	src := strings.TrimSuffix(okScript, "expect verdict upgraded|kept-old\n")
	if err := os.WriteFile(s, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runCLI(t, "sweep", s, "--stride", "100")
	if code != 0 || !strings.Contains(errs, "has no expect line after sweep-end") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if strings.Contains(out, " off") {
		t.Fatalf("a point ends off:\n%s", out)
	}
}

// Item 13: silent conflicts are refused, in the CLI and in scripts
// (scenarios.TestScriptConflicts has the script side).
func TestItem13Conflicts(t *testing.T) {
	runCases(t, "keygen extra argument", "pack unsigned and sign", "pack pkt twice", "sweep negative failures",
		"replay op twice", "run two cuts", "run version_ext 2")
}

// Item 14: ranges and messages.
func TestItem14RangesAndMessages(t *testing.T) {
	runCases(t, "image build size above range", "image build RSA key", "image build Ed25519 key", "image inspect /dev/zero",
		"sweep merge truncated", "run folder", "replay short hash")
	fx := getFixture(t)
	dir := t.TempDir()
	// The largest advertised size builds.
	if _, errs, code := runCLI(t, "image", "build", "--size", "4193536", "-o", filepath.Join(dir, "max.bin")); code != 0 {
		t.Fatalf("--size 4193536: %s", errs)
	}
	// A binary config is quoted short.
	_, errs, _ := runCLI(t, "pack", "--config", filepath.Join(fx.dir, "big.cfg"), "--app", filepath.Join(fx.dir, "app.bin"),
		"--flashboot", filepath.Join(fx.dir, "fb.bin"), "-o", filepath.Join(dir, "p.fwpkg"))
	if len(errs) > 400 {
		t.Fatalf("binary config: a %d-byte message", len(errs))
	}
	// Key errors: no Go ASN.1 dumps, no "image: offset" prefix.
	_, errs, _ = runCLI(t, "pkg", "verify", filepath.Join(fx.dir, "pkg.fwpkg"), "--root-key", filepath.Join(fx.dir, "ed.pem"))
	if strings.Contains(errs, "asn1") || strings.Contains(errs, "image: offset") {
		t.Fatalf("key error %q", errs)
	}
	// Directories are named once.
	_, errs, _ = runCLI(t, "run", dir)
	if strings.Count(errs, dir) != 1 {
		t.Fatalf("run DIR: %q", errs)
	}
	// An out-of-range replay prints no trace of a run.
	r := runSub(t, fx.dir, nil, "replay", "ok.scn@op=99999999,tear=before")
	if r.code != 2 || r.stdout != "" {
		t.Fatalf("out-of-range replay: exit %d, stdout %q", r.code, r.stdout)
	}
	// Reproduction commands survive a quote in the file name.
	name := "it's.scn"
	tok := name + "@op=5,tear=before,script=0123456789ab"
	got, err := exec.Command("/bin/sh", "-c", "printf %s "+scenarios.ShellQuote(tok)).Output()
	if err != nil || string(got) != tok {
		t.Fatalf("ShellQuote round trip: %q, %v", got, err)
	}
}
