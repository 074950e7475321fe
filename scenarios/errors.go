package scenarios

import (
	"errors"
	"fmt"
)

// Sentinels, one per way a scenario stops. Each comes wrapped in a typed
// error that names the file and line.
var (
	// ErrSyntax is returned (inside a *SyntaxError) when a line is not a
	// valid command: unknown command or key, missing or repeated
	// argument, bad value, a name used before it is declared.
	ErrSyntax = errors.New("scenarios: syntax error")
	// ErrExpectation is returned (inside an *ExpectError) when an expect
	// line does not hold.
	ErrExpectation = errors.New("scenarios: expectation failed")
	// ErrCommand is returned (inside a *CommandError) when a well-formed
	// command cannot be carried out: a file that cannot be read, an image
	// that does not build, a store while no app runs.
	ErrCommand = errors.New("scenarios: command failed")
)

// SyntaxError is a parse error at one line of a scenario file.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// ExpectError is a failed expectation: the line, what it expected and
// what the device showed.
type ExpectError struct {
	File     string
	Line     int
	Expected string // the expectation as written, e.g. "verdict upgraded"
	Seen     string // what the device showed, e.g. "kept-old"
}

func (e *ExpectError) Error() string {
	return fmt.Sprintf("%s:%d: expected %s, saw %s", e.File, e.Line, e.Expected, e.Seen)
}

// Unwrap returns ErrExpectation.
func (e *ExpectError) Unwrap() error { return ErrExpectation }

// CommandError is a command that could not be carried out.
type CommandError struct {
	File string
	Line int
	Cmd  string // the command name
	Err  error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Cmd, e.Err)
}

// Unwrap returns ErrCommand and the cause.
func (e *CommandError) Unwrap() []error { return []error{ErrCommand, e.Err} }
