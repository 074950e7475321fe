package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register("version", "print the version, the VCS revision and the Go toolchain of this binary", runVersion)
}

// buildInfo is what the binary knows of its own build: the module
// version (a tag, a pseudo-version, or "(devel)"), the VCS revision and
// whether the tree had uncommitted changes.
type buildInfo struct {
	Module   string
	Version  string
	Revision string
	Time     string
	Modified bool
	Go       string
}

func readBuildInfo() buildInfo { return buildInfoFrom(debug.ReadBuildInfo()) }

// buildInfoFrom takes what the binary says of itself from the Go build
// information (the module version; vcs.revision, vcs.time and
// vcs.modified, stamped by go build in a VCS checkout).
func buildInfoFrom(bi *debug.BuildInfo, ok bool) buildInfo {
	b := buildInfo{Module: "github.com/ws63emu/ws63emu", Version: "(devel)", Go: runtime.Version()}
	if !ok || bi == nil {
		return b
	}
	if bi.Main.Path != "" {
		b.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// toolVersion is the one-word version reports record ("ws63emu VERSION",
// with the revision when the version does not carry it).
func toolVersion() string { return readBuildInfo().tool() }

func (b buildInfo) tool() string {
	v := "ws63emu " + b.Version
	if b.Revision != "" && b.Version == "(devel)" {
		v += " " + shortRev(b.Revision)
		if b.Modified {
			v += "+dirty"
		}
	}
	return v
}

func shortRev(r string) string { return r[:min(len(r), 12)] }

// versionText is what --version and ws63emu version print.
func versionText() string { return readBuildInfo().text() }

func (b buildInfo) text() string {
	s := fmt.Sprintf("ws63emu %s\nmodule   %s\n", b.Version, b.Module)
	if b.Revision != "" {
		mod := ""
		if b.Modified {
			mod = " (modified)"
		}
		s += fmt.Sprintf("revision %s%s\n", b.Revision, mod)
	}
	if b.Time != "" {
		s += fmt.Sprintf("time     %s\n", b.Time)
	}
	return s + fmt.Sprintf("go       %s %s/%s\n", b.Go, runtime.GOOS, runtime.GOARCH)
}

// runVersion is `ws63emu version`.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("version: want no arguments, got %d", fs.NArg())
	}
	_, err := io.WriteString(stdout, versionText())
	return err
}
