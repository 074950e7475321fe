package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/upg"
)

const passScript = runScript

// failScript fails at its line 13.
const failScript = runScript + "expect verdict kept-old\n"

// TestRunSeveral: run takes several scripts, runs them all, writes one
// JSON with every report and a JUnit case per script, exits 1 when one
// fails; GitHub annotations point at the failing line.
func TestRunSeveral(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	dir := t.TempDir()
	a, b := writeScript(t, passScript), writeScript(t, failScript)
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	out, errs, code := runCLI(t, "run", a, b, "--json", jsonPath, "--junit", junitPath)
	if code != exitFailed || !strings.Contains(errs, b+":13: expected verdict kept-old") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if want := "::error file=" + escapeProp(b) + ",line=13,title=expectation failed::expected verdict kept-old"; !strings.Contains(out, want) {
		t.Errorf("no annotation %q in:\n%s", want, out)
	}
	var rj struct {
		FormatVersion int    `json:"format_version"`
		Tool          string `json:"tool"`
		Reports       []struct {
			File   string `json:"file"`
			Passed bool   `json:"passed"`
		} `json:"reports"`
	}
	data, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(data, &rj); err != nil || rj.FormatVersion != 1 || !strings.HasPrefix(rj.Tool, "ws63emu ") ||
		len(rj.Reports) != 2 || !rj.Reports[0].Passed || rj.Reports[1].Passed || rj.Reports[1].File != b {
		t.Errorf("JSON %v: %+v", err, rj)
	}
	var ju struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Cases []struct {
				Class   string    `xml:"classname,attr"`
				Time    string    `xml:"time,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	data, _ = os.ReadFile(junitPath)
	if err := xml.Unmarshal(data, &ju); err != nil || ju.Tests != 2 || ju.Failures != 1 || len(ju.Suite.Cases) != 2 ||
		ju.Suite.Cases[0].Failure != nil || ju.Suite.Cases[1].Failure == nil || ju.Suite.Cases[0].Time == "" ||
		strings.Count(ju.Suite.Cases[0].Class, ".") != 2 {
		t.Errorf("JUnit %v:\n%s", err, data)
	}
	// One script: the JSON is the report itself, with the versions.
	if _, _, code := runCLI(t, "run", a, "--json", jsonPath); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	data, _ = os.ReadFile(jsonPath)
	if !bytes.HasPrefix(data, []byte("{\n  \"format_version\": 1,\n  \"tool\": \"ws63emu ")) || !bytes.Contains(data, []byte(`"expectations"`)) {
		t.Errorf("one-script JSON:\n%.300s", data)
	}
	if _, errs, code := runCLI(t, "run", a, b, "--flash-out", filepath.Join(dir, "f.bin")); code != exitBadInput || !strings.Contains(errs, "--flash-out takes one scenario file") {
		t.Errorf("--flash-out with two scripts: exit %d %q", code, errs)
	}
}

// TestReplayOutputs: replay --flash-out saves the flash whose SHA-256 it
// prints, and --json holds the token, the point and the report.
func TestReplayOutputs(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, sweepScript)
	jsonPath := filepath.Join(dir, "s.json")
	if _, errs, code := runCLI(t, "sweep", script, "--stride", "40", "--json", jsonPath); code != exitOK {
		t.Fatalf("sweep: exit %d: %s", code, errs)
	}
	rep := readReport(t, jsonPath)
	p := rep.Points[len(rep.Points)/2]
	flashPath, rj := filepath.Join(dir, "f.bin"), filepath.Join(dir, "r.json")
	out, errs, code := runCLI(t, "replay", "--quiet", p.Token, "--flash-out", flashPath, "--json", rj)
	if code != exitOK {
		t.Fatalf("replay: exit %d: %s", code, errs)
	}
	img, err := os.ReadFile(flashPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(img)
	if len(img) != 4<<20 || !strings.Contains(out, "flash sha256 "+hex.EncodeToString(sum[:])) {
		t.Errorf("--flash-out: %d bytes, sha256 %x; replay said:\n%s", len(img), sum, out)
	}
	var j struct {
		FormatVersion int    `json:"format_version"`
		Token         string `json:"token"`
		Point         *struct {
			FlashDigest string `json:"flash_digest"`
		} `json:"point"`
		Report struct {
			FlashSHA256 string `json:"flash_sha256"`
		} `json:"report"`
	}
	data, _ := os.ReadFile(rj)
	if err := json.Unmarshal(data, &j); err != nil || j.FormatVersion != 1 || j.Token == "" || j.Point == nil ||
		j.Point.FlashDigest != p.FlashDigest || j.Report.FlashSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("--json %v: %+v", err, j)
	}
}

// TestPkgVerifyJSON: the same verdict and exit status as text, as JSON.
func TestPkgVerifyJSON(t *testing.T) {
	in := newPkgInputs(t)
	shaPath, sha := packFile(t, in, upg.SignSHA256, "sha.fwpkg")
	out, errs, code := runCLI(t, "pkg", "verify", "--json", shaPath)
	var r pkgVerifyReport
	if err := json.Unmarshal([]byte(out), &r); code != exitOK || err != nil || !r.OK || r.Mode != "hash-only" || r.Version != "3.1.4" || len(r.Images) == 0 || r.FormatVersion != 1 {
		t.Errorf("good package: exit %d, %v, %+v (%s)", code, err, r, errs)
	}
	bad := corrupt(t, in.dir, sha, len(sha)-1)
	out, _, code = runCLI(t, "pkg", "verify", "--json", bad)
	r = pkgVerifyReport{}
	if err := json.Unmarshal([]byte(out), &r); code != exitFailed || err != nil || r.OK || r.Failure == nil || r.Failure.Step == 0 || r.Failure.Code == "" {
		t.Errorf("corrupt package: exit %d, %v, %+v", code, err, r)
	}
	if _, _, code = runCLI(t, "pkg", "verify", "--json", filepath.Join(in.dir, "missing")); code != exitBadInput {
		t.Errorf("missing file: exit %d", code)
	}
}

// TestPackPrintConfig: --print-config prints the built-in fota.cfg, which
// reads back as the config pack uses.
func TestPackPrintConfig(t *testing.T) {
	for _, tc := range []struct {
		args []string
		mode upg.SignMode
	}{{nil, upg.SignECDSA}, {[]string{"--sign", "sha256"}, upg.SignSHA256}} {
		out, errs, code := runCLI(t, append([]string{"pack", "--print-config"}, tc.args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		c, err := upg.ParseConfig(strings.NewReader(out), "printed")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(upg.DefaultConfig(tc.mode), c); d != "" {
			t.Errorf("%v: (-built-in +printed):\n%s", tc.args, d)
		}
	}
}

// TestSweepAnnotations: in GitHub Actions a failing sweep annotates each
// failing window at its scenario line with the replay command; outside,
// nothing.
func TestSweepAnnotations(t *testing.T) {
	script := writeScript(t, sweepScript+"power-on\nexpect verdict upgraded\n")
	t.Setenv("GITHUB_ACTIONS", "")
	out, _, code := runCLI(t, "sweep", script, "--stride", "9")
	if code != exitFailed || strings.Contains(out, "::error") {
		t.Fatalf("exit %d; annotations outside GitHub Actions:\n%s", code, out)
	}
	t.Setenv("GITHUB_ACTIONS", "true")
	out, _, _ = runCLI(t, "sweep", script, "--stride", "9")
	var n int
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "::error ") {
			continue
		}
		n++
		if !strings.HasPrefix(l, "::error file="+escapeProp(script)+",line=1") || !strings.Contains(l, "title=power cut%3A ") ||
			!strings.Contains(l, "%0Areproduce: ws63emu replay '"+script+"@op=") {
			t.Errorf("annotation %q", l)
		}
	}
	if n == 0 {
		t.Errorf("no annotation:\n%s", out)
	}
}
