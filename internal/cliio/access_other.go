//go:build !unix

package cliio

import "os"

// canWrite tries to create a file in dir (no access(2) here).
func canWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".ws63emu-check*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
