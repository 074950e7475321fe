package htmlreport

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/scenarios"
)

// ErrCutPoint is returned by CutScript for an operation where the script
// cannot be cut: before the first power-on (the factory), or after the
// run's last operation.
var ErrCutPoint = errors.New("htmlreport: not a cut point")

// CutScript returns the text of a plain script that cuts the power at
// flash operation op (the absolute counter) torn as t, given the trace of
// a run of s without that cut (operation numbers are deterministic). The
// `cut op=K` line goes just before the command op belongs to. After that
// command: when it is inside a sweep block, the rest of the block is
// skipped and the commands after sweep-end follow, after a power-on
// unless the first of them is one (what Sweep and Replay do); otherwise
// a power-on ends the script (the lab: the device recovers, falls back or
// bricks). Sweep markers are left out. It also returns the line of the
// command op belongs to.
func CutScript(s *scenarios.Script, trace []emulator.Event, op uint64, t flash.Tear) (string, int, error) {
	starts := map[int]uint64{} // line → operation counter when the command started
	var last uint64
	for _, e := range trace {
		last = e.Op
		if e.Kind != emulator.KindStep {
			continue
		}
		if line, ok := stepLine(e.Msg); ok {
			if _, seen := starts[line]; !seen {
				starts[line] = e.Op
			}
		}
	}
	begin, end := -1, -1
	firstPower := -1
	ci := -1
	for i, c := range s.Commands {
		switch c := c.(type) {
		case *scenarios.SweepCmd:
			if c.End {
				end = i
			} else {
				begin = i
			}
		case *scenarios.PowerOnCmd:
			if firstPower < 0 {
				firstPower = i
			}
		}
		if at, ok := starts[c.LineNo()]; ok && at <= op {
			ci = i
		}
	}
	if firstPower < 0 || ci < firstPower {
		return "", 0, fmt.Errorf("%w: flash op #%d comes before the first power-on (the factory burn is not a device flow)", ErrCutPoint, op)
	}
	if op >= last {
		return "", 0, fmt.Errorf("%w: flash op #%d: the run's last operation is #%d", ErrCutPoint, op, int64(last)-1)
	}
	cut := s.Commands[ci]
	k := op - starts[cut.LineNo()] + 1
	// Each command keeps its line where it can (the script's blank and
	// comment lines make room for the cut line), so that errors of the
	// cut script name the lines of the original.
	var lines []string
	put := func(at int, text string) {
		for len(lines) < at-1 {
			lines = append(lines, "")
		}
		lines = append(lines, text)
	}
	cmd := func(c scenarios.Command) {
		if _, ok := c.(*scenarios.SweepCmd); !ok {
			put(c.LineNo(), c.String())
		}
	}
	if first := s.Commands[0].LineNo(); first > 1 {
		put(1, fmt.Sprintf("# %s, cut at flash op #%d (%s) during line %d: %s", s.File, op, t, cut.LineNo(), cut))
	}
	for _, c := range s.Commands[:ci] {
		cmd(c)
	}
	put(cut.LineNo()-1, fmt.Sprintf("cut op=%d tear=%s", k, t))
	cmd(cut)
	if begin >= 0 && begin < ci && ci < end {
		rest := s.Commands[end+1:]
		if len(rest) == 0 {
			put(0, "power-on")
		} else if _, ok := rest[0].(*scenarios.PowerOnCmd); !ok {
			put(0, "power-on")
		}
		for _, c := range rest {
			cmd(c)
		}
	} else {
		put(0, "power-on")
	}
	return strings.Join(lines, "\n") + "\n", cut.LineNo(), nil
}

// stepLine reads LINE from a step event "scenario FILE:LINE: text".
func stepLine(msg string) (int, bool) {
	rest, ok := strings.CutPrefix(msg, "scenario ")
	if !ok {
		return 0, false
	}
	i := strings.Index(rest, ": ")
	if i < 0 {
		return 0, false
	}
	j := strings.LastIndexByte(rest[:i], ':')
	if j < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(rest[j+1 : i])
	return n, err == nil
}

// RecordCut records the run of CutScript's script, parsed as s.File (so
// that file= paths resolve as in s).
func RecordCut(s *scenarios.Script, trace []emulator.Event, op uint64, t flash.Tear) (*Recorded, string, error) {
	text, _, err := CutScript(s, trace, op, t)
	if err != nil {
		return nil, "", err
	}
	cs, err := scenarios.Parse(s.File, strings.NewReader(text))
	if err != nil {
		return nil, text, fmt.Errorf("htmlreport: the cut script does not parse: %w", err)
	}
	return Record(cs), text, nil
}
