package scenarios

import (
	"fmt"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
)

// Replay runs one sweep point plainly, without snapshots: the script from
// its first command, with a real power cut that tears flash operation op
// (the absolute operation counter, Token.Op) as t, armed from
// sweep-begin. When the cut has fired, the rest of the sweep block is
// skipped and the script continues after sweep-end exactly as Sweep does
// (package doc, "Sweeps"). The Report has the full trace; the
// PointResult is what Sweep reports for that point (same verdict, boots
// and flash digest — TestSweepMatchesReplay checks it).
//
// The error is the script's own failure, as Run's; a cut that never fires
// (op outside the sweep block) is a *CommandError.
func Replay(s *Script, op uint64, t flash.Tear, o Options) (*Report, PointResult, error) {
	rep, pt, _, err := replay(s, op, t, o)
	return rep, pt, err
}

// replay is Replay; it also returns the runner (nil when the script has
// no sweep block), whose device has logged every flash operation from
// sweep-begin on.
func replay(s *Script, op uint64, t flash.Tear, o Options) (*Report, PointResult, *Runner, error) {
	return replayWith(s, op, t, o, nil)
}

// replayWith is replay; when second is set it runs the recovery instead
// of resume, with the runner and the command index after sweep-end.
func replayWith(s *Script, op uint64, t flash.Tear, o Options, second func(r *Runner, from int) error) (*Report, PointResult, *Runner, error) {
	pt := PointResult{Index: -1, Op: op, Tear: t.String()}
	begin, end, err := sweepBlock(s)
	if err != nil {
		return nil, pt, nil, err
	}
	r := NewRunner(s, o)
	fail := func(err error) (*Report, PointResult, *Runner, error) {
		r.finish(err)
		return &r.rep, pt, r, err
	}
	for _, c := range s.Commands[:begin] {
		r.rep.Commands++
		if err := r.exec(c); err != nil {
			return fail(err)
		}
	}
	d := r.dev
	if d == nil {
		return fail(&CommandError{File: s.File, Line: s.Commands[begin].LineNo(), Cmd: "sweep-begin", Err: fmt.Errorf("%w: no device", ErrSweepBlock)})
	}
	f := d.Flash
	f.SetLogging(true)
	first := f.OpCount()
	if op < first {
		return fail(&CommandError{File: s.File, Line: s.Commands[begin].LineNo(), Cmd: "replay",
			Err: fmt.Errorf("%w: flash op #%d comes before the sweep block (its first op is #%d)", ErrNotCutPoint, op, first)})
	}
	d.Note(fmt.Sprintf("replay: power cut at flash op #%d (%s)", op, t))
	// Arm the cut in a hook, when the operation is issued: a power-on on
	// the way would clear a cut armed in advance.
	f.SetHook(func(o flash.Op) {
		if o.Index == op {
			f.CutAt(op, t)
			pt.Phase, pt.Kind, pt.Addr, pt.Len = o.Phase, o.Kind.String(), o.Addr, o.Len
		}
	})
	var cutCmd Command
	for _, c := range s.Commands[begin+1 : end] {
		r.rep.Commands++
		err := r.exec(c)
		if f.Off() {
			cutCmd = c
			break
		}
		if err != nil {
			f.SetHook(nil)
			return fail(err)
		}
	}
	f.SetHook(nil)
	if cutCmd == nil {
		return fail(&CommandError{File: s.File, Line: s.Commands[end].LineNo(), Cmd: "replay",
			Err: fmt.Errorf("%w: flash op #%d is not in the sweep block (ops #%d..#%d)", ErrNotCutPoint, op, first, f.OpCount()-1)})
	}
	if d.State() != emulator.Off {
		return fail(&CommandError{File: s.File, Line: cutCmd.LineNo(), Cmd: "replay",
			Err: fmt.Errorf("%w: the flash lost power at op #%d outside a device flow (state %s)", ErrNotCutPoint, op, d.State())})
	}
	pt.Line = cutCmd.LineNo()
	bootsAtCut := d.Boots()
	if second != nil {
		err := second(r, end+1)
		return &r.rep, pt, r, err
	}
	err = r.resume(end + 1)
	pt.Verdict = verdictOf(r)
	pt.Boots = d.Boots() - bootsAtCut
	pt.Pass = err == nil
	if err != nil {
		pt.Failure = err.Error()
	}
	pt.OpsAfter = f.OpCount() - op - 1
	pt.FlashDigest = FlashDigest(f.Snapshot())
	r.finish(err)
	return &r.rep, pt, r, err
}

// ReplayDouble runs one double-cut point plainly: as Replay, with the
// first cut at op torn as t; then, during the recovery (the power-on after
// it and the commands after sweep-end), a second real cut at op2 torn as
// t2; then the commands after sweep-end again from the start, after a
// power-on — what Sweep's double cuts do (DoubleResult).
func ReplayDouble(s *Script, op uint64, t flash.Tear, op2 uint64, t2 flash.Tear, o Options) (*Report, DoubleResult, error) {
	rep, res, _, err := replayDouble(s, op, t, op2, t2, o)
	return rep, res, err
}

// replayDouble is ReplayDouble; it also returns the runner (nil when the
// script has no sweep block).
func replayDouble(s *Script, op uint64, t flash.Tear, op2 uint64, t2 flash.Tear, o Options) (*Report, DoubleResult, *Runner, error) {
	res := DoubleResult{First: -1, Op: op2, Tear: t2.String()}
	var final *Runner
	rep, _, r1, err := replayWith(s, op, t, o, func(r *Runner, from int) error {
		d, f := r.dev, r.dev.Flash
		r0 := r.fork() // the bookkeeping after the first cut, as Sweep's
		d.Note(fmt.Sprintf("replay: second power cut at flash op #%d (%s)", op2, t2))
		line := 0
		f.SetHook(func(o flash.Op) {
			if o.Index == op2 {
				f.CutAt(op2, t2)
				res.Phase, res.Kind, res.Addr, res.Len, res.Line = o.Phase, o.Kind.String(), o.Addr, o.Len, line
			}
		})
		r.resumeUntil(from, func(c Command) { line = c.LineNo() }, f.Off)
		f.SetHook(nil)
		if !f.Off() || d.State() != emulator.Off {
			last := s.Commands[len(s.Commands)-1]
			return &CommandError{File: s.File, Line: last.LineNo(), Cmd: "replay",
				Err: fmt.Errorf("%w: flash op #%d is not in the recovery from the first cut (it ends at op #%d)", ErrNotCutPoint, op2, f.OpCount()-1)}
		}
		boots := d.Boots()
		final = r0.fork()
		final.dev = d
		err := final.resume(from)
		res.Verdict = verdictOf(final)
		res.Boots = d.Boots() - boots
		res.Pass = err == nil
		if err != nil {
			res.Failure = err.Error()
		}
		res.FlashDigest = FlashDigest(f.Snapshot())
		final.finish(err)
		return err
	})
	if final != nil {
		return &final.rep, res, final, err
	}
	return rep, res, r1, err
}

// ReplayFlash replays a token's point as Replay (or ReplayDouble when the
// token has a second cut) and also returns the device's flash at the end
// (nil when no device was made): what ws63emu replay --flash-out saves.
func ReplayFlash(s *Script, tok Token, o Options) (*Report, PointResult, DoubleResult, []byte, error) {
	var (
		rep *Report
		pt  PointResult
		dr  DoubleResult
		r   *Runner
		err error
	)
	if tok.Tear2 != nil {
		rep, dr, r, err = replayDouble(s, tok.Op, tok.Tear, tok.Op2, *tok.Tear2, o)
	} else {
		rep, pt, r, err = replay(s, tok.Op, tok.Tear, o)
	}
	var img []byte
	if r != nil && r.dev != nil {
		img = r.dev.Flash.Bytes()
	}
	if r != nil {
		r.Close() // the SDK engine's app process, if any
	}
	return rep, pt, dr, img, err
}
