package htmlreport

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/upg"
)

// Recorded is a run watched by Record: the scenario report, the run's
// views and the run's error (as scenarios.Run returns it).
type Recorded struct {
	Report *scenarios.Report
	Err    error
	Run    *RunView
	Flash  *FlashView // nil when the script made no device
}

// Record runs s as scenarios.Run does, watching the flash (package doc,
// "Model"). The run itself is unchanged: same trace, verdict and flash.
func Record(s *scenarios.Script) *Recorded { return RecordOptions(s, scenarios.Options{}) }

// RecordOptions is Record with the run's options (an engine, say); its
// Observe is replaced by the recorder's.
func RecordOptions(s *scenarios.Script, o scenarios.Options) *Recorded {
	rec := NewRecorder()
	o.Observe = rec.Observe
	r := scenarios.NewRunner(s, o)
	defer r.Close()
	rep, err := r.Run()
	return rec.Finish(s, rep, err, r.Device())
}

// Recorder watches a run: set its Observe as scenarios.Options.Observe,
// run, then call Finish with the runner's report, error and device.
type Recorder struct{ recorder }

// NewRecorder returns a Recorder for one run.
func NewRecorder() *Recorder { return &Recorder{} }

// Observe is the scenarios.Options.Observe of the run.
func (rec *Recorder) Observe(c scenarios.Command, d *emulator.Device) { rec.observe(c, d) }

// Finish makes the run's views. d is the runner's device (nil when the
// script made none); its flash hook is cleared.
func (rec *Recorder) Finish(s *scenarios.Script, rep *scenarios.Report, err error, d *emulator.Device) *Recorded {
	out := &Recorded{Report: rep, Err: err}
	var after *flash.Snapshot
	if d != nil {
		d.Flash.SetHook(nil)
		rec.settleFlag()
		after = d.Flash.Snapshot()
	}
	out.Run = runView(rep, &rec.recorder)
	out.Run.Script = s.String()
	if d != nil {
		before := rec.before
		if before == nil {
			before = after
		}
		out.Flash = flashView(d, before, after, rec.ops, rec.beforeOp, rec.before != nil)
	}
	return out
}

// recorder keeps what a Recorder watches.
type recorder struct {
	dev      *emulator.Device
	before   *flash.Snapshot
	beforeOp uint64
	ops      []OpRun
	cmds     []CommandView

	flagAddr    uint32
	flagOK      bool
	flagPending bool
	flagOp      uint64
	flagT       int64
	flags       []FlagState
}

func (rec *recorder) observe(c scenarios.Command, d *emulator.Device) {
	cv := CommandView{Line: c.LineNo(), Text: c.String()}
	if d != nil {
		if rec.dev == nil {
			rec.dev = d
			d.Flash.SetHook(rec.hook)
		}
		rec.settleFlag()
		cv.Op, cv.T, cv.Dev = d.Flash.OpCount(), int64(d.Now()), true
		if _, ok := c.(*scenarios.PowerOnCmd); ok && rec.before == nil {
			rec.before = d.Flash.Snapshot()
			rec.beforeOp = d.Flash.OpCount()
			rec.findFlag()
		}
	}
	rec.cmds = append(rec.cmds, cv)
}

// findFlag locates the flag area (compress layout: fota end − 0x1000) and
// records its first state.
func (rec *recorder) findFlag() {
	t, err := partition.ParseFlash(rec.dev.Flash.View()) // not Device.Table: a device read costs simulated time
	if err != nil {
		return
	}
	if emulator.LayoutOf(t) == partition.LayoutAB {
		return
	}
	e, err := t.Lookup(partition.FotaData)
	if err != nil || e.Size < upg.FlagTailLen {
		return
	}
	rec.flagAddr, rec.flagOK = e.End()-0x1000, true
	rec.flagOp, rec.flagT, rec.flagPending = rec.beforeOp, int64(rec.dev.Now()), true
	rec.settleFlag()
}

// hook sees every flash operation before it is applied.
func (rec *recorder) hook(op flash.Op) {
	rec.settleFlag()
	t := int64(rec.dev.Now())
	kind := "p"
	if op.Kind == flash.OpErase {
		kind = "e"
	}
	if !rec.extend(op, kind, t) {
		rec.ops = append(rec.ops, OpRun{Op: op.Index, N: 1, Kind: kind, Addr: op.Addr, Len: op.Len, T0: t, T1: t, Phase: op.Phase})
	}
	if rec.flagOK && op.Addr < rec.flagAddr+upg.FlagAreaLen && op.Addr+op.Len > rec.flagAddr {
		rec.flagPending, rec.flagOp, rec.flagT = true, op.Index, t
	}
}

// extend adds op to the last run when it continues it: the next program of
// the same phase, at the next address, in the same sector.
func (rec *recorder) extend(op flash.Op, kind string, t int64) bool {
	n := len(rec.ops)
	if n == 0 || kind != "p" {
		return false
	}
	l := &rec.ops[n-1]
	if l.Kind != "p" || op.Index != l.Op+uint64(l.N) || op.Addr != l.Addr+l.Len ||
		op.Addr/flash.SectorSize != l.Addr/flash.SectorSize || op.Phase != l.Phase {
		return false
	}
	l.N++
	l.Len += op.Len
	l.T1 = t
	return true
}

// settleFlag reads the flag area after an operation that touched it, now
// that it has been applied (or torn). The read costs no simulated time.
func (rec *recorder) settleFlag() {
	if !rec.flagPending || rec.dev == nil {
		return
	}
	rec.flagPending = false
	b := make([]byte, upg.FlagAreaLen)
	if _, err := rec.dev.Flash.View().ReadAt(b, int64(rec.flagAddr)); err != nil {
		return
	}
	st := flagState(b)
	st.Op, st.T, st.Boot = rec.flagOp, rec.flagT, rec.dev.Boots()
	if n := len(rec.flags); n > 0 {
		prev := rec.flags[n-1]
		if prev.Hex == st.Hex {
			return
		}
		pb, _ := hex.DecodeString(prev.Hex)
		st.What = changedFields(pb, b)
	} else {
		st.What = "at the first power-on"
	}
	rec.flags = append(rec.flags, st)
}

// flagFields are the fields of fota_upgrade_flag_area_t (docs/sdk-mapping.md §3.3), the
// offsets of upg/flag.go.
var flagFields = func() []FlagField {
	f := []FlagField{
		{Name: "head_magic", Off: 0, Len: 4},
		{Name: "head_before_offset", Off: 4, Len: 4},
		{Name: "package_length", Off: 8, Len: 4},
		{Name: "firmware_num", Off: 12, Len: 4},
	}
	for i := range upg.MaxImages {
		f = append(f, FlagField{Name: fmt.Sprintf("firmware_flag[%d]", i), Off: 16 + 3*i, Len: 3, Retry: true})
	}
	return append(f,
		FlagField{Name: "nv_flag", Off: 76, Len: 3, Retry: true},
		FlagField{Name: "ver_change_flag", Off: 79, Len: 1},
		FlagField{Name: "update_result", Off: 80, Len: 4},
		FlagField{Name: "nv_data_offset", Off: 84, Len: 4},
		FlagField{Name: "nv_data_len", Off: 88, Len: 4},
		FlagField{Name: "nv_hash_offset", Off: 92, Len: 4},
		FlagField{Name: "nv_hash_len", Off: 96, Len: 4},
		FlagField{Name: "complete_flag", Off: 100, Len: 4},
		FlagField{Name: "head_end_magic", Off: 104, Len: 4},
	)
}()

func flagState(b []byte) FlagState {
	var f upg.Flag
	f.UnmarshalBinary(b) // len(b) == upg.FlagAreaLen
	st := FlagState{Hex: hex.EncodeToString(b), Result: upg.Result(f.UpdateResult).String()}
	for _, fl := range flagFields {
		if fl.Retry {
			var t [3]byte
			copy(t[:], b[fl.Off:fl.Off+3])
			st.Retry = append(st.Retry, upg.RetryStatus(t).String())
		}
	}
	switch f.CompleteFlag {
	case 0xFFFFFFFF:
		st.Status = "pending"
	case 0x0000FFFF:
		st.Status = "half"
	case 0:
		st.Status = "finished"
	default:
		st.Status = "other"
	}
	if bytes.Count(b, []byte{0xFF}) == len(b) {
		st.Status = "erased"
	}
	return st
}

func changedFields(a, b []byte) string {
	var names []string
	for _, f := range flagFields {
		if !bytes.Equal(a[f.Off:f.Off+f.Len], b[f.Off:f.Off+f.Len]) {
			names = append(names, f.Name)
		}
	}
	if len(names) > 4 {
		return fmt.Sprintf("%s, … (%d fields)", strings.Join(names[:3], ", "), len(names))
	}
	return strings.Join(names, ", ")
}

// runView makes the run's view from its report and, when recorded, the
// operations and flag history.
func runView(rep *scenarios.Report, rec *recorder) *RunView {
	v := &RunView{
		File: rep.File, Passed: rep.Passed, Failure: rep.Failure, State: rep.State, Running: rep.Running,
		Verdict: string(rep.Verdict), Boots: rep.Boots, SimNS: int64(rep.SimTime), FlashOps: rep.FlashOps,
		FlashSHA256: rep.FlashSHA256, Expectations: rep.Expectations,
		Spans: []SpanView{}, Events: []EventView{}, Cuts: []EventView{}, Commands: []CommandView{}, Ops: []OpRun{},
	}
	if v.Expectations == nil {
		v.Expectations = []scenarios.Expectation{}
	}
	for _, sp := range emulator.Spans(rep.Trace) {
		op0 := uint64(0)
		if len(sp.Events) > 0 {
			op0 = sp.Events[0].Op
		}
		v.Spans = append(v.Spans, SpanView{Boot: sp.Boot, Name: sp.Name, Class: PhaseClass(sp.Name),
			T0: int64(sp.Start), T1: int64(sp.End), Op0: op0, Ops: sp.Ops})
	}
	for _, e := range rep.Trace {
		ev := EventView{T: int64(e.At), Op: e.Op, Boot: e.Boot, Kind: string(e.Kind), Msg: e.Msg}
		if e.Kind == emulator.KindUART && strings.Contains(e.Msg, "upg percent") {
			continue
		}
		v.Events = append(v.Events, ev)
		if e.Kind == emulator.KindPower && strings.HasPrefix(e.Msg, "power lost at flash op #") {
			v.Cuts = append(v.Cuts, ev)
		}
	}
	if rec != nil {
		v.Commands = append(v.Commands, rec.cmds...)
		v.Ops = append(v.Ops, rec.ops...)
		v.BeforeOp = rec.beforeOp
		if rec.flagOK {
			v.Flag = &FlagView{Addr: rec.flagAddr, Fields: flagFields, States: rec.flags, Status: retryLegend}
		}
	}
	return v
}

var retryLegend = []FlagStatus{
	{"NOT_STARTED", "ff ff ff: not started"},
	{"STARTED", "0f ff ff, 00 0f ff, 00 00 0f: an attempt in progress"},
	{"RETRY", "00 ff ff, 00 00 ff: an attempt failed, retries left"},
	{"FINISHED", "00 00 00: done (or all three attempts failed)"},
	{"INVALID", "any other bytes (a torn write)"},
}

// PhaseClass sorts a span or flash-phase name into the classes the
// timeline colours: boot, power, step, store, verify, erase, write, flag,
// app, other.
func PhaseClass(name string) string {
	switch {
	case strings.HasPrefix(name, "» "):
		return "step"
	case strings.HasPrefix(name, "boot #"), name == "ssb", name == "flashboot":
		return "boot"
	case name == "power on", name == "soft reset", strings.HasPrefix(name, "power lost"):
		return "power"
	case name == "prepare", name == "store":
		return "store"
	case name == "verify", name == "nv-verify":
		return "verify"
	case strings.HasPrefix(name, "erase"), strings.Contains(name, " erase "):
		return "erase"
	case strings.HasPrefix(name, "decompress"), strings.HasPrefix(name, "write"), strings.HasPrefix(name, "image "),
		strings.HasPrefix(name, "nv-"), strings.HasPrefix(name, "ab"):
		return "write"
	case strings.HasPrefix(name, "flag "), name == "request-upgrade", name == "reset-upgrade-flag":
		return "flag"
	case name == "app":
		return "app"
	}
	return "other"
}

// ---- the flash map ----

// flashView compares the flash before and after a run, by sector, and
// describes each partition through emulator.Inspect.
func flashView(d *emulator.Device, before, after *flash.Snapshot, ops []OpRun, beforeOp uint64, hasBefore bool) *FlashView {
	v := FlashFrom(after, deviceNamer(d))
	if !hasBefore {
		return v
	}
	v.HasBefore = true
	v.BeforeUsed = usedPerSector(before)
	bin, err := emulator.Inspect(before)
	if err == nil {
		for i := range v.Partitions {
			for _, pr := range bin.Partitions {
				if pr.ID == v.Partitions[i].ID && pr.Offset == v.Partitions[i].Off {
					v.Partitions[i].Before = describe(pr, before, deviceNamer(d))
				}
			}
		}
	}
	ch := make([]byte, flash.NumSectors)
	for i := range ch {
		ch[i] = '0'
		if !flash.SameSector(before, after, i) && !sameBytes(before, after, i) {
			ch[i] = '1'
		}
	}
	v.Changed = string(ch)
	v.Erases = make([]int, flash.NumSectors)
	v.Programs = make([]int, flash.NumSectors)
	for _, r := range ops {
		if r.Op < beforeOp {
			continue
		}
		first, last := r.Addr/flash.SectorSize, (r.Addr+max(r.Len, 1)-1)/flash.SectorSize
		for s := first; s <= last && s < flash.NumSectors; s++ {
			if r.Kind == "e" {
				v.Erases[s] += int(r.N)
			} else {
				v.Programs[s] += int(r.N)
			}
		}
	}
	return v
}

func sameBytes(a, b *flash.Snapshot, i int) bool {
	x := make([]byte, flash.SectorSize)
	y := make([]byte, flash.SectorSize)
	a.ReadAt(x, int64(i)*flash.SectorSize)
	b.ReadAt(y, int64(i)*flash.SectorSize)
	return bytes.Equal(x, y)
}

// namer names image bytes as the run declared them ("" when unknown).
type namer func(image []byte) string

// FlashFrom describes one flash image (ws63emu flash inspect --html): its
// partitions and how much of each sector is programmed.
func FlashFrom(f io.ReaderAt, name namer) *FlashView {
	v := &FlashView{FlagAddr: -1, AfterUsed: usedPerSector(f), Partitions: []PartView{}, Warnings: []string{}}
	in, err := emulator.Inspect(f)
	if err != nil {
		v.Warnings = append(v.Warnings, err.Error())
		return v
	}
	v.Layout = in.Layout
	v.Warnings = append(v.Warnings, in.Warnings...)
	for _, pr := range in.Partitions {
		v.Partitions = append(v.Partitions, PartView{ID: pr.ID, Name: pr.Name, Off: pr.Offset, Size: pr.Size, After: describe(pr, f, name)})
		if pr.Flag != nil && pr.Size >= upg.FlagTailLen {
			v.FlagAddr = int64(pr.End) - 0x1000
		}
	}
	return v
}

func usedPerSector(f io.ReaderAt) []int {
	out := make([]int, flash.NumSectors)
	buf := make([]byte, flash.SectorSize)
	for i := range out {
		if _, err := f.ReadAt(buf, int64(i)*flash.SectorSize); err != nil {
			continue
		}
		out[i] = flash.SectorSize - bytes.Count(buf, []byte{flash.Erased})
	}
	return out
}

// describe says in a line what a partition holds.
func describe(pr emulator.PartitionReport, f io.ReaderAt, name namer) string {
	s := pr.Content
	switch {
	case pr.Image != nil:
		s = "image: " + pr.Image.Describe()
		if name != nil && pr.Image.Len > 0 && pr.Image.Len <= int(pr.Size) {
			b := make([]byte, pr.Image.Len)
			if _, err := f.ReadAt(b, int64(pr.Offset)); err == nil {
				if n := name(b); n != "" {
					s = fmt.Sprintf("image %s (%s)", n, pr.Image.Describe())
				}
			}
		}
		if !pr.Image.BodyHashOK {
			s += ", body hash BAD"
		}
	case pr.Package != nil:
		s = "package: " + pr.Package.Content
		if pr.Package.Content == "package" {
			s += fmt.Sprintf(" %q, %d images, verify %s", pr.Package.Version, pr.Package.ImageNum, pr.Package.Verify)
		}
		if pr.Flag != nil {
			s += "; flag area: " + pr.Flag.Status
			if !pr.Flag.Erased {
				s += ", complete " + pr.Flag.Complete + ", result " + pr.Flag.ResultName
			}
		}
	case pr.NV != nil:
		s = fmt.Sprintf("NV store: %d keys, %d corrupt", len(pr.NV.Keys), pr.NV.Corrupt)
	case pr.ABConfig != nil:
		s = fmt.Sprintf("%s; AB config %s, run region %s", pr.Content, pr.ABConfig.State, pr.ABConfig.Region)
	}
	if pr.Note != "" {
		s += " — " + pr.Note
	}
	return s
}

// deviceNamer names images by the run's declarations.
func deviceNamer(d *emulator.Device) namer {
	if d == nil {
		return nil
	}
	return d.NameOf
}
