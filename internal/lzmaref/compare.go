package lzmaref

import (
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

// Compare benchmarks goOp beside the C encoder. It runs goOp under b.Loop
// and, after each iteration with the timer stopped, the C encoder on every
// input, checking its output with check, so that both meet the same load
// on a shared machine. Besides the framework's ns/op it reports medians
// per iteration: med-ns/op and cpu-ns/op (this process's CPU time) for
// goOp, c-ns/op and c-cpu-ns/op for the C encoder (summed over inputs),
// and the ratios go/c and go/c-cpu. Without gcc or the SDK sources only
// goOp's figures are printed.
func Compare(b *testing.B, goOp func() error, inputs [][]byte, check func(i int, out []byte) error) {
	b.Helper()
	c, why := Start(b)
	if c == nil {
		b.Log(why)
	}
	var goWall, goCPU, cWall, cCPU []time.Duration
	for b.Loop() {
		t0, c0 := time.Now(), testutil.CPUTime()
		if err := goOp(); err != nil {
			b.Fatal(err)
		}
		goCPU = append(goCPU, testutil.CPUTime()-c0)
		goWall = append(goWall, time.Since(t0))
		if c == nil {
			continue
		}
		b.StopTimer()
		var w, u time.Duration
		for i, in := range inputs {
			out, t, err := c.Encode(in)
			if err != nil {
				b.Fatal(err)
			}
			if err := check(i, out); err != nil {
				b.Fatal(err)
			}
			w += t.Wall
			u += t.CPU
		}
		cWall = append(cWall, w)
		cCPU = append(cCPU, u)
		b.StartTimer()
	}
	gw, gc := testutil.Median(goWall), testutil.Median(goCPU)
	b.ReportMetric(float64(gw.Nanoseconds()), "med-ns/op")
	if gc > 0 {
		b.ReportMetric(float64(gc.Nanoseconds()), "cpu-ns/op")
	}
	if c == nil {
		return
	}
	cw, cc := testutil.Median(cWall), testutil.Median(cCPU)
	b.ReportMetric(float64(cw.Nanoseconds()), "c-ns/op")
	b.ReportMetric(float64(cc.Nanoseconds()), "c-cpu-ns/op")
	b.ReportMetric(float64(gw)/float64(cw), "go/c")
	if gc > 0 && cc > 0 {
		b.ReportMetric(float64(gc)/float64(cc), "go/c-cpu")
	}
}
