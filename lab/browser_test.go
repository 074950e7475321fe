package lab_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/internal/browsertest"
	"github.com/ws63emu/ws63emu/scenarios"
)

// TestBrowserLabCut runs a cut-and-recover lesson end to end: open the lab,
// pick the compressed-upgrade lesson, click the timeline in the middle of
// flashboot's decompression of imageA, and check that the verdict the lab
// shows is the one a plain run of the script it shows gives — and that
// that script cuts at the operation the lab says, counted independently
// from a plain run's trace.
func TestBrowserLabCut(t *testing.T) {
	b := browsertest.New(t, 1400, 1100)
	srv, base := start(t, "")
	const lesson = "compressed-upgrade.scn"
	b.Do(30*time.Second, chromedp.Navigate(base+"/?token="+srv.Token()))
	b.WaitFor(30*time.Second, browsertest.Ready)
	b.Do(10*time.Second, chromedp.Click(fmt.Sprintf(`li[data-lesson=%q]`, lesson)))
	b.WaitFor(60*time.Second, `(() => { const h = document.querySelector('#lab-verdict'); return !!h && !h.dataset.op && h.dataset.lesson === `+strconv.Quote(lesson)+` && !!WS63.lab.api })()`)
	if v := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('#lab-verdict').dataset.verdict`); v != "upgraded" {
		t.Fatalf("the lesson without a cut ends %q, want upgraded", v)
	}
	b.Screenshot("lab-lesson.png")

	// Where to cut: the middle of flashboot's decompression of imageA.
	op := browsertest.Eval[float64](b, 5*time.Second, `(() => { const s = WS63.lab.api.run.spans.find(s => s.name.startsWith('decompress imageA')); return s.op0 + Math.floor(s.ops / 2); })()`)
	xy := browsertest.Eval[map[string]float64](b, 5*time.Second, fmt.Sprintf(`document.querySelector('svg.timeline').scrollIntoView({block: 'center'}), WS63.lab.api.timelineXY(%d)`, int(op)))
	b.Do(5*time.Second, chromedp.MouseClickXY(xy["x"], xy["y"]))
	b.WaitFor(60*time.Second, `!!document.querySelector('#lab-verdict[data-op]') || !!document.querySelector('#lab-error')`)
	if e := browsertest.Eval[string](b, 5*time.Second, `(document.querySelector('#lab-error') || {}).textContent || ''`); e != "" {
		t.Fatalf("the cut failed: %s", e)
	}
	cutOp, _ := strconv.ParseUint(browsertest.Eval[string](b, 5*time.Second, `document.querySelector('#lab-verdict').dataset.op`), 10, 64)
	verdict := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('#lab-verdict').dataset.verdict`)
	script := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('#cut-script').textContent`)
	headline := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('#lab-verdict').textContent`)
	t.Logf("%s", headline)
	b.Screenshot("lab-cut.png")
	if dir := os.Getenv("WS63EMU_DOC_SHOTS"); dir != "" { // the README's picture
		browsertest.Eval[bool](b, 5*time.Second, `document.querySelectorAll('details').forEach(d => d.open = false), window.scrollTo(0, 0), true`)
		ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "lab.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.NoErrors()
	// One pixel of the timeline spans tens of chip commands during the
	// decompression (64-byte programs), so the cut lands near the click.
	if d := int64(cutOp) - int64(op); d < -200 || d > 200 {
		t.Errorf("clicked at op #%d, the lab cut at #%d", int64(op), cutOp)
	}
	if !strings.Contains(headline, "decompress imageA") {
		t.Errorf("headline %q: want the cut in decompress imageA", headline)
	}

	// The plain run of the lesson, independently: the operation counter at
	// the start of request-upgrade, the command the cut falls in.
	text, err := fs.ReadFile(scenarios.Lessons(), lesson)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse(lesson, strings.NewReader(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := scenarios.Run(s, scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var start uint64
	for _, e := range plain.Trace {
		if e.Kind == emulator.KindStep && strings.Contains(e.Msg, ": request-upgrade") {
			start = e.Op
		}
	}
	m := regexp.MustCompile(`(?m)^cut op=(\d+) tear=before\nrequest-upgrade`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("the lab's script has no cut before request-upgrade:\n%s", script)
	}
	if k, _ := strconv.ParseUint(m[1], 10, 64); start+k-1 != cutOp {
		t.Errorf("the lab's script cuts at op #%d (cut op=%d from #%d); the lab says #%d", start+k-1, k, start, cutOp)
	}
	// The lab's verdict is the plain run's.
	cs, err := scenarios.Parse(lesson, strings.NewReader(script))
	if err != nil {
		t.Fatalf("the lab's script does not parse: %v\n%s", err, script)
	}
	rep, _ := scenarios.Run(cs, scenarios.Options{})
	if string(rep.Verdict) != verdict {
		t.Errorf("the lab shows %q; ws63emu run of its script gives %q", verdict, rep.Verdict)
	}
	fired := false
	for _, e := range rep.Trace {
		if strings.HasPrefix(e.Msg, fmt.Sprintf("power lost at flash op #%d ", cutOp)) {
			fired = true
		}
	}
	if !fired {
		t.Errorf("the plain run of the lab's script does not lose power at op #%d", cutOp)
	}
	if verdict != "upgraded" {
		t.Errorf("a cut while flashboot decompresses the app: verdict %q, want upgraded (flashboot restarts the image)", verdict)
	}

	// A bad script shows its error in the page.
	browsertest.Eval[bool](b, 5*time.Second, `WS63.lab.textarea.value = 'device layout=round\n', true`)
	b.Do(10*time.Second, chromedp.Click(`#run`))
	b.WaitFor(30*time.Second, `!!document.querySelector('#lab-error')`)
	if e := browsertest.Eval[string](b, 5*time.Second, `document.querySelector('#lab-error').textContent`); !strings.Contains(e, lesson+":1") || !strings.Contains(e, "round") {
		t.Errorf("a bad script: the page says %q, want its line and what is wrong", e)
	}
	b.NoErrors()
}
