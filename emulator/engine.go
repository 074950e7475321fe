package emulator

import "github.com/ws63emu/ws63emu/upg"

// The update-library engine the programs call (upg.Options.Engine): the Go
// model by default, or the SDK engine (package sdkengine), the vendor's C
// library in a child process, reset at each program boot. The device
// closes the app's instance whenever the app stops running, and turns an
// engine failure (upg.EngineError: the child died, the vendor code reached
// a component the engine does not model) into a stuck device whose
// EngineErr says why; runners report it as an error, never as a verdict.

// closeApp drops the running app, ending its engine instance.
func (d *Device) closeApp() {
	if d.app != nil {
		_ = d.app.Close()
	}
	d.app = nil
}

// engineFailed records an engine failure inside a program.
func (d *Device) engineFailed(e *upg.EngineError) {
	d.engineErr = e
	d.closeApp()
	d.state, d.why, d.appName = Stuck, e.Error(), ""
	d.emit(KindVerdict, "stuck: "+e.Error())
}

// EngineErr is the engine failure that stopped the last settle or app
// action, or nil.
func (d *Device) EngineErr() error { return d.engineErr }

// Close ends the running app's engine instance, if any. Call it when done
// with a device that may run the SDK engine.
func (d *Device) Close() { d.closeApp() }
