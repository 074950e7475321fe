package emulator

import (
	"fmt"

	"github.com/ws63emu/ws63emu/flashboot"
	"github.com/ws63emu/ws63emu/upg"
)

// abBoot records what an AB build of flashboot did: a run-region switch
// after the third consecutive verification failure (the device has then
// fallen back, for Verdict), and on a jump the region the app runs from
// and the DMMU window that lets an app linked for region A run from B.
func (d *Device) abBoot(res flashboot.Result) {
	if res.Switched {
		d.fellBack = true
		d.emit(KindBoot, fmt.Sprintf("run region switched away from %s (try-fix-app: %s)", res.Region, res.Fix))
	}
	if res.Outcome != flashboot.JumpApp {
		return
	}
	d.region = res.Region
	msg := fmt.Sprintf("run region %s, jump to CPU 0x%06x", res.Region, res.Jump)
	if res.Remap != nil {
		msg += "; " + res.Remap.String() + " (the app, linked for region A, runs from B)"
	}
	d.emit(KindBoot, msg)
}

// RunRegion reports the AB region the running app was booted from; ok is
// false when no app runs or the device is not an AB build.
func (d *Device) RunRegion() (r upg.Region, ok bool) {
	if d.state != Running || !d.BuiltAB(ProgFlashboot) {
		return 0, false
	}
	return d.region, true
}

// Reboot is upg_reboot, the end of the guide's AB example: the SDK's
// 500 ms delay, then a chip reset.
func (d *Device) Reboot() State {
	if d.Flash.Off() {
		return d.state
	}
	d.extra += resetDelay
	return d.Reset()
}
