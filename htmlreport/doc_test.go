package htmlreport_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/internal/browsertest"
	"github.com/ws63emu/ws63emu/scenarios"
)

// TestDocScreenshots makes the README's pictures (docs/*.png) when
// WS63EMU_DOC_SHOTS names the folder to write them to:
//
//	WS63EMU_DOC_SHOTS=$PWD/docs go test ./htmlreport -run DocScreenshots
//
// (the lab's picture comes from package lab's test the same way).
func TestDocScreenshots(t *testing.T) {
	dir := os.Getenv("WS63EMU_DOC_SHOTS")
	if dir == "" {
		t.Skip("WS63EMU_DOC_SHOTS not set")
	}
	b := browsertest.New(t, 1300, 1000)
	shot := func(page *htmlreport.Page, sel, name string, before func()) {
		path := writePage(t, name+".html", page)
		open(t, b, path)
		if before != nil {
			before()
		}
		ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.Screenshot(sel))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The timeline: two cuts, each resumed by flashboot.
	rec := htmlreport.Record(parse(t, "../scenarios/testdata/cut-during-replacement.scn"))
	shot(&htmlreport.Page{Title: "t", Run: rec.Run, Flash: rec.Flash}, ".timeline-box", "timeline", nil)
	// The flag area through the three retries of a bad sector.
	rec = htmlreport.Record(parse(t, "../scenarios/testdata/bad-sector-retries.scn"))
	shot(&htmlreport.Page{Title: "t", Run: rec.Run, Flash: rec.Flash}, ".flag-box", "flag-area", func() {
		var op uint64
		for _, st := range rec.Run.Flag.States {
			if st.Retry[0] == "RETRY" {
				op = st.Op + 1
			}
		}
		browsertest.Eval[bool](b, 5*time.Second, fmt.Sprintf(`WS63.runs[0].setCursor(%d, 'keep-mode'), true`, op))
	})
	// The flash map of W1.
	rec = htmlreport.Record(parse(t, "../scenarios/testdata/sweeps/w1.scn"))
	shot(&htmlreport.Page{Title: "t", Run: rec.Run, Flash: rec.Flash}, ".flashmap-box", "flash-map", nil)
	// The sweep map: the NV upgrade under tear bits, its one brick clicked.
	s := parse(t, "../scenarios/testdata/sweeps/nv-upgrade.scn")
	tears, _ := scenarios.ParseTearModels("before,bits")
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Tears: tears})
	if err != nil {
		t.Fatal(err)
	}
	v, err := htmlreport.SweepFrom(rep, htmlreport.SweepOptions{Timelines: 1, Script: s})
	if err != nil {
		t.Fatal(err)
	}
	shot(&htmlreport.Page{Title: "t", Sweeps: []*htmlreport.SweepView{v}}, "section.sweep", "sweep-map", func() {
		f := v.Failing[0]
		xy := browsertest.Eval[map[string]float64](b, 5*time.Second, fmt.Sprintf(`WS63.sweeps[0].cellXY(%d, %d)`, f.Step, f.Model))
		b.Do(5*time.Second, chromedp.MouseClickXY(xy["x"], xy["y"]))
		b.WaitFor(5*time.Second, `!!document.querySelector('.detail .point')`)
		browsertest.Eval[bool](b, 5*time.Second, `document.querySelectorAll('.detail details').forEach(d => d.open = false), true`)
	})
	b.NoErrors()
}
