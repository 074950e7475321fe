package htmlreport

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/scenarios"
)

// MaxFailing bounds the failing points a sweep page lists one by one (a
// sweep where everything fails would otherwise carry tens of thousands);
// the sweep map still shows every point.
const MaxFailing = 2000

// SweepOptions configure SweepFrom.
type SweepOptions struct {
	// Timelines is the number of failing points whose runs are recorded
	// and embedded (the first point of each failing window first): each
	// costs a plain run of the script.
	Timelines int
	// Script is the swept script; needed for Timelines.
	Script *scenarios.Script
}

// SweepFrom makes the sweep map's view of a report.
func SweepFrom(r *scenarios.SweepReport, o SweepOptions) (*SweepView, error) {
	steps := (r.Ops + max(r.Stride, 1) - 1) / max(r.Stride, 1)
	v := &SweepView{
		Title: "sweep " + r.File, File: r.File, Ops: r.Ops, FirstOp: r.FirstOp, Stride: r.Stride, Steps: steps,
		Tears: r.Tears, Verdicts: []string{}, Rows: []string{}, Phases: []PhaseBand{}, Counts: []CountView{},
		Windows: []string{}, Failing: []FailView{}, Timelines: []*RunView{},
	}
	var sum bytes.Buffer
	r.WriteSummary(&sum, 10)
	v.Summary = sum.String()
	v.Reference = fmt.Sprintf("%s after %d boots", r.Reference.Verdict, r.Reference.Boots)
	if !r.Reference.Pass {
		v.Reference += ": FAIL " + r.Reference.Failure
	}
	v.Doubles = len(r.Doubles)
	counts := r.Counts("")
	v.Verdicts = append(v.Verdicts, scenarios.VerdictOrder(counts)...)
	code := func(verdict string) int {
		if i := slices.Index(v.Verdicts, verdict); i >= 0 {
			return i
		}
		v.Verdicts = append(v.Verdicts, verdict)
		return len(v.Verdicts) - 1
	}
	if len(v.Verdicts) > 12 {
		return nil, fmt.Errorf("htmlreport: sweep %s has %d verdicts; the map draws at most 12", r.File, len(v.Verdicts))
	}
	rows := make([][]byte, len(r.Tears))
	for i := range rows {
		rows[i] = bytes.Repeat([]byte{'.'}, steps)
	}
	failing := make([]int, len(v.Verdicts))
	phaseAt := make([]string, steps)
	stride := max(r.Stride, 1)
	for _, p := range r.Points {
		m := slices.Index(r.Tears, p.Model)
		if m < 0 || p.Step < 0 || p.Step%stride != 0 || p.Step/stride >= steps {
			return nil, fmt.Errorf("htmlreport: sweep %s: point %d (step %d, tear %s) is outside the sweep", r.File, p.Index, p.Step, p.Model)
		}
		p.Step /= stride // the map's columns are the points taken
		c := code(p.Verdict)
		ch := byte('A' + 2*c)
		if !p.Pass {
			ch++
			failing[c]++
			v.FailTotal++
			if len(v.Failing) < MaxFailing {
				v.Failing = append(v.Failing, FailView{Step: p.Step, Model: m, Op: p.Op, Phase: p.Phase, Kind: p.Kind,
					Addr: p.Addr, Len: p.Len, Tear: p.Tear, Verdict: p.Verdict, Boots: p.Boots, Failure: p.Failure,
					Token: p.Token, Timeline: -1})
			}
		}
		rows[m][p.Step] = ch
		if phaseAt[p.Step] == "" {
			phaseAt[p.Step] = p.Phase
		}
	}
	for i, row := range rows {
		_ = i
		v.Rows = append(v.Rows, string(row))
	}
	for i, name := range v.Verdicts {
		v.Counts = append(v.Counts, CountView{Verdict: name, N: counts[name], Failing: failing[i]})
	}
	for i, ph := range phaseAt {
		if n := len(v.Phases); n > 0 && v.Phases[n-1].Name == ph {
			v.Phases[n-1].To = i
			continue
		}
		v.Phases = append(v.Phases, PhaseBand{From: i, To: i, Name: ph, Class: PhaseClass(ph)})
	}
	for _, w := range r.Windows() {
		v.Windows = append(v.Windows, fmt.Sprintf("ops #%d..#%d (%s), tear %s: %s at %d point%s, e.g. %s",
			w.FirstOp, w.LastOp, w.Phase, w.Model, w.Verdict, w.Points, plural(w.Points), w.Example.Token))
	}
	if o.Timelines > 0 && o.Script != nil && len(v.Failing) > 0 {
		if err := v.addTimelines(r, o); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// addTimelines records the runs of some failing points: the first point
// of each window, then the next failing points in order.
func (v *SweepView) addTimelines(r *scenarios.SweepReport, o SweepOptions) error {
	var pick []int // indices into v.Failing
	byIndex := map[uint64]int{}
	for i, f := range v.Failing {
		byIndex[uint64(f.Model)<<48|f.Op] = i
	}
	for _, w := range r.Windows() {
		m := slices.Index(r.Tears, w.Model)
		if i, ok := byIndex[uint64(m)<<48|w.Example.Op]; ok && !slices.Contains(pick, i) {
			pick = append(pick, i)
		}
	}
	for i := range v.Failing {
		if !slices.Contains(pick, i) {
			pick = append(pick, i)
		}
	}
	pick = pick[:min(len(pick), o.Timelines)]
	ref, _ := scenarios.Run(o.Script, scenarios.Options{})
	for _, i := range pick {
		f := &v.Failing[i]
		t, err := flash.ParseTear(f.Tear)
		if err != nil {
			return fmt.Errorf("htmlreport: point %s: %w", f.Token, err)
		}
		rec, _, err := RecordCut(o.Script, ref.Trace, f.Op, t)
		if err != nil {
			return fmt.Errorf("htmlreport: point %s: %w", f.Token, err)
		}
		rv := rec.Run
		if rv.Verdict != f.Verdict && !(rv.Verdict == "" && f.Verdict == "off") {
			// Not expected: a plain run of the cut script is the point.
			return fmt.Errorf("htmlreport: point %s: the plain run of its cut script ends %q, the sweep says %q", f.Token, rv.Verdict, f.Verdict)
		}
		f.Timeline = len(v.Timelines)
		v.Timelines = append(v.Timelines, rv)
	}
	return nil
}
