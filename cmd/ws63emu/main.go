// Command ws63emu emulates the HiSilicon WS63 firmware-upgrade (FOTA) flow.
//
// main only calls run; each subcommand lives in its own cmd_*.go file and is
// listed in the commands table, which root.go turns into the cobra tree.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Exit statuses (docs/design.md §6); a command stopped by SIGINT or SIGTERM
// exits 128 + the signal number: 130, 143 (signals.go).
const (
	exitOK       = 0
	exitFailed   = 1 // an expectation or a verification failed
	exitBadInput = 2 // bad usage or bad input
)

// command is one subcommand: its one-line help and its entry point.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is the subcommand table; each entry's code is in cmd_<name>.go.
var commands = map[string]command{}

// register adds a subcommand; called from the init of each cmd_*.go file.
func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("ws63emu: duplicate command " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

// runFunc is a subcommand's entry point.
type runFunc func(args []string, stdout, stderr io.Writer) error

// subcommand is one verb of a command with verbs (image build, flash new).
type subcommand struct {
	name string
	run  runFunc
}

// dispatch runs the verb args[0] of command name, printing usage for help
// and for a missing or unknown verb.
func dispatch(name string, usage func(io.Writer), subs []subcommand, args []string, stdout, stderr io.Writer) error {
	if (len(args) == 0 || args[0] == "--help") && noteVerbs(stderr, subs) { // help and completion introspection (root.go)
		usage(stderr)
		return pflag.ErrHelp
	}
	names := make([]string, len(subs))
	for i, sc := range subs {
		names[i] = sc.name
	}
	want := strings.Join(names, ", ")
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%s: want a subcommand: %s", name, want)
	}
	for _, sc := range subs {
		if sc.name == args[0] {
			return sc.run(args[1:], stdout, stderr)
		}
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("%s: unknown subcommand %q (want %s)", name, args[0], want)
}

// failedError marks an outcome that is a failure (exit 1), not bad input.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

// failed returns an error that makes ws63emu exit with status 1.
func failed(format string, a ...any) error { return &failedError{fmt.Sprintf(format, a...)} }

// exitCode maps an error from a subcommand to the process exit status.
func exitCode(err error) int {
	var f *failedError
	var sig *signalError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return exitOK
	case errors.As(err, &sig):
		return 128 + int(sig.sig)
	case errors.As(err, &f):
		return exitFailed
	default:
		return exitBadInput
	}
}

func main() {
	ctx, stop := watchSignals()
	runContext = ctx
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, pflag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "ws63emu:", err)
	}
	os.Exit(exitCode(err))
}
