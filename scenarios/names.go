package scenarios

import "slices"

// verdicts are the values of emulator.Verdict (docs/design.md §5, plus "mixed": an
// app runs that is neither the old nor the new one, and "false-success": a
// failed upgrade recorded as UPDATE_SUCCESS); states are the
// emulator.State names. The parser checks expect lines against them.
var (
	verdicts = []string{"upgraded", "kept-old", "fell-back", "retries-exhausted", "brick", "no-boot", "rollback", "nv-lost", "mixed", "false-success"}
	states   = []string{"off", "running", "stuck", "no-boot"}
)

func verdictNames() []string  { return verdicts }
func stateNames() []string    { return states }
func isVerdict(s string) bool { return slices.Contains(verdicts, s) }
func isState(s string) bool   { return slices.Contains(states, s) }
