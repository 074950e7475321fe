package emulator

import (
	"errors"
	"fmt"
)

// Check verifies the device's invariants, as bbolt checks a database after
// every test: the flash's copy-on-write bookkeeping, and a state that
// agrees with itself (an app object exactly when an app runs, a powered
// flash unless the device is off). Tests call it after every run.
func (d *Device) Check() error {
	var errs []error
	if err := d.Flash.Check(); err != nil {
		errs = append(errs, err)
	}
	switch d.state {
	case Running:
		if d.app == nil || d.appName == "" {
			errs = append(errs, fmt.Errorf("emulator: check: running without an app (%q)", d.appName))
		}
		if d.Flash.Off() {
			errs = append(errs, errors.New("emulator: check: running with the flash powered off"))
		}
	case Off:
		if d.app != nil {
			errs = append(errs, errors.New("emulator: check: an app object survives while off"))
		}
	default:
		if d.app != nil || d.appName != "" {
			errs = append(errs, fmt.Errorf("emulator: check: %s with an app %q", d.state, d.appName))
		}
	}
	if d.phaseAfterFlag != "" {
		errs = append(errs, fmt.Errorf("emulator: check: flag write to %q never completed", d.phaseAfterFlag))
	}
	return errors.Join(errs...)
}
