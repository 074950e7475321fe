package scenarios

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden traces testdata/*.trace")

// golden renders a report deterministically: summary, expectations, trace.
func golden(rep *Report) string {
	var b strings.Builder
	fmt.Fprintln(&b, rep)
	for _, e := range rep.Expectations {
		status := "ok  "
		if !e.Pass {
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s line %d: expect %s (saw %s)\n", status, e.Line, e.Expect, e.Seen)
	}
	fmt.Fprintf(&b, "flash sha256 %s\n", rep.FlashSHA256)
	for _, ev := range rep.Trace {
		fmt.Fprintln(&b, ev)
	}
	return b.String()
}

// TestScenarios runs every testdata/*.scn; each must pass all its
// expectations, and its report must match testdata/NAME.trace (rewrite
// with go test ./scenarios -update, and review the diff).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.scn"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".scn")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(src), "#") {
				t.Errorf("%s does not start with a header comment naming what it reproduces", f)
			}
			s, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r := NewRunner(s, Options{})
			rep, err := r.Run()
			if err != nil {
				t.Fatalf("run: %v\n%s", err, golden(rep))
			}
			if err := r.Device().Check(); err != nil {
				t.Errorf("device invariants after the run: %v", err)
			}
			if !rep.Passed || len(rep.Expectations) == 0 {
				t.Fatalf("passed=%v with %d expectations", rep.Passed, len(rep.Expectations))
			}
			got := golden(rep)
			path := strings.TrimSuffix(f, ".scn") + ".trace"
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./scenarios -update to create it)", err)
			}
			if string(want) != got {
				t.Errorf("report differs from %s (go test ./scenarios -update rewrites it):\n%s", path, firstDiff(string(want), got))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n-%s\n+%s", i+1, x, y)
		}
	}
	return "(same)"
}

func runString(t *testing.T, src string) (*Report, error) {
	t.Helper()
	s, err := Parse(filepath.Join(t.TempDir(), "t.scn"), strings.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return Run(s, Options{})
}

const smallUpgrade = `device layout=compress seed=3
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package up images=app-v2,fb-v2 sign=sha256
burn fb-v1 app-v1
power-on
store up
request-upgrade
`

func TestRunDeterministic(t *testing.T) {
	a, err := runString(t, smallUpgrade+"expect verdict upgraded\n")
	if err != nil {
		t.Fatal(err)
	}
	b, err := runString(t, smallUpgrade+"expect verdict upgraded\n")
	if err != nil {
		t.Fatal(err)
	}
	a.File, b.File = "", "" // temp dirs differ
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two runs differ (-first +second):\n%s", d)
	}
	// Another seed gives other bytes.
	c, err := runString(t, strings.Replace(smallUpgrade, "seed=3", "seed=4", 1))
	if err != nil {
		t.Fatal(err)
	}
	if c.FlashSHA256 == a.FlashSHA256 {
		t.Errorf("seed 3 and seed 4 give the same flash")
	}
}

func TestRunExpectFailure(t *testing.T) {
	rep, err := runString(t, smallUpgrade+"expect running app-v2\nexpect verdict kept-old\nexpect running app-v1\n")
	var ee *ExpectError
	if !errors.As(err, &ee) || !errors.Is(err, ErrExpectation) {
		t.Fatalf("err = %v, want an *ExpectError", err)
	}
	if ee.Line != 12 || ee.Expected != "verdict kept-old" || ee.Seen != "upgraded" {
		t.Errorf("ExpectError = %+v", ee)
	}
	if !strings.HasSuffix(err.Error(), "t.scn:12: expected verdict kept-old, saw upgraded") {
		t.Errorf("message = %q", err)
	}
	if rep.Passed || rep.Commands != 12 || len(rep.Expectations) != 2 || !rep.Expectations[0].Pass || rep.Expectations[1].Pass {
		t.Errorf("report = %+v", rep)
	}
	if rep.Verdict != "upgraded" || rep.Running != "app-v2" || rep.State != "running" || len(rep.Trace) == 0 {
		t.Errorf("final state in report = %+v", rep)
	}
}

func TestRunCommandErrors(t *testing.T) {
	const dev = "device layout=compress\n"
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"store while off", smallUpgrade + "cut op=1\nstore up\nstore up\n", 13, "no app is running (device off)"},
		{"reset while off", smallUpgrade + "cut op=1\nstore up\nreset\n", 13, "the device is off"},
		{"burn while off", dev + "cut op=1\nimage a kind=app version=1 size=4K\nburn a\n", 4, "burn: a:"},
		{"missing image file", dev + "image a file=nope.bin\nburn a\n", 2, "nope.bin"},
		{"missing package file", smallUpgrade + "package p file=nope.fwpkg\nstore p\n", 11, "nope.fwpkg"},
		{"missing root key", "device layout=compress root-key=nope.pem\n", 1, "nope.pem"},
		{"fault beyond partition", dev + "fault bad-sector part=fota off=0x300000\n", 2, "beyond partition fota"},
		{"store before power-on", smallUpgrade[:strings.Index(smallUpgrade, "power-on")] + "store up\n", 8, "no app is running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runString(t, tt.src)
			var ce *CommandError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCommand) {
				t.Fatalf("err = %v, want a *CommandError", err)
			}
			if ce.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v (line %d), want line %d containing %q", err, ce.Line, tt.line, tt.msg)
			}
		})
	}
}

// TestRunErrorRecorded checks that an SDK error does not stop the script
// and that expect error sees it: a package larger than the fota partition
// fails prepare with ERRCODE_UPG_INVALID_PARAMETER.
func TestRunErrorRecorded(t *testing.T) {
	rep, err := runString(t, `device layout=compress
image a1 kind=app version=1 size=16K
image a2 kind=app version=2 size=3M
image f kind=flashboot version=1 size=8K
package big images=a2,f compress=none sign=sha256
burn f a1
power-on
expect error ERRCODE_SUCC
store big
expect error ERRCODE_UPG_INVALID_PARAMETER
expect running a1
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Expectations[0].Seen; got != "ERRCODE_SUCC (no app call yet)" {
		t.Errorf("before any call: seen %q", got)
	}
	_, err = runString(t, smallUpgrade[:strings.Index(smallUpgrade, "request-upgrade")]+"cut op=1\nstore up\nexpect error ERRCODE_SUCC\n")
	if err == nil || !strings.Contains(err.Error(), "saw no return: the power failed inside store") {
		t.Errorf("error after a cut inside store: %v", err)
	}
}

// TestSDKMadePackage replays the SDK packer's own update.fwpkg on a device
// burned with the v1 images beside it: the device must then run the v2
// app (docs/design.md §1.2: a package made by build_upg_pkg.py is accepted and
// applied).
func TestSDKMadePackage(t *testing.T) {
	dir := filepath.Dir(testutil.Reference(t, "sdk-made/update.fwpkg"))
	src := fmt.Sprintf(`device layout=compress root-key=none
image app-v1 file=%[1]s/app_v1-sign.bin
image app-v2 file=%[1]s/app_v2-sign.bin
image fb-v1 file=%[1]s/flashboot_v1_sign.bin
image fb-v2 file=%[1]s/flashboot_v2_sign.bin
package sdk file=%[1]s/update.fwpkg
burn fb-v1 app-v1
power-on
expect running app-v1
store sdk
expect error ERRCODE_SUCC
request-upgrade
expect running app-v2
expect verdict upgraded
expect result UPDATE_SUCCESS
expect retries app=finished
expect retries flashboot=finished
`, dir)
	rep, err := runString(t, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}

	// Our packer with the SDK's own (hash-only) fota.cfg and images.
	src = strings.Replace(src, "package sdk file="+dir+"/update.fwpkg",
		"package sdk images=app-v2,fb-v2 ver=1.2.3 config="+dir+"/fota.cfg", 1)
	if rep, err = runString(t, src); err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}
}

// TestFlashFile saves a device's flash after an upgrade and starts a new
// scenario from it (device flash=FILE): the upgraded app boots.
func TestFlashFile(t *testing.T) {
	s, err := Parse("t.scn", strings.NewReader(smallUpgrade))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(s, Options{})
	if _, err := r.Run(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flash.bin")
	if err := r.Device().Flash.Save(path); err != nil {
		t.Fatal(err)
	}
	// The same seed and names give the same image bytes, so the trace
	// names them again.
	decls := smallUpgrade[strings.Index(smallUpgrade, "image"):strings.Index(smallUpgrade, "package")]
	rep, err := runString(t, "device layout=compress seed=3 flash="+path+"\n"+decls+"power-on\nexpect running app-v2\nexpect result UPDATE_SUCCESS\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}
}

// TestNames checks the parser's lists against the emulator.
func TestNames(t *testing.T) {
	for i, s := range states {
		if got := emulator.State(i).String(); got != s {
			t.Errorf("state %d is %q, the parser says %q", i, got, s)
		}
	}
	for _, v := range []emulator.Verdict{emulator.Upgraded, emulator.KeptOld, emulator.FellBack, emulator.RetriesExhausted,
		emulator.Brick, emulator.NoBootVerdict, emulator.Rollback, emulator.NVLost, emulator.Mixed} {
		if !isVerdict(string(v)) {
			t.Errorf("verdict %q unknown to the parser", v)
		}
	}
}

// TestFileImages runs file= images written beside the script (relative
// paths resolve against its directory) and checks their kinds at run time.
func TestFileImages(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		kind image.Kind
		ver  string
	}{{"a1.bin", image.KindApp, "1"}, {"a2.bin", image.KindApp, "2"}, {"f1.bin", image.KindFlashboot, "1"}, {"f2.bin", image.KindFlashboot, "2"}} {
		b, err := image.Synthetic(image.Ident{Kind: f.kind, Version: f.ver}, 8<<10, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(src string) (*Report, error) {
		p := filepath.Join(dir, "t.scn")
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return Run(s, Options{})
	}
	const decl = "device layout=compress\nimage a1 file=a1.bin\nimage a2 file=a2.bin kind=app\nimage f1 file=f1.bin\nimage f2 file=f2.bin\n"
	rep, err := run(decl + "package p images=a2,f2 sign=sha256\nburn f1 a1\npower-on\nexpect running a1\nstore p\nrequest-upgrade\nexpect running a2\nexpect verdict upgraded\n")
	if err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}
	for _, tt := range []struct{ src, msg string }{
		{decl + "package p images=a1,a2,f2\nburn f1 a1\npower-on\nstore p\n", `images "a1" and "a2" are both app images`},
		{decl + "image x file=a1.bin kind=flashboot\n", "a1.bin holds an image of kind app, not flashboot"},
		{decl + "image x file=t.scn\n", "an NV file needs kind=nv"},
	} {
		_, err := run(tt.src)
		if !errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("err = %v, want a command error containing %q", err, tt.msg)
		}
	}
}
