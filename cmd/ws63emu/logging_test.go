package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLogFormat: --log-format json streams the trace as JSON lines on
// stderr (before or after the command); console is zap's console form;
// without the flags nothing is logged; bad values are bad usage.
func TestLogFormat(t *testing.T) {
	script := writeScript(t, runScript)
	for _, args := range [][]string{
		{"--log-format", "json", "run", script},
		{"run", script, "--log-format=json"},
		{"run", "--log-level", "debug", "--log-format", "json", script},
	} {
		_, errs, code := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if len(lines) < 10 {
			t.Fatalf("%v: %d log lines:\n%s", args, len(lines), errs)
		}
		for _, l := range lines {
			var ev struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
				Kind  string `json:"kind"`
				Boot  *int   `json:"boot"`
				Op    *int   `json:"op"`
			}
			if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Level != "debug" || ev.Msg == "" || ev.Kind == "" || ev.Boot == nil || ev.Op == nil {
				t.Fatalf("%v: not a trace event JSON line (%v): %q", args, err, l)
			}
		}
	}
	_, errs, _ := runCLI(t, "run", script, "--log-format", "console")
	if !strings.Contains(errs, "DEBUG\t") {
		t.Errorf("console: %.200q", errs)
	}
	if _, errs, _ := runCLI(t, "run", script); errs != "" {
		t.Errorf("logging off: stderr %q", errs)
	}
	if _, errs, _ := runCLI(t, "run", script, "--log-level", "info"); errs != "" {
		t.Errorf("--log-level info: the trace is debug, stderr %.200q", errs)
	}
	for _, bad := range [][]string{{"run", script, "--log-format", "xml"}, {"run", script, "--log-level", "loud"}, {"run", script, "--log-format"}} {
		if _, errs, code := runCLI(t, bad...); code != exitBadInput || strings.Count(errs, "\n") > 1 {
			t.Errorf("%v: exit %d, %q", bad, code, errs)
		}
	}
	if cliLoggerOn() {
		t.Error("the logger was left on after the run")
	}
}
