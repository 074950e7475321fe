package sdkengine_test

import (
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/sdkengine/sdktest"
)

// BenchmarkW1 runs the W1 upgrade (store, request, flashboot upgrade,
// boot) on the SDK engine and reports, in the same run, the Go model's
// time for the same script as its reference (image building and packing
// included in both).
func BenchmarkW1(b *testing.B) {
	e := sdktest.Engine(b)
	s, err := scenarios.ParseFile(testdata("sweeps", "w1.scn"))
	if err != nil {
		b.Fatal(err)
	}
	run := func(o scenarios.Options) time.Duration {
		t0 := time.Now()
		r := scenarios.NewRunner(s, o)
		if _, err := r.Run(); err != nil {
			b.Fatal(err)
		}
		r.Close()
		return time.Since(t0)
	}
	var sdk, goModel time.Duration
	for i := 0; i < b.N; i++ {
		sdk += run(scenarios.Options{Engine: scenarios.EngineSDK, SDK: e})
		goModel += run(scenarios.Options{Engine: scenarios.EngineGo})
	}
	b.ReportMetric(sdk.Seconds()/float64(b.N), "sdk-s/run")
	b.ReportMetric(goModel.Seconds()/float64(b.N), "go-s/run")
}
