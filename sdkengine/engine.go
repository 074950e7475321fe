package sdkengine

import (
	"fmt"

	"github.com/ws63emu/ws63emu/upg"
)

// Engine is upg.Engine over a Build: each Open starts the build's
// executable for that program as a child process (one per boot).
type Engine struct {
	b    *Build
	o    Options
	pool shmPool // shared flash files for the sessions; safe for concurrent use
}

// Options tune an Engine.
type Options struct {
	// RoundTrips sends every chip command to the parent and waits for its
	// acknowledgement, even within the flash's quiet budget (a check of
	// the fast path; the results are the same).
	RoundTrips bool
}

// New returns the engine that runs b.
func New(b *Build) *Engine { return &Engine{b: b} }

// NewWith returns the engine that runs b with options o.
func NewWith(b *Build, o Options) *Engine { return &Engine{b: b, o: o} }

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
	s, err := newSession(&e.pool, e.b.Path(prog), prog, f, print, o.Hooks.Phase)
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
