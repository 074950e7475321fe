// Package sdktest builds the SDK engine once per test binary for the tests
// of several packages, skipping them, saying why, when the SDK sources
// (../shared/sdk-src) or a C compiler are absent.
package sdktest

import (
	"os/exec"
	"sync"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/sdkengine"
)

var (
	once  sync.Once
	build *sdkengine.Build
	err   error
)

// Build returns the SDK engine's build of ../shared/sdk-src, compiling it
// (or finding it in the user cache) once per test binary.
func Build(tb testing.TB) *sdkengine.Build {
	tb.Helper()
	dir := testutil.SDKSrc(tb)
	if _, e := exec.LookPath("gcc"); e != nil {
		tb.Skip("gcc not found in PATH; skipping the SDK engine test")
	}
	once.Do(func() { build, err = sdkengine.Compile(sdkengine.BuildOptions{SDK: dir}) })
	if err != nil {
		tb.Fatalf("sdk build: %v", err)
	}
	return build
}

// Engine returns an engine over Build.
func Engine(tb testing.TB) *sdkengine.Engine {
	e := sdkengine.New(Build(tb))
	tb.Cleanup(func() { e.Close() })
	return e
}
