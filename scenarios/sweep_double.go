package scenarios

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
)

// DoubleResult is one double-cut point: a first cut (a point of the
// sweep), then a second cut during the recovery from it — the power-on
// after the first cut and the commands after sweep-end. After the second
// cut the commands after sweep-end run again from the start, after a
// power-on (package doc, "Sweeps").
type DoubleResult struct {
	First       int    `json:"first"` // the first cut's point Index
	Op          uint64 `json:"op"`    // the second cut's flash operation
	Phase       string `json:"phase"`
	Kind        string `json:"kind"`
	Addr        uint32 `json:"addr"`
	Len         uint32 `json:"len"`
	Tear        string `json:"tear"` // the second cut's tear (same model as the first)
	Line        int    `json:"line"` // the scenario line of the recovery command it fell in (the line after sweep-end for the added power-on)
	Verdict     string `json:"verdict"`
	Boots       int    `json:"boots"` // boots from the second cut to the end
	Pass        bool   `json:"pass"`
	Failure     string `json:"failure,omitempty"`
	FlashDigest string `json:"flash_digest"`
	Token       string `json:"token"`
}

// secondCut is one recorded operation of a recovery.
type secondCut struct {
	op     flash.Op
	before *flash.Snapshot
	dev    *emulator.Checkpoint
	ef     *efuse.Bank
	faults flashFaults // the flash faults set when op was issued
	line   int
}

// secondOps picks up to n operations among the count operations of a
// recovery starting at first, evenly spaced, the first and last included.
func secondOps(first, count uint64, n int) []uint64 {
	if count == 0 || n <= 0 {
		return nil
	}
	k := min(uint64(n), count)
	out := make([]uint64, 0, k)
	for j := range k {
		var off uint64
		if k > 1 {
			off = (count - 1) * j / (k - 1)
		}
		out = append(out, first+off)
	}
	return out
}

// runDouble runs the double cuts of one first point: the recovery once
// more, keeping snapshots at the chosen operations, then each second cut.
func (rec *recording) runDouble(w *worker, o *SweepOptions, p pointSpec, first PointResult) []DoubleResult {
	c := &rec.cuts[p.cut]
	t := o.Tears[p.model].tear(c.op, rec.seed)
	ops := secondOps(c.op.Index+1, first.OpsAfter, o.Double)
	if len(ops) == 0 {
		return nil
	}
	r := rec.start(w, c, t)
	r0 := r.fork()
	var cuts []secondCut
	line := 0
	f, d := w.f, r.dev
	f.SetHook(func(op flash.Op) {
		if _, ok := slices.BinarySearch(ops, op.Index); ok {
			op.Data = slices.Clone(op.Data)
			cuts = append(cuts, secondCut{op: op, before: f.Snapshot(), dev: d.Checkpoint(), ef: d.Efuse.Clone(), faults: r.faults.clone(), line: line})
		}
	})
	r.resumeEach(rec.end+1, func(c Command) { line = c.LineNo() })
	f.SetHook(nil)

	out := make([]DoubleResult, 0, len(cuts))
	w2 := rec.newWorker()
	for _, sc := range cuts {
		t2 := o.Tears[p.model].tear(sc.op, rec.seed)
		w2.f.Restore(sc.before)
		sc.faults.apply(w2.f)
		w2.f.ApplyTorn(sc.op, t2)
		r2 := r0.fork()
		r2.faults = sc.faults.clone()
		r2.dev = sc.dev.Resume(w2.f, sc.ef.Clone())
		err := r2.resume(rec.end + 1)
		res := DoubleResult{First: first.Index, Op: sc.op.Index, Phase: sc.op.Phase, Kind: sc.op.Kind.String(),
			Addr: sc.op.Addr, Len: sc.op.Len, Tear: t2.String(), Line: sc.line,
			Verdict: verdictOf(r2), Boots: r2.dev.Boots() - sc.dev.Boots(), Pass: err == nil,
			FlashDigest: rec.digests.digest(w2.f.Snapshot()),
			Token:       rec.token(Token{Op: c.op.Index, Tear: t, Op2: sc.op.Index, Tear2: &t2})}
		if err != nil {
			res.Failure = err.Error()
		}
		r2.dev.Close() // the SDK engine's app process, if any
		out = append(out, res)
	}
	r.dev.Close()
	return out
}

// resumeEach is resume, calling at before each command it runs (the
// power-on it adds counts as the first command after sweep-end).
func (r *Runner) resumeEach(from int, at func(Command)) error {
	return r.resumeUntil(from, at, func() bool { return false })
}

// resumeUntil is resumeEach, stopping (with no error) as soon as stop
// reports true after a command.
func (r *Runner) resumeUntil(from int, at func(Command), stop func() bool) error {
	cmds := r.s.Commands[from:]
	// With nothing after sweep-end the point still powers on and settles
	// (the package doc's step 4): its verdict is the device's, not "off".
	next := r.s.Commands[from-1] // sweep-end
	if len(cmds) > 0 {
		next = cmds[0]
	}
	if _, ok := next.(*PowerOnCmd); !ok {
		at(next)
		r.dev.Note(fmt.Sprintf("sweep %s:%d: power-on after the cut", filepath.Base(r.s.File), next.LineNo()))
		r.dev.PowerOn()
		if stop() {
			return nil
		}
	}
	for _, c := range cmds {
		at(c)
		r.rep.Commands++
		err := r.exec(c)
		if stop() {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// runDoubles runs the double cuts of every point of specs on o.Jobs
// workers; the result is in spec order, each point's in operation order.
// It returns the points whose double cuts ran too (all, or a prefix when
// the sweep's context is done), of how many.
func (rec *recording) runDoubles(o *SweepOptions, specs []pointSpec, firsts []PointResult) (out []DoubleResult, done, of int) {
	per := make([][]DoubleResult, len(specs))
	pr := newProgress(o, "double cuts", len(specs))
	n := rec.parallel(o.Jobs, len(specs), func(w *worker, i int) {
		per[i] = rec.runDouble(w, o, specs[i], firsts[i])
		pr.add()
	})
	for _, d := range per[:n] {
		out = append(out, d...)
	}
	return out, n, len(specs)
}
