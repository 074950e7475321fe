package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/scenarios"
)

// runResult is one script of ws63emu run.
type runResult struct {
	rep  *scenarios.Report
	err  error
	wall time.Duration
}

// runReportJSON is the JSON of one run: the report with the format and
// tool versions in front.
type runReportJSON struct {
	FormatVersion int    `json:"format_version"`
	Tool          string `json:"tool"`
	*scenarios.Report
}

// runReportsJSON is the JSON of a run of several scripts.
type runReportsJSON struct {
	FormatVersion int             `json:"format_version"`
	Tool          string          `json:"tool"`
	Reports       []runReportJSON `json:"reports"`
}

func encodeRunJSON(results []runResult) ([]byte, error) {
	var v any
	one := func(r runResult) runReportJSON {
		return runReportJSON{FormatVersion: reportFormatVersion, Tool: toolVersion(), Report: r.rep}
	}
	if len(results) == 1 {
		v = one(results[0])
	} else {
		all := runReportsJSON{FormatVersion: reportFormatVersion, Tool: toolVersion(), Reports: []runReportJSON{}}
		for _, r := range results {
			all.Reports = append(all.Reports, one(r))
		}
		v = all
	}
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

// stageRunReports stages --json and --junit of a run in files (written
// with the run's other outputs by files.Commit).
func stageRunReports(files *cliio.Files, results []runResult, jsonOut, junitOut string) error {
	if len(results) == 0 {
		return nil
	}
	if jsonOut != "" {
		b, err := encodeRunJSON(results)
		if err != nil {
			return err
		}
		files.Stage(jsonOut, b, 0o644)
	}
	if junitOut != "" {
		var outs []scenarios.RunOutcome
		for _, r := range results {
			outs = append(outs, scenarios.RunOutcome{Report: r.rep, Err: r.err, Wall: r.wall})
		}
		b, err := scenarios.RunsJUnit(outs)
		if err != nil {
			return err
		}
		files.Stage(junitOut, b, 0o644)
	}
	return nil
}

// runOutcome maps the scripts' errors to the exit status: bad input (2)
// before a failed expectation (1); each is reported with its file.
func runOutcome(results []runResult) error {
	var firstFail error
	for _, r := range results {
		var ee *scenarios.ExpectError
		switch {
		case r.err == nil:
		case errors.As(r.err, &ee):
			if firstFail == nil {
				firstFail = failed("%s:%d: expected %s, saw %s", ee.File, ee.Line, ee.Expected, ee.Seen)
			}
		default:
			return r.err
		}
	}
	if n := countFailed(results); n > 1 {
		return failed("%v (and %d more scripts failed)", firstFail, n-1)
	}
	return firstFail
}

func countFailed(results []runResult) int {
	n := 0
	for _, r := range results {
		if r.err != nil {
			n++
		}
	}
	return n
}

// annotateRun annotates a failed script at its line (GitHub Actions).
func annotateRun(w io.Writer, rep *scenarios.Report, err error) {
	var ee *scenarios.ExpectError
	var ce *scenarios.CommandError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		annotate(w, ee.File, ee.Line, "expectation failed", fmt.Sprintf("expected %s, saw %s", ee.Expected, ee.Seen))
	case errors.As(err, &ce):
		annotate(w, ce.File, ce.Line, "command failed", err.Error())
	default:
		annotate(w, rep.File, 0, "run failed", err.Error())
	}
}
