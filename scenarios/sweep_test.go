package scenarios

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
)

// smallSweep is a small compressed upgrade swept over store, request and
// the upgrade: 781 cut points.
const smallSweep = `# small sweep
device layout=compress seed=3
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package up images=app-v2,fb-v2
burn fb-v1 app-v1
power-on
sweep-begin
store up
request-upgrade
sweep-end
expect verdict upgraded|kept-old
`

func parseSweep(t testing.TB, src string) *Script {
	t.Helper()
	s, err := Parse(filepath.Join(t.TempDir(), "t.scn"), strings.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

// pointRun is everything observable about one point's run after the cut.
type pointRun struct {
	Point       PointResult
	FlashSHA256 string
	SimTime     int64
	FlashOps    uint64
	Ops         []string // flash operations from the cut on
	Trace       []string // events from "power lost" on, without Seq
	Bookkeeping string   // the runner's record of the last app call
}

func traceFrom(events []emulator.Event) []string {
	var out []string
	for _, e := range events {
		if len(out) == 0 && !(e.Kind == emulator.KindPower && strings.HasPrefix(e.Msg, "power lost")) {
			continue
		}
		out = append(out, eventText(e))
	}
	return out
}

func opsFrom(ops []flash.Op, first uint64) []string {
	var out []string
	for _, op := range ops {
		if op.Index >= first {
			out = append(out, op.String())
		}
	}
	return out
}

func bookkeeping(r *Runner) string {
	return fmt.Sprintf("called=%v call=%q err=%v cut=%v stored=%v burned=%q", r.called, r.lastCall, r.lastErr, r.lastCut, r.stored != nil, r.burnedApp)
}

// fastRun runs point j of rec with tear t through the snapshot path, on a
// fresh worker that logs its operations.
func fastRun(t *testing.T, rec *recording, o *SweepOptions, j, model int) pointRun {
	t.Helper()
	w := rec.newWorker()
	w.f.SetLogging(true)
	c := &rec.cuts[j]
	tear := o.Tears[model].tear(c.op, rec.seed)
	p := rec.run(w, o, pointSpec{index: j*len(o.Tears) + model, cut: j, model: model})
	// Run it again on the same worker to read what run does not return.
	w2 := rec.newWorker()
	w2.f.SetLogging(true)
	r, err := rec.runCut(w2, c, tear)
	if err := r.dev.Flash.Check(); err != nil {
		t.Fatal(err)
	}
	// As Replay does: the point's verdict, then the report (whose
	// verdict reads the flag area, which costs simulated time).
	verdictOf(r)
	r.finish(err)
	return pointRun{Point: p, FlashSHA256: r.rep.FlashSHA256, SimTime: int64(r.rep.SimTime), FlashOps: r.rep.FlashOps,
		Ops: opsFrom(w2.f.Log(), c.op.Index), Trace: traceFrom(r.rep.Trace), Bookkeeping: bookkeeping(r)}
}

// plainRun replays the same point from the start of the script.
func plainRun(t *testing.T, s *Script, p PointResult) pointRun {
	t.Helper()
	tok, err := ParseToken(p.Token)
	if err != nil {
		t.Fatal(err)
	}
	rep, got, r, _ := replay(s, tok.Op, tok.Tear, Options{})
	got.Index, got.Step, got.Model, got.Token = p.Index, p.Step, p.Model, p.Token
	return pointRun{Point: got, FlashSHA256: rep.FlashSHA256, SimTime: int64(rep.SimTime), FlashOps: rep.FlashOps,
		Ops: opsFrom(r.dev.Flash.Log(), tok.Op), Trace: traceFrom(rep.Trace), Bookkeeping: bookkeeping(r)}
}

// compareSample checks points spread over the sweep, every tear model,
// between the snapshot path (with the memo) and a plain replay: the same
// point result, flash, simulated clock, operations and trace.
func compareSample(t *testing.T, s *Script, n int) {
	tears, err := ParseTearModels("before,after,prefix,bits")
	if err != nil {
		t.Fatal(err)
	}
	o := SweepOptions{Tears: tears}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	rec, err := record(s, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		j := (len(rec.cuts) - 1) * i / max(n-1, 1)
		model := i % len(tears)
		fast := fastRun(t, rec, &o, j, model)
		plain := plainRun(t, s, fast.Point)
		if d := cmp.Diff(plain, fast); d != "" {
			t.Errorf("point %d (%s, tear %s): snapshot path differs from a plain run (-plain +snapshot):\n%s", fast.Point.Index, rec.cuts[j].op, fast.Point.Tear, d)
		}
	}
	st := rec.memo.Stats()
	t.Logf("%d cut points; memo %+v", len(rec.cuts), st)
}

func TestSweepMatchesReplay(t *testing.T) {
	compareSample(t, parseSweep(t, smallSweep), 40)
}

// TestW1MatchesReplay is the same check on W1 itself, where the memo does
// its work (2 MiB app decoded once and replayed at every point).
func TestW1MatchesReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("W1 replays take a few seconds each")
	}
	s, err := ParseFile("testdata/sweeps/w1.scn")
	if err != nil {
		t.Fatal(err)
	}
	compareSample(t, s, 12)
}

// TestForkClonesMaps: a point's runner must not share a map with the
// recording or with other points (they run concurrently), so fork must
// clone every map field of Runner.
func TestForkClonesMaps(t *testing.T) {
	s := parseSweep(t, smallSweep)
	r := NewRunner(s, Options{})
	for _, c := range s.Commands[:3] {
		if err := r.exec(c); err != nil {
			t.Fatal(err)
		}
	}
	f := r.fork()
	rv, fv := reflect.ValueOf(r).Elem(), reflect.ValueOf(f).Elem()
	for i := range rv.NumField() {
		if rv.Field(i).Kind() != reflect.Map || rv.Field(i).IsNil() {
			continue
		}
		if rv.Field(i).Pointer() == fv.Field(i).Pointer() {
			t.Errorf("fork shares map field %s with the original", rv.Type().Field(i).Name)
		}
	}
}

// TestDoubleMatchesReplay: double cuts from snapshots equal a plain run
// with two real cuts (ReplayDouble), reached through their tokens.
func TestDoubleMatchesReplay(t *testing.T) {
	s := parseSweep(t, smallSweep)
	tears, _ := ParseTearModels("before,bits")
	rep, err := Sweep(s, SweepOptions{Tears: tears, Stride: 97, Double: 3})
	if err != nil {
		t.Fatal(err)
	}
	n := compareDoubles(t, s, rep, 3)
	t.Logf("%d double cuts, %d replayed; verdicts of the doubles: %v", len(rep.Doubles), n, rep.Doubles[0].Verdict)
}

// compareDoubles replays every k-th double cut of rep, and the last, with
// ReplayDouble and requires the sweep's result; it returns how many.
func compareDoubles(t *testing.T, s *Script, rep *SweepReport, k int) int {
	t.Helper()
	if len(rep.Doubles) == 0 {
		t.Fatal("no double cuts")
	}
	n := 0
	for i, d := range rep.Doubles {
		if i%k != 0 && i != len(rep.Doubles)-1 {
			continue // a sample: every k-th, and the last
		}
		n++
		tok, err := ParseToken(d.Token)
		if err != nil || tok.Tear2 == nil {
			t.Fatalf("token %q: %v", d.Token, err)
		}
		_, got, err := ReplayDouble(s, tok.Op, tok.Tear, tok.Op2, *tok.Tear2, Options{})
		if (err == nil) != d.Pass {
			t.Errorf("%s: replay error %v, sweep pass %v", d.Token, err, d.Pass)
		}
		got.First, got.Token = d.First, d.Token
		if d != got {
			t.Errorf("double cut %s:\nsweep  %+v\nreplay %+v", d.Token, d, got)
		}
	}
	return n
}

func TestVerifyDeterminism(t *testing.T) {
	s := parseSweep(t, smallSweep)
	rep, err := Sweep(s, SweepOptions{Stride: 30, VerifyDeterminism: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Determinism
	if d == nil || d.Sampled != 3 || d.Replayed != 2 || len(d.Mismatches) != 0 || !rep.Passed() {
		t.Fatalf("determinism check %+v, passed %v", d, rep.Passed())
	}
	var b strings.Builder
	rep.WriteSummary(&b, 1)
	if !strings.Contains(b.String(), "determinism: 3 points run twice, 2 replayed plainly: ok") {
		t.Errorf("summary:\n%s", b.String())
	}
}

// faultSweep is smallSweep's devices with the package stored and the
// upgrade requested before the sweep block; %s is what comes between
// request-upgrade and sweep-end.
const faultSweep = `# fault sweep
device layout=compress seed=3
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package up images=app-v2,fb-v2
burn fb-v1 app-v1
power-on
store up
%s
sweep-end
expect verdict upgraded|kept-old|retries-exhausted
`

// TestSweepFaults: flash faults are device state that a point carries as
// a plain run would — those set before sweep-begin reach every point, and
// one set inside the block reaches exactly the points cut after its line.
// Points of each script are checked against plain replays (compareSample),
// and the verdicts on either side of an in-block fault are checked too.
func TestSweepFaults(t *testing.T) {
	t.Run("program-fail before sweep-begin", func(t *testing.T) {
		// Flash op #1100 (150 after the fault line) is a program command of flashboot's decompression in
		// the reference run (its failure costs the app image one attempt);
		// in the recovery from an early cut it is again such a program,
		// from a later cut an erase, which the failure leaves alone.
		s := parseSweep(t, fmt.Sprintf(faultSweep, "request-upgrade reset=false\nfault program-fail op=150\nsweep-begin\nreset"))
		compareSample(t, s, 12)
		rep, err := Sweep(s, SweepOptions{Stride: 7})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Passed() || rep.Reference.Verdict != "upgraded" || rep.Reference.Boots != 3 {
			t.Fatalf("reference %+v, passed %v: want upgraded in 3 boots (one attempt failed)", rep.Reference, rep.Passed())
		}
		// The cut at the first operation of the block (torn before) leaves
		// the flash as it was: the recovery is the reference run again,
		// failure included.
		if p := rep.Points[0]; p.Boots != rep.Reference.Boots || p.FlashDigest != rep.Reference.FlashDigest {
			t.Errorf("point 0: %d boots, flash %.12s; the reference: %d boots, flash %.12s", p.Boots, p.FlashDigest, rep.Reference.Boots, rep.Reference.FlashDigest)
		}
	})
	t.Run("bad-sector inside the block", func(t *testing.T) {
		s := parseSweep(t, fmt.Sprintf(faultSweep, "sweep-begin\nrequest-upgrade reset=false\nfault bad-sector part=imageA off=0 mode=timeout\nreset"))
		compareSample(t, s, 12)
		tears, _ := ParseTearModels("before,after,prefix,bits")
		rep, err := Sweep(s, SweepOptions{Tears: tears, Double: 2})
		if err != nil {
			t.Fatal(err)
		}
		compareDoubles(t, s, rep, 5) // the second cuts carry the faults too
		if rep.Reference.Verdict != "retries-exhausted" {
			t.Fatalf("reference %+v: want retries-exhausted", rep.Reference)
		}
		var requestLine, faultLine, resetLine int
		for _, c := range s.Commands {
			switch c.(type) {
			case *RequestUpgradeCmd:
				requestLine = c.LineNo()
			case *FaultCmd:
				faultLine = c.LineNo()
			case *ResetCmd:
				resetLine = c.LineNo()
			}
		}
		if !(requestLine < faultLine && faultLine < resetLine) {
			t.Fatalf("lines: request %d, fault %d, reset %d", requestLine, faultLine, resetLine)
		}
		before, after := map[string]int{}, map[string]int{}
		for _, p := range rep.Points {
			switch p.Line {
			case requestLine:
				before[p.Verdict]++
			case resetLine:
				after[p.Verdict]++
			default:
				t.Fatalf("point %d on line %d", p.Index, p.Line)
			}
		}
		// Cut inside request-upgrade, the device never reaches the fault:
		// a complete request upgrades it. Cut after, it sees the bad sector.
		if before["retries-exhausted"] != 0 || before["upgraded"] == 0 {
			t.Errorf("points cut before the fault's line: %v; want some upgraded, none retries-exhausted", before)
		}
		if after["upgraded"] != 0 || after["retries-exhausted"] == 0 {
			t.Errorf("points cut after the fault's line: %v; want no upgraded", after)
		}
	})
	t.Run("worn sector before sweep-begin", func(t *testing.T) {
		// The silent kind (mode=stuck, the default): its stuck bits are a
		// setting of the flash too, and a torn operation on the sector
		// leaves them as the plain run's cut does.
		s := parseSweep(t, fmt.Sprintf(faultSweep, "request-upgrade reset=false\nfault bad-sector part=imageA off=0x1000\nsweep-begin\nreset"))
		compareSample(t, s, 12)
		rep, err := Sweep(s, SweepOptions{Stride: 7})
		if err != nil {
			t.Fatal(err)
		}
		// Nothing fails in the upgrade; the app's hash check catches the
		// stuck bits and try-fix-app cannot heal it.
		if rep.Reference.Verdict != "brick" {
			t.Fatalf("reference %+v: want brick", rep.Reference)
		}
	})
}
