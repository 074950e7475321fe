package sdkengine_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

// knownDivergences are the scenarios/testdata scripts whose outcome on the
// SDK engine differs from the Go model's, each with its cause (README,
// "Testing your own SDK build"). Every other script must end with the same
// flash, the same outcome and the same API calls and return codes on both
// engines; operation-level differences (granularity) are reported, not
// failed.
var knownDivergences = map[string]struct {
	cause string
	sdk   string // a substring of the SDK run's failure, "" when it passes
	call  string // when the SDK run passes: a substring of its first differing API call
}{
	"ab-config-bitflip.scn":  {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-cut-config.scn":      {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-cut-erase.scn":       {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-cut-write.scn":       {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-fallback.scn":        {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-start-sdk-bug.scn":   {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-then-compressed.scn": {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-too-big.scn":         {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"ab-upgrade.scn":         {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"encryption-flash-device.scn": {"re-encryption needs the closed key ladder and symmetric cipher",
		"a closed component", ""},
	"encryption-plain-device.scn": {"re-encryption needs the closed key ladder and symmetric cipher",
		"a closed component", ""},
	"chunks-in-order-variant.scn": {"in-order-writes=on models the file-system storage variant in the Go model; the C library given is the flash variant",
		"expected error ERRCODE_UPG_INVALID_OFFSET", ""},
	"image-map-extension.scn": {"the image map is a Go-model option; the C library has its own fixed map",
		"expected state stuck", ""},
	"sdk-direct-fails.scn": {"sdk= models older SDKs' verifier in the Go model; the SDK engine is the SDK given",
		"expected error ERRCODE_FAIL", ""},
	"sdk-remedy-without-boot.scn": {"sdk= models older SDKs' verifier in the Go model; the SDK engine is the SDK given",
		"expected running app-105", ""},
	"ab-image-read.scn":            {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"build-mismatch-app.scn":       {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"build-mismatch-flashboot.scn": {"AB builds are not implemented by the SDK engine", "AB builds are not implemented", ""},
	"build-mismatch-compress-table.scn": {"flashboot built for AB: AB builds are not implemented by the SDK engine",
		"AB builds are not implemented", ""},
	"packer-config.scn": {"re-encryption needs the closed key ladder and symmetric cipher", "a closed component", ""},
}

// TestDiffEnginesTestdata runs diff-engines over every script in
// scenarios/testdata.
func TestDiffEnginesTestdata(t *testing.T) {
	e := sdktest.Engine(t)
	files, err := filepath.Glob(testdata("*.scn"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			d, err := scenarios.DiffEngines(parse(t, f), scenarios.DiffOptions{SDK: e})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			d.WriteText(&b)
			if k, ok := knownDivergences[name]; ok {
				switch {
				case k.sdk != "":
					if d.SDK.Pass || !strings.Contains(d.SDK.Failure, k.sdk) {
						t.Errorf("known divergence (%s) no longer shows as %q:\n%s", k.cause, k.sdk, b.String())
					}
				case !d.SameFlash || !d.SameOutcome || !d.Go.Pass || !d.SDK.Pass || d.Calls == nil || !strings.Contains(d.Calls.SDK.String(), k.call):
					t.Errorf("known divergence (%s) no longer shows as a call %q alone:\n%s", k.cause, k.call, b.String())
				}
				return
			}
			// Operation for operation: the same chip commands (kind,
			// address, length, data hash), the same API calls and codes,
			// the same final flash and outcome.
			if !d.Clean() || !d.SameFlash || !d.SameOutcome || d.Ops != nil || d.Units != nil || d.Calls != nil || !d.Go.Pass || !d.SDK.Pass {
				t.Errorf("the engines part:\n%s", b.String())
			}
		})
	}
	for name := range knownDivergences {
		if !seen[name] {
			t.Errorf("known divergence %s: no such script", name)
		}
	}
}

// TestDiffEnginesSweep sweeps sampled points of W1 on both engines under
// every tear model and compares them one to one: the same cut operation,
// verdict, boots and final flash at every point.
func TestDiffEnginesSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps W1 on both engines")
	}
	e := sdktest.Engine(t)
	s := parse(t, testdata("sweeps", "w1.scn"))
	tears, err := scenarios.ParseTearModels("before,after,prefix,bits")
	if err != nil {
		t.Fatal(err)
	}
	d, err := scenarios.DiffEngines(s, scenarios.DiffOptions{SDK: e, Sweep: &scenarios.SweepOptions{Stride: 4000, Tears: tears}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	d.WriteText(&b)
	t.Log(b.String())
	if !d.SameFlash || !d.SameOutcome || d.Calls != nil || !d.Sweep.Clean() {
		t.Errorf("W1 parts on the engines:\n%s", b.String())
	}
	if d.Sweep.GoFailed != 0 || d.Sweep.SDKFailed != 0 {
		t.Errorf("failing points: go %d, sdk %d", d.Sweep.GoFailed, d.Sweep.SDKFailed)
	}
	for _, v := range []string{"upgraded", "kept-old"} {
		if d.Sweep.SDKCounts[v] == 0 {
			t.Errorf("no SDK-engine point ends %s: %v", v, d.Sweep.SDKCounts)
		}
	}
}
