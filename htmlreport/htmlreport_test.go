package htmlreport_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/scenarios"
)

// Recording a run changes nothing about it: same trace, time and flash.
func TestRecordIsAPlainRun(t *testing.T) {
	s := parse(t, "../scenarios/testdata/cut-during-replacement.scn")
	plain, err := scenarios.Run(s, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := htmlreport.Record(s)
	if rec.Err != nil {
		t.Fatal(rec.Err)
	}
	if !reflect.DeepEqual(rec.Report.Trace, plain.Trace) {
		t.Error("the recorded run's trace differs from the plain run's")
	}
	if rec.Report.FlashSHA256 != plain.FlashSHA256 || rec.Report.SimTime != plain.SimTime || len(rec.Report.Trace) != len(plain.Trace) || rec.Report.Verdict != plain.Verdict {
		t.Errorf("recorded run: flash %.12s, %v, %d events, %s; plain: %.12s, %v, %d events, %s",
			rec.Report.FlashSHA256, rec.Report.SimTime, len(rec.Report.Trace), rec.Report.Verdict,
			plain.FlashSHA256, plain.SimTime, len(plain.Trace), plain.Verdict)
	}
	// Every operation is in exactly one run, in order.
	next := rec.Run.Ops[0].Op
	for _, r := range rec.Run.Ops {
		if r.Op != next {
			t.Fatalf("op runs: a run starts at #%d, want #%d", r.Op, next)
		}
		next += uint64(r.N)
	}
	if next != plain.FlashOps {
		t.Errorf("op runs end at #%d; the run issued %d operations", next, plain.FlashOps)
	}
}

// The same run renders to the same bytes.
func TestRenderIsDeterministic(t *testing.T) {
	s := parse(t, "../scenarios/testdata/compressed-upgrade.scn")
	var pages [2][]byte
	for i := range pages {
		rec := htmlreport.Record(s)
		b, err := htmlreport.Render(&htmlreport.Page{Title: "x", Run: rec.Run, Flash: rec.Flash})
		if err != nil {
			t.Fatal(err)
		}
		pages[i] = b
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("two renders of the same run differ")
	}
	page := bytes.ReplaceAll(pages[0], []byte("'http://www.w3.org/2000/svg'"), nil) // a name, not a link
	for _, bad := range []string{"http://", "https://", "src=", "href=", "url(", "@import"} {
		if i := bytes.Index(page, []byte(bad)); i >= 0 {
			t.Errorf("the page refers to something outside itself: %q at byte %d: %.80q", bad, i, page[max(0, i-30):])
		}
	}
}

// The flag history shows the three attempts of a bad-sector upgrade: the
// app image STARTED, then RETRY, and RETRY_ALL_FAILED at the end.
func TestFlagHistoryShowsRetries(t *testing.T) {
	rec := htmlreport.Record(parse(t, "../scenarios/testdata/bad-sector-retries.scn"))
	if rec.Err != nil {
		t.Fatal(rec.Err)
	}
	var seq []string
	for _, st := range rec.Run.Flag.States {
		fw0 := st.Hex[16*2 : 19*2]
		if n := len(seq); n == 0 || seq[n-1] != fw0+" "+st.Retry[0] {
			seq = append(seq, fw0+" "+st.Retry[0])
		}
	}
	want := []string{"ffffff NOT_STARTED", "0fffff STARTED", "00ffff RETRY", "000fff STARTED", "0000ff RETRY", "00000f STARTED", "000000 FINISHED"}
	if got := strings.Join(seq, ", "); got != strings.Join(want, ", ") {
		t.Errorf("firmware_flag[0] over time:\n got %s\nwant %s", got, strings.Join(want, ", "))
	}
	last := rec.Run.Flag.States[len(rec.Run.Flag.States)-1]
	if last.Result != "RETRY_ALL_FAILED" || last.Status != "finished" {
		t.Errorf("last flag state: result %s, complete %s; want RETRY_ALL_FAILED, finished", last.Result, last.Status)
	}
}

// A torn flag write shows the bytes the flash holds, not those asked for:
// a bits-torn write of nv_flag (STARTED is ff → 0f) leaves a byte that is
// neither, INVALID; a write cut before it applies does not show at all.
func TestFlagHistoryShowsTornBytes(t *testing.T) {
	s := parse(t, "../scenarios/testdata/sweeps/nv-upgrade.scn")
	plain := htmlreport.Record(s)
	var op uint64
	for _, st := range plain.Run.Flag.States {
		if strings.Contains(st.What, "nv_flag") {
			op = st.Op
			break
		}
	}
	if op == 0 {
		t.Fatal("the NV upgrade writes no nv_flag")
	}
	cut, _, err := htmlreport.RecordCut(s, plain.Report.Trace, op, flash.Tear{Kind: flash.TearBefore})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range cut.Run.Flag.States {
		if st.Op == op {
			t.Errorf("the write at op #%d was cut before it applied; the history shows it: %s", op, st.What)
		}
	}
	nv := len(plain.Run.Flag.States[0].Retry) - 1 // nv_flag is the last retry field
	invalid := 0
	for seed := uint64(1); seed <= 5; seed++ {
		cut, _, err := htmlreport.RecordCut(s, plain.Report.Trace, op, flash.Tear{Kind: flash.TearBits, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range cut.Run.Flag.States {
			if st.Op == op && st.Retry[nv] == "INVALID" {
				invalid++
			}
		}
	}
	if invalid == 0 {
		t.Errorf("five bits-torn writes of nv_flag at op #%d: none shows INVALID (4 changing bits: each is torn with probability 14/16)", op)
	}
}

// A cut script ends as the sweep point it reproduces, whatever the tear.
func TestCutScriptIsTheSweepPoint(t *testing.T) {
	s := parse(t, "../scenarios/testdata/sweeps/bad-sector.scn")
	tears, _ := scenarios.ParseTearModels("before,after,prefix,bits")
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Tears: tears})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := scenarios.Run(s, scenarios.Options{})
	fails := 0
	for _, p := range rep.Points {
		tear, err := flash.ParseTear(p.Tear)
		if err != nil {
			t.Fatal(err)
		}
		rec, text, err := htmlreport.RecordCut(s, plain.Trace, p.Op, tear)
		if err != nil {
			t.Fatalf("point %s: %v", p.Token, err)
		}
		got := string(rec.Run.Verdict)
		if got == "" {
			got = "off"
		}
		if got != p.Verdict || (rec.Err == nil) != p.Pass {
			t.Errorf("point %s: the cut script ends %s (err %v); the sweep says %s (pass %v)\n%s", p.Token, got, rec.Err, p.Verdict, p.Pass, text)
		}
		if !p.Pass {
			fails++
		}
		if len(rec.Run.Cuts) == 0 || !strings.HasPrefix(rec.Run.Cuts[0].Msg, fmt.Sprintf("power lost at flash op #%d ", p.Op)) {
			t.Errorf("point %s: the cut script's run does not lose power at op #%d: %v", p.Token, p.Op, rec.Run.Cuts)
		}
	}
	if fails == 0 {
		t.Error("the sweep has no failing point: the test checks nothing about failures")
	}
}

func TestCutScriptRefuses(t *testing.T) {
	s := parse(t, "../scenarios/testdata/compressed-upgrade.scn")
	plain, _ := scenarios.Run(s, scenarios.Options{})
	for _, op := range []uint64{0, 100, plain.FlashOps, plain.FlashOps + 10} {
		if _, _, err := htmlreport.CutScript(s, plain.Trace, op, flash.Tear{}); !errors.Is(err, htmlreport.ErrCutPoint) {
			t.Errorf("op #%d: err %v, want ErrCutPoint", op, err)
		}
	}
}

func TestSweepView(t *testing.T) {
	s := parse(t, "../scenarios/testdata/sweeps/bad-sector.scn")
	tears, _ := scenarios.ParseTearModels("before,bits")
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Tears: tears})
	if err != nil {
		t.Fatal(err)
	}
	v, err := htmlreport.SweepFrom(rep, htmlreport.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Rows) != 2 || len(v.Rows[0]) != v.Steps || v.Steps != rep.Ops {
		t.Fatalf("rows %d of %d steps; want 2 of %d", len(v.Rows), v.Steps, rep.Ops)
	}
	n, failing := 0, 0
	for _, c := range v.Counts {
		n += c.N
		failing += c.Failing
	}
	if n != len(rep.Points) || failing != len(rep.Failed()) || v.FailTotal != failing || len(v.Failing) != failing {
		t.Errorf("counts: %d points, %d failing (listed %d, total %d); the report has %d, %d", n, failing, len(v.Failing), v.FailTotal, len(rep.Points), len(rep.Failed()))
	}
	for _, f := range v.Failing {
		ch := v.Rows[f.Model][f.Step]
		if (ch-'A')%2 != 1 || v.Verdicts[(ch-'A')/2] != f.Verdict {
			t.Errorf("failing point %s: its cell is %q", f.Token, ch)
		}
	}
	// A point outside the sweep is refused, not drawn.
	bad := *rep
	bad.Points = append([]scenarios.PointResult(nil), rep.Points...)
	bad.Points[0].Step = rep.Ops + 5
	if _, err := htmlreport.SweepFrom(&bad, htmlreport.SweepOptions{}); err == nil {
		t.Error("a point outside the sweep: no error")
	}
}

func TestFlashView(t *testing.T) {
	rec := htmlreport.Record(parse(t, "../scenarios/testdata/compressed-upgrade.scn"))
	v := rec.Flash
	if !v.HasBefore || len(v.AfterUsed) != flash.NumSectors || len(v.Changed) != flash.NumSectors {
		t.Fatalf("flash view: before %v, %d sectors, changed %d", v.HasBefore, len(v.AfterUsed), len(v.Changed))
	}
	var imageA *htmlreport.PartView
	for i, p := range v.Partitions {
		if p.Name == "imageA" {
			imageA = &v.Partitions[i]
		}
	}
	if imageA == nil || !strings.Contains(imageA.Before, "app-v1") || !strings.Contains(imageA.After, "app-v2") {
		t.Fatalf("imageA: %+v; want app-v1 before, app-v2 after", imageA)
	}
	first := imageA.Off / flash.SectorSize
	if v.Changed[first] != '1' || v.Erases[first] == 0 || v.Programs[first] == 0 {
		t.Errorf("imageA's first sector: changed %c, %d erases, %d programs", v.Changed[first], v.Erases[first], v.Programs[first])
	}
	if v.Changed[0] != '0' || v.Erases[0] != 0 {
		t.Errorf("the params sector: changed %c, %d erases; the upgrade does not touch it", v.Changed[0], v.Erases[0])
	}
}

// A W1 run's page stays under 2 MB.
func TestW1PageSize(t *testing.T) {
	if testing.Short() {
		t.Skip("W1 run")
	}
	rec := htmlreport.Record(parse(t, "../scenarios/testdata/sweeps/w1.scn"))
	if rec.Err != nil {
		t.Fatal(rec.Err)
	}
	b, err := htmlreport.Render(&htmlreport.Page{Title: "W1", Run: rec.Run, Flash: rec.Flash})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("W1 run page: %d bytes, %d op runs, %d flag states", len(b), len(rec.Run.Ops), len(rec.Run.Flag.States))
	if len(b) >= 2<<20 {
		t.Errorf("W1 run page: %d bytes, want under 2 MiB", len(b))
	}
}
