package main

import (
	"strings"
	"testing"
)

func TestShardFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		env        map[string]string
		i, n       int
		err        string
	}{
		{"gitlab", "auto", map[string]string{"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "4"}, 0, 4, ""},
		{"gitlab last", "auto", map[string]string{"CI_NODE_INDEX": "4", "CI_NODE_TOTAL": "4"}, 3, 4, ""},
		{"gitlab count checked", "auto/3", map[string]string{"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"}, 0, 0, "CI_NODE_TOTAL is 4"},
		{"gitlab index 0", "auto", map[string]string{"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "4"}, 0, 0, "want 1 ≤ index ≤ total"},
		{"k8s", "auto/8", map[string]string{"JOB_COMPLETION_INDEX": "7"}, 7, 8, ""},
		{"k8s first", "auto/8", map[string]string{"JOB_COMPLETION_INDEX": "0"}, 0, 8, ""},
		{"k8s no count", "auto", map[string]string{"JOB_COMPLETION_INDEX": "1"}, 0, 0, "use --shard auto/N"},
		{"k8s out of range", "auto/8", map[string]string{"JOB_COMPLETION_INDEX": "8"}, 0, 0, "want 0 ≤ index < 8"},
		{"nothing set", "auto", nil, 0, 0, "neither CI_NODE_INDEX"},
		{"bad count", "auto/x", nil, 0, 0, "want auto or auto/N"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, n, err := shardFromEnv(tc.spec, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || i != tc.i || n != tc.n {
				t.Fatalf("got %d/%d, %v; want %d/%d", i, n, err, tc.i, tc.n)
			}
		})
	}
}

// TestSweepShardAuto: --shard auto in a sweep takes GitLab's variables.
func TestSweepShardAuto(t *testing.T) {
	t.Setenv("CI_NODE_INDEX", "2")
	t.Setenv("CI_NODE_TOTAL", "3")
	script := writeScript(t, sweepScript)
	out, errs, code := runCLI(t, "sweep", script, "--stride", "16", "--shard", "auto")
	if code != exitOK || !strings.Contains(out, "shards 1 of 3") {
		t.Fatalf("exit %d, stderr %s:\n%s", code, errs, out)
	}
}
