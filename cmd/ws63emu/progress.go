package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal. It asks the terminal driver
// (an ioctl), so /dev/null and other character devices are not taken for
// one.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progressMeter shows the progress of the long phases of a command on
// stderr (never in a report: wall times and rates are not reproducible).
// On a terminal it redraws one line — bar, percentage, rate, elapsed
// time, ETA — at most ten times a second; off a terminal it writes one
// plain line every 10 s or 10 % of a phase.
type progressMeter struct {
	w     io.Writer
	tty   bool
	label string
	now   func() time.Time

	mu        sync.Mutex
	phase     string
	start     time.Time // of the phase
	lastDraw  time.Time
	lastLine  time.Time
	lastTenth int
	lastDone  int
	drawn     bool
}

// newProgressMeter returns the meter for stderr, or nil when stderr is not
// a file (a test's buffer) or logs are streaming to it.
func newProgressMeter(stderr io.Writer, label string) *progressMeter {
	f, ok := stderr.(*os.File)
	if !ok || cliLoggerOn() {
		return nil
	}
	return &progressMeter{w: f, tty: isTerminal(f), label: label, now: time.Now}
}

// update is SweepOptions.PhaseProgress.
func (m *progressMeter) update(phase string, done, total int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	switch {
	case phase != m.phase || done < m.lastDone/2: // a new phase, or the same phase of another sweep
		m.phase, m.start, m.lastLine, m.lastTenth = phase, now, now, 0
	case done < m.lastDone:
		// Workers report as they finish, so a count can arrive after a
		// larger one: it says nothing new.
		return
	}
	m.lastDone = done
	el := now.Sub(m.start)
	rate, eta := "", "?"
	if s := el.Seconds(); s > 0 && done > 0 {
		rate = fmt.Sprintf("%.0f/s", float64(done)/s)
		eta = clock(time.Duration(float64(el) * float64(total-done) / float64(done)))
	}
	pct := done * 100 / max(total, 1)
	if m.tty {
		if done < total && now.Sub(m.lastDraw) < 100*time.Millisecond && m.drawn {
			return
		}
		m.lastDraw, m.drawn = now, true
		const width = 30
		n := done * width / max(total, 1)
		fmt.Fprintf(m.w, "\r\033[K%s: %s [%s%s] %3d%% %d/%d %s elapsed %s ETA %s",
			m.label, phase, strings.Repeat("#", n), strings.Repeat(" ", width-n), pct, done, total, rate, clock(el), eta)
		if done >= total {
			fmt.Fprint(m.w, "\r\033[K")
			m.drawn = false
		}
		return
	}
	tenth := done * 10 / max(total, 1)
	if tenth == m.lastTenth && now.Sub(m.lastLine) < 10*time.Second {
		return
	}
	m.lastTenth, m.lastLine = tenth, now
	if rate == "" {
		rate = "-"
	}
	fmt.Fprintf(m.w, "ws63emu: %s: %s %d%% (%d/%d), %s, elapsed %s, ETA %s\n", m.label, phase, pct, done, total, rate, clock(el), eta)
}

// clear removes a half-drawn line (an interrupted phase).
func (m *progressMeter) clear() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tty && m.drawn {
		fmt.Fprint(m.w, "\r\033[K")
		m.drawn = false
	}
}

// clock formats a duration as 1h02m03s, 2m03s or 3.4s.
func clock(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
