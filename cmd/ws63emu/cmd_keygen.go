package main

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/atomicfile"
)

func init() {
	register("keygen", "make a brainpoolP256r1 signing key (PEM, as openssl writes it)", runKeygen)
}

func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keygen", stderr)
	out := fs.StringP("output", "o", "", "write the PEM key to this file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("keygen: -o KEY.pem is required")
	}
	k, err := image.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, k.MarshalPEM(), 0o600); err != nil {
		return err
	}
	xy := k.XY()
	fmt.Fprintf(stdout, "wrote %s (brainpoolP256r1), public key X||Y %x\n", *out, xy[:])
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
