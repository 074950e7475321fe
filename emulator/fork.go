package emulator

import (
	"fmt"
	"maps"
	"time"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/upg"
)

// Clock is the simulated time the device spent outside the flash's own
// operation time: CPU work, boot start-ups, delays. Now() is
// Flash.Elapsed() + Clock().
func (d *Device) Clock() time.Duration { return d.cpu + d.extra }

// Checkpoint is what a power-cut sweep keeps of a device at one flash
// operation, besides its flash and efuse (which the sweep keeps itself, as
// copy-on-write snapshots): everything about the device that a power cut
// does not clear — its configuration, the programs' registered user
// verification, boots since manufacture, the clock — and what the
// emulator remembers outside the device (image names, the history of
// past boots). A power cut clears RAM, the retention registers and the
// running state (volatileFields); those are not kept.
//
// TestCheckpointFields makes sure every Device field is classified, so a
// new field is either carried across a cut or named volatile.
type Checkpoint struct {
	d Device
}

// volatileFields are the Device fields a power cut clears; Checkpoint and
// Resume reset them as powerLost does. Every other field survives.
var volatileFields = []string{"regs", "state", "app", "appName", "why", "trace", "region", "fellBack", "phaseAfterFlag", "engineErr", "appBuf"}

// Checkpoint captures d's lasting state now. Taken in a flash hook, it is
// the state just before that operation. It costs a struct copy and two
// small map copies.
func (d *Device) Checkpoint() *Checkpoint {
	c := &Checkpoint{d: *d}
	c.d.Flash, c.d.Efuse = nil, nil
	c.d.regs, c.d.state, c.d.app, c.d.appName, c.d.why, c.d.trace = nil, Off, nil, "", "", nil
	c.d.region, c.d.fellBack, c.d.phaseAfterFlag = upg.Region(0), false, ""
	c.d.engineErr, c.d.appBuf = nil, nil
	c.d.names = maps.Clone(d.names)
	c.d.userVerify = maps.Clone(d.userVerify)
	return c
}

// Boots is the number of boots since manufacture at the checkpoint.
func (c *Checkpoint) Boots() int { return c.d.boot }

// Resume returns a new device in the state a power cut at the checkpoint
// leaves: Off, RAM and retention registers lost, no app, with the
// checkpoint's lasting state and flash f and efuse ef — the caller's: f is
// normally restored from the snapshot taken with the checkpoint and torn
// with flash.ApplyTorn, so that it is off exactly as a cut leaves it. Its
// trace starts with the "power lost" event a cut emits.
//
// This is what makes a sweep exact without replaying: after a cut only
// flash and efuse carry device state (package doc), so the resumed device
// behaves, from its next PowerOn, as the device that was cut. A
// Checkpoint is only read: many goroutines may Resume one at once.
func (c *Checkpoint) Resume(f *flash.Device, ef *efuse.Bank) *Device {
	if !f.Off() {
		f.CutNow()
	}
	n := &Device{}
	*n = c.d
	n.Flash, n.Efuse = f, ef
	n.regs = map[uint32]uint32{}
	n.names = maps.Clone(c.d.names)
	n.userVerify = maps.Clone(c.d.userVerify)
	n.emit(KindPower, fmt.Sprintf("power lost at flash op #%d (phase %q)", f.OpCount()-1, f.Phase()))
	return n
}

// AfterCut is Checkpoint().Resume(f, ef) with the boot count and clock
// (Clock) given instead of d's current ones.
func (d *Device) AfterCut(f *flash.Device, ef *efuse.Bank, boots int, clock time.Duration) *Device {
	c := d.Checkpoint()
	c.d.boot, c.d.cpu, c.d.extra = boots, 0, clock
	return c.Resume(f, ef)
}
