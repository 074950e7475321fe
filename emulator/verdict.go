package emulator

import (
	"github.com/ws63emu/ws63emu/upg"
)

// Verdict is the one-word outcome of a settled device (docs/design.md §5).
type Verdict string

// Verdicts.
const (
	Upgraded         Verdict = "upgraded"          // the package's app runs
	KeptOld          Verdict = "kept-old"          // the old app runs, nothing applied
	FellBack         Verdict = "fell-back"         // AB: the old region runs after a failed switch
	RetriesExhausted Verdict = "retries-exhausted" // bootable, but the upgrade ended RETRY_ALL_FAILED
	Brick            Verdict = "brick"             // no app boots: reset loop, WFI or fix counter exhausted
	NoBootVerdict    Verdict = "no-boot"           // ssb finds no valid flashboot
	Rollback         Verdict = "rollback"          // an older anti-rollback version runs
	NVLost           Verdict = "nv-lost"           // user NV data destroyed
	Mixed            Verdict = "mixed"             // an app runs that is neither the old nor the new one
	FalseSuccess     Verdict = "false-success"     // bootable, the upgrade recorded UPDATE_SUCCESS, but an image of the package is not installed
)

// Verdict classifies the device after it settled. old and new name the app
// images burned at the factory and carried by the package.
func (d *Device) Verdict(old, new string) Verdict {
	switch d.state {
	case NoBoot:
		return NoBootVerdict
	case Off, Stuck:
		return Brick
	}
	if lost, _ := d.NVLost(); lost { // nv.go
		return NVLost
	}
	if _, ok := d.rolledBack(); ok { // recovery.go
		return Rollback
	}
	if _, ok := d.FalseSuccess(); ok { // falsesuccess.go
		return FalseSuccess
	}
	if f, err := upg.New(d.Flash, d.Table(), upg.Options{}).ReadFlag(); err == nil &&
		f.HeadMagic == upg.FlagHeadMagic && f.CompleteFlag == 0 && upg.Result(f.UpdateResult) == upg.ResultRetryAllFailed {
		return RetriesExhausted
	}
	if d.fellBack && d.appName == old && old != new {
		return FellBack // AB: flashboot switched back to the old region
	}
	switch d.appName {
	case new:
		return Upgraded
	case old:
		return KeptOld
	}
	return Mixed
}
