package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("run", "run a scenario script and check its expectations", runRun)
}

// runRun is `ws63emu run FILE.scn... [--trace] [--json FILE] [--junit FILE]
// [--flash-out FILE]`. Exit 0 when every expectation of every script
// holds, 1 on a failed expectation (the line, what was expected, what was
// seen), 2 on a parse error or a command that cannot be carried out. The
// scripts are all parsed before any runs; each runs even when an earlier
// one failed. The trace, the reports and the flash are written whatever
// the outcome, so a failure can be looked into. SIGINT/SIGTERM stop the
// run between commands: the reports of what ran are written, exit 130/143.
func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	trace := fs.Bool("trace", false, "print the event trace (boots, phases, flag writes, progress)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file (several scripts: {\"reports\": [...]})")
	flashOut := fs.String("flash-out", "", "save the final 4 MiB flash to this file (one script only)")
	junitOut := fs.String("junit", "", "write JUnit XML to this file: one case per script")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu run FILE.scn... [--trace] [--json FILE] [--junit FILE] [--flash-out FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return errors.New("run: want one or more scenario files")
	}
	if *flashOut != "" && fs.NArg() > 1 {
		return fmt.Errorf("run: --flash-out takes one scenario file, got %d", fs.NArg())
	}
	var scripts []*scenarios.Script
	for _, name := range fs.Args() {
		s, err := scenarios.ParseFile(name)
		if err != nil {
			return err
		}
		scripts = append(scripts, s)
	}
	var results []runResult
	for _, s := range scripts {
		if runContext.Err() != nil {
			break
		}
		r := scenarios.NewRunner(s, scenarios.Options{Logger: cliLogger})
		start := time.Now()
		rep, runErr := r.RunContext(runContext)
		results = append(results, runResult{rep: rep, err: runErr, wall: time.Since(start)})
		printReport(stdout, rep, *trace)
		annotateRun(stdout, rep, runErr)
		if *flashOut != "" {
			d := r.Device()
			if d == nil {
				return fmt.Errorf("run: --flash-out: %s made no device", rep.File)
			}
			if err := d.Flash.Save(*flashOut); err != nil {
				return err
			}
		}
	}
	if err := writeRunReports(results, *jsonOut, *junitOut); err != nil {
		return err
	}
	if err := interrupted("run: %d of %d scripts run, reports written", len(results), len(scripts)); err != nil {
		return err
	}
	return runOutcome(results)
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
