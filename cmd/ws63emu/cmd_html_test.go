package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/scenarios"
)

// pageData reads the JSON a report page carries.
func pageData(t *testing.T, path string) (*htmlreport.Page, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const open = `<script id="ws63-data" type="application/json">`
	i := bytes.Index(b, []byte(open))
	j := bytes.Index(b[i:], []byte("</script>"))
	if i < 0 || j < 0 {
		t.Fatalf("%s: no page data", path)
	}
	var p htmlreport.Page
	if err := json.Unmarshal(b[i+len(open):i+j], &p); err != nil {
		t.Fatalf("%s: page data: %v", path, err)
	}
	return &p, b
}

func TestRunHTML(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, runScript)
	out := filepath.Join(dir, "run.html")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"run", script, "--html", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	p, first := pageData(t, out)
	if p.Run == nil || p.Flash == nil || p.Run.Verdict != "upgraded" || len(p.Run.Ops) == 0 || p.Run.Flag == nil {
		t.Fatalf("run page: %+v", p.Run)
	}
	// Same run, same bytes.
	if err := run([]string{"run", script, "--html", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if _, again := pageData(t, out); !bytes.Equal(first, again) {
		t.Error("two runs of the same script wrote different pages")
	}
	// A failing script still gets its page (exit 1).
	bad := writeScript(t, runScript+"expect verdict kept-old\n")
	err := run([]string{"run", bad, "--html", out}, &stdout, &stderr)
	if exitCode(err) != exitFailed {
		t.Fatalf("failing script: exit %d (%v)", exitCode(err), err)
	}
	if p, _ := pageData(t, out); p.Run.Passed || !strings.Contains(p.Run.Failure, "expected verdict kept-old") {
		t.Errorf("failing script's page: passed %v, failure %q", p.Run.Passed, p.Run.Failure)
	}
	// An output that cannot be written: exit 2, naming it, nothing left.
	missing := filepath.Join(dir, "no-such-dir", "run.html")
	err = run([]string{"run", script, "--html", missing}, &stdout, &stderr)
	if exitCode(err) != exitBadInput || !strings.Contains(err.Error(), missing) {
		t.Errorf("unwritable --html: exit %d, %v", exitCode(err), err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("unwritable --html left %v", err)
	}
	// The page may not overwrite the script, nor another output.
	before, _ := os.ReadFile(script)
	err = run([]string{"run", script, "--html", script}, &stdout, &stderr)
	if after, _ := os.ReadFile(script); exitCode(err) != exitBadInput || !bytes.Equal(before, after) {
		t.Errorf("--html onto the script: exit %d (%v); script changed %v", exitCode(err), err, !bytes.Equal(before, after))
	}
	if err := run([]string{"run", script, "--html", out, "--json", out}, &stdout, &stderr); exitCode(err) != exitBadInput {
		t.Errorf("--html and --json on one file: exit %d (%v)", exitCode(err), err)
	}
}

func TestSweepReplayFlashHTML(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, strings.Replace(strings.Replace(runScript, "expect running app-v2\n", "", 1), "store up\nrequest-upgrade\n", "store up\nsweep-begin\nrequest-upgrade\nsweep-end\n", 1)+"expect verdict upgraded|kept-old\n")
	var stdout, stderr bytes.Buffer
	swOut, jsOut := filepath.Join(dir, "sweep.html"), filepath.Join(dir, "sweep.json")
	if err := run([]string{"sweep", script, "--stride", "7", "--tears", "before,bits", "--html", swOut, "--json", jsOut}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	p, _ := pageData(t, swOut)
	if len(p.Sweeps) != 1 || len(p.Sweeps[0].Rows) != 2 || strings.Contains(p.Sweeps[0].Rows[0], ".") {
		t.Fatalf("sweep page: %+v", p.Sweeps)
	}
	f, _ := os.Open(jsOut)
	rep, err := scenarios.DecodeSweepReport(jsOut, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	mOut := filepath.Join(dir, "merged.html")
	if err := run([]string{"sweep", "merge", jsOut, "--html", mOut}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if mp, _ := pageData(t, mOut); len(mp.Sweeps) != 1 || mp.Sweeps[0].Rows[1] != p.Sweeps[0].Rows[1] {
		t.Errorf("merged sweep page: %+v", mp.Sweeps)
	}
	pt := rep.Points[len(rep.Points)/2]
	rpOut := filepath.Join(dir, "replay.html")
	if err := run([]string{"replay", "--quiet", pt.Token, "--html", rpOut}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	rp, _ := pageData(t, rpOut)
	if rp.Run == nil || rp.Run.Verdict != pt.Verdict || len(rp.Run.Cuts) != 1 || !strings.Contains(rp.Run.Cuts[0].Msg, "#"+itoa(pt.Op)+" ") {
		t.Errorf("replay page of %s: verdict %q, cuts %v", pt.Token, rp.Run.Verdict, rp.Run.Cuts)
	}

	flashOut := filepath.Join(dir, "flash.bin")
	if err := run([]string{"run", script, "--flash-out", flashOut}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	fOut := filepath.Join(dir, "flash.html")
	if err := run([]string{"flash", "inspect", flashOut, "--html", fOut}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(flashOut)
	err = run([]string{"flash", "inspect", flashOut, "--html", flashOut}, &stdout, &stderr)
	if after, _ := os.ReadFile(flashOut); exitCode(err) != exitBadInput || !bytes.Equal(before, after) {
		t.Errorf("--html onto the flash file: exit %d (%v); flash changed %v", exitCode(err), err, !bytes.Equal(before, after))
	}
	fp, _ := pageData(t, fOut)
	if fp.Flash == nil || len(fp.Flash.Partitions) == 0 || fp.Flash.HasBefore || fp.Flash.FlagAddr < 0 {
		t.Errorf("flash page: %+v", fp.Flash)
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestCompareHTML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "compare.html")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"compare-schemes", "--app-size", "16K", "--stride", "40", "--html", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	p, _ := pageData(t, out)
	if p.Compare == nil || len(p.Compare.Schemes) != 2 || len(p.Compare.Metrics) != 7 || len(p.Sweeps) != 2 {
		t.Fatalf("compare page: %+v, %d sweeps", p.Compare, len(p.Sweeps))
	}
	for _, m := range p.Compare.Metrics {
		if len(m.Values) != 2 || len(m.Text) != 2 {
			t.Errorf("metric %s: %v %v", m.Name, m.Values, m.Text)
		}
		// Each value is the one the table prints.
		for _, txt := range m.Text {
			if !strings.Contains(stdout.String(), strings.TrimSuffix(txt, " s")) {
				t.Errorf("metric %s: %q is not in the table:\n%s", m.Name, txt, stdout.String())
			}
		}
	}
}
