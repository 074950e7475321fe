package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/internal/atomicfile"
	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("diff-engines", "run scripts on the Go model and on the SDK engine and report where they part", runDiffEngines)
}

// runDiffEngines is `ws63emu diff-engines FILE.scn... --sdk DIR [--sweep]
// [--stride N] [--tears M] [--json FILE]`: exit 0 when every script runs
// the same on both engines, 1 on any divergence, 2 on bad input.
func runDiffEngines(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("diff-engines", stderr)
	sweep := fs.Bool("sweep", false, "also sweep each script's sweep block on both engines and compare the points")
	stride := fs.Int("stride", 1, "with --sweep: cut at every Nth flash operation only")
	tears := fs.String("tears", "before", "with --sweep: tear models (as sweep --tears)")
	jobs := fs.Int("jobs", 0, "with --sweep: workers (default: all cores)")
	jsonOut := fs.String("json", "", "write every script's diff as JSON to this file")
	ef := addEngineFlags(fs) // cmd_sdk.go
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu diff-engines FILE.scn... --sdk DIR [--sweep] [--stride N] [--tears M] [--json FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("diff-engines: want at least one scenario file")
	}
	if *stride < 1 {
		return fmt.Errorf("diff-engines: --stride %d: want at least 1", *stride)
	}
	_, eng, err := ef.options()
	if err != nil {
		return fmt.Errorf("diff-engines: %w", err)
	}
	if eng == nil {
		return errors.New("diff-engines: needs --sdk DIR (an SDK checkout)")
	}
	defer ef.close()
	o := scenarios.DiffOptions{SDK: eng}
	if *sweep {
		so := &scenarios.SweepOptions{Stride: *stride, Jobs: *jobs}
		if so.Tears, err = scenarios.ParseTearModels(*tears); err != nil {
			return fmt.Errorf("diff-engines: --tears: %w", err)
		}
		o.Sweep = so
	}
	var diffs []*scenarios.EngineDiff
	parted := 0
	for _, name := range fs.Args() {
		s, err := scenarios.ParseFile(name)
		if err != nil {
			return err
		}
		d, err := scenarios.DiffEngines(s, o)
		if err != nil {
			return fmt.Errorf("diff-engines: %s: %w", name, err)
		}
		d.WriteText(stdout)
		diffs = append(diffs, d)
		if !d.Clean() {
			parted++
		}
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(diffs, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.Write(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%d of %d scripts diverge\n", parted, len(diffs))
	if parted > 0 {
		return failed("diff-engines: %d of %d scripts diverge", parted, len(diffs))
	}
	return nil
}
