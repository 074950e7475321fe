package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/upg"
)

// The differential check of the Go model against the SDK engine
// (`ws63emu diff-engines`): a script runs once on each engine with every
// flash operation and every API call recorded, and the first place the two
// runs part is reported three ways:
//
//   - Ops: the raw operation logs, operation by operation (kind, address,
//     length, a hash of the data, the phase). This is the fidelity the
//     cut points depend on: a sweep's cut point N is operation N.
//   - Units: the same logs normalised to 64-byte program units (a program
//     split at 64-byte address boundaries) and 4 KiB erase units, so
//     that a difference of granularity alone (the Go model's 256-byte page
//     programs against sfc.c's 64-byte commands) does not hide a
//     difference in what is written where, and in what order.
//   - Calls: the uapi_upg_* calls the programs made (upg.API) and their
//     return codes.
//
// The final flash, the verdict and the expectations are compared too.

// DiffOp is one flash operation as the diff keeps it.
type DiffOp struct {
	Index uint64 `json:"index"`
	Kind  string `json:"kind"`
	Addr  uint32 `json:"addr"`
	Len   uint32 `json:"len"`
	Data  string `json:"data"` // the first 8 bytes of the data's SHA-256, hex; "" for an erase
	Phase string `json:"phase"`
	// APIBefore is the last API call that had returned when the operation
	// was issued ("" before the first).
	APIBefore string `json:"api_before,omitempty"`
	data      []byte
}

func (o *DiffOp) String() string {
	if o == nil {
		return "(no more operations)"
	}
	s := fmt.Sprintf("#%d %s 0x%06x+%d", o.Index, o.Kind, o.Addr, o.Len)
	if o.Data != "" {
		s += " data " + o.Data
	}
	s += fmt.Sprintf(" (%s)", o.Phase)
	if o.APIBefore != "" {
		s += " after " + o.APIBefore
	}
	return s
}

// APICall is one call through the API seam and its return code.
type APICall struct {
	Call string `json:"call"`
	Code string `json:"code"`
	Op   uint64 `json:"op"` // the flash operation counter when it returned
}

func (c *APICall) String() string {
	if c == nil {
		return "(no more calls)"
	}
	return fmt.Sprintf("%s=%s @op %d", c.Call, c.Code, c.Op)
}

// EngineRun is one engine's run of the script.
type EngineRun struct {
	Engine      string `json:"engine"`
	Pass        bool   `json:"pass"`
	Failure     string `json:"failure,omitempty"`
	State       string `json:"state"`
	Running     string `json:"running"`
	Verdict     string `json:"verdict"`
	Ops         int    `json:"ops"` // operations recorded from the device command on
	FlashSHA256 string `json:"flash_sha256"`

	ops   []DiffOp
	calls []APICall
}

// Divergence is where two sequences first differ: position Step, each
// side's element there (nil: that side had ended).
type Divergence[T any] struct {
	Step int `json:"step"`
	Go   *T  `json:"go"`
	SDK  *T  `json:"sdk"`
}

// EngineDiff is the differential check of one script.
type EngineDiff struct {
	File        string               `json:"file"`
	Go          EngineRun            `json:"go"`
	SDK         EngineRun            `json:"sdk"`
	Ops         *Divergence[DiffOp]  `json:"ops,omitempty"`
	Units       *Divergence[DiffOp]  `json:"units,omitempty"`
	Calls       *Divergence[APICall] `json:"calls,omitempty"`
	SameFlash   bool                 `json:"same_flash"`
	SameOutcome bool                 `json:"same_outcome"` // verdict, state, running app and pass/fail
	Sweep       *SweepDiff           `json:"sweep,omitempty"`
	units       [2][]DiffOp          // the normalised logs
}

// Clean reports whether the two runs did not part anywhere.
func (d *EngineDiff) Clean() bool {
	return d.Ops == nil && d.Units == nil && d.Calls == nil && d.SameFlash && d.SameOutcome &&
		(d.Sweep == nil || d.Sweep.Clean())
}

// DiffOptions configure DiffEngines.
type DiffOptions struct {
	// SDK is the SDK engine (required).
	SDK upg.Engine
	// Sweep, when set, also sweeps the script's sweep block on both
	// engines with these options and compares the points.
	Sweep *SweepOptions
}

// DiffEngines runs s on the Go model and on the SDK engine and reports
// where they part.
func DiffEngines(s *Script, o DiffOptions) (*EngineDiff, error) {
	if o.SDK == nil {
		return nil, fmt.Errorf("scenarios: diff-engines needs the SDK engine")
	}
	d := &EngineDiff{File: s.File}
	d.Go = diffRun(s, EngineGo, o.SDK)
	d.SDK = diffRun(s, EngineSDK, o.SDK)
	d.Ops = firstDivergence(d.Go.ops, d.SDK.ops, sameOp)
	d.units[0], d.units[1] = units(d.Go.ops), units(d.SDK.ops)
	d.Units = firstDivergence(d.units[0], d.units[1], sameOp)
	d.Calls = firstDivergence(d.Go.calls, d.SDK.calls, func(a, b *APICall) bool { return a.Call == b.Call && a.Code == b.Code })
	d.SameFlash = d.Go.FlashSHA256 == d.SDK.FlashSHA256
	d.SameOutcome = d.Go.Verdict == d.SDK.Verdict && d.Go.State == d.SDK.State &&
		d.Go.Running == d.SDK.Running && d.Go.Pass == d.SDK.Pass
	if o.Sweep != nil {
		sd, err := diffSweep(s, *o.Sweep, o.SDK)
		if err != nil {
			return d, err
		}
		d.Sweep = sd
	}
	return d, nil
}

// diffRun runs s on one engine, recording operations and API calls.
func diffRun(s *Script, engine string, sdk upg.Engine) EngineRun {
	run := EngineRun{Engine: engine}
	r := NewRunner(s, Options{Engine: engine, SDK: sdk})
	defer r.closeDevice()
	last := ""
	r.o.apiHook = func(call string, err error) {
		c := APICall{Call: call, Code: upg.Code(err).String(), Op: r.dev.Flash.OpCount()}
		run.calls = append(run.calls, c)
		last = c.String()
	}
	var runErr error
	for _, c := range s.Commands {
		r.rep.Commands++
		runErr = r.exec(c)
		if _, ok := c.(*DeviceCmd); ok && r.dev != nil {
			f := r.dev.Flash
			f.SetHook(func(op flash.Op) {
				rec := DiffOp{Index: op.Index, Kind: op.Kind.String(), Addr: op.Addr, Len: op.Len, Phase: op.Phase, APIBefore: last}
				if op.Kind == flash.OpProgram {
					rec.data = slices.Clone(op.Data)
					rec.Data = sum8(op.Data)
				}
				run.ops = append(run.ops, rec)
			})
		}
		if runErr != nil {
			break
		}
	}
	r.finish(runErr)
	run.Pass, run.Failure = r.rep.Passed, r.rep.Failure
	run.State, run.Running, run.Verdict = r.rep.State, r.rep.Running, string(r.rep.Verdict)
	run.FlashSHA256 = r.rep.FlashSHA256
	run.Ops = len(run.ops)
	return run
}

func sum8(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

func sameOp(a, b *DiffOp) bool {
	return a.Kind == b.Kind && a.Addr == b.Addr && a.Len == b.Len && a.Data == b.Data
}

// firstDivergence finds the first position where a and b differ.
func firstDivergence[T any](a, b []T, same func(x, y *T) bool) *Divergence[T] {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if !same(&a[i], &b[i]) {
			return &Divergence[T]{Step: i, Go: &a[i], SDK: &b[i]}
		}
	}
	if len(a) == len(b) {
		return nil
	}
	d := &Divergence[T]{Step: n}
	if n < len(a) {
		d.Go = &a[n]
	} else {
		d.SDK = &b[n]
	}
	return d
}

// unitLen is the program unit of the normalised comparison: sfc.c's
// largest chip command.
const unitLen = 64

// units normalises an operation log: every erase becomes 4 KiB sector
// erases, every program is split at 64-byte address boundaries.
func units(ops []DiffOp) []DiffOp {
	var out []DiffOp
	for _, op := range ops {
		switch op.Kind {
		case flash.OpErase.String():
			for a := op.Addr; a < op.Addr+op.Len; a += flash.SectorSize {
				u := op
				u.Addr, u.Len = a, flash.SectorSize
				out = append(out, u)
			}
		default:
			for off := uint32(0); off < op.Len; {
				n := min(unitLen-(op.Addr+off)%unitLen, op.Len-off)
				u := op
				u.Addr, u.Len = op.Addr+off, n
				if int(off+n) <= len(op.data) {
					u.Data = sum8(op.data[off : off+n])
				}
				u.data = nil
				out = append(out, u)
				off += n
			}
		}
	}
	return out
}

// SweepDiff compares the sweeps of both engines.
type SweepDiff struct {
	Go, SDK *SweepReport `json:"-"`
	// GoCounts and SDKCounts are the verdict counts of each sweep.
	GoCounts  map[string]int `json:"go_counts"`
	SDKCounts map[string]int `json:"sdk_counts"`
	GoFailed  int            `json:"go_failed"`
	SDKFailed int            `json:"sdk_failed"`
	// First is the first point (by index) that differs — its cut
	// operation (index, kind, address, length), verdict, pass, boots or
	// final flash — when both sweeps have the same number of points; -1
	// otherwise.
	First    int    `json:"first"`
	FirstGo  string `json:"first_go,omitempty"`
	FirstSDK string `json:"first_sdk,omitempty"`
}

// Clean reports whether both sweeps have the same points with the same
// outcomes.
func (d *SweepDiff) Clean() bool {
	return d.Go.Total == d.SDK.Total && d.First < 0 && d.GoFailed == d.SDKFailed && mapsEqual(d.GoCounts, d.SDKCounts)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diffSweep(s *Script, o SweepOptions, sdk upg.Engine) (*SweepDiff, error) {
	og, os := o, o
	og.Engine, og.SDK = EngineGo, nil
	os.Engine, os.SDK = EngineSDK, sdk
	g, err := Sweep(s, og)
	if err != nil {
		return nil, fmt.Errorf("go engine: %w", err)
	}
	k, err := Sweep(s, os)
	if err != nil {
		return nil, fmt.Errorf("sdk engine: %w", err)
	}
	d := &SweepDiff{Go: g, SDK: k, GoCounts: g.Counts(""), SDKCounts: k.Counts(""),
		GoFailed: len(g.Failed()), SDKFailed: len(k.Failed()), First: -1}
	if g.Total == k.Total {
		for i := range g.Points {
			a, b := g.Points[i], k.Points[i]
			if a.Verdict != b.Verdict || a.Pass != b.Pass || a.Op != b.Op || a.Kind != b.Kind || a.Addr != b.Addr ||
				a.Len != b.Len || a.Tear != b.Tear || a.Boots != b.Boots || a.FlashDigest != b.FlashDigest {
				d.First = i
				d.FirstGo = fmt.Sprintf("%s after %d boots, flash %.12s, at #%d %s 0x%06x+%d (%s) %s", a.Verdict, a.Boots, a.FlashDigest, a.Op, a.Kind, a.Addr, a.Len, a.Phase, a.Token)
				d.FirstSDK = fmt.Sprintf("%s after %d boots, flash %.12s, at #%d %s 0x%06x+%d (%s) %s", b.Verdict, b.Boots, b.FlashDigest, b.Op, b.Kind, b.Addr, b.Len, b.Phase, b.Token)
				break
			}
		}
	}
	return d, nil
}

// WriteText prints the diff for a terminal.
func (d *EngineDiff) WriteText(w io.Writer) {
	side := func(r EngineRun) string {
		s := fmt.Sprintf("%s: %s, state %s, running %q, %d ops, flash %.12s", r.Engine, r.Verdict, r.State, r.Running, r.Ops, r.FlashSHA256)
		if !r.Pass {
			s += ", FAILED: " + r.Failure
		}
		return s
	}
	status := "CLEAN"
	if !d.Clean() {
		status = "DIVERGES"
	}
	fmt.Fprintf(w, "%s %s\n  %s\n  %s\n", status, d.File, side(d.Go), side(d.SDK))
	fmt.Fprintf(w, "  final flash: %s; outcome: %s\n", same(d.SameFlash), same(d.SameOutcome))
	if d.Ops != nil {
		fmt.Fprintf(w, "  first divergence (operations), step %d:\n    go  %s\n    sdk %s\n", d.Ops.Step, d.Ops.Go, d.Ops.SDK)
	}
	if d.Units != nil {
		fmt.Fprintf(w, "  first divergence (64-byte / 4 KiB units), step %d:\n    go  %s\n    sdk %s\n", d.Units.Step, d.Units.Go, d.Units.SDK)
	}
	if d.Calls != nil {
		fmt.Fprintf(w, "  first divergence (API calls), call %d:\n    go  %s\n    sdk %s\n", d.Calls.Step, d.Calls.Go, d.Calls.SDK)
	}
	if sd := d.Sweep; sd != nil {
		fmt.Fprintf(w, "  sweep: go %d points %v (%d failing); sdk %d points %v (%d failing)\n",
			sd.Go.Total, sd.GoCounts, sd.GoFailed, sd.SDK.Total, sd.SDKCounts, sd.SDKFailed)
		if sd.First >= 0 {
			fmt.Fprintf(w, "  first differing point %d:\n    go  %s\n    sdk %s\n", sd.First, sd.FirstGo, sd.FirstSDK)
		} else if sd.Go.Total != sd.SDK.Total {
			fmt.Fprintf(w, "  the sweeps have different cut points (%d vs %d operations): compared by counts only\n", sd.Go.Ops, sd.SDK.Ops)
		}
	}
}

func same(b bool) string {
	if b {
		return "same"
	}
	return "DIFFERENT"
}
