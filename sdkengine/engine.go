package sdkengine

import (
	"fmt"
	"runtime"

	"github.com/ws63emu/ws63emu/upg"
)

// Engine is upg.Engine over a Build: each Open is one boot of that
// program's executable in a child process. A process that ended a boot
// between calls (or by rebooting) serves a later one, its vendor state
// reset as a power-on would (Options.FreshProcesses turns this off).
type Engine struct {
	b     *Build
	o     Options
	procs *procPool // children between boots, and their flash files; safe for concurrent use
}

// Options tune an Engine.
type Options struct {
	// RoundTrips sends every chip command to the parent and waits for its
	// acknowledgement, even within the flash's quiet budget (a check of
	// the fast path; the results are the same).
	RoundTrips bool
	// FreshProcesses starts a process for every boot, as a chip starts
	// from its reset, instead of giving a process that served a boot the
	// next one after resetting the vendor's state (a check of the warm
	// path; the results are the same).
	FreshProcesses bool
}

// New returns the engine that runs b.
func New(b *Build) *Engine { return NewWith(b, Options{}) }

// NewWith returns the engine that runs b with options o.
func NewWith(b *Build, o Options) *Engine {
	e := &Engine{b: b, o: o, procs: &procPool{fresh: o.FreshProcesses}}
	// The idle children of an engine no one holds end with it.
	runtime.AddCleanup(e, func(p *procPool) { p.closeIdle() }, e.procs)
	return e
}

// Close ends the engine's idle child processes. Boots under way are not
// affected; their processes end with them. The engine still runs boots
// after Close, each in a process of its own.
func (e *Engine) Close() error {
	e.procs.closeIdle()
	return nil
}

// Build is the build the engine runs.
func (e *Engine) Build() *Build { return e.b }

// Open implements upg.Engine.
func (e *Engine) Open(prog string, f upg.Flash, o upg.Options, print func(string)) (upg.API, error) {
	if prog != "app" && prog != "flashboot" {
		return nil, fmt.Errorf("sdkengine: unknown program %q", prog)
	}
	if o.AB {
		return nil, fmt.Errorf("sdkengine: AB builds are not implemented by the SDK engine")
	}
	s, err := newSession(e.procs, e.b.Path(prog), prog, f, print, o.Hooks.Phase)
	if err != nil {
		return nil, err
	}
	s.roundTrips = e.o.RoundTrips
	s.cpu = o.Hooks.CPU
	if o.UserVerify != nil {
		// Options.UserVerify: registered at start-up, as the Go model does.
		s.RegisterUserVerify(o.UserVerify, o.UserParam)
	}
	return s, nil
}

var _ upg.Engine = (*Engine)(nil)
