package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("run", "run a scenario script and check its expectations", runRun)
}

// runRun is `ws63emu run FILE.scn... [--trace] [--json FILE] [--junit FILE]
// [--html FILE] [--flash-out FILE] [--ops FILE] [--engine go|sdk --sdk DIR]`.
// Exit 0 when every expectation of every script holds, 1 on a failed
// expectation (the line, what was expected, what was seen), 2 on a parse
// error or a command that cannot be carried out. The scripts are all
// parsed, and every output checked, before any runs; each runs even when
// an earlier one failed. The trace, the reports and the flash are written
// whatever the outcome, so a failure can be looked into. SIGINT/SIGTERM
// stop the run between commands: the reports of what ran are written,
// exit 130/143.
func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	trace := fs.Bool("trace", false, "print the event trace (boots, phases, flag writes, progress)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file (several scripts: {\"reports\": [...]})")
	flashOut := fs.String("flash-out", "", "save the final 4 MiB flash to this file (one script only)")
	junitOut := fs.String("junit", "", "write JUnit XML to this file: one case per script")
	htmlOut := fs.String("html", "", htmlHelp+" (one script only)")
	opsOut := fs.String("ops", "", "write every flash operation as one JSON line to this file (docs/ops-format.md; one script only)")
	ef := addEngineFlags(fs) // cmd_sdk.go
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu run FILE.scn... [--trace] [--json FILE] [--junit FILE] [--html FILE] [--flash-out FILE] [--ops FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errors.New("run: want one or more scenario files (- for standard input)")
	}
	for _, o := range []struct{ flag, v string }{{"--flash-out", *flashOut}, {"--html", *htmlOut}, {"--ops", *opsOut}} {
		if o.v != "" && fs.NArg() > 1 {
			return fmt.Errorf("run: %s takes one scenario file, got %d", o.flag, fs.NArg())
		}
	}
	var o scenarios.Options
	if err := ef.apply(&o); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	defer ef.close()
	o.Logger = cliLogger
	var scripts []*scenarios.Script
	files := cliio.New(stdout)
	for _, name := range fs.Args() {
		s, err := scenarios.ParseFile(name)
		if err != nil {
			return err
		}
		scripts = append(scripts, s)
		addScriptInputs(files, s)
	}
	files.Output("--json", *jsonOut)
	files.Output("--junit", *junitOut)
	files.Output("--html", *htmlOut)
	files.Output("--flash-out", *flashOut)
	files.Output("--ops", *opsOut)
	if err := files.Check(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if files.ToStdout() {
		stdout = stderr // the report must not mix with the data
	}
	var results []runResult
	for _, s := range scripts {
		if runContext.Err() != nil {
			break
		}
		so := o
		var ops bytes.Buffer
		if *opsOut != "" {
			so.Ops = &ops
		}
		rec := htmlreport.NewRecorder()
		if *htmlOut != "" {
			so.Observe = rec.Observe
		}
		r := scenarios.NewRunner(s, so)
		start := time.Now()
		rep, runErr := r.RunContext(runContext)
		results = append(results, runResult{rep: rep, err: runErr, wall: time.Since(start)})
		printReport(stdout, rep, *trace)
		annotateRun(stdout, rep, runErr)
		if *flashOut != "" && r.Device() == nil {
			r.Close()
			return fmt.Errorf("run: --flash-out: %s made no device", rep.File)
		}
		if *htmlOut != "" {
			b, err := runHTML(commandLine("run", args), rec.Finish(s, rep, runErr, r.Device()))
			if err != nil {
				r.Close()
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
		r.Close()
	}
	if err := stageRunReports(files, results, *jsonOut, *junitOut); err != nil {
		return err
	}
	if err := files.Commit(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := interrupted("run: %d of %d scripts run, reports written", len(results), len(scripts)); err != nil {
		return err
	}
	return runOutcome(results)
}

// scriptFiles declares a parsed script and the files it reads as the
// inputs of a command.
func scriptFiles(stdout io.Writer, s *scenarios.Script) *cliio.Files {
	files := cliio.New(stdout)
	addScriptInputs(files, s)
	return files
}

// addScriptInputs declares a parsed script and the files it reads as
// inputs of files.
func addScriptInputs(files *cliio.Files, s *scenarios.Script) {
	files.Input("", s.File)
	for _, p := range s.InputFiles() {
		files.Input("", p)
	}
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
