package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ws63emu/ws63emu/scenarios"
)

// githubActions reports whether ws63emu runs in a GitHub Actions job,
// where "::error file=…,line=…::" lines on stdout become annotations on
// the scenario's line.
func githubActions() bool { return os.Getenv("GITHUB_ACTIONS") == "true" }

// annotate writes one GitHub error annotation (when in GitHub Actions).
func annotate(w io.Writer, file string, line int, title, msg string) {
	if !githubActions() {
		return
	}
	props := "file=" + escapeProp(file)
	if line > 0 {
		props += fmt.Sprintf(",line=%d", line)
	}
	if title != "" {
		props += ",title=" + escapeProp(title)
	}
	fmt.Fprintf(w, "::error %s::%s\n", props, escapeData(msg))
}

// escapeData and escapeProp escape a workflow command's message and
// property values as the Actions runner reads them.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// annotateSweep annotates a sweep's failures: the reference run, each
// failing window (at its first point's line, with its replay command),
// the double cuts (up to maxFail), an interruption.
func annotateSweep(w io.Writer, rep *scenarios.SweepReport, maxFail int) {
	if !githubActions() {
		return
	}
	if !rep.Reference.Pass {
		annotate(w, rep.File, 0, "sweep reference run fails", rep.Reference.Failure)
	}
	for _, win := range rep.Windows() {
		p := win.Example
		annotate(w, rep.File, p.Line, fmt.Sprintf("power cut: %s at %d point(s), ops #%d..#%d (%s)", win.Verdict, win.Points, win.FirstOp, win.LastOp, win.Phase),
			fmt.Sprintf("%s\nreproduce: ws63emu replay '%s'", p.Failure, p.Token))
	}
	fd := rep.FailedDoubles()
	for _, d := range fd[:min(len(fd), maxFail)] {
		annotate(w, rep.File, d.Line, "double power cut: "+d.Verdict, fmt.Sprintf("%s\nreproduce: ws63emu replay '%s'", d.Failure, d.Token))
	}
	if rep.Partial != nil {
		annotate(w, rep.File, 0, "sweep interrupted", rep.Partial.String())
	}
}
