package scenarios

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/internal/testutil"
)

// memPeak samples the process's memory at points of a sweep: the largest
// runtime.MemStats.Sys (everything obtained from the OS) and HeapInuse.
type memPeak struct {
	mu             sync.Mutex
	sys, heapInuse uint64
}

func (p *memPeak) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.mu.Lock()
	p.sys = max(p.sys, ms.Sys)
	p.heapInuse = max(p.heapInuse, ms.HeapInuse)
	p.mu.Unlock()
}

// BenchmarkS1 is docs/design.md §8's S1: W1 (testdata/sweeps/w1.scn) swept over
// every flash operation of store, flashboot's upgrade and the first boot
// of the new app, tear before — about 55,600 points. Beside it, in the same
// process, a naive sweep over a sample of the same points: each point
// replayed from the start of the script with a real cut (Replay, which is
// also what ws63emu replay runs). It reports both rates, their ratio, the
// sweep's wall time and peak memory.
//
// WS63_S1_STRIDE=N sweeps every Nth operation only (a quicker look);
// WS63_S1_NAIVE=N sets the naive sample's size (default 6).
//
//	go test ./scenarios -run '^$' -bench S1 -benchtime 1x
func BenchmarkS1(b *testing.B) {
	s, err := ParseFile("testdata/sweeps/w1.scn")
	if err != nil {
		b.Fatal(err)
	}
	stride := envInt("WS63_S1_STRIDE", 1)
	nNaive := envInt("WS63_S1_NAIVE", 6)
	var peak memPeak
	var rep *SweepReport
	var sweepTime, sweepCPU time.Duration
	runs := 0
	for b.Loop() {
		t0, c0 := time.Now(), testutil.CPUTime()
		rep, err = Sweep(s, SweepOptions{Stride: stride, Progress: func(int, int) { peak.sample() }})
		if err != nil {
			b.Fatal(err)
		}
		sweepTime += time.Since(t0)
		sweepCPU += testutil.CPUTime() - c0
		runs++
	}
	peak.sample()
	b.StopTimer()
	sweepTime /= time.Duration(runs)
	sweepCPU /= time.Duration(runs)
	if stride == 1 {
		// The full S1's verdict counts are golden too (-update rewrites).
		checkGolden(b, filepath.Join("testdata", "sweeps", "w1.s1.counts"), countsGolden(rep))
	}
	sweepRate := float64(len(rep.Points)) / sweepTime.Seconds()

	// The naive sweep: replay sample points spread over the same range.
	t0 := time.Now()
	for i := range nNaive {
		p := rep.Points[(len(rep.Points)-1)*i/max(nNaive-1, 1)]
		_, got, _ := Replay(s, p.Op, flash.Tear{Kind: flash.TearBefore}, Options{})
		if got.FlashDigest != p.FlashDigest || got.Verdict != p.Verdict {
			b.Fatalf("point %d: replay %s/%s, sweep %s/%s", p.Index, got.Verdict, got.FlashDigest, p.Verdict, p.FlashDigest)
		}
	}
	naiveRate := float64(nNaive) / time.Since(t0).Seconds()

	b.ReportMetric(float64(len(rep.Points)), "points")
	b.ReportMetric(sweepTime.Seconds(), "s/sweep")
	b.ReportMetric(sweepCPU.Seconds(), "cpu-s/sweep")
	b.ReportMetric(sweepRate, "points/s")
	b.ReportMetric(naiveRate, "naive-points/s")
	b.ReportMetric(sweepRate/naiveRate, "x-naive")
	b.ReportMetric(float64(peak.sys)/(1<<20), "peak-sys-MiB")
	b.ReportMetric(float64(peak.heapInuse)/(1<<20), "peak-heap-MiB")
	b.Logf("S1: %d points (%d ops, stride %d) in %.1f s (%.1f s CPU) with %d workers: %.0f points/s; naive replay %.2f points/s (%d sampled); %.0fx; peak Sys %.0f MiB, HeapInuse %.0f MiB; verdicts %v",
		len(rep.Points), rep.Ops, stride, sweepTime.Seconds(), sweepCPU.Seconds(), runtime.GOMAXPROCS(0), sweepRate, naiveRate, nNaive,
		sweepRate/naiveRate, float64(peak.sys)/(1<<20), float64(peak.heapInuse)/(1<<20), rep.Counts(""))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
