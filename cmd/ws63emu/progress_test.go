package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestProgressOnTerminal: on a terminal (a pseudo-terminal here), a sweep
// redraws one line per phase on stderr with rate, elapsed time and ETA,
// and clears it; stdout keeps the plain summary.
func TestProgressOnTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	var got bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&got, ptmx) // until tty is closed
		close(done)
	}()
	script := writeScript(t, sweepScript)
	var out bytes.Buffer
	err = run([]string{"sweep", script, "--tears", "before,after", "--double", "2", "--verify-determinism", "2"}, &out, tty)
	tty.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the pseudo-terminal did not drain")
	}
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out.String())
	}
	s := got.String()
	for _, want := range []string{"\r\033[K", ": points [", ": double cuts [", ": determinism [", "100%", "/s elapsed ", " ETA "} {
		if !strings.Contains(s, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, s)
		}
	}
	if !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the last progress line is not cleared: %q", s[max(0, len(s)-80):])
	}
	if strings.ContainsAny(out.String(), "\r\033") {
		t.Errorf("stdout has terminal control characters: %q", out.String())
	}
}

// TestProgressOffTerminal: to a file, progress is plain lines (every
// 10 % or 10 s), no carriage return.
func TestProgressOffTerminal(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	script := writeScript(t, sweepScript)
	if err := run([]string{"sweep", script, "--tears", "before,after"}, io.Discard, f); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(f.Name())
	s := string(b)
	if strings.Contains(s, "\r") || !strings.Contains(s, ": points 100% (") || !strings.Contains(s, ", ETA ") {
		t.Errorf("stderr:\n%s", s)
	}
	if n := strings.Count(s, ": points "); n < 2 || n > 11 {
		t.Errorf("%d progress lines, want one per 10 %%:\n%s", n, s)
	}
}

// TestIsTerminal: /dev/null is a character device, not a terminal.
func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Errorf("%s taken for a terminal", os.DevNull)
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if !isTerminal(tty) {
		t.Error("a pseudo-terminal not taken for a terminal")
	}
}

// TestProgressMeterLines: the plain-line rule with a fake clock: one line
// per 10 % step, and one after 10 s without a step.
func TestProgressMeterLines(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	m := &progressMeter{w: &buf, label: "x", now: func() time.Time { return now }}
	for i := 0; i <= 1000; i++ {
		now = now.Add(time.Millisecond)
		m.update("points", i, 1000)
	}
	if n := strings.Count(buf.String(), "\n"); n != 10 {
		t.Errorf("%d lines for 10 steps of 10 %%:\n%s", n, buf.String())
	}
	buf.Reset()
	m.update("slow", 0, 1000)
	now = now.Add(11 * time.Second)
	m.update("slow", 1, 1000)
	if !strings.Contains(buf.String(), "x: slow 0% (1/1000), 0/s, elapsed 11.0s, ETA 3h") {
		t.Errorf("after 10 s: %q", buf.String())
	}
}
