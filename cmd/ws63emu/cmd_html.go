package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/scenarios"
)

// The --html outputs of run, demo, replay, sweep, flash inspect and
// compare-schemes: one self-contained page each (package htmlreport).

const htmlHelp = "write a self-contained HTML report (timeline, flag area, flash map; opens from disk) to this file"

// sweepTimelines is how many failing points a sweep page embeds the
// timeline of (each is one plain run of the script).
const sweepTimelines = 8

// htmlFiles declares the --html output of a command that has no other
// (internal/cliio), with the command's inputs (which it may not
// overwrite), and checks it before the work starts.
func htmlFiles(cmd string, stdout io.Writer, path string, inputs ...string) (*cliio.Files, error) {
	files := cliio.New(stdout)
	for _, in := range inputs {
		files.Input("", in)
	}
	files.Output("--html", path)
	if err := files.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return files, nil
}

// runHTML is the page of a recorded run.
func runHTML(command string, rec *htmlreport.Recorded) ([]byte, error) {
	return htmlreport.Render(&htmlreport.Page{Title: "ws63emu — " + rec.Report.File, Command: command, Run: rec.Run, Flash: rec.Flash})
}

// replayHTML records the replayed point as a plain script with the cut in
// it (htmlreport.CutScript) and checks it ends as the replay did.
func replayHTML(command string, s *scenarios.Script, rep *scenarios.Report, pt scenarios.PointResult, tear flash.Tear) ([]byte, error) {
	rec, text, err := htmlreport.RecordCut(s, rep.Trace, pt.Op, tear)
	if err != nil {
		return nil, fmt.Errorf("replay: --html: %w", err)
	}
	if got := verdictText(rec.Run.Verdict); got != pt.Verdict {
		return nil, fmt.Errorf("replay: --html: the cut script ends %s, the replay %s", got, pt.Verdict)
	}
	p := &htmlreport.Page{Title: fmt.Sprintf("ws63emu replay — %s, cut at op #%d (%s)", s.File, pt.Op, pt.Tear), Command: command,
		Run: rec.Run, Flash: rec.Flash,
		Notes: []string{"The replay as a plain script (ws63emu run gives the same run):\n" + text}}
	return htmlreport.Render(p)
}

func verdictText(v string) string {
	if v == "" {
		return "off"
	}
	return v
}

// sweepHTML is the sweep map of a sweep; with the script (not after a
// merge), the timelines of some failing points too.
func sweepHTML(command string, s *scenarios.Script, rep *scenarios.SweepReport) ([]byte, error) {
	o := htmlreport.SweepOptions{Script: s}
	if s != nil {
		o.Timelines = sweepTimelines
	}
	v, err := htmlreport.SweepFrom(rep, o)
	if err != nil {
		return nil, fmt.Errorf("sweep: --html: %w", err)
	}
	return htmlreport.Render(&htmlreport.Page{Title: "ws63emu — " + v.Title, Command: command, Sweeps: []*htmlreport.SweepView{v}})
}

// flashHTML is the flash map of a flash file.
func flashHTML(command, file string, f *flash.Device) ([]byte, error) {
	v := htmlreport.FlashFrom(f, nil)
	return htmlreport.Render(&htmlreport.Page{Title: "ws63emu — flash " + file, Command: command, Flash: v})
}

// compareHTML draws the compare-schemes table as charts, with the sweep
// map of each scheme.
func compareHTML(command string, appSize int, cols []*schemeResult) ([]byte, error) {
	cv := &htmlreport.CompareView{}
	for _, c := range cols {
		cv.Schemes = append(cv.Schemes, c.name)
	}
	metric := func(name, unit, better string, f func(c *schemeResult) float64, text func(c *schemeResult) string) {
		m := htmlreport.Metric{Name: name, Unit: unit, Better: better}
		for _, c := range cols {
			if c.fits != "" && !strings.HasPrefix(name, "largest") {
				m.Values, m.Text = append(m.Values, 0), append(m.Text, "—")
				continue
			}
			m.Values, m.Text = append(m.Values, f(c)), append(m.Text, text(c))
		}
		cv.Metrics = append(cv.Metrics, m)
	}
	n := func(f func(c *schemeResult) int) (func(c *schemeResult) float64, func(c *schemeResult) string) {
		return func(c *schemeResult) float64 { return float64(f(c)) }, func(c *schemeResult) string { return commas(f(c)) }
	}
	sec := func(f func(c *schemeResult) float64) (func(c *schemeResult) float64, func(c *schemeResult) string) {
		return f, func(c *schemeResult) string { return fmt.Sprintf("%.3f s", f(c)) }
	}
	a, b := n(func(c *schemeResult) int { return c.maxApp })
	metric("largest app image", "bytes", "higher", a, b)
	a, b = n(func(c *schemeResult) int { return c.sent })
	metric("data received by the device", "bytes", "lower", a, b)
	a, b = n(func(c *schemeResult) int { return int(c.programmed) })
	metric("flash programmed", "bytes", "lower", a, b)
	a, b = n(func(c *schemeResult) int { return int(c.erased) })
	metric("flash erased", "4 KiB sectors", "lower", a, b)
	a, b = sec(func(c *schemeResult) float64 { return c.appTime.Seconds() })
	metric("simulated time in the app", "s", "lower", a, b)
	a, b = sec(func(c *schemeResult) float64 { return c.bootTime.Seconds() })
	metric("simulated time, reboot to new app", "s", "lower", a, b)
	a, b = sec(func(c *schemeResult) float64 { return c.total.Seconds() })
	metric("simulated upgrade time", "s", "lower", a, b)
	p := &htmlreport.Page{Title: fmt.Sprintf("ws63emu compare-schemes — app of %s bytes", commas(appSize)), Command: command, Compare: cv}
	for _, c := range cols {
		switch {
		case c.fits != "":
			cv.Notes = append(cv.Notes, fmt.Sprintf("%s: %s.", c.name, c.fits))
		case c.sweep != nil:
			v, err := htmlreport.SweepFrom(c.sweep, htmlreport.SweepOptions{})
			if err != nil {
				return nil, fmt.Errorf("compare-schemes: --html: %w", err)
			}
			v.Title = c.name + ": " + v.Title
			p.Sweeps = append(p.Sweeps, v)
		}
	}
	cv.Notes = append(cv.Notes,
		fmt.Sprintf("Largest app: %s: %s. %s: %s.", cols[0].name, cols[0].maxWhy, cols[1].name, cols[1].maxWhy),
		fmt.Sprintf("Data received: %s: %s. %s: %s.", cols[0].name, cols[0].sentWhy, cols[1].name, cols[1].sentWhy),
		"Times are simulated device time from the upgrade's first app call to the new app running.")
	return htmlreport.Render(p)
}

// commandLine is the page's "made by" line.
func commandLine(name string, args []string) string {
	return strings.TrimSpace("ws63emu " + name + " " + strings.Join(args, " "))
}
