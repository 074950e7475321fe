package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/internal/atomicfile"
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
	opsOut := fs.String("ops", "", "write every flash operation as one JSON line to this file (docs/ops-format.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu run FILE.scn [--trace] [--json FILE] [--flash-out FILE] [--ops FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("run: want one scenario file, got %d arguments", fs.NArg())
	}
	s, err := scenarios.ParseFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var ops bytes.Buffer
	o := scenarios.Options{}
	if *opsOut != "" {
		o.Ops = &ops
	}
	r := scenarios.NewRunner(s, o)
	rep, runErr := r.Run()
	if *opsOut != "" {
		if err := atomicfile.Write(*opsOut, ops.Bytes(), 0o644); err != nil {
			return err
		}
	}

	printReport(stdout, rep, *trace)

	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *flashOut != "" {
		d := r.Device()
		if d == nil {
			return fmt.Errorf("run: --flash-out: %s made no device", rep.File)
		}
		if err := d.Flash.Save(*flashOut); err != nil {
			return err
		}
	}

	var ee *scenarios.ExpectError
	if errors.As(runErr, &ee) {
		return failed("%s:%d: expected %s, saw %s", ee.File, ee.Line, ee.Expected, ee.Seen)
	}
	return runErr
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
