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

// BenchmarkS1Sampled sweeps W1 (tear before) at every 500th cut point on
// the SDK engine and, in the same run, on the Go model, and reports the
// cut points per second of each (the same cut points on both: the Go
// model's driver splits writes as sfc.c does).
func BenchmarkS1Sampled(b *testing.B) {
	e := sdktest.Engine(b)
	s, err := scenarios.ParseFile(testdata("sweeps", "w1.scn"))
	if err != nil {
		b.Fatal(err)
	}
	sweep := func(o scenarios.SweepOptions) (time.Duration, int) {
		t0 := time.Now()
		rep, err := scenarios.Sweep(s, o)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Failed()) != 0 {
			b.Fatalf("%s engine: %d failing points", o.Engine, len(rep.Failed()))
		}
		return time.Since(t0), rep.Total
	}
	var sdkT, goT time.Duration
	var sdkN, goN int
	for i := 0; i < b.N; i++ {
		t, n := sweep(scenarios.SweepOptions{Stride: 500, Engine: scenarios.EngineSDK, SDK: e})
		sdkT, sdkN = sdkT+t, sdkN+n
		t, n = sweep(scenarios.SweepOptions{Stride: 500, Engine: scenarios.EngineGo})
		goT, goN = goT+t, goN+n
	}
	b.ReportMetric(float64(sdkN)/sdkT.Seconds(), "sdk-points/s")
	b.ReportMetric(float64(goN)/goT.Seconds(), "go-points/s")
}
