package htmlreport_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/internal/browsertest"
	"github.com/ws63emu/ws63emu/scenarios"
)

// BenchmarkS1Page loads the sweep page of S1 (docs/design.md §8: W1 swept over
// every operation, tear before, ~15k points) in headless Chromium: the
// time from navigation to the page drawn, and from a click on the map to
// the point's details shown, beside the target of 2 s. S1's sweep
// is run once, before the timer (about 15 s of CPU). Beside it, the same
// page with each row repeated four times (a stand-in for the ~55k points
// of the finer operation model) measures how the drawing scales.
//
//	go test ./htmlreport -run '^$' -bench S1Page -benchtime 1x
func BenchmarkS1Page(b *testing.B) {
	s, err := scenarios.ParseFile("../scenarios/testdata/sweeps/w1.scn")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{})
	if err != nil {
		b.Fatal(err)
	}
	sweepTime := time.Since(t0)
	v, err := htmlreport.SweepFrom(rep, htmlreport.SweepOptions{Timelines: 8, Script: s})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	page := filepath.Join(dir, "s1.html")
	if err := htmlreport.WriteFile(page, &htmlreport.Page{Title: "S1", Sweeps: []*htmlreport.SweepView{v}}); err != nil {
		b.Fatal(err)
	}
	x4 := *v
	x4.Rows = nil
	for _, r := range v.Rows {
		x4.Rows = append(x4.Rows, strings.Repeat(r, 4))
	}
	x4.Steps, x4.Ops = 4*v.Steps, 4*v.Ops
	x4.Phases = nil
	for k := range 4 {
		for _, p := range v.Phases {
			p.From, p.To = p.From+k*v.Steps, p.To+k*v.Steps
			x4.Phases = append(x4.Phases, p)
		}
	}
	x4.Title = "S1 ×4 (stand-in)"
	pageX4 := filepath.Join(dir, "s1x4.html")
	if err := htmlreport.WriteFile(pageX4, &htmlreport.Page{Title: "S1 x4", Sweeps: []*htmlreport.SweepView{&x4}}); err != nil {
		b.Fatal(err)
	}
	size := fileSize(b, page)
	sizeX4 := fileSize(b, pageX4)

	br := browsertest.New(b, 1400, 1000)
	load := func(path string) time.Duration {
		t := time.Now()
		br.Do(60*time.Second, chromedp.Navigate(browsertest.FileURL(path)))
		br.WaitFor(60*time.Second, browsertest.Ready)
		return time.Since(t)
	}
	click := func() time.Duration {
		xy := browsertest.Eval[map[string]float64](br, 5*time.Second, `WS63.sweeps[0].cellXY(Math.floor(WS63.data.sweeps[0].steps / 2), 0)`)
		browsertest.Eval[bool](br, 5*time.Second, `document.querySelector('.detail').dataset.n = '', true`)
		t := time.Now()
		br.Do(10*time.Second, chromedp.MouseClickXY(xy["x"], xy["y"]))
		br.WaitFor(10*time.Second, `document.querySelector('.detail').textContent.startsWith('tear ')`)
		return time.Since(t)
	}
	var loadT, loadX4, clickT time.Duration
	n := 0
	b.ResetTimer()
	for b.Loop() {
		loadX4 += load(pageX4)
		loadT += load(page)
		clickT += click()
		n++
	}
	b.StopTimer()
	br.NoErrors()
	br.Screenshot("s1-sweep.png")
	loadT /= time.Duration(n)
	loadX4 /= time.Duration(n)
	clickT /= time.Duration(n)
	b.ReportMetric(float64(len(rep.Points)), "points")
	b.ReportMetric(float64(loadT.Milliseconds()), "ms/load")
	b.ReportMetric(2000, "target-ms/load")
	b.ReportMetric(float64(clickT.Milliseconds()), "ms/click")
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(float64(loadX4.Milliseconds()), "ms/load-x4")
	b.Logf("S1 sweep page: %d points, %d bytes; loads and draws in %v (target: under 2 s); a click shows its points in %v. ×4 stand-in (%d points): %d bytes, %v. (S1 sweep itself: %v, not timed)",
		len(rep.Points), size, loadT.Round(time.Millisecond), clickT.Round(time.Millisecond), 4*len(rep.Points), sizeX4, loadX4.Round(time.Millisecond), sweepTime.Round(time.Second))
}

func fileSize(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}
