package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

// TestReplayTokenNamesEngine: a sweep told --engine sdk prints tokens
// that say engine=sdk, and replay runs such a token on the SDK engine
// (the vendor code's "[UPG] init OK!" is in the trace) without --engine.
func TestReplayTokenNamesEngine(t *testing.T) {
	e := sdktest.Engine(t) // skips without the SDK sources or gcc
	script := filepath.Join(testutil.RepoRoot(), "sdkengine", "testdata", "resume.scn")
	s, err := scenarios.ParseFile(script)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := scenarios.Sweep(s, scenarios.SweepOptions{Stride: 401, Engine: scenarios.EngineSDK, SDK: e})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Points) == 0 {
		t.Fatal("no points")
	}
	tok := rep.Points[len(rep.Points)/2].Token
	if !strings.Contains(tok, ",engine=sdk,") {
		t.Fatalf("token %q does not name the SDK engine", tok)
	}
	var out, errb bytes.Buffer
	if err := run([]string{"replay", tok, "--sdk", testutil.SDKSrc(t)}, &out, &errb); err != nil {
		t.Fatalf("replay %s: %v\n%s", tok, err, errb.String())
	}
	if !strings.Contains(out.String(), "[UPG] init OK!") {
		t.Errorf("replay of %s: no line from the vendor code in the trace:\n%s", tok, out.String())
	}
	out.Reset()
	if err := run([]string{"replay", tok, "--engine", "go"}, &out, &errb); err != nil {
		t.Fatalf("replay %s --engine go: %v", tok, err)
	}
	if strings.Contains(out.String(), "[UPG] init OK!") {
		t.Errorf("replay of %s --engine go ran the vendor code", tok)
	}
}
