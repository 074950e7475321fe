package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParseSkipsBOM (issue 13, item 9): a UTF-8 byte-order mark before the
// first command is skipped, as the fota.cfg reader skips it; elsewhere it
// is still an unknown command.
func TestParseSkipsBOM(t *testing.T) {
	s, err := Parse("bom.scn", strings.NewReader("\ufeffdevice layout=compress\npower-on\n"))
	if err != nil {
		t.Fatalf("BOM: %v", err)
	}
	if len(s.Commands) != 2 || s.Commands[0].String() != "device layout=compress seed=0" {
		t.Fatalf("commands %v", s.Commands)
	}
	_, err = Parse("bom.scn", strings.NewReader("device layout=compress\n\ufeffpower-on\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 {
		t.Fatalf("BOM on line 2: %v, want a syntax error on line 2", err)
	}
}

// TestStartingFlashAppIsOld (item 11): with device flash=FILE and no burn,
// the app the flash holds is the old one, so a device still running it
// is kept-old, not mixed.
func TestStartingFlashAppIsOld(t *testing.T) {
	dir := t.TempDir()
	r := NewRunner(parseIn(t, dir, "make.scn", `device layout=compress seed=3
image app-v1 kind=app version=1 size=16K
image fb-v1 kind=flashboot version=1 size=8K
burn fb-v1 app-v1
power-on
expect running app-v1
`), Options{})
	if _, err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if err := r.Device().Flash.Save(filepath.Join(dir, "user.bin")); err != nil {
		t.Fatal(err)
	}
	// The user's flash, then an upgrade whose package fails to store: the
	// device keeps its app.
	for _, tc := range []struct{ name, src string }{
		{"declared", "device layout=compress seed=3 flash=user.bin\nimage app-v1 kind=app version=1 size=16K\npower-on\nexpect verdict kept-old\nexpect running app-v1\n"},
		{"undeclared", "device layout=compress seed=3 flash=user.bin\nimage app-v2 kind=app version=2 size=16K\nimage fb-v2 kind=flashboot version=2 size=8K\n" +
			"package up images=app-v2,fb-v2 sign=sha256\npower-on\nexpect verdict kept-old\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Run(parseIn(t, dir, tc.name+".scn", tc.src), Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func parseIn(t *testing.T, dir, name, src string) *Script {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSweepEmptyTailSettles (item 12): with nothing after sweep-end each
// point still powers on and settles, so no point ends "off".
func TestSweepEmptyTailSettles(t *testing.T) {
	s := parseString(t, strings.Replace(smallUpgrade, "store up\nrequest-upgrade\n", "sweep-begin\nstore up\nrequest-upgrade\nsweep-end\n", 1))
	rep, err := Sweep(s, SweepOptions{Stride: 97, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) == 0 {
		t.Fatal("no points")
	}
	for _, p := range rep.Points {
		if p.Verdict == "off" || p.Verdict == "" {
			t.Fatalf("point %d (op %d) ends %q: the point did not power on", p.Index, p.Op, p.Verdict)
		}
		if p.Boots == 0 {
			t.Fatalf("point %d: no boot after the cut", p.Index)
		}
	}
}

// TestScriptConflicts (item 13): conflicts are refused, not resolved
// silently.
func TestScriptConflicts(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		line            int
	}{
		{"second cut before the first fired", smallUpgrade[:strings.Index(smallUpgrade, "store up")] + "cut op=500\ncut op=600\nstore up\n",
			"the cut of line 9 (at flash op", 10},
		{"cut that never fires", smallUpgrade + "cut op=100000\npower-on\n", "the cut never fired", 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runString(t, tc.src)
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a command error on line %d with %q", err, tc.line, tc.want)
			}
		})
	}
	// In a sweep, the reference run fails the same way.
	s := parseString(t, strings.Replace(smallUpgrade, "store up\nrequest-upgrade\n", "sweep-begin\nstore up\nrequest-upgrade\nsweep-end\ncut op=100000\n", 1))
	rep, err := Sweep(s, SweepOptions{Stride: 500, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reference.Pass || !strings.Contains(rep.Reference.Failure, "the cut never fired") {
		t.Fatalf("sweep with an unfired cut: reference %+v", rep.Reference)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"version_ext not a run of ones", "device layout=compress\nimage a kind=app version=1 version_ext=2\n", "version_ext=2"},
		{"ab-upgrade on compress", "device layout=compress\nimage a kind=app version=1\nab-upgrade a\n", "the app is not built for AB"},
		{"size above the image limit", "device layout=compress\nimage a kind=app version=1 size=4194304\n", "size=\"4194304\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.scn", strings.NewReader(tc.src))
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want a syntax error with %q", err, tc.want)
			}
		})
	}
	// The largest size= is accepted and builds.
	if _, err := runString(t, "device layout=compress\nimage a kind=app version=1 size=4193536\n"); err != nil {
		t.Fatalf("size=4193536: %v", err)
	}
}
