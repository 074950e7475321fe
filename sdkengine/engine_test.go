package sdkengine_test

import (
	"path/filepath"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

func runScript(t *testing.T, name, engine string, e *scenariosEngine) *scenarios.Report {
	t.Helper()
	s, err := scenarios.ParseFile(filepath.Join(testutil.RepoRoot(), "scenarios", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Run(s, scenarios.Options{Engine: engine, SDK: e.eng})
	if err != nil {
		t.Fatalf("%s on the %s engine: %v", name, engine, err)
	}
	return rep
}

type scenariosEngine struct{ eng *sdkengine.Engine }

func TestCompressedUpgradeSDK(t *testing.T) {
	e := &scenariosEngine{eng: sdktest.Engine(t)}
	sdk := runScript(t, "compressed-upgrade.scn", "sdk", e)
	goRep := runScript(t, "compressed-upgrade.scn", "go", e)
	if sdk.Verdict != goRep.Verdict {
		t.Errorf("verdict: sdk %s, go %s", sdk.Verdict, goRep.Verdict)
	}
	t.Logf("sdk: %s ops %d flash %s; go: %s ops %d flash %s", sdk.Verdict, sdk.FlashOps, sdk.FlashSHA256[:12], goRep.Verdict, goRep.FlashOps, goRep.FlashSHA256[:12])
}
