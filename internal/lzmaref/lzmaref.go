// Package lzmaref builds the LZMA SDK 22.00 C encoder from
// ../shared/lzma-sdk-22.00 (beside the repository root) with gcc, as the
// reference the Go encoder in package lzma is checked and timed against.
// It is for tests and benchmarks: Build skips the test when gcc or the
// sources are missing.
//
// The encoder runs with the WS63 SDK packer's lzma_tool settings (4 KiB
// dictionary, lc=0 lp=0 pb=2, normal mode, fb=128, BT4, mc=80, no end
// marker, one thread) in a child process (testdata/driver.c) that encodes every
// input it is sent and reports how long LzmaEncode itself took.
package lzmaref

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

//go:embed testdata/driver.c
var driverSource []byte

// SDKDir is the LZMA SDK location, or "" when it is absent.
func SDKDir() string {
	dir := filepath.Join(testutil.RepoRoot(), "..", "shared", "lzma-sdk-22.00", "C")
	if _, err := os.Stat(filepath.Join(dir, "LzmaEnc.c")); err != nil {
		return ""
	}
	return dir
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
	buildSkip string
)

// Encoder is a running C encoder process.
type Encoder struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out io.ReadCloser
}

// Build compiles the C encoder (once per test binary) and starts it,
// skipping the test when gcc or the sources are missing. The process ends
// when the test does.
func Build(tb testing.TB) *Encoder {
	tb.Helper()
	e, why := Start(tb)
	if e == nil {
		tb.Skip(why)
	}
	return e
}

// Start is Build for benchmarks that print their own figure without the
// reference: instead of skipping it returns nil and the reason.
func Start(tb testing.TB) (*Encoder, string) {
	tb.Helper()
	buildOnce.Do(build)
	if buildSkip != "" {
		return nil, buildSkip
	}
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	cmd := exec.Command(filepath.Join(buildDir, "lzmaenc"))
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	e := &Encoder{cmd: cmd, in: in, out: out}
	tb.Cleanup(func() {
		e.in.Close()
		e.cmd.Wait()
	})
	return e, ""
}

func build() {
	src := SDKDir()
	if src == "" {
		buildSkip = "LZMA SDK sources not found at ../shared/lzma-sdk-22.00 (beside the repo root): no C reference"
		return
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		buildSkip = "gcc not installed: no C reference encoder"
		return
	}
	// One directory for the whole test binary (a tb.TempDir would vanish
	// with the first test that asked for it).
	dir, err := os.MkdirTemp("", "lzmaref")
	if err != nil {
		buildErr = err
		return
	}
	buildDir = dir
	drv := filepath.Join(dir, "driver.c")
	if err := os.WriteFile(drv, driverSource, 0o644); err != nil {
		buildErr = err
		return
	}
	args := []string{"-O2", "-D_7ZIP_ST", "-I", src, "-o", filepath.Join(dir, "lzmaenc"), drv}
	for _, f := range []string{"LzmaEnc.c", "LzFind.c", "Alloc.c", "CpuArch.c"} {
		args = append(args, filepath.Join(src, f))
	}
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("lzmaref: gcc: %v\n%s", err, out)
	}
}

// Times is how long one LzmaEncode call took.
type Times struct {
	Wall, CPU time.Duration // wall-clock time; the process's CPU time
}

// Encode returns the C encoder's .lzma file for data (13-byte header,
// stream) and the time LzmaEncode took.
func (e *Encoder) Encode(data []byte) ([]byte, Times, error) {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(data)))
	if _, err := e.in.Write(n[:]); err != nil {
		return nil, Times{}, fmt.Errorf("lzmaref: write: %w", err)
	}
	if _, err := e.in.Write(data); err != nil {
		return nil, Times{}, fmt.Errorf("lzmaref: write: %w", err)
	}
	if _, err := io.ReadFull(e.out, n[:]); err != nil {
		return nil, Times{}, fmt.Errorf("lzmaref: read: %w", err)
	}
	out := make([]byte, binary.LittleEndian.Uint32(n[:])+16)
	if _, err := io.ReadFull(e.out, out); err != nil {
		return nil, Times{}, fmt.Errorf("lzmaref: read: %w", err)
	}
	t := out[len(out)-16:]
	return out[:len(out)-16], Times{
		Wall: time.Duration(binary.LittleEndian.Uint64(t)),
		CPU:  time.Duration(binary.LittleEndian.Uint64(t[8:])),
	}, nil
}
