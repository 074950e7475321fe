//go:build unix

package main

import (
	"bufio"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// buildBinary builds ws63emu into a temporary directory.
func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ws63emu")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// longSweep is a sweep of some seconds: every point boots and recovers.
const longSweep = `device layout=compress seed=3
image app-v1 kind=app version=1 size=256K
image app-v2 kind=app version=2 size=256K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package up images=app-v2,fb-v2 sign=sha256
burn fb-v1 app-v1
power-on
sweep-begin
store up
request-upgrade
sweep-end
power-on
`

// TestSweepSignal runs the built binary, sends SIGINT (SIGTERM) once the
// sweep reports progress, and finds the summary, the JSON and the JUnit
// of the points done, marked partial, and exit status 130 (143).
func TestSweepSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and sweeps for seconds")
	}
	bin := buildBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(sigName(tc.sig), func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "long.scn")
			if err := os.WriteFile(script, []byte(longSweep), 0o644); err != nil {
				t.Fatal(err)
			}
			jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
			cmd := exec.Command(bin, "sweep", script, "--tears", "before,after", "--jobs", "1", "--json", jsonPath, "--junit", junitPath)
			var stdout strings.Builder
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			var errLines []string
			sent := false
			for sc.Scan() {
				errLines = append(errLines, sc.Text())
				if !sent && strings.Contains(sc.Text(), ": points ") {
					if err := cmd.Process.Signal(tc.sig); err != nil {
						t.Fatal(err)
					}
					sent = true
				}
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !sent || !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("signal sent %v, exit %v, want %d\nstderr:\n%s", sent, err, tc.code, strings.Join(errLines, "\n"))
			}
			last := errLines[len(errLines)-1]
			if !strings.Contains(last, "partial reports written: interrupted by "+sigName(tc.sig)) {
				t.Errorf("last stderr line %q", last)
			}
			if !strings.Contains(stdout.String(), "PARTIAL: stopped (interrupted by "+sigName(tc.sig)+") in the points phase") {
				t.Errorf("summary:\n%s", stdout.String())
			}
			rep := readReport(t, jsonPath)
			if rep.Partial == nil || rep.Partial.Done != len(rep.Points) || rep.Partial.Done >= rep.Partial.Of || rep.Partial.Of != rep.Total {
				t.Fatalf("JSON partial %+v with %d points of %d", rep.Partial, len(rep.Points), rep.Total)
			}
			for i, p := range rep.Points {
				if p.Index != i {
					t.Fatalf("point %d has index %d: the points done are not a prefix", i, p.Index)
				}
			}
			b, err := os.ReadFile(junitPath)
			if err != nil {
				t.Fatal(err)
			}
			var ju struct {
				Failures int `xml:"failures,attr"`
				Suites   []struct {
					Cases []struct {
						Name    string `xml:"name,attr"`
						Failure *struct {
							Message string `xml:"message,attr"`
						} `xml:"failure"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(b, &ju); err != nil {
				t.Fatal(err)
			}
			c := ju.Suites[0].Cases[0]
			if ju.Failures != 1 || c.Name != "summary" || c.Failure == nil || !strings.Contains(c.Failure.Message, "interrupted") {
				t.Errorf("JUnit:\n%s", b)
			}
		})
	}
}
