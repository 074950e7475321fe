package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

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
	htmlOut := fs.String("html", "", "write the point's run as a self-contained HTML report to this file")
	opsOut := fs.String("ops", "", "write every flash operation as one JSON line to this file (docs/ops-format.md)")
	flashOut := fs.String("flash-out", "", "save the flash at the end of the replay (4 MiB) to this file")
	jsonOut := fs.String("json", "", "write the replay as JSON to this file: the token, the point's outcome and the full report")
	ef := addEngineFlags(fs) // cmd_sdk.go
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu replay TOKEN [--quiet] [--html FILE] [--ops FILE] [--flash-out FILE] [--json FILE]\n\nTOKEN is FILE@op=N,tear=T[,engine=E],script=HASH as ws63emu sweep prints it; a token from a sweep told --engine sdk replays on the SDK engine (give --sdk DIR), unless --engine says otherwise.")
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
	if err := ef.fromToken(tok); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	var o scenarios.Options
	if err := ef.apply(&o); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer ef.close()
	o.Logger = cliLogger
	if tok.Tear2 != nil && *htmlOut != "" {
		return fmt.Errorf("replay: --html draws single cuts; %s has two", fs.Arg(0))
	}
	files := scriptFiles(stdout, s)
	files.Output("--html", *htmlOut)
	files.Output("--ops", *opsOut)
	files.Output("--flash-out", *flashOut)
	files.Output("--json", *jsonOut)
	if err := files.Check(); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	var ops bytes.Buffer
	if *opsOut != "" {
		o.Ops = &ops
	}
	rep, pt, second, img, runErr := scenarios.ReplayFlash(s, tok, o)
	if rep == nil || errors.Is(runErr, scenarios.ErrNotCutPoint) {
		return runErr // a bad token: no trace of a run that is not the point
	}
	if *opsOut != "" {
		files.Stage(*opsOut, ops.Bytes(), 0o644)
	}
	if err := stageReplayOutputs(files, tok, rep, pt, second, img, *flashOut, *jsonOut); err != nil {
		return err
	}
	if *htmlOut != "" && pt.Line != 0 {
		b, err := replayHTML(commandLine("replay", args), s, rep, pt, tok.Tear)
		if err != nil {
			return err
		}
		files.Stage(*htmlOut, b, 0o644)
	}
	if err := files.Commit(); err != nil {
		return fmt.Errorf("replay: %w", err)
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
