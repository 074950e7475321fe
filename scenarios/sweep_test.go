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
	if len(rep.Doubles) == 0 {
		t.Fatal("no double cuts")
	}
	n := 0
	for i, d := range rep.Doubles {
		if i%3 != 0 && i != len(rep.Doubles)-1 {
			continue // a sample: every third, and the last
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
	t.Logf("%d double cuts, %d replayed; verdicts of the doubles: %v", len(rep.Doubles), n, rep.Doubles[0].Verdict)
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
