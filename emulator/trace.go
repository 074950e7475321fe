package emulator

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Kind classifies trace events.
type Kind string

// Trace event kinds.
const (
	KindFactory Kind = "factory"
	KindPower   Kind = "power"
	KindBoot    Kind = "boot"
	KindPhase   Kind = "phase"
	KindFlag    Kind = "flag"
	KindUART    Kind = "uart"
	KindApp     Kind = "app"
	KindFault   Kind = "fault"
	KindVerdict Kind = "verdict"
	KindStep    Kind = "step" // a scenario or demo step (Note)
)

// Event is one trace entry. At is simulated time; Op is the flash operation
// counter when it happened.
type Event struct {
	Seq  int           `json:"seq"`
	At   time.Duration `json:"at_ns"`
	Boot int           `json:"boot"`
	Op   uint64        `json:"op"`
	Kind Kind          `json:"kind"`
	Msg  string        `json:"msg"`
	// State is set on boot events: the retention register and the efuse
	// anti-rollback words at the start of the boot (recovery.go).
	State *BootState `json:"state,omitempty"`
}

func (e Event) String() string {
	return fmt.Sprintf("%10.3fms boot=%-2d op=%-6d %-7s %s", float64(e.At)/float64(time.Millisecond), e.Boot, e.Op, e.Kind, e.Msg)
}

func (d *Device) emit(k Kind, msg string) {
	e := Event{Seq: len(d.trace), At: d.Now(), Boot: d.boot, Op: d.Flash.OpCount(), Kind: k, Msg: msg}
	d.trace = append(d.trace, e)
	if ce := d.log.Check(zap.DebugLevel, msg); ce != nil { // no field is built when logging is off
		ce.Write(zap.String("kind", string(k)), zap.Int("boot", e.Boot), zap.Uint64("op", e.Op), zap.Duration("at", e.At))
	}
}

// Trace returns the events so far.
func (d *Device) Trace() []Event { return d.trace }

// Note adds a scenario-level event (e.g. "store app-v2") to the trace.
func (d *Device) Note(msg string) { d.emit(KindStep, msg) }
