package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/scenarios"
)

const runScript = `# small v1 -> v2 upgrade
device layout=compress seed=9
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package up images=app-v2,fb-v2 sign=sha256
burn fb-v1 app-v1
power-on
store up
request-upgrade
expect running app-v2
`

func writeScript(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.scn")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunCommand(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		args     []string
		code     int
		stdout   []string // substrings
		errMatch string   // substring of the returned error
	}{
		{"pass", runScript, nil, exitOK, []string{"ok   ", "s.scn:12: expect running app-v2 (saw app-v2)", "PASS,", "verdict upgraded"}, ""},
		{"failed expect", runScript + "expect verdict kept-old\n", nil, exitFailed,
			[]string{"FAIL ", "s.scn:13: expect verdict kept-old (saw upgraded)", "FAIL,"}, "s.scn:13: expected verdict kept-old, saw upgraded"},
		{"parse error", runScript + "expect weather sunny\n", nil, exitBadInput, nil, "s.scn:13: expect: weather"},
		{"command error", runScript + "package p file=missing.fwpkg\nstore p\n", nil, exitBadInput, nil, "missing.fwpkg"},
		{"trace", runScript, []string{"--trace"}, exitOK, []string{"boot    boot #1 (power-on)", "uapi_upg_start returned"}, ""},
		{"no file", "", []string{"--"}, exitBadInput, nil, "want one or more scenario files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"run"}
			if tt.script != "" {
				args = append(args, writeScript(t, tt.script))
			}
			args = append(args, tt.args...)
			var out, errb bytes.Buffer
			err := run(args, &out, &errb)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit %d, want %d (err %v)\nstdout:\n%s", got, tt.code, err, out.String())
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			if tt.errMatch != "" && (err == nil || !strings.Contains(err.Error(), tt.errMatch)) {
				t.Errorf("err = %v, want it to contain %q", err, tt.errMatch)
			}
		})
	}
}

func TestRunCommandOutputs(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "report.json")
	flashPath := filepath.Join(dir, "flash.bin")
	var out, errb bytes.Buffer
	// The outputs are written even when an expectation fails.
	err := run([]string{"run", writeScript(t, runScript+"expect state stuck\n"), "--json", jsonPath, "--flash-out", flashPath}, &out, &errb)
	if exitCode(err) != exitFailed {
		t.Fatalf("err = %v, want a failed expectation", err)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep scenarios.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	if rep.Passed || len(rep.Expectations) != 2 || rep.Expectations[1].Seen != "running" || rep.Verdict != "upgraded" || len(rep.Trace) == 0 {
		t.Errorf("report = %+v", rep)
	}
	f, err := flash.Load(flashPath)
	if err != nil {
		t.Fatal(err)
	}
	h := f.Hash()
	if got := strings.ToLower(rep.FlashSHA256); got == "" || got != hex.EncodeToString(h[:]) {
		t.Errorf("saved flash hash %x, report says %s", h, rep.FlashSHA256)
	}
}

// --ops writes every flash operation as one JSON line (docs/ops-format.md):
// consecutive indexes, chip-command sizes, a SHA-256 for programs only,
// and the same file for the same script.
func TestRunOps(t *testing.T) {
	script := writeScript(t, runScript)
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		path := filepath.Join(dir, "ops"+string(rune('a'+i))+".jsonl")
		var out, errb bytes.Buffer
		if err := run([]string{"run", script, "--ops", path}, &out, &errb); err != nil {
			t.Fatalf("run --ops: %v\n%s", err, errb.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two runs of the same script wrote different --ops files")
	}
	lines := strings.Split(strings.TrimSuffix(string(files[0]), "\n"), "\n")
	if len(lines) < 100 {
		t.Fatalf("%d operations", len(lines))
	}
	var prev *scenarios.OpRecord
	kinds := map[string]int{}
	for i, l := range lines {
		var r scenarios.OpRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		kinds[r.Kind]++
		switch r.Kind {
		case "program":
			if r.Len < 1 || r.Len > flash.MaxProgram || len(r.SHA256) != 64 {
				t.Fatalf("line %d: program %+v", i+1, r)
			}
			if _, err := hex.DecodeString(r.SHA256); err != nil {
				t.Fatalf("line %d: sha256 %q", i+1, r.SHA256)
			}
		case "erase":
			if (r.Len != flash.Block4K && r.Len != flash.Block32K && r.Len != flash.Block64K) || r.Addr%r.Len != 0 || r.SHA256 != "" {
				t.Fatalf("line %d: erase %+v", i+1, r)
			}
		default:
			t.Fatalf("line %d: kind %q", i+1, r.Kind)
		}
		if prev != nil && (r.Index != prev.Index+1 || r.Boot < prev.Boot) {
			t.Fatalf("line %d: index %d boot %d after index %d boot %d", i+1, r.Index, r.Boot, prev.Index, prev.Boot)
		}
		prev = &r
	}
	if kinds["program"] == 0 || kinds["erase"] == 0 || prev.Boot < 2 {
		t.Errorf("kinds %v, last boot %d", kinds, prev.Boot)
	}
}
