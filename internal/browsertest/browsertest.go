// Package browsertest drives headless Chromium from Go tests (chromedp):
// it finds the browser, opens pages, fails the test on a console error or
// an uncaught exception, and saves screenshots as test artefacts.
//
// chromedp rather than go-rod: it speaks the DevTools protocol in pure Go
// with no helper binary and never downloads a browser, so the tests use
// the Chromium the machine (or .ci/run) installed, or skip.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Candidates are the executables Find looks for, in order, after
// $WS63EMU_CHROME.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// Find returns the browser to drive: $WS63EMU_CHROME, else the first of
// Candidates on $PATH; "" when there is none.
func Find() string {
	if p := os.Getenv("WS63EMU_CHROME"); p != "" {
		return p
	}
	for _, c := range Candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a headless Chromium for one test.
type Browser struct {
	t   testing.TB
	Ctx context.Context

	mu     sync.Mutex
	errors []string
}

// New starts headless Chromium (skipping the test when none is found)
// with a window of w×h CSS pixels. The browser stops when the test ends.
func New(t testing.TB, w, h int) *Browser {
	t.Helper()
	path := Find()
	if path == "" {
		t.Skip("no Chromium found (looked for $WS63EMU_CHROME, " + strings.Join(Candidates, ", ") + "): browser tests skipped; .ci/run installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.WindowSize(w, h),
		chromedp.Flag("allow-file-access-from-files", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	b := &Browser{t: t, Ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancelC()
		cancelA()
		t.Fatalf("start %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.addError(m.String())
			}
		}
	}()
	t.Cleanup(func() {
		cancelC()
		cancelA()
		<-done
	})
	return b
}

func (b *Browser) addError(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errors = append(b.errors, s)
}

// Errors returns the console errors and exceptions seen so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// NoErrors fails the test if the page logged an error or threw.
func (b *Browser) NoErrors() {
	b.t.Helper()
	if errs := b.Errors(); len(errs) > 0 {
		b.t.Errorf("the page logged %d errors:\n%s", len(errs), strings.Join(errs, "\n"))
	}
}

// Do runs chromedp actions with a timeout, failing the test on error.
func (b *Browser) Do(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (page errors: %v)", err, b.Errors())
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value (promises are awaited), failing the test on error.
func Eval[T any](b *Browser, timeout time.Duration, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: evaluate %.80q: %v (page errors: %v)", expr, err, b.Errors())
	}
	return v
}

// WaitFor polls a JavaScript predicate until it is true.
func (b *Browser) WaitFor(timeout time.Duration, predicate string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		b.t.Fatalf("browser: waiting for %q: %v (page errors: %v)", predicate, err, b.Errors())
	}
}

// Ready is the predicate of a page the report script has drawn.
const Ready = `!!(window.WS63 && window.WS63.ready === true)`

// Screenshot saves a full-page PNG as a test artefact (ArtifactDir) and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	path := filepath.Join(ArtifactDir(b.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// ArtifactDir is where tests leave artefacts: $WS63EMU_ARTIFACTS when
// set, else ws63emu-artifacts in the system's temporary directory (one
// directory, overwritten run after run).
func ArtifactDir(t testing.TB) string {
	dir := os.Getenv("WS63EMU_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ws63emu-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// FileURL is the file:// URL of a local path.
func FileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return "file://" + filepath.ToSlash(abs)
}
