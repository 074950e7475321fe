package scenarios

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/upg"
)

// TearModel is one tear model a sweep applies at every cut point: a kind,
// and for prefix and bits how the tear is chosen for each operation.
type TearModel struct {
	Kind flash.TearKind
	// K is the prefix length for TearPrefix; HalfPrefix means half the
	// operation's length (128 bytes of a 256-byte program, 2048 of an
	// erase).
	K int
	// Seed is the TearBits seed; with SeedSet false the scenario seed is
	// used (as a bare "tear=bits" does in a cut command).
	Seed    uint64
	SeedSet bool
}

// HalfPrefix as TearModel.K tears each operation after half its length.
const HalfPrefix = -1

// ParseTearModels parses a comma-separated list of tear models: before,
// after, prefix (half of each operation), prefix:K, bits (the scenario
// seed) or bits:SEED. Repeats are errors.
func ParseTearModels(s string) ([]TearModel, error) {
	var out []TearModel
	seen := map[string]bool{}
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if seen[w] {
			return nil, fmt.Errorf("%w: tear %q given twice", ErrSweepOptions, w)
		}
		seen[w] = true
		var m TearModel
		switch w {
		case "prefix":
			m = TearModel{Kind: flash.TearPrefix, K: HalfPrefix}
		case "bits":
			m = TearModel{Kind: flash.TearBits}
		default:
			t, err := flash.ParseTear(w)
			if err != nil {
				return nil, fmt.Errorf("%w: tear %q: want before, after, prefix, prefix:K, bits or bits:SEED", ErrSweepOptions, w)
			}
			m = TearModel{Kind: t.Kind, K: t.K, Seed: t.Seed, SeedSet: t.Kind == flash.TearBits}
		}
		out = append(out, m)
	}
	return out, nil
}

// String is the ParseTearModels form.
func (m TearModel) String() string {
	switch {
	case m.Kind == flash.TearPrefix && m.K == HalfPrefix:
		return "prefix"
	case m.Kind == flash.TearBits && !m.SeedSet:
		return "bits"
	}
	return flash.Tear{Kind: m.Kind, K: m.K, Seed: m.Seed}.String()
}

// tear is the concrete tear of op under m.
func (m TearModel) tear(op flash.Op, seed uint64) flash.Tear {
	t := flash.Tear{Kind: m.Kind, K: m.K, Seed: m.Seed}
	if m.Kind == flash.TearPrefix && m.K == HalfPrefix {
		t.K = int(op.Len) / 2
	}
	if m.Kind == flash.TearBits && !m.SeedSet {
		t.Seed = seed
	}
	return t
}

// SweepOptions configure Sweep.
type SweepOptions struct {
	// Tears are the tear models applied at every cut point; nil means
	// before only.
	Tears []TearModel
	// Stride N takes every Nth operation of the sweep block (0 or 1:
	// every one).
	Stride int
	// Jobs is the number of workers (0: runtime.GOMAXPROCS). The results
	// do not depend on it.
	Jobs int
	// Shard and Shards select the points whose index ≡ Shard (mod
	// Shards); Shards 0 or 1 runs them all.
	Shard, Shards int
	// NoMemo turns off the reuse of repeated work (upg.Memo; package
	// doc, "Sweeps"): every point then hashes and decodes for itself.
	// The results are the same either way.
	NoMemo bool
	// VerifyDeterminism N > 0 runs N points spread over the sweep twice
	// more, from fresh workers, and compares their trace hashes and
	// results with the sweep's; the first and last of them are also
	// replayed plainly (Replay) and compared (SweepReport.Determinism).
	VerifyDeterminism int
	// Double N > 0 sweeps a second cut over the recovery of every point:
	// N operations of it, evenly spaced, first and last included, torn
	// with the point's tear model (SweepReport.Doubles).
	Double int
	// Progress, when set, is called with (points done, points to run)
	// as points finish, at most about 200 times; calls are serialised.
	Progress func(done, total int)
	// PhaseProgress, when set, is called as each long phase advances:
	// phase "points", "double cuts" or "determinism", with the work done
	// and the work of the phase (at most about 200 calls a phase, and
	// one with done == total at its end); calls are serialised.
	PhaseProgress func(phase string, done, total int)
	// Logger receives the reference run's trace events (zap.NewNop() if
	// nil); the points' events are not logged.
	Logger *zap.Logger
	// Engine and SDK select the update-library engine as Options does
	// (engine.go).
	Engine string
	SDK    upg.Engine
}

func (o *SweepOptions) validate() error {
	if len(o.Tears) == 0 {
		o.Tears = []TearModel{{Kind: flash.TearBefore}}
	}
	if o.Stride < 0 {
		return fmt.Errorf("%w: stride %d < 0", ErrSweepOptions, o.Stride)
	}
	if o.Stride == 0 {
		o.Stride = 1
	}
	if o.Jobs < 0 {
		return fmt.Errorf("%w: jobs %d < 0", ErrSweepOptions, o.Jobs)
	}
	if o.Jobs == 0 {
		o.Jobs = runtime.GOMAXPROCS(0)
	}
	if o.Double < 0 {
		return fmt.Errorf("%w: double %d < 0", ErrSweepOptions, o.Double)
	}
	if o.Shards <= 1 {
		o.Shard, o.Shards = 0, 1
	}
	if o.Shard < 0 || o.Shard >= o.Shards {
		return fmt.Errorf("%w: shard %d/%d: want 0 ≤ I < N", ErrSweepOptions, o.Shard, o.Shards)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return nil
}

// PointResult is one cut point of a sweep under one tear model, and what
// the device did after it.
type PointResult struct {
	Index int    `json:"index"` // position in the sweep's list of points (op-major, then tear)
	Step  int    `json:"step"`  // the operation's position in the sweep block, from 0
	Op    uint64 `json:"op"`    // the flash operation counter value of the cut operation
	Line  int    `json:"line"`  // the scenario line of the command it belongs to
	Phase string `json:"phase"` // the flash phase label (store, erase imageA, …)
	Kind  string `json:"kind"`  // erase or program
	Addr  uint32 `json:"addr"`
	Len   uint32 `json:"len"`
	Model string `json:"model"` // the tear model (prefix, bits, …: SweepReport.Tears)
	Tear  string `json:"tear"`  // the concrete tear (prefix:128, bits:7, …)
	// Verdict is the device's verdict at the end of the script ("off"
	// when it is off then).
	Verdict string `json:"verdict"`
	// Boots is the number of boots from the cut to the end of the script.
	Boots int `json:"boots"`
	// OpsAfter is the number of flash operations from the cut to the end
	// of the script (the recovery a double cut sweeps).
	OpsAfter uint64 `json:"ops_after"`
	// Pass: every command after the sweep block ran and every expect held.
	Pass    bool   `json:"pass"`
	Failure string `json:"failure,omitempty"`
	// FlashDigest is the flash at the end of the script (FlashDigest).
	FlashDigest string `json:"flash_digest"`
	Token       string `json:"token"` // for ws63emu replay
}

// Reference is the sweep's reference run: the script with no cut.
type Reference struct {
	Verdict     string `json:"verdict"`
	Boots       int    `json:"boots"` // from sweep-begin to the end
	Pass        bool   `json:"pass"`
	Failure     string `json:"failure,omitempty"`
	FlashDigest string `json:"flash_digest"`
}

// SweepReport is the result of a sweep (or of one shard of it).
type SweepReport struct {
	// FormatVersion is SweepFormatVersion; Tool is the program and
	// version that wrote the report ("ws63emu v1.2.3"), set by the CLI.
	FormatVersion int    `json:"format_version"`
	Tool          string `json:"tool,omitempty"`
	File          string `json:"file"`
	// Script is the SHA-256 of the script's canonical text (Script.String),
	// which tokens carry so that replay notices a changed scenario.
	Script string   `json:"script_sha256"`
	Seed   uint64   `json:"seed"`
	Tears  []string `json:"tears"`
	Stride int      `json:"stride"`
	// Shards is the number of shards the points were split into, and
	// ShardList the shards this report holds (all of them after a merge).
	Shards    int   `json:"shards"`
	ShardList []int `json:"shard_list"`
	// Ops is the number of flash operations in the sweep block (the cut
	// points), from flash operation FirstOp on; Total the number of
	// points of the whole sweep (every shard).
	Ops       int       `json:"ops"`
	FirstOp   uint64    `json:"first_op"`
	Total     int       `json:"total"`
	Reference Reference `json:"reference"`
	// Determinism is the self-check's outcome (SweepOptions
	// .VerifyDeterminism), nil when it did not run.
	Determinism *DeterminismCheck `json:"determinism,omitempty"`
	// Double is SweepOptions.Double, and Doubles the double-cut points,
	// sorted by first point, then operation.
	Double  int            `json:"double,omitempty"`
	Doubles []DoubleResult `json:"doubles,omitempty"`
	// Partial is set when the sweep was stopped (SweepContext) before
	// the end: the phase it was in and how far it got. A partial report
	// does not pass (Passed).
	Partial *Partial `json:"partial,omitempty"`
	// Points are the points run, sorted by Index.
	Points []PointResult `json:"points"`
}

// SweepFormatVersion is the format_version of the JSON reports this
// package writes (docs/schema/sweep-report.schema.json describes it);
// DecodeSweepReport reads it and the reports before it had one (0).
const SweepFormatVersion = 1

// Partial says how far a stopped sweep got: Done of Of units (points,
// double cuts or determinism samples) of Phase, stopped by Cause.
type Partial struct {
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Of    int    `json:"of"`
	Cause string `json:"cause"`
}

func (p *Partial) String() string {
	return fmt.Sprintf("stopped (%s) in the %s phase: %d of %d %s done", p.Cause, p.Phase, p.Done, p.Of, p.Phase)
}

// Failed lists the points that failed their expectations, in index order.
func (r *SweepReport) Failed() []PointResult {
	var out []PointResult
	for _, p := range r.Points {
		if !p.Pass {
			out = append(out, p)
		}
	}
	return out
}

// FailedDoubles lists the double-cut points that failed, in order.
func (r *SweepReport) FailedDoubles() []DoubleResult {
	var out []DoubleResult
	for _, d := range r.Doubles {
		if !d.Pass {
			out = append(out, d)
		}
	}
	return out
}

// Passed reports whether the sweep ran to its end (no Partial), and the
// reference run, every point and every double-cut point passed, and the determinism check, when it ran, found
// no mismatch.
func (r *SweepReport) Passed() bool {
	return r.Partial == nil && r.Reference.Pass && len(r.Failed()) == 0 && len(r.FailedDoubles()) == 0 &&
		(r.Determinism == nil || len(r.Determinism.Mismatches) == 0)
}

// Counts returns the number of points per verdict, for one tear model
// (as in Tears) or, with model == "", for all of them.
func (r *SweepReport) Counts(model string) map[string]int {
	m := map[string]int{}
	for _, p := range r.Points {
		if model == "" || p.Model == model {
			m[p.Verdict]++
		}
	}
	return m
}

// ScriptSum is the hex SHA-256 of a script's canonical text.
func ScriptSum(s *Script) string {
	h := sha256.Sum256([]byte(s.String()))
	return hex.EncodeToString(h[:])
}

// ---- the reference run ----

// cutRec is one cut point: an operation of the sweep block and the device
// just before it.
type cutRec struct {
	op flash.Op // Data is a private copy
	// The flash just before op: a snapshot (before), or — to keep the
	// memory of ~55k points small — the index of an earlier cut holding
	// one (base) and the clock mark, the state being rebuilt by redoing
	// the ops in between (flash.Device.RestoreRedo). One cut in
	// snapEvery keeps a snapshot, and every cut issued with a flash fault
	// set or after a change that is not an op (a bit flip).
	before *flash.Snapshot
	base   int32
	self   int32
	mark   flash.Mark
	dev    *emulator.Checkpoint // the rest of the device's lasting state
	seg    int32                // the command (segment) it belongs to
	efuse  int32                // index into recording.efuse
	inCall bool                 // inside an app call: the call has no return
}

// segment is a command of the sweep block that issued operations, with
// the runner's bookkeeping as it stood at its first operation (a fork).
type segment struct {
	cmd   Command
	boots int // boots when the command started
	state *Runner
}

// recording is what the reference run leaves for the points.
type recording struct {
	s       *Script
	begin   int // index of sweep-begin in s.Commands
	end     int // index of sweep-end
	seed    uint64
	cuts    []cutRec
	segs    []segment
	efuse   []*efuse.Bank
	timing  flash.Timing
	ref     Reference
	digests *digester
	memo    *upg.Memo
	pcache  *flash.ProgramCache // shared by the workers' flashes, with the memo
	ctx     context.Context     // stops the points (SweepContext); nil: never
	engine  string              // SweepOptions.Engine, named in tokens
}

// sweepBlock finds the sweep block and checks its commands.
func sweepBlock(s *Script) (begin, end int, err error) {
	begin, end = -1, -1
	for i, c := range s.Commands {
		sc, ok := c.(*SweepCmd)
		if !ok {
			continue
		}
		if sc.End {
			end = i
		} else {
			begin = i
		}
	}
	if begin < 0 || end < begin {
		return 0, 0, fmt.Errorf("%w: %s has no sweep-begin … sweep-end block", ErrNoSweep, s.File)
	}
	for _, c := range s.Commands[begin+1 : end] {
		bad := ""
		switch c.(type) {
		case *BurnCmd:
			bad = "burn (factory burning is not part of the device's flow)"
		case *CutCmd:
			bad = "cut (the sweep places the cuts)"
		}
		if bad != "" {
			return 0, 0, &CommandError{File: s.File, Line: c.LineNo(), Cmd: "sweep", Err: fmt.Errorf("%w: %s inside the sweep block", ErrSweepBlock, bad)}
		}
	}
	return begin, end, nil
}

// record runs the script once with no cut, keeping every operation of the
// sweep block with a snapshot of the flash before it.
func record(s *Script, o SweepOptions) (*recording, error) {
	begin, end, err := sweepBlock(s)
	if err != nil {
		return nil, err
	}
	rec := &recording{s: s, begin: begin, end: end, engine: o.Engine}
	if !o.NoMemo {
		rec.memo = upg.NewMemo()
		rec.pcache = flash.NewProgramCache(programCacheBytes)
	}
	r := NewRunner(s, Options{Logger: o.Logger, memo: rec.memo, Engine: o.Engine, SDK: o.SDK})
	defer r.closeDevice() // engine.go
	for _, c := range s.Commands[:begin] {
		r.rep.Commands++
		if err := r.exec(c); err != nil {
			return nil, fmt.Errorf("%w: the run up to sweep-begin failed: %w", ErrSweepBlock, err)
		}
	}
	if r.dev == nil {
		return nil, fmt.Errorf("%w: %s: no device before sweep-begin", ErrSweepBlock, s.File)
	}
	d := r.dev
	f := d.Flash
	rec.seed, rec.timing = r.seed, f.Timing()
	rec.efuse = []*efuse.Bank{d.Efuse.Clone()}
	startSnap := f.Snapshot()
	bootsBegin := d.Boots()

	var cur Command
	curBoots := 0
	base, pokes := -1, f.Pokes()
	f.SetHook(func(op flash.Op) {
		if n := len(rec.segs); n == 0 || rec.segs[n-1].cmd != cur {
			rec.segs = append(rec.segs, segment{cmd: cur, boots: curBoots, state: r.fork()})
		}
		if !rec.efuse[len(rec.efuse)-1].Equal(d.Efuse) {
			rec.efuse = append(rec.efuse, d.Efuse.Clone())
		}
		op.Data = slices.Clone(op.Data)
		n := len(rec.cuts)
		c := cutRec{
			op: op, self: int32(n), base: int32(base), mark: f.Mark(), dev: d.Checkpoint(),
			seg: int32(len(rec.segs) - 1), efuse: int32(len(rec.efuse) - 1),
			inCall: d.Boots() == curBoots,
		}
		if base < 0 || n-base >= snapEvery || f.HasFaults() || f.Pokes() != pokes {
			c.before, c.base, base, pokes = f.Snapshot(), int32(n), n, f.Pokes()
		}
		rec.cuts = append(rec.cuts, c)
	})
	for _, c := range s.Commands[begin+1 : end] {
		cur, curBoots = c, d.Boots()
		r.rep.Commands++
		if err := r.exec(c); err != nil {
			f.SetHook(nil)
			return nil, fmt.Errorf("%w: the reference run failed inside the sweep block: %w", ErrSweepBlock, err)
		}
		if d.State() == emulator.Off {
			f.SetHook(nil)
			return nil, fmt.Errorf("%w: %s:%d: the reference run lost power inside the sweep block", ErrSweepBlock, s.File, c.LineNo())
		}
	}
	f.SetHook(nil)
	if len(rec.cuts) == 0 {
		return nil, fmt.Errorf("%w: %s: the sweep block issues no flash operation", ErrNoSweep, s.File)
	}
	var refErr error
	for _, c := range s.Commands[end:] {
		r.rep.Commands++
		if refErr = r.exec(c); refErr != nil {
			break
		}
	}
	if refErr == nil {
		refErr = r.unfiredCut() // as a plain run reports it
	}
	rec.digests = newDigester(startSnap, f.Snapshot())
	rec.ref = Reference{Verdict: verdictOf(r), Boots: d.Boots() - bootsBegin, Pass: refErr == nil,
		FlashDigest: rec.digests.digest(f.Snapshot())}
	if refErr != nil {
		rec.ref.Failure = refErr.Error()
	}
	return rec, nil
}

// fork copies the runner's bookkeeping for a run that continues on
// another device: scalars are copied, maps and the report's slices
// cloned, so the copy and the original never write to shared memory.
// TestForkClonesMaps checks that every map field is cloned here.
func (r *Runner) fork() *Runner {
	c := *r
	c.keys = maps.Clone(r.keys)
	c.imageDecl = maps.Clone(r.imageDecl)
	c.pkgDecl = maps.Clone(r.pkgDecl)
	c.images = maps.Clone(r.images)
	c.packages = maps.Clone(r.packages)
	c.byHead = maps.Clone(r.byHead)
	c.faults = r.faults.clone()
	c.rep.Expectations = slices.Clone(r.rep.Expectations)
	c.rep.Trace = nil
	return &c
}

// afterCut is the bookkeeping the runner does when the power fails inside
// cmd: an app call records that it has no return (inCall), or — for
// request-upgrade when the cut came during the reset it asked for — that
// it returned ERRCODE_SUCC. This mirrors appCall and requestUpgrade;
// TestSweepMatchesReplay compares the outcome with a plain run.
func (r *Runner) afterCut(cmd Command, inCall bool) {
	switch cmd.(type) {
	case *StoreCmd:
		r.record("store", nil, true)
	case *RequestUpgradeCmd:
		r.record("request-upgrade", nil, inCall)
	default:
		if name := chunkCallName(cmd); name != "" { // chunks.go
			r.record(name, nil, true)
		}
	}
}

// verdictOf is the verdict a point reports: the device's at the end, or
// "off".
func verdictOf(r *Runner) string {
	if r.dev.State() == emulator.Off {
		return "off"
	}
	return string(r.dev.Verdict(r.burnedApp, r.newApp()))
}

// resume runs the script from command index from on (the command after
// sweep-end), first powering the device on unless that command does.
func (r *Runner) resume(from int) error {
	return r.resumeEach(from, func(Command) {})
}

// ---- points ----

// pointSpec is one point to run: a cut and a tear model.
type pointSpec struct {
	index int
	cut   int // index into recording.cuts
	model int // index into SweepOptions.Tears
}

// worker is one goroutine's reusable state.
type worker struct {
	f    *flash.Device
	redo []flash.Op // scratch for restore
}

// programCacheBytes bounds the sectors the workers share through the
// program cache (W1: ~2.3 MiB per distinct image write).
const programCacheBytes = 96 << 20

func (rec *recording) newWorker() *worker {
	f := flash.New()
	f.SetProgramCache(rec.pcache)
	f.SetTiming(rec.timing)
	return &worker{f: f}
}

// start puts a fresh device in the state cut c with tear t leaves, and
// returns a runner ready to continue the script on it.
//
// The flash faults are those the script had set when the cut operation
// was issued (the segment's; fault commands issue no operation): they are
// set before the torn operation, which a fault refuses as it would in a
// plain run. Setting them afresh also drops whatever an earlier point on
// this worker left armed (a fault or cut after sweep-end).
func (rec *recording) start(w *worker, c *cutRec, t flash.Tear) *Runner {
	seg := &rec.segs[c.seg]
	rec.restore(w, c)
	seg.state.faults.apply(w.f)
	w.f.ApplyTorn(c.op, t)
	d := c.dev.Resume(w.f, rec.efuse[c.efuse].Clone())
	r := seg.state.fork()
	r.dev = d
	r.afterCut(seg.cmd, c.inCall)
	return r
}

// snapEvery is how many cut points share one flash snapshot.
const snapEvery = 16

// restore puts w's flash in the state just before c's operation.
func (rec *recording) restore(w *worker, c *cutRec) {
	if c.before != nil {
		w.f.Restore(c.before)
		return
	}
	w.redo = w.redo[:0]
	for i := c.base; i < c.self; i++ {
		w.redo = append(w.redo, rec.cuts[i].op)
	}
	w.f.RestoreRedo(rec.cuts[c.base].before, w.redo, c.mark)
}

// run runs one point.
func (rec *recording) run(w *worker, o *SweepOptions, p pointSpec) PointResult {
	res, _ := rec.runPoint(w, o, p)
	return res
}

// runPoint runs one point and returns the runner at the end too.
func (rec *recording) runPoint(w *worker, o *SweepOptions, p pointSpec) (PointResult, *Runner) {
	c := &rec.cuts[p.cut]
	t := o.Tears[p.model].tear(c.op, rec.seed)
	r, err := rec.runCut(w, c, t)
	res := rec.describe(o, p, c, t)
	res.Verdict = verdictOf(r)
	res.Boots = r.dev.Boots() - c.dev.Boots()
	res.Pass = err == nil
	if err != nil {
		res.Failure = err.Error()
	}
	res.OpsAfter = r.dev.Flash.OpCount() - c.op.Index - 1
	res.FlashDigest = rec.digests.digest(r.dev.Flash.View()) // read at once: no snapshot needed
	r.dev.Close()                                            // the SDK engine's app process, if any
	return res, r
}

// runCut cuts at c with tear t and runs the rest of the script; it
// returns the runner at the end and the script's error.
func (rec *recording) runCut(w *worker, c *cutRec, t flash.Tear) (*Runner, error) {
	r := rec.start(w, c, t)
	return r, r.resume(rec.end + 1)
}

// describe fills in where a point is.
func (rec *recording) describe(o *SweepOptions, p pointSpec, c *cutRec, t flash.Tear) PointResult {
	return PointResult{
		Index: p.index, Step: p.cut, Op: c.op.Index, Line: rec.segs[c.seg].cmd.LineNo(),
		Phase: c.op.Phase, Kind: c.op.Kind.String(), Addr: c.op.Addr, Len: c.op.Len,
		Model: o.Tears[p.model].String(), Tear: t.String(),
		Token: rec.token(Token{Op: c.op.Index, Tear: t}),
	}
}

// token completes a point's reproduction token: the script, its hash and
// the engine the sweep ran on when it was told one.
func (rec *recording) token(t Token) string {
	t.File, t.Sum, t.Engine = rec.s.File, ScriptSum(rec.s)[:tokenSumLen], rec.engine
	return t.String()
}

// points lists the points of the whole sweep and keeps this shard's.
func (rec *recording) points(o *SweepOptions) (mine []pointSpec, total int) {
	for j := 0; j < len(rec.cuts); j += o.Stride {
		for m := range o.Tears {
			if total%o.Shards == o.Shard {
				mine = append(mine, pointSpec{index: total, cut: j, model: m})
			}
			total++
		}
	}
	return mine, total
}

// Sweep runs a power-cut sweep of s (package doc, "Sweeps"): a reference
// run records every flash operation between sweep-begin and sweep-end
// with a copy-on-write snapshot before it; then, for every selected
// operation and tear model, a fresh device starts from that snapshot, the
// operation is applied torn, and the script continues after sweep-end
// with a power-on. The report holds one PointResult per point, in index
// order whatever Jobs is.
//
// The error is non-nil when the sweep cannot run (no sweep block, the
// run up to it fails); failing points and a failing reference run are in
// the report (SweepReport.Passed).
func Sweep(s *Script, o SweepOptions) (*SweepReport, error) {
	return SweepContext(context.Background(), s, o)
}

// SweepContext is Sweep, stopping early when ctx is done. A sweep
// stopped after its reference run returns a report of the work finished
// (every point of a prefix of the shard's points; the double cuts and the
// determinism check only if they finished) with Partial saying how far
// it got, and no error; stopped before, it returns ctx's cause.
func SweepContext(ctx context.Context, s *Script, o SweepOptions) (*SweepReport, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	rec, err := record(s, o)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("scenarios: sweep %s: stopped after the reference run: %w", s.File, context.Cause(ctx))
	}
	rec.ctx = ctx
	specs, total := rec.points(&o)
	rep := &SweepReport{
		File: s.File, Script: ScriptSum(s), Seed: rec.seed, Stride: o.Stride,
		Shards: o.Shards, ShardList: []int{o.Shard},
		Ops: len(rec.cuts), FirstOp: rec.cuts[0].op.Index, Total: total,
		Reference: rec.ref, Points: make([]PointResult, len(specs)),
		FormatVersion: SweepFormatVersion,
	}
	for _, m := range o.Tears {
		rep.Tears = append(rep.Tears, m.String())
	}
	if n := rec.runAll(&o, specs, rep.Points); n < len(specs) {
		rep.Points = rep.Points[:n]
		rep.Partial = &Partial{Phase: "points", Done: n, Of: len(specs), Cause: context.Cause(ctx).Error()}
		return rep, nil
	}
	if o.Double > 0 {
		rep.Double = o.Double
		var n, of int
		rep.Doubles, n, of = rec.runDoubles(&o, specs, rep.Points)
		if n < of {
			rep.Partial = &Partial{Phase: "double cuts", Done: n, Of: of, Cause: context.Cause(ctx).Error()}
			return rep, nil
		}
	}
	if o.VerifyDeterminism > 0 {
		d, n, of := rec.checkDeterminism(&o, specs, rep.Points)
		if n < of {
			rep.Partial = &Partial{Phase: "determinism", Done: n, Of: of, Cause: context.Cause(ctx).Error()}
			return rep, nil
		}
		rep.Determinism = d
	}
	return rep, nil
}

// progress reports phase progress (SweepOptions.Progress for points,
// PhaseProgress for every phase): every step-th unit and at the end.
type progress struct {
	o     *SweepOptions
	phase string
	total int
	step  int
	done  atomic.Int64
	mu    sync.Mutex
}

func newProgress(o *SweepOptions, phase string, total int) *progress {
	return &progress{o: o, phase: phase, total: total, step: max(total/200, 1)}
}

// add counts one unit done.
func (p *progress) add() {
	n := int(p.done.Add(1))
	if n%p.step != 0 && n != p.total {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.phase == "points" && p.o.Progress != nil {
		p.o.Progress(n, p.total)
	}
	if p.o.PhaseProgress != nil {
		p.o.PhaseProgress(p.phase, n, p.total)
	}
}

// runAll runs specs on o.Jobs workers; out[i] gets specs[i]'s result.
// It returns how many ran: all, or fewer when the sweep's context is
// done (then out[:n] are the results).
func (rec *recording) runAll(o *SweepOptions, specs []pointSpec, out []PointResult) int {
	pr := newProgress(o, "points", len(specs))
	return rec.parallel(o.Jobs, len(specs), func(w *worker, i int) {
		out[i] = rec.run(w, o, specs[i])
		pr.add()
	})
}

// parallel calls fn(w, i) for every i in [0, n) on up to jobs goroutines,
// each with its own worker; workers pull indices in order, and fn stores
// its result by index, so the outcome does not depend on jobs.
//
// When rec.ctx is done the workers take no new index: parallel returns
// the count k of indices run, and they are exactly [0, k).
func (rec *recording) parallel(jobs, n int, fn func(w *worker, i int)) int {
	var next atomic.Int64
	var wg sync.WaitGroup
	ctx := rec.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	for range min(jobs, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := rec.newWorker()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
	return min(int(next.Load()), n)
}

// ---- tokens ----

// tokenSumLen is how many hex digits of the script hash a token carries.
const tokenSumLen = 12

// Token identifies one point of a sweep for ws63emu replay:
// "FILE@op=N,tear=T,script=HASH" — the scenario file, the absolute flash
// operation counter of the cut operation, the concrete tear, and the
// first hex digits of the script's canonical hash (ScriptSum; optional:
// without it replay does not check that the scenario is unchanged).
//
// A double-cut point adds the second cut: op2=M,tear2=T2.
type Token struct {
	File string
	Op   uint64
	Tear flash.Tear
	// Op2 and Tear2 are the second cut of a double-cut point (Tear2 nil:
	// a single cut).
	Op2   uint64
	Tear2 *flash.Tear
	// Engine is the engine the sweep was told to run every device on
	// (SweepOptions.Engine: go or sdk), "" when the script's own device
	// line chose; replay then runs the point on it.
	Engine string
	Sum    string
}

func (t Token) String() string {
	s := fmt.Sprintf("%s@op=%d,tear=%s", t.File, t.Op, t.Tear)
	if t.Tear2 != nil {
		s += fmt.Sprintf(",op2=%d,tear2=%s", t.Op2, *t.Tear2)
	}
	if t.Engine != "" {
		s += ",engine=" + t.Engine
	}
	if t.Sum != "" {
		s += ",script=" + t.Sum
	}
	return s
}

// ParseToken parses Token.String's form.
func ParseToken(s string) (Token, error) {
	var t Token
	at := strings.LastIndex(s, "@")
	if at <= 0 {
		return t, fmt.Errorf("%w %q: want FILE@op=N,tear=T[,engine=E],script=HASH", ErrToken, s)
	}
	t.File = s[:at]
	var haveOp, haveTear, haveOp2 bool
	seen := map[string]bool{}
	for _, kv := range strings.Split(s[at+1:], ",") {
		k, v, _ := strings.Cut(kv, "=")
		if seen[k] {
			return Token{}, fmt.Errorf("%w %q: %s= given twice", ErrToken, s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "op":
			t.Op, err = strconv.ParseUint(v, 10, 64)
			haveOp = err == nil
		case "tear":
			t.Tear, err = flash.ParseTear(v)
			haveTear = err == nil
		case "op2":
			t.Op2, err = strconv.ParseUint(v, 10, 64)
			haveOp2 = err == nil
		case "tear2":
			var t2 flash.Tear
			if t2, err = flash.ParseTear(v); err == nil {
				t.Tear2 = &t2
			}
		case "engine":
			if v != EngineGo && v != EngineSDK {
				err = errors.New("want go or sdk")
			}
			t.Engine = v
		case "script":
			if len(v) < tokenSumLen || strings.Trim(v, "0123456789abcdef") != "" || len(v) > 64 {
				err = fmt.Errorf("want %d to 64 lower-case hex digits (the token's script hash is cut short)", tokenSumLen)
			}
			t.Sum = v
		default:
			err = errors.New("unknown field")
		}
		if err != nil {
			return Token{}, fmt.Errorf("%w %q: field %q: %v", ErrToken, s, kv, err)
		}
	}
	if !haveOp || !haveTear {
		return Token{}, fmt.Errorf("%w %q: needs op= and tear=", ErrToken, s)
	}
	if haveOp2 != (t.Tear2 != nil) || (haveOp2 && t.Op2 <= t.Op) {
		return Token{}, fmt.Errorf("%w %q: a second cut needs op2= after op= and tear2=", ErrToken, s)
	}
	return t, nil
}
