package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ws63emu/ws63emu/internal/atomicfile"
	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("replay", "re-run one sweep point from its reproduction token, with a full trace", runReplay)
}

// runReplay is `ws63emu replay TOKEN [--quiet]`: the scenario of the token
// is run from its start with a real power cut at the token's flash
// operation (no snapshot), its trace printed, and then the point's
// outcome: verdict, boots, the flash digest the sweep reported for it and
// the SHA-256 of the final flash. Exit 1 when the point fails its
// expectations (as in the sweep), 2 when the token or scenario is bad or
// the scenario changed since the sweep.
func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", stderr)
	quiet := fs.Bool("quiet", false, "do not print the trace")
	opsOut := fs.String("ops", "", "write every flash operation as one JSON line to this file (docs/ops-format.md)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu replay TOKEN [--quiet] [--ops FILE]\n\nTOKEN is FILE@op=N,tear=T,script=HASH as ws63emu sweep prints it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("replay: want one token, got %d arguments", fs.NArg())
	}
	tok, err := scenarios.ParseToken(fs.Arg(0))
	if err != nil {
		return err
	}
	s, err := scenarios.ParseFile(tok.File)
	if err != nil {
		return err
	}
	if sum := scenarios.ScriptSum(s); tok.Sum != "" && !strings.HasPrefix(sum, tok.Sum) {
		return fmt.Errorf("replay: %s has changed since the sweep (script %.12s, token %s): re-run the sweep", tok.File, sum, tok.Sum)
	}
	var rep *scenarios.Report
	var pt scenarios.PointResult
	var second scenarios.DoubleResult
	var runErr error
	var ops bytes.Buffer
	o := scenarios.Options{}
	if *opsOut != "" {
		o.Ops = &ops
	}
	if tok.Tear2 != nil {
		rep, second, runErr = scenarios.ReplayDouble(s, tok.Op, tok.Tear, tok.Op2, *tok.Tear2, o)
	} else {
		rep, pt, runErr = scenarios.Replay(s, tok.Op, tok.Tear, o)
	}
	if *opsOut != "" {
		if err := atomicfile.Write(*opsOut, ops.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if rep == nil {
		return runErr
	}
	printReport(stdout, rep, !*quiet)
	if tok.Tear2 != nil {
		if second.Kind == "" { // a cut never fired
			return runErr
		}
		fmt.Fprintf(stdout, "replay %s: first cut at flash op #%d (%s); second cut at flash op #%d %s 0x%06x+%d (%s), line %d, tear %s: verdict %s after %d boots\n",
			tok.File, tok.Op, tok.Tear, second.Op, second.Kind, second.Addr, second.Len, second.Phase, second.Line, second.Tear, second.Verdict, second.Boots)
		fmt.Fprintf(stdout, "flash digest %s\nflash sha256 %s\n", second.FlashDigest, rep.FlashSHA256)
		return replayExit(runErr)
	}
	if pt.Line == 0 { // the cut never fired, or the run stopped before it
		return runErr
	}
	fmt.Fprintf(stdout, "replay %s: cut at flash op #%d %s 0x%06x+%d (%s), line %d, tear %s: verdict %s after %d boots\n",
		tok.File, pt.Op, pt.Kind, pt.Addr, pt.Len, pt.Phase, pt.Line, pt.Tear, pt.Verdict, pt.Boots)
	fmt.Fprintf(stdout, "flash digest %s\nflash sha256 %s\n", pt.FlashDigest, rep.FlashSHA256)
	return replayExit(runErr)
}

// replayExit maps the script's outcome to the exit status: 1 for a failed
// expectation, as in the sweep.
func replayExit(runErr error) error {
	var ee *scenarios.ExpectError
	if errors.As(runErr, &ee) {
		return failed("%s:%d: expected %s, saw %s", ee.File, ee.Line, ee.Expected, ee.Seen)
	}
	return runErr
}
