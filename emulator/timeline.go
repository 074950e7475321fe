package emulator

import (
	"strings"
	"time"
)

// Span is a stretch of the trace with one name: a boot's start-up, a phase
// of the update library, or a scenario step. Its duration is simulated time.
type Span struct {
	Boot   int
	Name   string
	Start  time.Duration
	End    time.Duration
	Ops    uint64 // flash operations issued in the span
	Events []Event
}

// Duration is the simulated time the span took.
func (s Span) Duration() time.Duration { return s.End - s.Start }

// Spans cuts a trace into spans: a new span starts at every phase event and
// every boot, power or scenario-step event that opens a new stage.
func Spans(events []Event) []Span {
	var out []Span
	open := func(e Event, name string) {
		if n := len(out); n > 0 {
			out[n-1].End = e.At
			out[n-1].Ops = e.Op - opAt(out[n-1])
		}
		out = append(out, Span{Boot: e.Boot, Name: name, Start: e.At, End: e.At})
	}
	for _, e := range events {
		switch {
		case e.Kind == KindPhase, e.Kind == KindPower:
			open(e, e.Msg)
		case e.Kind == KindStep:
			open(e, "» "+stepText(e.Msg))
		case e.Kind == KindBoot && strings.HasPrefix(e.Msg, "boot #"):
			open(e, e.Msg)
		case len(out) == 0:
			open(e, string(e.Kind))
		}
		out[len(out)-1].Events = append(out[len(out)-1].Events, e)
	}
	if n := len(out); n > 0 && len(events) > 0 {
		last := events[len(events)-1]
		out[n-1].End = last.At
		out[n-1].Ops = last.Op - opAt(out[n-1])
	}
	return out
}

// stepText strips the "scenario FILE:LINE: " prefix of a scenario step.
func stepText(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "scenario "); ok {
		if i := strings.Index(rest, ": "); i >= 0 {
			return rest[i+2:]
		}
	}
	return msg
}

func opAt(s Span) uint64 {
	if len(s.Events) == 0 {
		return 0
	}
	return s.Events[0].Op
}
