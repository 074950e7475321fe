package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sweepCounts renders a sweep's verdict counts per tear model and, within
// each, per flash phase — the golden form of an AB sweep.
func sweepCounts(rep *SweepReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d cut points (flash ops), tears %s, reference %s\n",
		filepath.Base(rep.File), rep.Ops, strings.Join(rep.Tears, ","), rep.Reference.Verdict)
	for _, m := range rep.Tears {
		fmt.Fprintf(&b, "tear %s: %s\n", m, countLine(rep.Counts(m)))
		byPhase := map[string]map[string]int{}
		var phases []string
		for _, p := range rep.Points {
			if p.Model != m {
				continue
			}
			if byPhase[p.Phase] == nil {
				byPhase[p.Phase] = map[string]int{}
				phases = append(phases, p.Phase)
			}
			byPhase[p.Phase][p.Verdict]++
		}
		for _, ph := range phases {
			fmt.Fprintf(&b, "  %-24s %s\n", ph, countLine(byPhase[ph]))
		}
	}
	return b.String()
}

func countLine(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// TestABSweep sweeps testdata/sweeps/ab.scn exhaustively under every tear
// model: every point must pass the script's expectations (never a brick,
// never anything but the old or the new app), and the verdict counts must
// match testdata/sweeps/ab.counts (go test ./scenarios -update rewrites it).
func TestABSweep(t *testing.T) {
	path := filepath.Join("testdata", "sweeps", "ab.scn")
	s, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tears, err := ParseTearModels("before,after,prefix,bits")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(s, SweepOptions{Tears: tears})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() {
		for _, p := range rep.Failed() {
			t.Errorf("point %d (op %d %s %s, tear %s): %s — replay %s", p.Index, p.Op, p.Phase, p.Kind, p.Tear, p.Failure, p.Token)
		}
		t.Fatalf("reference %+v", rep.Reference)
	}
	// 38 block erases of region B (the greedy plan: 4, 32 and 64 KiB), 268
	// program commands of 64 bytes for the 17152-byte image, the config
	// page's erase and program.
	if rep.Ops != 38+268+2 {
		t.Errorf("%d cut points, want 308", rep.Ops)
	}
	got := sweepCounts(rep)
	golden := strings.TrimSuffix(path, ".scn") + ".counts"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./scenarios -update creates it)", err)
	}
	if string(want) != got {
		t.Errorf("verdict counts differ from %s:\n%s", golden, firstDiff(string(want), got))
	}
}

// TestABSweepMatchesReplay checks points of the AB sweep against a plain
// run with the same cut (ws63emu replay): the sweep's forked runner state
// must give ab-upgrade the same outcome as running it. The steps are the
// first and a middle erase of region B, the first, a middle and the last
// image program command, and the config page's erase and program.
func TestABSweepMatchesReplay(t *testing.T) {
	s, err := ParseFile(filepath.Join("testdata", "sweeps", "ab.scn"))
	if err != nil {
		t.Fatal(err)
	}
	tears, err := ParseTearModels("before,after,prefix,bits")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(s, SweepOptions{Tears: tears})
	if err != nil {
		t.Fatal(err)
	}
	steps := []int{0, 19, 38, 172, 305, 306, 307}
	n := 0
	for _, p := range rep.Points {
		if !slices.Contains(steps, p.Step) {
			continue
		}
		n++
		tok, err := ParseToken(p.Token)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := Replay(s, tok.Op, tok.Tear, Options{})
		if err != nil {
			t.Fatalf("replay %s: %v", p.Token, err)
		}
		got.Index, got.Step, got.Model, got.Token = p.Index, p.Step, p.Model, p.Token
		if got != p {
			t.Errorf("point %d:\nsweep  %+v\nreplay %+v", p.Index, p, got)
		}
	}
	if n != len(steps)*len(tears) {
		t.Errorf("replayed %d points, want %d", n, len(steps)*len(tears))
	}
}

func TestParseAB(t *testing.T) {
	src := `device layout=ab seed=3 ab-start-bug=on
image v2 kind=app version=2
image real file=app.bin
ab-upgrade v2
ab-upgrade real chunk=0x800 reset=false
expect region A|B|none
`
	s := parseString(t, src)
	var got []string
	for _, c := range s.Commands {
		got = append(got, c.String())
	}
	want := []string{
		"device layout=ab seed=3 ab-start-bug=on",
		"image v2 kind=app version=2",
		"image real file=app.bin",
		"ab-upgrade v2 reset=true",
		"ab-upgrade real chunk=2048 reset=false",
		"expect region A|B|none",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("canonical commands (-want +got):\n%s", diff)
	}
	if s2 := parseString(t, s.String()); s2.String() != s.String() {
		t.Errorf("canonical form does not round-trip:\n%s", s2)
	}
	if d := s.Commands[0].(*DeviceCmd); !d.ABStartSDKBug {
		t.Error("ab-start-bug=on not parsed")
	}

	const dev = "device layout=ab\nimage a kind=app version=1\nimage f kind=flashboot version=1\n"
	for _, tt := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown image", dev + "ab-upgrade b\n", 4, `unknown image "b"`},
		{"not an app", dev + "ab-upgrade f\n", 4, `is a flashboot image`},
		{"no image", dev + "ab-upgrade\n", 4, `needs 1 argument(s)`},
		{"chunk 0", dev + "ab-upgrade a chunk=0\n", 4, `chunk=0: want 1..1048576`},
		{"chunk big", dev + "ab-upgrade a chunk=2M\n", 4, `chunk="2M"`},
		{"bad reset", dev + "ab-upgrade a reset=later\n", 4, `reset="later"`},
		{"region C", dev + "expect region C\n", 4, `region "C": want A, B or none`},
		{"region lower case", dev + "expect region a\n", 4, `region "a"`},
		{"bad bug flag", "device layout=ab ab-start-bug=yes\n", 1, `want on|off`},
		{"compress layout", "device layout=compress\nimage a kind=app version=1\nab-upgrade a\n", 3, `the app is not built for AB`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.scn", strings.NewReader(tt.src))
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want line %d containing %q", err, tt.line, tt.msg)
			}
		})
	}
}

func TestABUpgradeNeedsRunningApp(t *testing.T) {
	_, err := runString(t, `device layout=ab seed=1
image a kind=app version=1 size=8K
ab-upgrade a
`)
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no app is running") {
		t.Errorf("err = %v, want a CommandError: no app is running", err)
	}
}
