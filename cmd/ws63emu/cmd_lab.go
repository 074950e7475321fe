package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ws63emu/ws63emu/lab"
)

func init() {
	register("lab", "an interactive lesson in the browser: step through a script, cut the power anywhere", runLab)
}

// runLab is `ws63emu lab [FILE.scn]`: the lab (package lab) on 127.0.0.1
// at a free port, until Ctrl-C. It prints the address to open, with its
// token.
func runLab(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("lab", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ws63emu lab [FILE.scn]\n\nServes an interactive lesson on 127.0.0.1: FILE.scn (its folder is the lesson's: file= paths stay in it)\nand the guide's situations built into ws63emu. Open the printed address; Ctrl-C stops it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return fmt.Errorf("lab: want at most one scenario file, got %d arguments", fs.NArg())
	}
	srv, err := lab.New(fs.Arg(0))
	if err != nil {
		return err
	}
	ln, err := lab.Listen()
	if err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "ws63emu lab: %d lessons; open\n\n    %s\n\n(only this address, with its token, is let in; Ctrl-C stops the lab)\n", len(srv.Lessons()), srv.URL(ln))
	err = srv.Serve(ctx, ln)
	fmt.Fprintln(stdout, "ws63emu lab: stopped")
	return err
}
