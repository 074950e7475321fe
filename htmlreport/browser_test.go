package htmlreport_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/internal/browsertest"
	"github.com/ws63emu/ws63emu/scenarios"
)

// writePage renders p into the test's temporary directory.
func writePage(t *testing.T, name string, p *htmlreport.Page) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := htmlreport.WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	return path
}

func open(t *testing.T, b *browsertest.Browser, path string) {
	t.Helper()
	b.Do(30*time.Second, chromedp.Navigate(browsertest.FileURL(path)))
	b.WaitFor(30*time.Second, browsertest.Ready)
}

func TestBrowserRunPage(t *testing.T) {
	b := browsertest.New(t, 1400, 1000)
	rec := htmlreport.Record(parse(t, "../scenarios/testdata/cut-during-replacement.scn"))
	if rec.Err != nil {
		t.Fatal(rec.Err)
	}
	path := writePage(t, "run.html", &htmlreport.Page{Title: "run", Run: rec.Run, Flash: rec.Flash})
	open(t, b, path)

	// The flash map's SVG holds every partition of the table.
	for _, p := range rec.Flash.Partitions {
		n := browsertest.Eval[int](b, 5*time.Second, fmt.Sprintf(`document.querySelectorAll('svg.flashmap g[data-part=%q] rect[data-sector]').length`, p.Name))
		want := int((p.Size + 4095) / 4096)
		if n != want {
			t.Errorf("partition %s: %d sector cells in the SVG, want %d", p.Name, n, want)
		}
	}
	if n := browsertest.Eval[int](b, 5*time.Second, `document.querySelectorAll('svg.flashmap rect[data-sector]').length`); n != 1024 {
		t.Errorf("flash map: %d sector cells, want 1024", n)
	}
	// The timeline draws every phase span and both power cuts.
	spans := 0
	for _, s := range rec.Run.Spans {
		if s.Class != "step" {
			spans++
		}
	}
	if n := browsertest.Eval[int](b, 5*time.Second, `document.querySelectorAll('svg.timeline rect[data-class]').length`); n != spans {
		t.Errorf("timeline: %d phase rectangles, want %d", n, spans)
	}
	if len(rec.Run.Cuts) != 2 {
		t.Fatalf("the script cuts twice; the run view has %d cuts", len(rec.Run.Cuts))
	}
	text := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('svg.timeline').textContent`)
	for _, c := range rec.Run.Cuts {
		op := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(c.Msg, "power lost at flash op #"))[0], "")
		if !strings.Contains(text, "cut, op #"+op) {
			t.Errorf("timeline: no label for the cut at op #%s", op)
		}
	}
	// Moving the cursor to just after the first STARTED write shows STARTED
	// in the flag strip.
	var started *htmlreport.FlagState
	for i, st := range rec.Run.Flag.States {
		if st.Retry[0] == "STARTED" {
			started = &rec.Run.Flag.States[i]
			break
		}
	}
	if started == nil {
		t.Fatal("no flag state with an image STARTED")
	}
	browsertest.Eval[bool](b, 5*time.Second, fmt.Sprintf(`WS63.runs[0].setCursor(%d), true`, started.Op+1))
	if s := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('svg.flagstrip').textContent`); !strings.Contains(s, "firmware_flag[0] STARTED") {
		t.Errorf("flag strip at op #%d: %q, want firmware_flag[0] STARTED", started.Op+1, s)
	}
	browsertest.Eval[bool](b, 5*time.Second, `WS63.runs[0].setCursor(1e12), true`)
	b.Screenshot("run.png")
	b.NoErrors()
}

func TestBrowserSweepPage(t *testing.T) {
	b := browsertest.New(t, 1400, 1000)
	s := parse(t, "../scenarios/testdata/sweeps/bad-sector.scn")
	tears, _ := scenarios.ParseTearModels("before,bits")
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Tears: tears})
	if err != nil {
		t.Fatal(err)
	}
	v, err := htmlreport.SweepFrom(rep, htmlreport.SweepOptions{Timelines: 2, Script: s})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Failing) == 0 {
		t.Fatal("the bad-sector sweep with tear bits has failing points; the view lists none")
	}
	path := writePage(t, "sweep.html", &htmlreport.Page{Title: "sweep", Sweeps: []*htmlreport.SweepView{v}})
	open(t, b, path)
	for i, f := range []htmlreport.FailView{v.Failing[0], v.Failing[len(v.Failing)-1]} {
		// Zoom so that one column is one point, then click the cell.
		browsertest.Eval[bool](b, 5*time.Second, fmt.Sprintf(`WS63.sweeps[0].zoom(%d, %d), true`, max(0, f.Step-20), min(v.Steps, f.Step+20)))
		xy := browsertest.Eval[map[string]float64](b, 5*time.Second, fmt.Sprintf(`WS63.sweeps[0].cellXY(%d, %d)`, f.Step, f.Model))
		b.Do(5*time.Second, chromedp.MouseClickXY(xy["x"], xy["y"]))
		b.WaitFor(5*time.Second, fmt.Sprintf(`!!document.querySelector('.detail .point[data-token=%q]')`, f.Token))
		got := browsertest.Eval[string](b, 5*time.Second, fmt.Sprintf(`document.querySelector('.detail .point[data-token=%q]').textContent`, f.Token))
		for _, want := range []string{f.Token, "ws63emu replay '" + f.Token + "'", f.Verdict} {
			if !strings.Contains(got, want) {
				t.Errorf("point %d: the detail says %q; want it to contain %q", i, got, want)
			}
		}
		if f.Timeline >= 0 {
			if n := browsertest.Eval[int](b, 5*time.Second, `document.querySelectorAll('.detail svg.timeline').length`); n == 0 {
				t.Errorf("point %d has an embedded timeline; the detail shows none", i)
			}
		}
	}
	b.Screenshot("sweep.png")
	b.NoErrors()
}

func TestBrowserFlashPage(t *testing.T) {
	b := browsertest.New(t, 1400, 900)
	rec := htmlreport.Record(parse(t, "../scenarios/testdata/compressed-upgrade.scn"))
	v := rec.Flash
	only := *v
	only.HasBefore, only.BeforeUsed, only.Changed, only.Erases, only.Programs = false, nil, "", nil, nil
	for i := range only.Partitions {
		only.Partitions[i].Before = ""
	}
	path := writePage(t, "flash.html", &htmlreport.Page{Title: "flash", Flash: &only})
	open(t, b, path)
	for _, p := range only.Partitions {
		if n := browsertest.Eval[int](b, 5*time.Second, fmt.Sprintf(`document.querySelectorAll('svg.flashmap g[data-part=%q]').length`, p.Name)); n != 1 {
			t.Errorf("partition %s: %d groups in the SVG, want 1", p.Name, n)
		}
	}
	b.Screenshot("flash.png")

	// A flash of random bytes: drawn with its warnings, no script error.
	raw := make([]byte, flash.Size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	f, err := flash.FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	junk := htmlreport.FlashFrom(f, nil)
	open(t, b, writePage(t, "junk.html", &htmlreport.Page{Title: "junk", Flash: junk}))
	if n := browsertest.Eval[int](b, 5*time.Second, `document.querySelectorAll('svg.flashmap rect[data-sector]').length`); n != 1024 {
		t.Errorf("random flash: %d sector cells, want 1024", n)
	}
	b.NoErrors()
}

func parse(t testing.TB, path string) *scenarios.Script {
	t.Helper()
	s, err := scenarios.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBrowserComparePage(t *testing.T) {
	b := browsertest.New(t, 1400, 1000)
	s := parse(t, "../scenarios/testdata/sweeps/bad-sector.scn")
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := htmlreport.SweepFrom(rep, htmlreport.SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cv := &htmlreport.CompareView{Schemes: []string{"compressed", "AB"}, Notes: []string{"a note"}, Metrics: []htmlreport.Metric{
		{Name: "flash programmed", Unit: "bytes", Values: []float64{2662069, 1573640}, Text: []string{"2,662,069", "1,573,640"}, Better: "lower"},
		{Name: "largest app image", Unit: "bytes", Values: []float64{0, 1966080}, Text: []string{"—", "1,966,080"}, Better: "higher"},
	}}
	path := writePage(t, "compare.html", &htmlreport.Page{Title: "compare", Compare: cv, Sweeps: []*htmlreport.SweepView{v, v}})
	open(t, b, path)
	if n := browsertest.Eval[int](b, 5*time.Second, `document.querySelectorAll('svg.metric').length`); n != len(cv.Metrics) {
		t.Errorf("%d metric charts, want %d", n, len(cv.Metrics))
	}
	text := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('section.compare').textContent`)
	for _, want := range []string{"2,662,069", "1,573,640", "1,966,080", "retries-exhausted"} {
		if !strings.Contains(text, want) {
			t.Errorf("the comparison does not say %q", want)
		}
	}
	if n := browsertest.Eval[int](b, 5*time.Second, `document.querySelectorAll('section.sweep canvas').length`); n != 2 {
		t.Errorf("%d sweep maps, want 2", n)
	}
	b.Screenshot("compare.png")
	b.NoErrors()
}
