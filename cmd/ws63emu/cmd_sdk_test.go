package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestEngineFlagErrors checks the engine flags' bad usage: a one-line
// error, exit 2, before any work.
func TestEngineFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"sdk build without --sdk", []string{"sdk", "build"}, "want --sdk DIR"},
		{"sdk build of no SDK", []string{"sdk", "build", "--sdk", "/nonexistent-sdk", "--cache", "/tmp/ws63emu-test-cache"}, "not a WS63 SDK checkout"},
		{"engine sdk without --sdk", []string{"run", "--engine", "sdk", "x.scn"}, "--engine sdk needs --sdk DIR"},
		{"unknown engine", []string{"run", "--engine", "rust", "x.scn"}, `--engine "rust"`},
		{"diff without --sdk", []string{"diff-engines", "x.scn"}, "needs --sdk DIR"},
		{"diff without scripts", []string{"diff-engines"}, "want at least one scenario file"},
		{"replay an SDK sweep's token without --sdk", []string{"replay", "../../scenarios/testdata/sweeps/w1.scn@op=5,tear=before,engine=sdk"}, "give --sdk DIR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(tc.args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if exitCode(err) != exitBadInput {
				t.Errorf("exit %d, want %d", exitCode(err), exitBadInput)
			}
		})
	}
}
