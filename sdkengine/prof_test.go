package sdkengine_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

func TestProfSweep(t *testing.T) {
	st := os.Getenv("SDKPROF")
	if st == "" {
		t.Skip("SDKPROF not set")
	}
	stride, _ := strconv.Atoi(st)
	s, err := scenarios.ParseFile(filepath.Join(testutil.RepoRoot(), "scenarios", "testdata", "sweeps", "w1.scn"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Stride: stride, Jobs: 1, Engine: "sdk", SDK: sdktest.Engine(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d points %v", rep.Total, rep.Counts(""))
}
