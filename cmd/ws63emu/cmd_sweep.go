package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("sweep", "power-cut sweep: cut at every flash operation of a scenario's sweep block", runSweep)
}

const sweepUsage = `usage: ws63emu sweep FILE.scn [--tears before,after,prefix,bits] [--stride N] [--jobs N]
                     [--shard I/N] [--json FILE] [--junit FILE] [--html FILE] [--verify-determinism N] [--double N]
       ws63emu sweep merge A.json B.json ... [-o FILE] [--junit FILE] [--html FILE]`

// runSweep is `ws63emu sweep FILE.scn …` and `ws63emu sweep merge …`.
// Exit 0 when the reference run and every point pass, 1 when a point
// fails the scenario's expectations after the sweep block (each failing
// point is printed with its reproduction token), 2 on bad usage or input.
func runSweep(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "merge" {
		return runSweepMerge(args[1:], stdout, stderr)
	}
	fs := newFlagSet("sweep", stderr)
	tears := fs.String("tears", "before", "tear models, comma-separated: before, after, prefix (half the operation), prefix:K, bits (scenario seed), bits:SEED")
	stride := fs.Int("stride", 1, "cut at every Nth flash operation only")
	jobs := fs.Int("jobs", 0, "workers (default: all cores); the results do not depend on it")
	shard := fs.String("shard", "", "run shard I of N (I/N, 0-based: 0 ≤ I < N): the points whose index ≡ I mod N; auto or auto/N: from the CI's environment")
	jsonOut := fs.String("json", "", "write every point as JSON to this file (ws63emu sweep merge joins shards)")
	junitOut := fs.String("junit", "", "write JUnit XML to this file: a summary case and one case per failing point")
	htmlOut := fs.String("html", "", "write the sweep map (every cut point by verdict, failing points with token and timeline) as a self-contained HTML file")
	double := fs.Int("double", 0, "also cut a second time during the recovery of each point: N operations of it, evenly spaced")
	verify := fs.Int("verify-determinism", 0, "run N sample points twice more and compare their trace hashes (the first and last also replayed plainly)")
	maxFail := fs.Int("failures", 10, "failing points to list in the summary")
	noMemo := fs.Bool("no-memo", false, "do not reuse repeated work across points (slower; same results)")
	ef := addEngineFlags(fs) // cmd_sdk.go
	fs.Usage = func() {
		fmt.Fprintln(stderr, sweepUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("sweep: want one scenario file, got %d arguments", fs.NArg())
	}
	o := scenarios.SweepOptions{Stride: *stride, Jobs: *jobs, VerifyDeterminism: *verify, NoMemo: *noMemo, Double: *double}
	var eo scenarios.Options
	if err := ef.apply(&eo); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer ef.close()
	o.Engine, o.SDK = eo.Engine, eo.SDK
	var err error
	if o.Tears, err = scenarios.ParseTearModels(*tears); err != nil {
		return fmt.Errorf("sweep: --tears: %w", err)
	}
	if *stride < 1 {
		return fmt.Errorf("sweep: --stride %d: want at least 1", *stride)
	}
	if *double < 0 || *verify < 0 {
		return fmt.Errorf("sweep: --double %d / --verify-determinism %d: want 0 or more", *double, *verify)
	}
	if *jobs < 0 {
		return fmt.Errorf("sweep: --jobs %d: want 0 (all cores) or more", *jobs)
	}
	if *maxFail < 0 {
		return fmt.Errorf("sweep: --failures %d: want 0 or more", *maxFail)
	}
	if *shard != "" {
		if o.Shard, o.Shards, err = parseShard(*shard); err != nil {
			return err
		}
	}
	s, err := scenarios.ParseFile(fs.Arg(0))
	if err != nil {
		return err
	}
	files := scriptFiles(stdout, s)
	files.Output("--json", *jsonOut)
	files.Output("--junit", *junitOut)
	files.Output("--html", *htmlOut)
	if err := files.Check(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if !expectsAfterSweep(s) {
		fmt.Fprintf(stderr, "sweep: warning: %s has no expect line after sweep-end: every point powers on and settles, but nothing is checked, so no point can fail\n", s.File)
	}
	if files.ToStdout() {
		stdout = stderr // the summary must not mix with the data
	}
	o.Logger = cliLogger
	meter := newProgressMeter(stderr, "sweep "+s.File)
	if meter != nil {
		o.PhaseProgress = meter.update
	}
	start := time.Now()
	rep, err := scenarios.SweepContext(runContext, s, o)
	meter.clear()
	if err != nil {
		if ierr := interrupted("sweep %s: stopped before any point ran, no report written", s.File); ierr != nil {
			return ierr
		}
		return err
	}
	if *htmlOut != "" {
		b, err := sweepHTML(commandLine("sweep", args), s, rep)
		if err != nil {
			return err
		}
		files.Stage(*htmlOut, b, 0o644)
	}
	return finishSweepTimed(rep, stdout, files, *jsonOut, *junitOut, *maxFail, time.Since(start))
}

// finishSweep prints the summary, writes the outputs and maps the outcome
// to the exit status.
func finishSweep(rep *scenarios.SweepReport, stdout io.Writer, files *cliio.Files, jsonOut, junitOut string, maxFail int) error {
	return finishSweepTimed(rep, stdout, files, jsonOut, junitOut, maxFail, 0)
}

// finishSweepTimed is finishSweep with the wall time the sweep took, for
// the JUnit time attributes (0: unknown). A partial report (the sweep
// was interrupted) is written all the same, and exits 130 or 143.
func finishSweepTimed(rep *scenarios.SweepReport, stdout io.Writer, files *cliio.Files, jsonOut, junitOut string, maxFail int, wall time.Duration) error {
	rep.Tool = toolVersion()
	rep.WriteSummary(stdout, maxFail)
	annotateSweep(stdout, rep, maxFail)
	if jsonOut != "" {
		b, err := rep.EncodeJSON()
		if err != nil {
			return err
		}
		files.Stage(jsonOut, b, 0o644)
	}
	if junitOut != "" {
		b, err := rep.JUnitTimed(wall)
		if err != nil {
			return err
		}
		files.Stage(junitOut, b, 0o644)
	}
	if err := files.Commit(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if p := rep.Partial; p != nil {
		if err := interrupted("sweep %s: %d of %d %s run, partial reports written", rep.File, p.Done, p.Of, p.Phase); err != nil {
			return err
		}
		return failed("sweep %s: partial report: %s", rep.File, p)
	}
	if !rep.Passed() {
		switch {
		case !rep.Reference.Pass:
			return failed("sweep %s: the reference run (no cut) fails: %s", rep.File, rep.Reference.Failure)
		case len(rep.Failed()) > 0:
			return failed("sweep %s: %d of %d points fail their expectations", rep.File, len(rep.Failed()), len(rep.Points))
		case len(rep.FailedDoubles()) > 0:
			return failed("sweep %s: %d of %d double cuts fail their expectations", rep.File, len(rep.FailedDoubles()), len(rep.Doubles))
		default:
			return failed("sweep %s: the determinism check found %d mismatches", rep.File, len(rep.Determinism.Mismatches))
		}
	}
	return nil
}

// expectsAfterSweep reports whether the script checks anything after its
// sweep block, which is what decides whether a point passes (true for a
// script without a block: Sweep refuses it with its own error).
func expectsAfterSweep(s *scenarios.Script) bool {
	after, block := false, false
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *scenarios.SweepCmd:
			after, block = c.End, true
		case *scenarios.ExpectCmd:
			if after {
				return true
			}
		}
	}
	return !block
}

// parseShard parses I/N (0-based), or auto and auto/N (shardFromEnv).
func parseShard(s string) (int, int, error) {
	if s == "auto" || strings.HasPrefix(s, "auto/") {
		return shardFromEnv(s, os.Getenv)
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("sweep: --shard %q: want I/N with 0 ≤ I < N", s)
	}
	return i, n, nil
}

// runSweepMerge is `ws63emu sweep merge A.json B.json … [-o FILE] [--junit FILE]`.
func runSweepMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep merge", stderr)
	out := fs.StringP("output", "o", "", "write the merged JSON report to this file")
	junitOut := fs.String("junit", "", "write JUnit XML of the merged report to this file")
	htmlOut := fs.String("html", "", "write the merged sweep map as a self-contained HTML file (no embedded timelines: replay --html draws one)")
	maxFail := fs.Int("failures", 10, "failing points to list in the summary")
	partial := fs.Bool("allow-partial", false, "merge even when shards are missing (otherwise exit 1 naming them)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, sweepUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("sweep merge: want one or more JSON reports")
	}
	if *maxFail < 0 {
		return fmt.Errorf("sweep merge: --failures %d: want 0 or more", *maxFail)
	}
	files := cliio.New(stdout)
	for _, name := range fs.Args() {
		files.Input("", name)
	}
	files.Output("-o", *out)
	files.Output("--junit", *junitOut)
	files.Output("--html", *htmlOut)
	if err := files.Check(); err != nil {
		return fmt.Errorf("sweep merge: %w", err)
	}
	if files.ToStdout() {
		stdout = stderr // the summary must not mix with the data
	}
	var parts []*scenarios.SweepReport
	for _, name := range fs.Args() {
		b, err := cliio.ReadFile(name, scenarios.MaxSweepReportLen, "a sweep report")
		if err != nil {
			return fmt.Errorf("sweep merge: %w", err)
		}
		r, err := scenarios.DecodeSweepReport(name, bytes.NewReader(b))
		if err != nil {
			return err
		}
		parts = append(parts, r)
	}
	rep, err := scenarios.MergeSweeps(parts...)
	if err != nil {
		return err
	}
	if missing := missingShards(rep); len(missing) > 0 && !*partial {
		return failed("sweep merge: %d of %d shards missing (%s): %d of %d points run; --allow-partial merges them anyway",
			len(missing), rep.Shards, strings.Join(missing, ", "), len(rep.Points), rep.Total)
	}
	if *htmlOut != "" {
		b, err := sweepHTML(commandLine("sweep merge", args), nil, rep)
		if err != nil {
			return err
		}
		files.Stage(*htmlOut, b, 0o644)
	}
	return finishSweep(rep, stdout, files, *out, *junitOut, *maxFail)
}

// missingShards lists the shards (I/N) a merged report lacks.
func missingShards(rep *scenarios.SweepReport) []string {
	var missing []string
	have := map[int]bool{}
	for _, s := range rep.ShardList {
		have[s] = true
	}
	for s := range rep.Shards {
		if !have[s] {
			missing = append(missing, fmt.Sprintf("%d/%d", s, rep.Shards))
		}
	}
	return missing
}
