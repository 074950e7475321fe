//go:build unix

package cliio

import "syscall"

// canWrite asks the kernel whether the process may create files in dir
// (access(2) with W_OK: permissions, a read-only mount).
func canWrite(dir string) error {
	return syscall.Access(dir, 0x2) // W_OK
}
