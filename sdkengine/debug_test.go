package sdkengine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

func TestDebugTrace(t *testing.T) {
	name := os.Getenv("SDKDEBUG")
	if name == "" {
		t.Skip("SDKDEBUG not set")
	}
	s, err := scenarios.ParseFile(filepath.Join(testutil.RepoRoot(), "scenarios", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Run(s, scenarios.Options{Engine: os.Getenv("SDKENGINE"), SDK: sdktest.Engine(t)})
	for _, e := range rep.Trace {
		t.Logf("%v", e)
	}
	t.Logf("err %v verdict %s ops %d", err, rep.Verdict, rep.FlashOps)
}
