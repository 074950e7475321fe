package main

import (
	"fmt"
	"strconv"
	"strings"
)

// shardFromEnv resolves --shard auto and --shard auto/N from the
// environment CI systems set for parallel jobs:
//
//   - CI_NODE_INDEX and CI_NODE_TOTAL (GitLab's parallel:, 1-based):
//     shard CI_NODE_INDEX-1 of CI_NODE_TOTAL; with auto/N, N must equal
//     CI_NODE_TOTAL.
//   - JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, 0-based): it carries
//     no count, so it needs auto/N, N the Job's completions.
//
// The result is 0-based, as --shard I/N.
func shardFromEnv(spec string, getenv func(string) string) (int, int, error) {
	n := 0
	if c, ok := strings.CutPrefix(spec, "auto/"); ok {
		v, err := strconv.Atoi(c)
		if err != nil || v < 1 {
			return 0, 0, fmt.Errorf("sweep: --shard %q: want auto or auto/N with N ≥ 1", spec)
		}
		n = v
	}
	if idx := getenv("CI_NODE_INDEX"); idx != "" {
		i, err1 := strconv.Atoi(idx)
		total, err2 := strconv.Atoi(getenv("CI_NODE_TOTAL"))
		switch {
		case err1 != nil || err2 != nil || total < 1 || i < 1 || i > total:
			return 0, 0, fmt.Errorf("sweep: --shard %s: CI_NODE_INDEX=%q CI_NODE_TOTAL=%q: want 1 ≤ index ≤ total", spec, idx, getenv("CI_NODE_TOTAL"))
		case n != 0 && n != total:
			return 0, 0, fmt.Errorf("sweep: --shard %s: CI_NODE_TOTAL is %d", spec, total)
		}
		return i - 1, total, nil
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		i, err := strconv.Atoi(idx)
		switch {
		case n == 0:
			return 0, 0, fmt.Errorf("sweep: --shard auto: JOB_COMPLETION_INDEX=%s gives no shard count: use --shard auto/N, N the Job's completions", idx)
		case err != nil || i < 0 || i >= n:
			return 0, 0, fmt.Errorf("sweep: --shard %s: JOB_COMPLETION_INDEX=%q: want 0 ≤ index < %d", spec, idx, n)
		}
		return i, n, nil
	}
	return 0, 0, fmt.Errorf("sweep: --shard %s: neither CI_NODE_INDEX (GitLab) nor JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set", spec)
}
