package sdkengine_test

import (
	"debug/elf"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

func parse(t *testing.T, path string) *scenarios.Script {
	t.Helper()
	s, err := scenarios.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testdata(parts ...string) string {
	return filepath.Join(append([]string{testutil.RepoRoot(), "scenarios", "testdata"}, parts...)...)
}

// copySDK copies the SDK checkout into a temporary directory, for tests
// that change it.
func copySDK(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// patch replaces old by new in one file of an SDK copy; the old text must
// be there exactly once.
func patch(t *testing.T, sdk, rel, old, new string) {
	t.Helper()
	p := filepath.Join(sdk, filepath.FromSlash(rel))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s: the text to patch occurs %d times, want 1 (has the SDK changed?)", rel, n)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCompressedUpgradeOnSDK(t *testing.T) {
	e := sdktest.Engine(t)
	rep, err := scenarios.Run(parse(t, testdata("compressed-upgrade.scn")), scenarios.Options{Engine: scenarios.EngineSDK, SDK: e})
	if err != nil {
		t.Fatalf("compressed-upgrade.scn on the SDK engine: %v", err)
	}
	if rep.Verdict != "upgraded" || rep.Running != "app-v2" {
		t.Errorf("verdict %s running %s, want upgraded app-v2", rep.Verdict, rep.Running)
	}
	// The vendor's progress callback prints through the shim's UART.
	found := false
	for _, ev := range rep.Trace {
		if strings.Contains(ev.Msg, "[UPG] upg percent : 100 %") {
			found = true
		}
	}
	if !found {
		t.Error("the trace has no \"[UPG] upg percent : 100 %\" line from the vendor code")
	}
}

// TestQuietMatchesRoundTrips checks that operations the child applies
// itself (within flash.Device.Quiet) leave the same flash, operation count
// and trace as operations acknowledged one by one, with cuts, program
// failures and bad sectors about.
func TestQuietMatchesRoundTrips(t *testing.T) {
	b := sdktest.Build(t)
	sameRuns(t, sdkengine.New(b), sdkengine.NewWith(b, sdkengine.Options{RoundTrips: true}),
		"compressed-upgrade.scn", "program-fail-retry.scn", "bad-sector-retries.scn", "cut-during-replacement.scn")
}

// TestWarmMatchesFresh checks that a child process serving boot after
// boot (its vendor state reset at each F_BOOT) gives what a fresh process
// per boot gives: the same flash, operations, simulated time and trace in
// scripts with reboots, cuts and faults, and the same outcome at every
// point of a sampled W1 sweep under every tear model, with two workers
// sharing the children.
func TestWarmMatchesFresh(t *testing.T) {
	b := sdktest.Build(t)
	warm, fresh := sdkengine.New(b), sdkengine.NewWith(b, sdkengine.Options{FreshProcesses: true})
	sameRuns(t, warm, fresh, "compressed-upgrade.scn", "program-fail-retry.scn", "bad-sector-retries.scn",
		"cut-during-replacement.scn", "flashboot-self-upgrade-cuts.scn", "chunk-calls.scn", "user-verify-flashboot.scn",
		"try-fix-heal.scn", "nv-upgrade.scn", "full-image-upgrade.scn", "cut-while-storing.scn")
	if testing.Short() {
		return
	}
	s := parse(t, testdata("sweeps", "w1.scn"))
	tears, err := scenarios.ParseTearModels("before,prefix,bits")
	if err != nil {
		t.Fatal(err)
	}
	sweep := func(e *sdkengine.Engine) *scenarios.SweepReport {
		rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Stride: 3000, Tears: tears, Jobs: 2, Engine: scenarios.EngineSDK, SDK: e})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	w, f := sweep(warm), sweep(fresh)
	if len(w.Points) < 50 {
		t.Fatalf("only %d points", len(w.Points))
	}
	if d := cmp.Diff(f.Points, w.Points); d != "" {
		t.Errorf("sweep points, fresh (-) and warm (+) processes:\n%s", d)
	}
}

// sameRuns runs scripts of scenarios/testdata on two SDK engines and
// compares the flash, operations, simulated time, failure and trace.
func sameRuns(t *testing.T, a, b *sdkengine.Engine, names ...string) {
	t.Helper()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := parse(t, testdata(name))
			run := func(e *sdkengine.Engine) *scenarios.Report {
				rep, _ := scenarios.Run(s, scenarios.Options{Engine: scenarios.EngineSDK, SDK: e})
				return rep
			}
			f, r := run(a), run(b)
			if f.FlashSHA256 != r.FlashSHA256 || f.FlashOps != r.FlashOps || f.SimTime != r.SimTime || f.Failure != r.Failure {
				t.Errorf("first: flash %.12s, %d ops, %v, %q; second: flash %.12s, %d ops, %v, %q",
					f.FlashSHA256, f.FlashOps, f.SimTime, f.Failure, r.FlashSHA256, r.FlashOps, r.SimTime, r.Failure)
			}
			if len(f.Trace) != len(r.Trace) {
				t.Fatalf("trace lengths %d and %d", len(f.Trace), len(r.Trace))
			}
			for i := range f.Trace {
				if f.Trace[i].String() != r.Trace[i].String() {
					t.Fatalf("trace event %d: %s\nvs %s", i, f.Trace[i], r.Trace[i])
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	sdk := testutil.SDKSrc(t)
	_, noCC := exec.LookPath("gcc")
	tests := []struct {
		name   string
		o      sdkengine.BuildOptions
		want   error
		needCC bool // the SDK checks come after the compiler's
	}{
		{"no compiler", sdkengine.BuildOptions{SDK: sdk, CC: "/nonexistent/gcc", CacheDir: t.TempDir()}, sdkengine.ErrNoCompiler, false},
		{"no sdk", sdkengine.BuildOptions{SDK: t.TempDir(), CacheDir: t.TempDir()}, sdkengine.ErrNotSDK, true},
		{"no sdk given", sdkengine.BuildOptions{CacheDir: t.TempDir()}, sdkengine.ErrNotSDK, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needCC && noCC != nil {
				t.Skip("gcc not found in PATH")
			}
			_, err := sdkengine.Compile(tc.o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestBuildCompileError(t *testing.T) {
	sdktest.Build(t) // skips without the SDK or gcc
	sdk := copySDK(t, testutil.SDKSrc(t))
	patch(t, sdk, "src/middleware/utils/update/common/upg_common.c", "errcode_t upg_set_firmware_update_status(", "errcode_t upg_set_firmware_update_status( this is not C")
	_, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: sdk, CacheDir: t.TempDir()})
	if !errors.Is(err, sdkengine.ErrCompile) {
		t.Fatalf("err = %v, want ErrCompile", err)
	}
	if !strings.Contains(err.Error(), "upg_common.c") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error should name upg_common.c on one line: %q", err)
	}
}

// TestBuildRefusesUnresettableData checks that a vendor object with
// writable data the boot reset cannot restore (here a global in a section
// of its own) fails the build, naming the file and the section.
func TestBuildRefusesUnresettableData(t *testing.T) {
	sdktest.Build(t) // skips without the SDK or gcc
	sdk := copySDK(t, testutil.SDKSrc(t))
	patch(t, sdk, "src/middleware/utils/update/common/upg_common.c", "errcode_t upg_set_firmware_update_status(",
		"__attribute__((section(\".upg_keep\"))) int g_upg_keep = 1;\nerrcode_t upg_set_firmware_update_status(")
	_, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: sdk, CacheDir: t.TempDir()})
	if !errors.Is(err, sdkengine.ErrCompile) {
		t.Fatalf("err = %v, want ErrCompile", err)
	}
	if !strings.Contains(err.Error(), "upg_common.c") || !strings.Contains(err.Error(), ".upg_keep") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error should name upg_common.c and .upg_keep on one line: %q", err)
	}
}

func TestBuildCached(t *testing.T) {
	b := sdktest.Build(t)
	again, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: testutil.SDKSrc(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Cached || again.Key != b.Key || again.App != b.App {
		t.Errorf("second build: cached %v key %s (first %s)", again.Cached, again.Key, b.Key)
	}
}

// TestBuildLinksStatic checks that the executables are linked statically
// where the C library's archive is there, and that a compiler that cannot
// link statically (a stand-in that refuses -static) gets dynamic ones
// that still run the upgrade.
func TestBuildLinksStatic(t *testing.T) {
	b := sdktest.Build(t)
	if interp(t, b.Flashboot) {
		t.Logf("%s is linked dynamically: no static C library here", b.Flashboot)
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found in PATH")
	}
	cc := filepath.Join(t.TempDir(), "cc-no-static")
	script := "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = -static ] && { echo 'cannot find -lc' >&2; exit 1; }; done\nexec " + gcc + " \"$@\"\n"
	if err := os.WriteFile(cc, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dyn, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: testutil.SDKSrc(t), CC: cc, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dyn.App, dyn.Flashboot} {
		if !interp(t, p) {
			t.Errorf("%s: want a dynamic executable from a compiler without -static", p)
		}
	}
	rep, err := scenarios.Run(parse(t, testdata("compressed-upgrade.scn")), scenarios.Options{Engine: scenarios.EngineSDK, SDK: sdkengine.New(dyn)})
	if err != nil {
		t.Fatalf("compressed-upgrade.scn on the dynamic build: %v", err)
	}
	if rep.Verdict != "upgraded" || rep.Running != "app-v2" {
		t.Errorf("dynamic build: verdict %s running %s, want upgraded app-v2", rep.Verdict, rep.Running)
	}
}

// interp reports whether an ELF executable asks for a dynamic loader.
func interp(t *testing.T, path string) bool {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// TestPatchedSDK applies a small change to the retry logic of a copy of the
// SDK (upg_get_image_update_status reports an interrupted image, whose
// retry byte says STARTED, as FINISHED) and shows the sweep's verdicts
// change: the resume of an interrupted image is skipped, so cuts during an
// image's replacement leave it half written.
func TestPatchedSDK(t *testing.T) {
	base := sdktest.Build(t)
	sdk := copySDK(t, testutil.SDKSrc(t))
	patch(t, sdk, "src/middleware/utils/update/common/upg_common.c",
		"        if (firmware_flag[i] == STARTED_FLAG) {\n            return UPG_IMAGE_STATUS_STARTED;",
		"        if (firmware_flag[i] == STARTED_FLAG) {\n            return UPG_IMAGE_STATUS_FINISHED; /* patched */")
	patched, err := sdkengine.Compile(sdkengine.BuildOptions{SDK: sdk})
	if err != nil {
		t.Fatal(err)
	}
	if patched.Key == base.Key {
		t.Fatal("the patched SDK has the same build key")
	}
	s := parse(t, filepath.Join(testutil.RepoRoot(), "sdkengine", "testdata", "resume.scn"))
	sweep := func(b *sdkengine.Build) *scenarios.SweepReport {
		rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Stride: 97, Engine: scenarios.EngineSDK, SDK: sdkengine.New(b)})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	before, after := sweep(base), sweep(patched)
	t.Logf("vendor SDK: %v; patched: %v", before.Counts(""), after.Counts(""))
	if n := len(before.Failed()); n != 0 || before.Counts("")["upgraded"] != before.Total {
		t.Errorf("vendor SDK: %d failing points, verdicts %v; want every point upgraded", n, before.Counts(""))
	}
	if len(after.Failed()) == 0 || after.Counts("")["upgraded"] == after.Total {
		t.Errorf("patched SDK: verdicts %v; want points that are no longer upgraded", after.Counts(""))
	}
	if before.Total != after.Total {
		t.Errorf("the patch changed the cut points: %d vs %d", before.Total, after.Total)
	}
}
