package htmlreport

import "github.com/ws63emu/ws63emu/scenarios"

// Page is everything one HTML file shows; the views present are drawn in
// this order: run (timeline, flag strip), flash map, comparison, sweeps.
type Page struct {
	Title   string       `json:"title"`
	Command string       `json:"command,omitempty"` // the command that made it, as the user would type it
	Run     *RunView     `json:"run,omitempty"`
	Flash   *FlashView   `json:"flash,omitempty"`
	Compare *CompareView `json:"compare,omitempty"`
	Sweeps  []*SweepView `json:"sweeps,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
	Lab     *LabView     `json:"lab,omitempty"`
}

// LabView is set on the lab's page: how the script talks to its server.
type LabView struct {
	Token string `json:"token"`
}

// RunView is one scenario run: outcome, timeline, flash operations and
// flag-area history.
type RunView struct {
	File         string                  `json:"file"`
	Script       string                  `json:"script,omitempty"` // canonical text of what ran
	Passed       bool                    `json:"passed"`
	Failure      string                  `json:"failure,omitempty"`
	State        string                  `json:"state"`
	Running      string                  `json:"running"`
	Verdict      string                  `json:"verdict"`
	Boots        int                     `json:"boots"`
	SimNS        int64                   `json:"sim_ns"`
	FlashOps     uint64                  `json:"flash_ops"`
	FlashSHA256  string                  `json:"flash_sha256"`
	Expectations []scenarios.Expectation `json:"expectations"`
	Spans        []SpanView              `json:"spans"`
	Events       []EventView             `json:"events"`
	Cuts         []EventView             `json:"cuts"` // power lost at an operation
	Commands     []CommandView           `json:"commands"`
	// Ops are the flash operations from the device's manufacture on, as
	// runs; empty when the run was not recorded (trace only).
	Ops []OpRun `json:"ops"`
	// Flag is the flag area's history; nil when the layout has none.
	Flag *FlagView `json:"flag,omitempty"`
	// BeforeOp is the operation counter at the first power-on: the
	// flash map's "before" is the flash then.
	BeforeOp uint64 `json:"before_op"`
}

// SpanView is a stretch of the timeline (emulator.Span).
type SpanView struct {
	Boot  int    `json:"boot"`
	Name  string `json:"name"`
	Class string `json:"class"` // boot, power, step, store, verify, erase, write, flag, app, other
	T0    int64  `json:"t0"`    // simulated ns
	T1    int64  `json:"t1"`
	Op0   uint64 `json:"op0"` // operation counter at the start
	Ops   uint64 `json:"ops"` // operations issued in it
}

// EventView is one trace event worth showing (progress lines are left out).
type EventView struct {
	T    int64  `json:"t"`
	Op   uint64 `json:"op"`
	Boot int    `json:"boot"`
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
}

// CommandView is one command of the script as it ran: its line, text and
// where on the timeline it started (commands before the device have none).
type CommandView struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	Op   uint64 `json:"op"`
	T    int64  `json:"t"`
	Dev  bool   `json:"dev"` // the device existed when it started
}

// OpRun is a run of consecutive flash operations of one kind: programs of
// consecutive bytes within one sector, or one erase.
type OpRun struct {
	Op    uint64 `json:"op"` // first operation
	N     uint32 `json:"n"`  // operations
	Kind  string `json:"k"`  // "e" erase, "p" program
	Addr  uint32 `json:"a"`
	Len   uint32 `json:"l"`  // bytes covered
	T0    int64  `json:"t0"` // simulated ns when the first was issued
	T1    int64  `json:"t1"` // when the last was issued
	Phase string `json:"ph"`
}

// FlagView is the flag area over time.
type FlagView struct {
	Addr   uint32       `json:"addr"`
	Fields []FlagField  `json:"fields"`
	States []FlagState  `json:"states"`
	Status []FlagStatus `json:"status_names"` // legend of the retry statuses
}

// FlagField is a field of fota_upgrade_flag_area_t (docs/sdk-mapping.md §3.3).
type FlagField struct {
	Name  string `json:"name"`
	Off   int    `json:"off"`
	Len   int    `json:"len"`
	Retry bool   `json:"retry"` // three retry bytes (firmware_flag[i], nv_flag)
}

// FlagStatus names a retry-byte state for the legend.
type FlagStatus struct {
	Name string `json:"name"`
	Meta string `json:"meta"`
}

// FlagState is the flag area after an operation that touched it.
type FlagState struct {
	Op     uint64   `json:"op"` // the operation after which the bytes are these
	T      int64    `json:"t"`
	Boot   int      `json:"boot"`
	Hex    string   `json:"hex"`    // upg.FlagAreaLen bytes
	What   string   `json:"what"`   // the fields that changed
	Retry  []string `json:"retry"`  // status per retry field, in Fields order
	Result string   `json:"result"` // update_result's name
	Status string   `json:"status"` // complete_flag: pending, half, finished, other
}

// FlashView is the 4 MiB flash by partition and sector.
type FlashView struct {
	Layout     string     `json:"layout"`
	Partitions []PartView `json:"partitions"`
	// FlagAddr is the flag area's address, -1 without one.
	FlagAddr int64 `json:"flag_addr"`
	// HasBefore: Before* and the op counts describe a run; a flash file
	// shown alone has only After.
	HasBefore  bool     `json:"has_before"`
	BeforeUsed []int    `json:"before_used,omitempty"` // per sector: bytes not 0xFF
	AfterUsed  []int    `json:"after_used"`
	Changed    string   `json:"changed,omitempty"`  // per sector: '1' when its bytes differ after the run
	Erases     []int    `json:"erases,omitempty"`   // per sector: erase operations since the first power-on
	Programs   []int    `json:"programs,omitempty"` // per sector: program operations since the first power-on
	Warnings   []string `json:"warnings"`
}

// PartView is one partition and what it holds before and after.
type PartView struct {
	ID     uint8  `json:"id"`
	Name   string `json:"name"`
	Off    uint32 `json:"off"`
	Size   uint32 `json:"size"`
	Before string `json:"before,omitempty"`
	After  string `json:"after"`
}

// SweepView is a sweep's points, grouped for the sweep map.
type SweepView struct {
	Title   string   `json:"title"`
	File    string   `json:"file"`
	Ops     int      `json:"ops"`
	FirstOp uint64   `json:"first_op"`
	Stride  int      `json:"stride"`
	Steps   int      `json:"steps"` // points per tear model: operations taken (Ops / Stride, rounded up)
	Tears   []string `json:"tears"`
	// Verdicts is the code table of Rows: verdict v fails or passes.
	Verdicts []string `json:"verdicts"`
	// Rows has one string per tear model, one character per step (an
	// operation taken: every Stride-th of the sweep block):
	// '.' not run (another shard), else 'A'+2·v (+1 when the point fails).
	Rows []string `json:"rows"`
	// Phases are runs of steps with the same phase label.
	Phases    []PhaseBand `json:"phases"`
	Counts    []CountView `json:"counts"` // per verdict, all tear models
	Reference string      `json:"reference"`
	Windows   []string    `json:"windows"`
	Failing   []FailView  `json:"failing"`    // up to MaxFailing
	FailTotal int         `json:"fail_total"` // all of them
	Timelines []*RunView  `json:"timelines"`  // recorded replays of some failing points
	Summary   string      `json:"summary"`    // the text summary ws63emu sweep prints
	Doubles   int         `json:"doubles,omitempty"`
}

// PhaseBand is a run of steps whose operations carry one phase label.
type PhaseBand struct {
	From  int    `json:"from"` // first step
	To    int    `json:"to"`   // last step
	Name  string `json:"name"`
	Class string `json:"class"`
}

// CountView is a verdict and its number of points.
type CountView struct {
	Verdict string `json:"verdict"`
	N       int    `json:"n"`
	Failing int    `json:"failing"`
}

// FailView is a failing point.
type FailView struct {
	Step     int    `json:"step"`  // the map's column: the position among the operations taken
	Model    int    `json:"model"` // index into Tears
	Op       uint64 `json:"op"`
	Phase    string `json:"phase"`
	Kind     string `json:"kind"`
	Addr     uint32 `json:"addr"`
	Len      uint32 `json:"len"`
	Tear     string `json:"tear"`
	Verdict  string `json:"verdict"`
	Boots    int    `json:"boots"`
	Failure  string `json:"failure"`
	Token    string `json:"token"`
	Timeline int    `json:"timeline"` // index into Timelines, -1 when not embedded
}

// CompareView is the compare-schemes table as numbers for charts.
type CompareView struct {
	Schemes []string `json:"schemes"`
	Metrics []Metric `json:"metrics"`
	Notes   []string `json:"notes"`
}

// Metric is one row of the comparison: a value per scheme.
type Metric struct {
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Values []float64 `json:"values"`
	Text   []string  `json:"text"`             // the values as the table prints them ("—" when it does not apply)
	Better string    `json:"better,omitempty"` // "lower" or "higher"
}
