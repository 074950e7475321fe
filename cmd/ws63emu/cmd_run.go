package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("run", "run a scenario script and check its expectations", runRun)
}

// runRun is `ws63emu run FILE.scn [--trace] [--json FILE] [--flash-out FILE] [--ops FILE]`.
// Exit 0 when every expectation holds, 1 on a failed expectation (the line,
// what was expected, what was seen), 2 on a parse error or a command that
// cannot be carried out. The trace, the JSON report and the flash are
// written whatever the outcome, so a failure can be looked into.
func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	trace := fs.Bool("trace", false, "print the event trace (boots, phases, flag writes, progress)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	flashOut := fs.String("flash-out", "", "save the final 4 MiB flash to this file")
	htmlOut := fs.String("html", "", htmlHelp)
	ef := addEngineFlags(fs) // cmd_sdk.go
	opsOut := fs.String("ops", "", "write every flash operation as one JSON line to this file (docs/ops-format.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu run FILE.scn [--trace] [--json FILE] [--html FILE] [--flash-out FILE] [--ops FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("run: want one scenario file (- for standard input), got %d arguments", fs.NArg())
	}
	var o scenarios.Options
	if err := ef.apply(&o); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	s, err := scenarios.ParseFile(fs.Arg(0))
	if err != nil {
		return err
	}
	files := scriptFiles(stdout, s)
	files.Output("--json", *jsonOut)
	files.Output("--html", *htmlOut)
	files.Output("--flash-out", *flashOut)
	files.Output("--ops", *opsOut)
	if err := files.Check(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if files.ToStdout() {
		stdout = stderr // the report must not mix with the data
	}
	var ops bytes.Buffer
	if *opsOut != "" {
		o.Ops = &ops
	}
	rec := htmlreport.NewRecorder()
	if *htmlOut != "" {
		o.Observe = rec.Observe
	}
	r := scenarios.NewRunner(s, o)
	defer r.Close()
	rep, runErr := r.Run()

	printReport(stdout, rep, *trace)

	if *flashOut != "" && r.Device() == nil {
		return fmt.Errorf("run: --flash-out: %s made no device", rep.File)
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		files.Stage(*jsonOut, append(b, '\n'), 0o644)
	}
	if *htmlOut != "" {
		b, err := runHTML(commandLine("run", args), rec.Finish(s, rep, runErr, r.Device()))
		if err != nil {
			return err
		}
		files.Stage(*htmlOut, b, 0o644)
	}
	if *flashOut != "" {
		files.Stage(*flashOut, r.Device().Flash.Bytes(), 0o644)
	}
	if *opsOut != "" {
		files.Stage(*opsOut, ops.Bytes(), 0o644)
	}
	if err := files.Commit(); err != nil {
		return fmt.Errorf("run: %w", err)
	}

	var ee *scenarios.ExpectError
	if errors.As(runErr, &ee) {
		return failed("%s:%d: expected %s, saw %s", ee.File, ee.Line, ee.Expected, ee.Seen)
	}
	return runErr
}

// scriptFiles declares a parsed script and the files it reads as the
// inputs of a command.
func scriptFiles(stdout io.Writer, s *scenarios.Script) *cliio.Files {
	files := cliio.New(stdout)
	files.Input("", s.File)
	for _, p := range s.InputFiles() {
		files.Input("", p)
	}
	return files
}

// printReport prints a scenario report as run and replay show it: the
// trace when asked, every checked expectation, and the one-line summary.
func printReport(w io.Writer, rep *scenarios.Report, trace bool) {
	if trace {
		for _, ev := range rep.Trace {
			fmt.Fprintln(w, ev)
		}
	}
	for _, e := range rep.Expectations {
		status := "ok  "
		if !e.Pass {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s %s:%d: expect %s (saw %s)\n", status, rep.File, e.Line, e.Expect, e.Seen)
	}
	fmt.Fprintln(w, rep)
}
