package scenarios

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sweepSettings reads a library scenario's "# sweep-test: tears=T
// stride=N" line: the settings go test sweeps it with. ok is false when
// the scenario has none (it has a test of its own, as ab.scn).
func sweepSettings(t testing.TB, path string) (o SweepOptions, ok bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "# sweep-test:")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(rest) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "tears":
				if o.Tears, err = ParseTearModels(v); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			case "stride":
				if o.Stride, err = strconv.Atoi(v); err != nil {
					t.Fatalf("%s: stride %q", path, v)
				}
			case "double":
				if o.Double, err = strconv.Atoi(v); err != nil {
					t.Fatalf("%s: double %q", path, v)
				}
			default:
				t.Fatalf("%s: sweep-test: unknown setting %q", path, kv)
			}
		}
		return o, true
	}
	return o, false
}

// countsGolden renders what the golden counts files hold: the settings,
// the reference run, per tear model the verdict counts, how many points
// end with the reference's flash, and the failing windows.
func countsGolden(rep *SweepReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Verdict counts of a power-cut sweep; go test ./scenarios -update rewrites this file:\n# review the diff — a change means the emulated flow behaves differently at some cut.\n")
	fmt.Fprintf(&b, "scenario %s, tears %s, stride %d\n", filepath.Base(rep.File), strings.Join(rep.Tears, ","), rep.Stride)
	fmt.Fprintf(&b, "cut points %d (flash ops #%d..#%d), points %d\n", rep.Ops, rep.FirstOp, rep.FirstOp+uint64(rep.Ops)-1, len(rep.Points))
	fmt.Fprintf(&b, "reference: %s, %d boots, pass %v\n", rep.Reference.Verdict, rep.Reference.Boots, rep.Reference.Pass)
	for _, m := range rep.Tears {
		same, failing := 0, 0
		for _, p := range rep.Points {
			if p.Model != m {
				continue
			}
			if p.FlashDigest == rep.Reference.FlashDigest {
				same++
			}
			if !p.Pass {
				failing++
			}
		}
		fmt.Fprintf(&b, "tear %s: %s; same flash as the reference %d; failing %d\n", m, countsText(rep.Counts(m)), same, failing)
	}
	if rep.Double > 0 {
		dv := map[string]int{}
		failing := 0
		for _, d := range rep.Doubles {
			dv[d.Verdict]++
			if !d.Pass {
				failing++
			}
		}
		fmt.Fprintf(&b, "double cuts (up to %d per point): %d: %s; failing %d\n", rep.Double, len(rep.Doubles), countsText(dv), failing)
		for _, d := range rep.FailedDoubles() {
			fmt.Fprintf(&b, "  after point %d, op #%d (%s), tear %s: %s\n", d.First, d.Op, d.Phase, d.Tear, d.Verdict)
		}
	}
	wins := rep.Windows()
	fmt.Fprintf(&b, "failing windows: %d\n", len(wins))
	for _, w := range wins {
		fmt.Fprintf(&b, "  ops #%d..#%d (%s), tear %s: %s at %d point%s, e.g. op=%d,tear=%s\n",
			w.FirstOp, w.LastOp, w.Phase, w.Model, w.Verdict, w.Points, plural(w.Points), w.Example.Op, w.Example.Tear)
	}
	return b.String()
}

func checkGolden(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./scenarios -update creates it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (go test ./scenarios -update rewrites it; review the diff) (-want +got):\n%s", path, d)
	}
}

// TestSweepLibrary sweeps every scenario of testdata/sweeps that has a
// sweep-test line (the others have tests of their own: ab.scn, TestABSweep)
// with its settings and checks the verdict counts against NAME.counts.
// The reference run (no cut) must pass; failing points are allowed — they
// are the SDK's unsafe windows, which each scenario documents — but any
// change in them fails the test.
func TestSweepLibrary(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "sweeps", "*.scn"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sweep scenarios: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".scn")
		t.Run(name, func(t *testing.T) {
			o, ok := sweepSettings(t, f)
			if !ok {
				t.Skipf("%s has no sweep-test line: it has a test of its own", f)
			}
			s, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Sweep(s, o)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Reference.Pass {
				t.Fatalf("the reference run fails: %s", rep.Reference.Failure)
			}
			checkGolden(t, strings.TrimSuffix(f, ".scn")+".counts", countsGolden(rep))
		})
	}
}

// TestLibraryMatchesReplay runs a few points of every library scenario but
// W1 (TestW1MatchesReplay) both ways: snapshot and memo, and plain replay.
func TestLibraryMatchesReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("plain replays of every library scenario")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "sweeps", "*.scn"))
	for _, f := range files {
		if _, ok := sweepSettings(t, f); !ok || filepath.Base(f) == "w1.scn" {
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".scn"), func(t *testing.T) {
			s, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			compareSample(t, s, 8)
		})
	}
}

func jsonHash(t *testing.T, rep *SweepReport) string {
	t.Helper()
	b, err := rep.EncodeJSON()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestSweepDeterministic: the JSON report is the same byte for byte
// whatever the number of workers, and shards merged give it too.
func TestSweepDeterministic(t *testing.T) {
	s := parseSweep(t, smallSweep)
	tears, _ := ParseTearModels("before,bits")
	var want string
	for _, jobs := range []int{1, 2, 5} {
		rep, err := Sweep(s, SweepOptions{Tears: tears, Stride: 5, Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		got := jsonHash(t, rep)
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("jobs=%d: JSON sha256 %s, jobs=1 gave %s", jobs, got, want)
		}
	}
	var parts []*SweepReport
	for i := 2; i >= 0; i-- { // out of order on purpose
		rep, err := Sweep(s, SweepOptions{Tears: tears, Stride: 5, Jobs: 2, Shard: i, Shards: 3})
		if err != nil {
			t.Fatal(err)
		}
		b, err := rep.EncodeJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeSweepReport("shard.json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, back)
	}
	merged, err := MergeSweeps(parts...)
	if err != nil {
		t.Fatal(err)
	}
	// A merged report says it holds every shard of 3; otherwise it is the
	// unsharded report.
	if merged.Shards != 3 || !cmp.Equal(merged.ShardList, []int{0, 1, 2}) {
		t.Fatalf("merged shards %d %v", merged.Shards, merged.ShardList)
	}
	merged.Shards, merged.ShardList = 1, []int{0}
	if got := jsonHash(t, merged); got != want {
		t.Errorf("merged shards: JSON sha256 %s, unsharded %s", got, want)
	}
	if _, err := MergeSweeps(parts[0], parts[0]); err == nil {
		t.Error("merging a shard twice: no error")
	}
}
