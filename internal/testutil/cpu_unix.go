//go:build unix

package testutil

import (
	"syscall"
	"time"
)

// CPUTime is this process's user + system CPU time so far (all threads),
// for benchmarks that set their figure beside a reference on a loaded
// machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
