package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/scenarios"
)

// sweepScript is a small upgrade swept over store and request-upgrade.
// With "expect verdict upgraded" only, the cuts while storing fail.
const sweepScript = `# small sweep
device layout=compress seed=3
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package up images=app-v2,fb-v2 sign=sha256
burn fb-v1 app-v1
power-on
sweep-begin
store up
request-upgrade
sweep-end
`

func readReport(t *testing.T, path string) *scenarios.SweepReport {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := scenarios.DecodeSweepReport(path, f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	pass := writeScript(t, sweepScript+"expect verdict upgraded|kept-old\n")
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	out, errs, code := runCLI(t, "sweep", pass, "--tears", "before,after", "--stride", "4", "--json", jsonPath, "--junit", junitPath)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"728 cut points (flash ops #616..#1343)", "tears before,after, stride 4: 364 of 364 points run",
		"reference run (no cut): upgraded, 2 boots, pass", "before:", "after:", "failing points: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") {
		t.Error("a progress bar was drawn on a non-terminal")
	}
	rep := readReport(t, jsonPath)
	if len(rep.Points) != 364 || !rep.Passed() {
		t.Errorf("JSON: %d points, passed %v", len(rep.Points), rep.Passed())
	}
	var ju struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	b, _ := os.ReadFile(junitPath)
	if err := xml.Unmarshal(b, &ju); err != nil || ju.Tests != 1 || ju.Failures != 0 {
		t.Errorf("JUnit: %v, %+v", err, ju)
	}
}

// TestSweepFailingAndReplay: failing points exit 1, list tokens, and
// ws63emu replay of a token reproduces the point's flash byte for byte.
func TestSweepFailingAndReplay(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, sweepScript+"expect verdict upgraded\n")
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	out, errs, code := runCLI(t, "sweep", script, "--tears", "before,bits", "--stride", "9", "--json", jsonPath, "--junit", junitPath, "--failures", "2")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d: %s\n%s", code, exitFailed, errs, out)
	}
	if !strings.Contains(errs, "points fail their expectations") || !strings.Contains(out, "failing points:") ||
		!strings.Contains(out, "first 2 failing points:") || strings.Count(out, "ws63emu replay '") != 2 {
		t.Errorf("summary:\n%s\nstderr: %s", out, errs)
	}
	rep := readReport(t, jsonPath)
	failed := rep.Failed()
	if len(failed) == 0 {
		t.Fatal("no failing point in the JSON")
	}
	b, _ := os.ReadFile(junitPath)
	var ju struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &ju); err != nil || ju.Tests != len(failed)+1 || ju.Failures != len(failed) { // the summary case passes: each failure counts once
		t.Errorf("JUnit: %v, %+v for %d failing points", err, ju, len(failed))
	}
	if !bytes.Contains(b, []byte("ws63emu replay &#39;"+failed[0].Token)) {
		t.Errorf("JUnit lacks the first token")
	}
	// Replay a failing point and a passing one: same verdict and flash.
	var passing scenarios.PointResult
	for _, p := range rep.Points {
		if p.Pass && p.Tear != "before" {
			passing = p
			break
		}
	}
	digest := regexp.MustCompile(`flash digest ([0-9a-f]{64})`)
	for _, p := range []scenarios.PointResult{failed[len(failed)-1], passing} {
		out, errs, code := runCLI(t, "replay", p.Token)
		want := exitOK
		if !p.Pass {
			want = exitFailed
		}
		if code != want {
			t.Fatalf("replay %s: exit %d, want %d: %s", p.Token, code, want, errs)
		}
		m := digest.FindStringSubmatch(out)
		if m == nil || m[1] != p.FlashDigest {
			t.Errorf("replay %s: flash digest %v, the sweep reported %s", p.Token, m, p.FlashDigest)
		}
		if !strings.Contains(out, "verdict "+p.Verdict) || !strings.Contains(out, "power lost at flash op #") {
			t.Errorf("replay %s: no trace or verdict %s in the output", p.Token, p.Verdict)
		}
	}
	// replay --ops: the cut operation is in the log, with its kind, and
	// the recovery's operations follow it.
	opsPath := filepath.Join(t.TempDir(), "ops.jsonl")
	if _, errs, code := runCLI(t, "replay", passing.Token, "--quiet", "--ops", opsPath); code != exitOK {
		t.Fatalf("replay --ops: exit %d: %s", code, errs)
	}
	ob, err := os.ReadFile(opsPath)
	if err != nil {
		t.Fatal(err)
	}
	var cut, after int
	for _, l := range strings.Split(strings.TrimSpace(string(ob)), "\n") {
		var r scenarios.OpRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("ops line %q: %v", l, err)
		}
		switch {
		case r.Index == passing.Op:
			cut++
			if r.Kind != passing.Kind {
				t.Errorf("cut op %d is a %s in the log, the sweep says %s", r.Index, r.Kind, passing.Kind)
			}
		case r.Index > passing.Op:
			after++
		}
	}
	if cut != 1 || uint64(after) != passing.OpsAfter {
		t.Errorf("replay --ops: cut op logged %d times, %d ops after it, the sweep counted %d", cut, after, passing.OpsAfter)
	}
	// A changed scenario refuses old tokens.
	if err := os.WriteFile(script, []byte(sweepScript+"expect verdict upgraded|kept-old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runCLI(t, "replay", failed[0].Token); code != exitBadInput || !strings.Contains(errs, "has changed since the sweep") {
		t.Errorf("replay of a changed scenario: exit %d, %s", code, errs)
	}
}

func TestSweepShardsAndMerge(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, sweepScript+"expect verdict upgraded|kept-old\n")
	whole := filepath.Join(dir, "whole.json")
	if _, errs, code := runCLI(t, "sweep", script, "--stride", "6", "--json", whole); code != exitOK {
		t.Fatalf("whole: %s", errs)
	}
	var parts []string
	for _, s := range []string{"0/2", "1/2"} {
		p := filepath.Join(dir, strings.ReplaceAll(s, "/", "of")+".json")
		out, errs, code := runCLI(t, "sweep", script, "--stride", "6", "--shard", s, "--json", p, "--jobs", "1")
		if code != exitOK || !strings.Contains(out, "shards "+s[:1]+" of 2") {
			t.Fatalf("shard %s: exit %d %s\n%s", s, code, errs, out)
		}
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.json")
	out, errs, code := runCLI(t, append([]string{"sweep", "merge", "-o", merged}, parts...)...)
	if code != exitOK || !strings.Contains(out, "shards 0,1 of 2: 122 of 122 points run") {
		t.Fatalf("merge: exit %d %s\n%s", code, errs, out)
	}
	a, b := readReport(t, whole), readReport(t, merged)
	if len(a.Points) != len(b.Points) {
		t.Fatalf("merged %d points, whole %d", len(b.Points), len(a.Points))
	}
	ja, _ := json.Marshal(a.Points)
	jb, _ := json.Marshal(b.Points)
	if !bytes.Equal(ja, jb) {
		t.Error("merged points differ from the unsharded sweep's")
	}
	if _, errs, code := runCLI(t, "sweep", "merge", parts[0], parts[0]); code != exitBadInput || !strings.Contains(errs, "given twice") {
		t.Errorf("merging a shard twice: exit %d %s", code, errs)
	}
}

func TestSweepUsage(t *testing.T) {
	script := writeScript(t, sweepScript+"expect verdict upgraded|kept-old\n")
	noBlock := writeScript(t, runScript)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", []string{"sweep"}, "want one scenario file"},
		{"bad tear", []string{"sweep", script, "--tears", "sideways"}, "--tears"},
		{"repeated tear", []string{"sweep", script, "--tears", "before,before"}, "given twice"},
		{"bad stride", []string{"sweep", script, "--stride", "0"}, "--stride 0"},
		{"bad shard", []string{"sweep", script, "--shard", "2/2"}, "want I/N"},
		{"bad jobs", []string{"sweep", script, "--jobs", "-1"}, "--jobs -1"},
		{"no sweep block", []string{"sweep", noBlock}, "no sweep-begin"},
		{"merge nothing", []string{"sweep", "merge"}, "want one or more JSON reports"},
		{"merge bad json", []string{"sweep", "merge", script}, "offset"},
		{"replay no token", []string{"replay"}, "want one token"},
		{"replay bad token", []string{"replay", "nothing-here"}, "want FILE@op=N"},
		{"replay bad tear", []string{"replay", script + "@op=800,tear=sideways"}, "tear=sideways"},
		{"replay outside", []string{"replay", script + "@op=5,tear=before"}, "comes before the sweep block"},
		{"replay beyond", []string{"replay", script + "@op=999999,tear=before"}, "is not in the sweep block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs, code := runCLI(t, tt.args...)
			if code != exitBadInput || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, exitBadInput, tt.want)
			}
		})
	}
}
