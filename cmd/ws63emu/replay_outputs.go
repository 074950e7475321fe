package main

import (
	"encoding/json"
	"fmt"

	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/scenarios"
)

// replayJSON is `ws63emu replay --json`: the token, the point's outcome
// as the sweep reports it (point, or double for a double cut), and the
// replay's full report with its trace.
type replayJSON struct {
	FormatVersion int                     `json:"format_version"`
	Tool          string                  `json:"tool"`
	Token         string                  `json:"token"`
	Point         *scenarios.PointResult  `json:"point,omitempty"`
	Double        *scenarios.DoubleResult `json:"double,omitempty"`
	Report        *scenarios.Report       `json:"report"`
}

// stageReplayOutputs stages --json and --flash-out in files, whatever the
// outcome (a failing point is the one worth looking into).
func stageReplayOutputs(files *cliio.Files, tok scenarios.Token, rep *scenarios.Report, pt scenarios.PointResult, second scenarios.DoubleResult, img []byte, flashOut, jsonOut string) error {
	if flashOut != "" {
		if img == nil {
			return fmt.Errorf("replay: --flash-out: %s made no device", rep.File)
		}
		files.Stage(flashOut, img, 0o644)
	}
	if jsonOut != "" {
		j := replayJSON{FormatVersion: reportFormatVersion, Tool: toolVersion(), Token: tok.String(), Report: rep}
		pt.Token, second.Token = tok.String(), tok.String() // the replay does not set them
		switch {
		case tok.Tear2 != nil && second.Kind != "":
			j.Double = &second
		case tok.Tear2 == nil && pt.Line != 0:
			j.Point = &pt
		}
		b, err := json.MarshalIndent(j, "", "  ")
		if err != nil {
			return err
		}
		files.Stage(jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}
