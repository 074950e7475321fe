package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/scenarios"
)

func init() {
	register("demo", "the main job on built-in defaults: a v1 → v2 compressed upgrade, narrated", runDemo)
}

// demoScript is the demo: reference workload W1 (docs/design.md §8) as a scenario.
// `ws63emu demo --script` prints it, so it can be edited and re-run with
// `ws63emu run`.
const demoScript = `# ws63emu demo: W1 — compressed upgrade of app v1 → v2 (2 MiB each) and
# flashboot v1 → v2 (60 KiB), the SDK's default package (application +
# flashboot, both LZMA-compressed, ECDSA-signed), stored in 4 KiB chunks.
device layout=compress seed=1
image app-v1 kind=app version=1.0.0 size=2097152
image app-v2 kind=app version=2.0.0 size=2097152
image fb-v1 kind=flashboot version=1.0.0 size=61440
image fb-v2 kind=flashboot version=2.0.0 size=61440
package update images=app-v2,fb-v2 ver=2.0.0 sign=ecdsa

burn fb-v1 app-v1
power-on
expect running app-v1
store update chunk=4096
expect error ERRCODE_SUCC
request-upgrade reset=true
expect running app-v2
expect verdict upgraded
expect result UPDATE_SUCCESS
`

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	script := fs.Bool("script", false, "print the demo's scenario script and exit")
	full := fs.Bool("trace", false, "print every trace event instead of the narrated timeline")
	htmlOut := fs.String("html", "", htmlHelp)
	ef := addEngineFlags(fs) // cmd_sdk.go
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	if *script {
		_, err := io.WriteString(stdout, demoScript)
		return err
	}
	s, err := scenarios.Parse("demo.scn", strings.NewReader(demoScript))
	if err != nil {
		return err
	}
	var o scenarios.Options
	if err := ef.apply(&o); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer ef.close()
	var rep *scenarios.Report
	if *htmlOut != "" {
		files, ferr := htmlFiles("demo", stdout, *htmlOut)
		if ferr != nil {
			return ferr
		}
		rec := htmlreport.RecordOptions(s, o)
		rep, err = rec.Report, rec.Err
		b, werr := runHTML(commandLine("demo", args), rec)
		if werr == nil {
			werr = files.Write(*htmlOut, b, 0o644)
		}
		if werr != nil {
			return fmt.Errorf("demo: %w", werr)
		}
	} else {
		rep, err = scenarios.Run(s, o)
	}
	if rep != nil {
		if *full {
			for _, e := range rep.Trace {
				fmt.Fprintln(stdout, e)
			}
		} else {
			narrate(stdout, rep)
		}
	}
	if err != nil {
		return failed("demo: %v", err)
	}
	return nil
}

// narrate prints the trace as a timeline: one block per phase with its
// simulated duration and flash operations, the flag bytes written, the
// UART lines (progress folded into one line) and the verdict.
func narrate(w io.Writer, rep *scenarios.Report) {
	fmt.Fprintln(w, "ws63emu demo — HiSilicon WS63 compressed FOTA upgrade on built-in defaults")
	fmt.Fprintln(w, "(workload W1; `ws63emu demo --script` prints the scenario, --trace every event)")
	fmt.Fprintln(w)
	for _, sp := range emulator.Spans(rep.Trace) {
		fmt.Fprintf(w, "%s  boot %d  %-40s %9s  %5d flash ops\n",
			stamp(sp.Start), sp.Boot, sp.Name, dur(sp.Duration()), sp.Ops)
		var progress []string
		flush := func() {
			if len(progress) > 0 {
				fmt.Fprintf(w, "      progress: %s\n", strings.Join(progress, " "))
				progress = nil
			}
		}
		for _, e := range sp.Events {
			switch e.Kind {
			case emulator.KindUART:
				if p, ok := strings.CutPrefix(e.Msg, "[UPG] upg percent : "); ok {
					if pct := strings.TrimSuffix(p, " %"); pct == "0" || strings.HasSuffix(pct, "0") {
						progress = append(progress, pct+"%")
					}
					continue
				}
				flush()
				fmt.Fprintf(w, "      uart: %s\n", e.Msg)
			case emulator.KindFlag:
				flush()
				fmt.Fprintf(w, "      flag: %s\n", e.Msg)
			case emulator.KindPhase, emulator.KindStep:
				// the span title says it
			default:
				if e.Msg != sp.Name {
					flush()
					fmt.Fprintf(w, "      %s: %s\n", e.Kind, e.Msg)
				}
			}
		}
		flush()
	}
	fmt.Fprintln(w)
	for _, x := range rep.Expectations {
		mark := "ok  "
		if !x.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s expect %s (saw %s)\n", mark, x.Expect, x.Seen)
	}
	fmt.Fprintf(w, "\nverdict: %s — running %s after %d boots; %s simulated on-device time, %d flash operations\n",
		rep.Verdict, rep.Running, rep.Boots, dur(rep.SimTime), rep.FlashOps)
}

func stamp(d time.Duration) string { return fmt.Sprintf("%9.3fs", d.Seconds()) }

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}
