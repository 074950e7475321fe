//go:build unix

package lzmaref

import (
	"syscall"
	"time"
)

// CPUTime is this process's user + system CPU time so far (all threads),
// to set beside the C encoder's Times.CPU on a loaded machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
