package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ws63emu/ws63emu/image"
)

// The bad-input tests run the command as a subprocess — this test binary,
// which TestMain turns into ws63emu when asMainEnv is set — under a
// virtual-memory rlimit (ulimit -v, so an unbounded read dies instead of
// swapping) and check its peak RSS from rusage.
const (
	asMainEnv   = "WS63EMU_TEST_AS_MAIN"
	vmLimitKiB  = 2 << 20 // ulimit -v: 2 GiB of address space
	maxRSSBytes = 200 << 20
)

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		return
	}
	code := m.Run()
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

// result is one subprocess run.
type result struct {
	stdout, stderr string
	code           int
	maxRSS         int64 // bytes
}

// runSub runs ws63emu args in dir with stdin, under the memory limit.
func runSub(t *testing.T, dir string, stdin []byte, args ...string) result {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("subprocess memory checks use ulimit -v and Linux rusage")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, vmLimitKiB), exe}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("ws63emu %s: %v", strings.Join(args, " "), err)
	}
	r := result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	return r
}

// fixture is a folder of inputs, good and bad, shared by the bad-input
// tests (made once; no test may change it).
type fixture struct {
	dir string
}

var (
	fixOnce sync.Once
	fixDir  string
	fixErr  error
)

func getFixture(t *testing.T) *fixture {
	t.Helper()
	fixOnce.Do(func() { fixDir, fixErr = makeFixture() })
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return &fixture{dir: fixDir}
}

// okScript is a small upgrade with a sweep block and expectations after it.
const okScript = sweepScript + "expect verdict upgraded|kept-old\n"

func publicPEM(k *image.PrivateKey) []byte {
	type algo struct {
		Algorithm, Curve asn1.ObjectIdentifier
	}
	xy := k.XY()
	der, err := asn1.Marshal(struct {
		Algo algo
		Key  asn1.BitString
	}{algo{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}},
		asn1.BitString{Bytes: append([]byte{4}, xy[:]...), BitLength: 520}})
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// pseudo returns n deterministic pseudo-random bytes.
func pseudo(seed byte, n int) []byte {
	b := make([]byte, n)
	h := sha256.Sum256([]byte{seed})
	for i := 0; i < n; i += 32 {
		copy(b[i:], h[:])
		h = sha256.Sum256(h[:])
	}
	return b
}

func makeFixture() (string, error) {
	dir, err := os.MkdirTemp("", "ws63emu-badinput")
	if err != nil {
		return "", err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	root, err := image.GenerateKey(&seeded{1})
	if err != nil {
		return "", err
	}
	sub, err := image.GenerateKey(&seeded{2})
	if err != nil {
		return "", err
	}
	rsaKey, err := rsa.GenerateKey(&seeded{3}, 1024)
	if err != nil {
		return "", err
	}
	_, edKey, err := ed25519.GenerateKey(&seeded{4})
	if err != nil {
		return "", err
	}
	rsa8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ed8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	files := map[string][]byte{
		"root.pem":    root.MarshalPEM(),
		"sub.pem":     sub.MarshalPEM(),
		"pub.pem":     publicPEM(root),
		"rsa.pem":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsa8}),
		"ed.pem":      pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ed8}),
		"garbage.bin": pseudo(1, 5000),
		"random.bin":  pseudo(2, 4<<20),
		"nv.bin":      bytes.Repeat([]byte("nv"), 500),
		"big.cfg":     pseudo(3, 1<<20-10),
		"ok.scn":      []byte(okScript),
		"twocuts.scn": []byte(strings.Replace(okScript, "sweep-begin\n", "cut op=9000\ncut op=9100\nsweep-begin\n", 1)),
		"verext.scn":  []byte(strings.Replace(okScript, "version=2 size=16K", "version=2 size=16K version_ext=2", 1)),
		"zero.scn":    []byte("device layout=compress\nimage z file=/dev/zero\nburn z\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.Mkdir(p("adir"), 0o755); err != nil {
		return "", err
	}
	if err := os.Symlink("root.pem", p("link.pem")); err != nil {
		return "", err
	}
	sparse, err := os.Create(p("sparse.bin"))
	if err != nil {
		return "", err
	}
	if err := sparse.Truncate(2 << 30); err != nil {
		return "", err
	}
	sparse.Close()
	var sink bytes.Buffer
	for _, args := range [][]string{
		{"image", "build", "--kind", "app", "--size", "64K", "--sign-key", p("sub.pem"), "--parent-key", p("root.pem"), "-o", p("app.bin")},
		{"image", "build", "--kind", "flashboot", "--size", "32K", "-o", p("fb.bin")},
		{"pack", "--app", p("app.bin"), "--flashboot", p("fb.bin"), "--root-key", p("root.pem"), "--sub-key", p("sub.pem"), "-o", p("pkg.fwpkg")},
		{"flash", "new", "--app", p("app.bin"), "--flashboot", p("fb.bin"), "-o", p("flash.bin")},
		{"sweep", p("ok.scn"), "--stride", "150", "--shard", "0/2", "--json", p("shard0.json")},
	} {
		if err := run(args, &sink, &sink); err != nil {
			return "", fmt.Errorf("%v: %v\n%s", args, err, sink.String())
		}
	}
	pkg, err := os.ReadFile(p("pkg.fwpkg"))
	if err != nil {
		return "", err
	}
	js, err := os.ReadFile(p("shard0.json"))
	if err != nil {
		return "", err
	}
	for name, b := range map[string][]byte{"trunc.fwpkg": pkg[:len(pkg)/2], "trunc.json": js[:len(js)/2]} {
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// dirState is what a folder holds: for each entry its mode, size,
// modification time, inode and (for links) target, and a hash of small
// files. Equal states mean nothing was created, removed or changed.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	st := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		s := fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			s += fmt.Sprintf(" ino %d", sys.Ino)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			s += " -> " + target
		} else if fi.Mode().IsRegular() && fi.Size() < 1<<20 {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			s += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		st[path] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func diffStates(a, b map[string]string) string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "removed "+k)
		} else if v != w {
			out = append(out, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "created "+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// badCase is one bad invocation: its exit status and a piece of its
// message (stderr).
type badCase struct {
	name string
	args []string
	code int
	want string
}

func badCases() []badCase {
	pkgArgs := []string{"pack", "--app", "app.bin", "--flashboot", "fb.bin", "--root-key", "root.pem", "--sub-key", "sub.pem"}
	pk := func(extra ...string) []string { return append(append([]string{}, pkgArgs...), extra...) }
	hashPk := func(extra ...string) []string {
		return append([]string{"pack", "--sign", "sha256", "--app", "app.bin", "--flashboot", "fb.bin"}, extra...)
	}
	return []badCase{
		// keygen
		{"keygen without -o", []string{"keygen"}, 2, "-o KEY.pem is required"},
		{"keygen extra argument", []string{"keygen", "-o", "k.pem", "extra"}, 2, `unexpected argument "extra"`},
		{"keygen into a missing folder", []string{"keygen", "-o", "nodir/k.pem"}, 2, "nodir does not exist"},
		{"keygen onto a folder", []string{"keygen", "-o", "adir"}, 2, "is a directory"},
		// image build
		{"image build size above range", []string{"image", "build", "--size", "4194305", "-o", "x.bin"}, 2, "want 1..4193536 bytes"},
		{"image build key /dev/zero", []string{"image", "build", "--sign-key", "/dev/zero", "-o", "x.bin"}, 2, "/dev/zero: offset 16384: larger than the 16384-byte limit"},
		{"image build RSA key", []string{"image", "build", "--sign-key", "rsa.pem", "-o", "x.bin"}, 2, "rsa.pem: offset 0: PRIVATE KEY: an RSA key"},
		{"image build Ed25519 key", []string{"image", "build", "--sign-key", "ed.pem", "-o", "x.bin"}, 2, "an Ed25519 key"},
		{"image build public key", []string{"image", "build", "--sign-key", "pub.pem", "-o", "x.bin"}, 2, "signing needs the private key"},
		{"image build version-ext 2", []string{"image", "build", "--version-ext", "2", "-o", "x.bin"}, 2, "--version-ext"},
		{"image build unknown kind", []string{"image", "build", "--kind", "ssb", "-o", "x.bin"}, 2, "--kind"},
		{"image build output is key", []string{"image", "build", "--sign-key", "root.pem", "-o", "root.pem"}, 2, "is also the input --sign-key root.pem"},
		{"image build output is key via link", []string{"image", "build", "--sign-key", "root.pem", "-o", "link.pem"}, 2, "is also the input"},
		{"image build missing folder", []string{"image", "build", "-o", "nodir/x.bin"}, 2, "does not exist"},
		{"image build hash-only and key", []string{"image", "build", "--hash-only", "--sign-key", "root.pem", "-o", "x.bin"}, 2, "excludes"},
		// image inspect
		{"image inspect garbage", []string{"image", "inspect", "garbage.bin"}, 2, "garbage.bin: image: offset 0"},
		{"image inspect /dev/zero", []string{"image", "inspect", "/dev/zero"}, 2, "larger than the 4194304-byte limit"},
		{"image inspect sparse 2 GiB", []string{"image", "inspect", "sparse.bin"}, 2, "sparse.bin: offset 4194304: larger than"},
		{"image inspect folder", []string{"image", "inspect", "adir"}, 2, "adir: is a directory"},
		{"image inspect RSA root key", []string{"image", "inspect", "app.bin", "--root-key", "rsa.pem"}, 2, "an RSA key"},
		{"image inspect two keys", []string{"image", "inspect", "app.bin", "--root-key", "root.pem", "--parent-key", "root.pem"}, 2, "not both"},
		{"image inspect wrong root key", []string{"image", "inspect", "app.bin", "--root-key", "sub.pem"}, 1, "key area signature is INVALID"},
		{"image inspect missing", []string{"image", "inspect", "nope.bin"}, 2, "no such file"},
		// pack
		{"pack output is the app", hashPk("-o", "app.bin"), 2, "-o app.bin: is also the input --app app.bin"},
		{"pack app /dev/zero", []string{"pack", "--sign", "sha256", "--app", "/dev/zero", "--flashboot", "fb.bin", "-o", "p.fwpkg"}, 2, "--app: /dev/zero: offset 4194304: larger than"},
		{"pack app sparse", []string{"pack", "--sign", "sha256", "--app", "sparse.bin", "--flashboot", "fb.bin", "-o", "p.fwpkg"}, 2, "sparse.bin: offset 4194304"},
		{"pack flashboot /dev/zero", []string{"pack", "--sign", "sha256", "--app", "app.bin", "--flashboot", "/dev/zero", "-o", "p.fwpkg"}, 2, "--flashboot: /dev/zero"},
		{"pack nv /dev/zero", hashPk("--pkt", "app,nv", "--nv", "/dev/zero", "-o", "p.fwpkg"), 2, "--nv: /dev/zero"},
		{"pack unsigned and sign", hashPk("--unsigned", "-o", "p.fwpkg"), 2, "--unsigned and --sign sha256 conflict"},
		{"pack pkt twice", hashPk("--pkt", "app,app,boot", "-o", "p.fwpkg"), 2, `"app" is listed twice`},
		{"pack app and flashboot swapped", []string{"pack", "--sign", "sha256", "--app", "fb.bin", "--flashboot", "app.bin", "-o", "p.fwpkg"}, 2, "holds a flashboot image"},
		{"pack garbage app", []string{"pack", "--sign", "sha256", "--app", "garbage.bin", "--flashboot", "fb.bin", "-o", "p.fwpkg"}, 2, "is not a signed app image"},
		{"pack binary config", []string{"pack", "--config", "big.cfg", "--app", "app.bin", "--flashboot", "fb.bin", "-o", "p.fwpkg"}, 2, "bytes)"},
		{"pack config folder", []string{"pack", "--config", "adir", "--app", "app.bin", "-o", "p.fwpkg"}, 2, "adir: is a directory"},
		{"pack root key /dev/zero", []string{"pack", "--app", "app.bin", "--flashboot", "fb.bin", "--root-key", "/dev/zero", "--sub-key", "sub.pem", "-o", "p.fwpkg"}, 2, "limit"},
		{"pack public root key", []string{"pack", "--app", "app.bin", "--flashboot", "fb.bin", "--root-key", "pub.pem", "--sub-key", "sub.pem", "-o", "p.fwpkg"}, 2, "signing needs the private key"},
		{"pack missing folder", pk("-o", "nodir/p.fwpkg"), 2, "does not exist"},
		{"pack extra argument", pk("-o", "p.fwpkg", "more"), 2, `unexpected argument "more"`},
		// pkg
		{"pkg verify garbage", []string{"pkg", "verify", "garbage.bin"}, 1, "FAILED at step 1 (image id)"},
		{"pkg verify ECDSA without key", []string{"pkg", "verify", "pkg.fwpkg"}, 2, "--root-key PEM is required"},
		{"pkg verify key /dev/zero", []string{"pkg", "verify", "pkg.fwpkg", "--root-key", "/dev/zero"}, 2, "--root-key: /dev/zero: offset 16384"},
		{"pkg verify /dev/zero", []string{"pkg", "verify", "/dev/zero"}, 2, "/dev/zero: offset 4194304: larger than"},
		{"pkg verify folder", []string{"pkg", "verify", "adir"}, 2, "adir: is a directory"},
		{"pkg verify RSA key", []string{"pkg", "verify", "pkg.fwpkg", "--root-key", "rsa.pem"}, 2, "an RSA key"},
		{"pkg verify wrong key", []string{"pkg", "verify", "pkg.fwpkg", "--root-key", "sub.pem"}, 1, "FAILED at step"},
		{"pkg inspect garbage", []string{"pkg", "inspect", "garbage.bin"}, 2, "garbage.bin"},
		{"pkg inspect truncated", []string{"pkg", "inspect", "trunc.fwpkg"}, 2, "trunc.fwpkg"},
		// flash
		{"flash new nv /dev/zero", []string{"flash", "new", "--nv", "/dev/zero", "-o", "f.bin"}, 2, "--nv: /dev/zero: offset 4194304"},
		{"flash new efuse-out is -o", []string{"flash", "new", "--efuse-out", "e.bin", "-o", "e.bin"}, 2, "-o e.bin: is also the output --efuse-out e.bin"},
		{"flash new flashboot as app", []string{"flash", "new", "--app", "fb.bin", "-o", "f.bin"}, 2, "is a flashboot image"},
		{"flash new output is app", []string{"flash", "new", "--app", "app.bin", "-o", "app.bin"}, 2, "is also the input --app app.bin"},
		{"flash new root key /dev/zero", []string{"flash", "new", "--root-key", "/dev/zero", "-o", "f.bin"}, 2, "limit"},
		{"flash dump onto itself", []string{"flash", "dump", "flash.bin", "--partition", "imageA", "-o", "flash.bin"}, 2, "is also the input flash.bin"},
		{"flash dump unknown partition", []string{"flash", "dump", "flash.bin", "--partition", "nope", "-o", "x.bin"}, 2, "--partition"},
		{"flash inspect garbage", []string{"flash", "inspect", "garbage.bin"}, 2, "want exactly 4194304"},
		{"flash inspect random", []string{"flash", "inspect", "random.bin"}, 1, "check(s) failed: params unreadable"},
		{"flash inspect folder", []string{"flash", "inspect", "adir"}, 2, "not a regular file"},
		{"flash diff garbage", []string{"flash", "diff", "flash.bin", "garbage.bin"}, 2, "garbage.bin"},
		// run
		{"run flash-out is the script", []string{"run", "ok.scn", "--flash-out", "ok.scn"}, 2, "--flash-out ok.scn: is also the input ok.scn"},
		{"run json is flash-out", []string{"run", "ok.scn", "--json", "j.json", "--flash-out", "j.json"}, 2, "is also the output --json j.json"},
		{"run two cuts", []string{"run", "twocuts.scn"}, 2, "has not fired yet"},
		{"run missing script", []string{"run", "nope.scn"}, 2, "nope.scn: no such file"},
		{"run folder", []string{"run", "adir"}, 2, "scenarios: adir: is a directory"},
		{"run json into missing folder", []string{"run", "ok.scn", "--json", "nodir/x.json"}, 2, "does not exist"},
		{"run version_ext 2", []string{"run", "verext.scn"}, 2, "version_ext=2"},
		{"run image file /dev/zero", []string{"run", "zero.scn"}, 2, "larger than"},
		// sweep
		{"sweep junit into missing folder", []string{"sweep", "ok.scn", "--json", "ok.json", "--junit", "/nonexistent/x.xml"}, 2, "--junit /nonexistent/x.xml: folder /nonexistent does not exist"},
		{"sweep json is the script", []string{"sweep", "ok.scn", "--json", "ok.scn"}, 2, "is also the input ok.scn"},
		{"sweep json is junit", []string{"sweep", "ok.scn", "--json", "a.xml", "--junit", "a.xml"}, 2, "is also the output"},
		{"sweep negative failures", []string{"sweep", "ok.scn", "--failures", "-1"}, 2, "--failures -1"},
		{"sweep stride 0", []string{"sweep", "ok.scn", "--stride", "0"}, 2, "--stride 0"},
		{"sweep merge missing shard", []string{"sweep", "merge", "shard0.json"}, 1, "1 of 2 shards missing (1/2)"},
		{"sweep merge truncated", []string{"sweep", "merge", "trunc.json"}, 2, "the JSON ends early"},
		{"sweep merge onto its input", []string{"sweep", "merge", "shard0.json", "-o", "shard0.json", "--allow-partial"}, 2, "is also the input"},
		{"sweep merge /dev/zero", []string{"sweep", "merge", "/dev/zero"}, 2, "larger than"},
		// replay
		{"replay op twice", []string{"replay", "ok.scn@op=1500,op=1600,tear=before"}, 2, "op= given twice"},
		{"replay short hash", []string{"replay", "ok.scn@op=5,tear=before,script=abc"}, 2, "want 12 to 64"},
		{"replay no token", []string{"replay"}, 2, "want one token"},
		// the rest
		{"demo extra argument", []string{"demo", "extra"}, 2, `demo: unexpected argument "extra"`},
		{"compare-schemes extra argument", []string{"compare-schemes", "extra", "--no-sweep"}, 2, `unexpected argument "extra"`},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"pkg inspect two files", []string{"pkg", "inspect", "pkg.fwpkg", "garbage.bin"}, 2, "want exactly one FILE"},
		{"flash diff missing file", []string{"flash", "diff", "flash.bin", "nope.bin"}, 2, "nope.bin"},
		{"replay op out of range", []string{"replay", "ok.scn@op=99999999,tear=before"}, 2, "is not in the sweep block"},
	}
}

// TestBadInputs is the table of bad invocations: each exits with its
// status and message, leaves the folder exactly as it was (no output
// created or changed, no input changed), and stays within the memory
// bound.
func TestBadInputs(t *testing.T) {
	fx := getFixture(t)
	cases := badCases()
	if len(cases) < 60 {
		t.Fatalf("%d cases, want at least 60", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := dirState(t, fx.dir)
			r := runSub(t, fx.dir, nil, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", r.code, r.stderr, tc.code, tc.want)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stderr has a panic: %s", r.stderr)
			}
			if msg := lastLine(r.stderr); len(msg) > 1200 {
				t.Errorf("error line is %d bytes: quote less", len(msg))
			}
			if d := diffStates(before, dirState(t, fx.dir)); d != "" {
				t.Errorf("the folder changed:\n%s", d)
			}
			if r.maxRSS > maxRSSBytes {
				t.Errorf("peak RSS %d MiB, want at most %d MiB", r.maxRSS>>20, maxRSSBytes>>20)
			}
		})
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
