package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ws63emu/ws63emu/emulator"
)

// DeterminismCheck is the outcome of SweepOptions.VerifyDeterminism.
type DeterminismCheck struct {
	Sampled    int      `json:"sampled"`  // points run twice more
	Replayed   int      `json:"replayed"` // of those, also replayed plainly
	Mismatches []string `json:"mismatches"`
}

// traceHash hashes a device's trace: every event's simulated time, boot,
// operation counter, kind and message.
func traceHash(r *Runner) string {
	h := sha256.New()
	for _, e := range r.dev.Trace() {
		fmt.Fprintln(h, eventText(e))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// eventText is an event without its sequence number, for comparing.
func eventText(e emulator.Event) string {
	s := fmt.Sprintf("%d %d %d %s %s", e.At, e.Boot, e.Op, e.Kind, e.Msg)
	if e.State != nil {
		s += fmt.Sprintf(" %+v", *e.State)
	}
	return s
}

// checkDeterminism reruns a sample of specs (whose results are in
// results) twice each on fresh workers and compares; the first and the
// last are replayed plainly as well.
//
// It returns the samples checked (all, or fewer when the sweep's context
// is done), of how many.
func (rec *recording) checkDeterminism(o *SweepOptions, specs []pointSpec, results []PointResult) (_ *DeterminismCheck, done, of int) {
	d := &DeterminismCheck{Mismatches: []string{}}
	n := min(o.VerifyDeterminism, len(specs))
	pr := newProgress(o, "determinism", n)
	for i := range n {
		if rec.ctx != nil && rec.ctx.Err() != nil {
			return d, i, n
		}
		k := (len(specs) - 1) * i / max(n-1, 1)
		if n == 1 {
			k = 0
		}
		p, want := specs[k], results[k]
		var hashes [2]string
		for run := range hashes {
			got, r := rec.runPoint(rec.newWorker(), o, p)
			hashes[run] = traceHash(r)
			if got != want {
				d.Mismatches = append(d.Mismatches, fmt.Sprintf("point %d: run %d gave %s/%d boots/%.12s, the sweep %s/%d boots/%.12s",
					p.index, run+2, got.Verdict, got.Boots, got.FlashDigest, want.Verdict, want.Boots, want.FlashDigest))
			}
		}
		if hashes[0] != hashes[1] {
			d.Mismatches = append(d.Mismatches, fmt.Sprintf("point %d: trace hashes differ between two runs (%.12s, %.12s)", p.index, hashes[0], hashes[1]))
		}
		d.Sampled++
		if i == 0 || i == n-1 {
			c := &rec.cuts[p.cut]
			_, pt, _ := Replay(rec.s, c.op.Index, o.Tears[p.model].tear(c.op, rec.seed), Options{Engine: o.Engine, SDK: o.SDK})
			d.Replayed++
			if pt.Verdict != want.Verdict || pt.Boots != want.Boots || pt.FlashDigest != want.FlashDigest || pt.Pass != want.Pass {
				d.Mismatches = append(d.Mismatches, fmt.Sprintf("point %d: a plain replay gave %s/%d boots/%.12s, the sweep %s/%d boots/%.12s",
					p.index, pt.Verdict, pt.Boots, pt.FlashDigest, want.Verdict, want.Boots, want.FlashDigest))
			}
		}
		pr.add()
	}
	return d, n, n
}
