package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// runContext is the context of this invocation's runs and sweeps: main
// cancels it on SIGINT or SIGTERM (the cause is a *signalError); tests
// calling run get one that is never cancelled.
var runContext = context.Background()

// signalError is the cause of a cancellation by a signal; a command that
// stops for it exits 128 + the signal number (130 SIGINT, 143 SIGTERM).
type signalError struct {
	sig  syscall.Signal
	what string // what was stopped, and what was written
}

func (e *signalError) Error() string {
	s := "interrupted by " + sigName(e.sig)
	if e.what != "" {
		s = e.what + ": " + s
	}
	return s
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// watchSignals returns a context cancelled by the first SIGINT or SIGTERM;
// after it, the signals have their default effect again (a second ^C
// kills at once).
func watchSignals() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			sig, _ := s.(syscall.Signal)
			cancel(&signalError{sig: sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interrupted returns the exit error of a command that stopped early
// because runContext was cancelled by a signal, naming what it did; nil
// when it was not.
func interrupted(format string, a ...any) error {
	var se *signalError
	if !errors.As(context.Cause(runContext), &se) {
		return nil
	}
	return &signalError{sig: se.sig, what: fmt.Sprintf(format, a...)}
}
