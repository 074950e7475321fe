package main

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
)

func init() {
	register("keygen", "make a brainpoolP256r1 signing key (PEM, as openssl writes it)", runKeygen)
}

func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keygen", stderr)
	out := fs.StringP("output", "o", "", "write the PEM key to this file (required; - for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("keygen: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("keygen: -o KEY.pem is required")
	}
	files := cliio.New(stdout)
	files.Output("-o", *out)
	if err := files.Check(); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	info := stdout
	if files.ToStdout() {
		info = stderr
	}
	k, err := image.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := files.Write(*out, k.MarshalPEM(), 0o600); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	xy := k.XY()
	fmt.Fprintf(info, "wrote %s (brainpoolP256r1), public key X||Y %x\n", *out, xy[:])
	return nil
}

// newFlagSet makes a pflag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	noteFlagSet(stderr, fs) // help and completion introspection (root.go)
	return fs
}
