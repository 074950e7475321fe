package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/upg"
)

func init() {
	register("compare-schemes", "compressed vs AB upgrade of the same app: sweeps, flash written, time, capacity", runCompare)
}

// Workload of the comparison: W1 (docs/design.md §8) with the app size as a
// parameter. W1's 2 MiB app does not fit the AB layout's region B, so the
// default is an app both layouts can carry.
const (
	compareDefaultApp = 1536 << 10 // code bytes of app v1 and v2
	compareFlashboot  = 60 << 10   // W1's flashboot (the SDK's package always carries it)
	compareChunk      = 4096
)

// compareScript is the scenario of one scheme: v1 burned and running, the
// upgrade to v2 as the sweep block, then the device settles.
func compareScript(ab bool, appSize int) string {
	var b strings.Builder
	layout, what := "compress", "compressed upgrade: the SDK's default package (app + flashboot, LZMA, ECDSA) stored in 4 KiB chunks, applied by flashboot"
	if ab {
		layout, what = "ab", "AB upgrade: the guide's example (upg_ab_start, upg_ab_image_write in 4 KiB chunks, upg_set_run_region, upg_reboot)"
	}
	fmt.Fprintf(&b, "# ws63emu compare-schemes: %s\n", what)
	fmt.Fprintf(&b, "device layout=%s seed=1\n", layout)
	fmt.Fprintf(&b, "image app-v1 kind=app version=1.0.0 size=%d\n", appSize)
	fmt.Fprintf(&b, "image app-v2 kind=app version=2.0.0 size=%d\n", appSize)
	fmt.Fprintf(&b, "image fb-v1 kind=flashboot version=1.0.0 size=%d\n", compareFlashboot)
	if !ab {
		fmt.Fprintf(&b, "image fb-v2 kind=flashboot version=2.0.0 size=%d\n", compareFlashboot)
		b.WriteString("package update images=app-v2,fb-v2 ver=2.0.0\n")
	}
	b.WriteString("burn fb-v1 app-v1\npower-on\nexpect running app-v1\nsweep-begin\n")
	if ab {
		fmt.Fprintf(&b, "ab-upgrade app-v2 chunk=%d\n", compareChunk)
	} else {
		fmt.Fprintf(&b, "store update chunk=%d\nrequest-upgrade\n", compareChunk)
	}
	b.WriteString("sweep-end\nexpect verdict upgraded|kept-old\n")
	return b.String()
}

// schemeResult is one column of the table.
type schemeResult struct {
	name    string
	fits    string // "" when the app fits, else why not
	sent    int    // bytes the device receives
	sentWhy string
	maxApp  int // largest app image the layout carries
	maxWhy  string

	programmed, erased       uint64 // bytes programmed, sectors erased during the upgrade
	appTime, bootTime, total time.Duration
	sweep                    *scenarios.SweepReport
	sweepErr                 error
}

// runCompare is `ws63emu compare-schemes [--app-size N] [--tears T]
// [--stride N] [--jobs N] [--no-sweep] [--script]`.
func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare-schemes", stderr)
	appArg := fs.String("app-size", "1536K", "code bytes of the app, v1 and v2 (K and M suffixes; W1 is 2M, which AB cannot carry)")
	tearArg := fs.String("tears", "before", "tear models of the sweeps: before, after, prefix[:K], bits[:SEED], comma-separated")
	stride := fs.Int("stride", 1, "sweep every Nth flash operation (1: every one)")
	jobs := fs.Int("jobs", 0, "sweep workers (0: one per CPU); results do not depend on it")
	noSweep := fs.Bool("no-sweep", false, "skip the power-cut sweeps (the other rows take seconds)")
	script := fs.Bool("script", false, "print the two scenarios and exit")
	htmlOut := fs.String("html", "", "also write the comparison as charts, with each scheme's sweep map, to this HTML file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu compare-schemes [--app-size N] [--tears T] [--stride N] [--jobs N] [--no-sweep] [--script]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("compare-schemes: unexpected argument %q", fs.Arg(0))
	}
	appSize, err := parseByteCount(*appArg)
	if err != nil || appSize < image.IdentLen || appSize > flash.Size {
		return fmt.Errorf("compare-schemes: --app-size %q: want %d..%d bytes (K, M suffixes allowed)", *appArg, image.IdentLen, flash.Size)
	}
	tears, err := scenarios.ParseTearModels(*tearArg)
	if err != nil {
		return fmt.Errorf("compare-schemes: --tears: %w", err)
	}
	if *stride < 1 || *jobs < 0 {
		return fmt.Errorf("compare-schemes: --stride must be ≥ 1 and --jobs ≥ 0")
	}
	if *script {
		fmt.Fprintln(stdout, compareScript(false, appSize))
		fmt.Fprint(stdout, compareScript(true, appSize))
		return nil
	}
	files, err := htmlFiles("compare-schemes", stdout, *htmlOut)
	if err != nil {
		return err
	}
	so := scenarios.SweepOptions{Tears: tears, Stride: *stride, Jobs: *jobs}
	meter := newProgressMeter(stderr, "compare-schemes")
	if meter != nil {
		so.PhaseProgress = meter.update
	}
	cols := []*schemeResult{
		compareScheme(false, appSize, so, *noSweep),
		compareScheme(true, appSize, so, *noSweep),
	}
	meter.clear()
	printCompare(stdout, appSize, so, *noSweep, cols)
	if *htmlOut != "" {
		b, err := compareHTML(commandLine("compare-schemes", args), appSize, cols)
		if err != nil {
			return err
		}
		if err := files.Write(*htmlOut, b, 0o644); err != nil {
			return fmt.Errorf("compare-schemes: %w", err)
		}
	}
	if err := interrupted("compare-schemes: the sweeps were stopped; the table counts the points run"); err != nil {
		return err
	}
	for _, c := range cols {
		if c.fits == "" && (c.sweepErr != nil || c.total == 0) {
			return failed("compare-schemes: %s: %v", c.name, c.sweepErr)
		}
	}
	return nil
}

// parseByteCount reads 1536K, 2M, 0x180000 or 1572864.
func parseByteCount(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		s, mult = strings.TrimSuffix(s, "K"), 1<<10
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1<<20
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil || v*uint64(mult) > 1<<32 {
		return 0, fmt.Errorf("bad byte count")
	}
	return int(v) * mult, nil
}

// compareScheme measures one scheme: capacity, one plain run (flash
// written, simulated time) and the sweep.
func compareScheme(ab bool, appSize int, so scenarios.SweepOptions, noSweep bool) *schemeResult {
	c := &schemeResult{name: "compressed"}
	img := appSize + image.HeaderLen
	if ab {
		c.name = "AB"
		l, _ := upg.ABLayoutOf(partition.Default(partition.LayoutAB))
		c.maxApp = int(l.MaxImage())
		c.maxWhy = fmt.Sprintf("region B, 0x%X; A is 0x%X", l.BSize, l.ASize)
		c.sent, c.sentWhy = img, "the signed image as is"
		if img > c.maxApp {
			c.fits = fmt.Sprintf("the %s-byte image does not fit region B (%s bytes)", commas(img), commas(c.maxApp))
			return c
		}
	} else {
		c.maxApp, c.maxWhy = compressCapacity()
		c.sentWhy = "package: app + flashboot, LZMA, ECDSA"
		if img > c.maxApp {
			c.fits = fmt.Sprintf("the %s-byte image does not fit (largest %s bytes)", commas(img), commas(c.maxApp))
			return c
		}
	}
	s, err := scenarios.Parse(c.name+".scn", strings.NewReader(compareScript(ab, appSize)))
	if err != nil {
		c.sweepErr = err
		return c
	}
	r := scenarios.NewRunner(s, scenarios.Options{FlashLog: true})
	rep, err := r.Run()
	if err != nil {
		c.sweepErr = err
		return c
	}
	measureRun(c, rep, r.Device(), ab)
	if c.fits == "" && !noSweep {
		c.sweep, c.sweepErr = scenarios.SweepContext(runContext, s, so)
	}
	return c
}

// measureRun takes the upgrade out of a plain run's trace and flash log:
// from the upgrade command to the first app running after the reboot.
func measureRun(c *schemeResult, rep *scenarios.Report, d *emulator.Device, ab bool) {
	cmd := ": store "
	if ab {
		cmd = ": ab-upgrade "
	}
	var start, reset, end *emulator.Event
	for i := range rep.Trace {
		e := &rep.Trace[i]
		switch {
		case start == nil:
			if e.Kind == emulator.KindStep && strings.Contains(e.Msg, cmd) {
				start = e
			}
		case reset == nil:
			if e.Kind == emulator.KindPower && e.Msg == "soft reset" {
				reset = e
			}
		case end == nil:
			if e.Kind == emulator.KindApp && strings.HasPrefix(e.Msg, "app running: ") {
				end = e
			}
		}
	}
	if start == nil || reset == nil || end == nil {
		c.sweepErr = fmt.Errorf("the run's trace has no upgrade from command to new app")
		return
	}
	c.appTime, c.bootTime, c.total = reset.At-start.At, end.At-reset.At, end.At-start.At
	for _, op := range d.Flash.Log() {
		if op.Index < start.Op || op.Index >= end.Op {
			continue
		}
		switch op.Kind {
		case flash.OpErase:
			c.erased += uint64(op.Len / flash.SectorSize) // a block erase counts its 4 KiB sectors
		case flash.OpProgram:
			c.programmed += uint64(op.Len)
		}
	}
	if !ab {
		for _, e := range rep.Trace {
			if e.Kind == emulator.KindFlag && strings.HasPrefix(e.Msg, "package_length <- ") {
				var b [4]byte
				fmt.Sscanf(strings.TrimPrefix(e.Msg, "package_length <- "), "%x %x %x %x", &b[0], &b[1], &b[2], &b[3])
				c.sent = int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24
				break
			}
		}
	}
}

// compressCapacity is the largest app image the compressed layout carries:
// imageA's size, if the package holding such an app (synthetic code of W1's
// compressibility, with W1's flashboot) fits the fota storage; else the
// largest app whose package does, found by bisection in 4 KiB steps.
func compressCapacity() (int, string) {
	t := partition.Default(partition.LayoutCompress)
	a, _ := t.Lookup(partition.ImageA)
	f, _ := t.Lookup(partition.FotaData)
	storage := int(f.Size - upg.FlagTailLen)
	fb, err := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2.0.0", Seed: 1}, compareFlashboot, nil)
	if err != nil {
		return 0, err.Error()
	}
	pkgLen := func(img int) int {
		app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", Seed: 1}, img-image.HeaderLen, nil)
		if err != nil {
			return 1 << 30
		}
		p, err := upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(upg.SignSHA256), Pkt: []string{upg.PktApp}, App: app, Flashboot: fb})
		if err != nil {
			return 1 << 30
		}
		return len(p)
	}
	max := int(a.Size)
	n := pkgLen(max)
	if n <= storage {
		return max, fmt.Sprintf("imageA, 0x%X; its package is %s of the fota storage's %s", a.Size, commas(n), commas(storage))
	}
	lo, hi := 0, max/4096
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if pkgLen(mid*4096) <= storage {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo * 4096, fmt.Sprintf("the package must fit the fota storage's %s bytes", commas(storage))
}

func printCompare(w io.Writer, appSize int, so scenarios.SweepOptions, noSweep bool, cols []*schemeResult) {
	fmt.Fprintf(w, "ws63emu compare-schemes — the same app upgraded v1 → v2 (%s bytes of synthetic code, a %s-byte signed image)\n",
		commas(appSize), commas(appSize+image.HeaderLen))
	fmt.Fprintln(w, "on the compressed layout (param_sector.json) and the AB layout (param_sector_double.json).")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label string, f func(c *schemeResult) string) {
		fmt.Fprintf(tw, "%s", label)
		for _, c := range cols {
			v := "—"
			if c.fits == "" || strings.HasPrefix(label, "largest") {
				v = f(c)
			}
			fmt.Fprintf(tw, "\t%s", v)
		}
		fmt.Fprintln(tw, "\t")
	}
	fmt.Fprintf(tw, "\t%s\t%s\t\n", cols[0].name, cols[1].name)
	row("largest app image (bytes) [1]", func(c *schemeResult) string { return commas(c.maxApp) })
	row("data received by the device (bytes) [2]", func(c *schemeResult) string { return commas(c.sent) })
	row("flash programmed (bytes)", func(c *schemeResult) string { return commas(int(c.programmed)) })
	row("flash erased (4 KiB sectors)", func(c *schemeResult) string {
		return fmt.Sprintf("%s (%s bytes)", commas(int(c.erased)), commas(int(c.erased)*flash.SectorSize))
	})
	row("simulated time in the app (s)", func(c *schemeResult) string { return secs(c.appTime) })
	row("simulated time, reboot to new app (s)", func(c *schemeResult) string { return secs(c.bootTime) })
	row("simulated upgrade time (s)", func(c *schemeResult) string { return secs(c.total) })
	if !noSweep {
		tears := make([]string, len(so.Tears))
		for i, m := range so.Tears {
			tears[i] = m.String()
		}
		sw := func(f func(r *scenarios.SweepReport) string) func(c *schemeResult) string {
			return func(c *schemeResult) string {
				if c.sweep == nil {
					return fmt.Sprintf("(no sweep: %v)", c.sweepErr)
				}
				return f(c.sweep)
			}
		}
		count := func(vs ...string) func(c *schemeResult) string {
			return sw(func(r *scenarios.SweepReport) string {
				m, n := r.Counts(""), 0
				for _, v := range vs {
					n += m[v]
				}
				return commas(n)
			})
		}
		stride := ""
		if so.Stride > 1 {
			stride = fmt.Sprintf(", every %dth operation", so.Stride)
		}
		fmt.Fprintf(tw, "power-cut sweep (tear %s%s):\t\t\t\n", strings.Join(tears, ","), stride)
		row("  cut points (flash operations)", sw(func(r *scenarios.SweepReport) string { return commas(r.Ops) }))
		row("  points run", sw(func(r *scenarios.SweepReport) string { return commas(len(r.Points)) }))
		row("  upgraded", count(string(emulator.Upgraded)))
		row("  kept-old", count(string(emulator.KeptOld)))
		row("  fell-back", count(string(emulator.FellBack)))
		row("  brick (incl. no-boot)", count(string(emulator.Brick), string(emulator.NoBootVerdict)))
		row("  other verdicts", sw(func(r *scenarios.SweepReport) string {
			n := 0
			for v, k := range r.Counts("") {
				switch emulator.Verdict(v) {
				case emulator.Upgraded, emulator.KeptOld, emulator.FellBack, emulator.Brick, emulator.NoBootVerdict:
				default:
					n += k
				}
			}
			return commas(n)
		}))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, c := range cols {
		if c.fits != "" {
			fmt.Fprintf(w, "%s: %s.\n", c.name, c.fits)
		}
	}
	fmt.Fprintf(w, "[1] %s: %s. %s: %s.\n", cols[0].name, cols[0].maxWhy, cols[1].name, cols[1].maxWhy)
	fmt.Fprintf(w, "[2] %s: %s. %s: %s.\n", cols[0].name, cols[0].sentWhy, cols[1].name, cols[1].sentWhy)
	fmt.Fprintln(w, "Times are simulated device time (flash datasheet costs, CPU rates; docs/design.md §3) from the upgrade's first")
	fmt.Fprintln(w, "app call to the new app running; receiving the data (the transport) is not modelled. The compressed")
	fmt.Fprintln(w, "figures include the flashboot image the SDK's package always carries.")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// commas formats n with thousands separators.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
