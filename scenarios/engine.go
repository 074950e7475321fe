package scenarios

import (
	"fmt"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/partition"
)

// Engines: `device ... engine=go|sdk` picks the update-library engine the
// device's programs call (upg.API): the Go model, or the SDK engine (the
// vendor's C library built from an SDK checkout, package sdkengine), which
// the caller supplies as Options.SDK. Options.Engine overrides the script.

// Engine names.
const (
	EngineGo  = "go"
	EngineSDK = "sdk"
)

func parseEngine(a *args) (string, error) {
	e, ok, err := a.optional("engine")
	if err != nil || !ok {
		return "", err
	}
	if e != EngineGo && e != EngineSDK {
		return "", a.errf("engine=%q: want go or sdk", e)
	}
	return e, nil
}

// engine is the engine a device command runs on.
func (r *Runner) engine(c *DeviceCmd) string {
	if r.o.Engine != "" {
		return r.o.Engine
	}
	if c.Engine != "" {
		return c.Engine
	}
	return EngineGo
}

func (r *Runner) deviceEngine(c *DeviceCmd, cfg *emulator.Config) error {
	cfg.Upg.Hooks.API = r.o.apiHook
	if r.engine(c) != EngineSDK {
		return nil
	}
	if r.o.SDK == nil {
		return fmt.Errorf("scenarios: engine=sdk needs an SDK build (--sdk DIR)")
	}
	if c.Layout == partition.LayoutAB {
		return fmt.Errorf("scenarios: engine=sdk: AB builds are not implemented by the SDK engine")
	}
	cfg.Upg.Engine = r.o.SDK
	return nil
}

// engineFailure reports an SDK engine failure during c as the run's error:
// the engine could not go on, which is never a verdict.
func (r *Runner) engineFailure(c Command) error {
	if r.dev == nil || r.dev.EngineErr() == nil {
		return nil
	}
	return r.fail(c, "engine", r.dev.EngineErr())
}

// closeDevice ends the device's SDK engine process, if any.
func (r *Runner) closeDevice() {
	if r.dev != nil {
		r.dev.Close()
	}
}

// Close ends the SDK engine process of the runner's device, if any; the
// device is not usable for app calls after it.
func (r *Runner) Close() { r.closeDevice() }
