package lzma_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/lzmaref"
	"github.com/ws63emu/ws63emu/lzma"
)

// BenchmarkEncodeW1App encodes the W1 workload's 2 MiB synthetic app
// (upg's BenchmarkPackW1 images) and, in the same run, times the LZMA SDK's
// C encoder (gcc -O2, same settings) on the same bytes: c-ns/op is
// LzmaEncode's own time in the child process, go/c the ratio of the two.
// Without gcc or the SDK sources only the Go figure is printed.
func BenchmarkEncodeW1App(b *testing.B) {
	app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", VersionExt: 1, Seed: 2}, 2<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(app)))
	var out []byte
	for b.Loop() {
		if out, err = lzma.Encode(app); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(len(out))/float64(len(app)), "ratio")
	cNs, ok := cEncodeTime(b, app, out, b.N)
	if !ok {
		return
	}
	b.ReportMetric(cNs, "c-ns/op")
	b.ReportMetric(goNs/cNs, "go/c")
}

// cEncodeTime runs the C encoder n times on data (at least once) and
// returns its median time per run, checking it produced want.
func cEncodeTime(b *testing.B, data, want []byte, n int) (float64, bool) {
	b.Helper()
	c, why := lzmaref.Start(b)
	if c == nil {
		b.Log(why)
		return 0, false
	}
	var times []time.Duration
	for range max(n, 3) {
		got, d, err := c.Encode(data)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			b.Fatal("the C encoder's output differs from ours")
		}
		times = append(times, d)
	}
	return float64(median(times).Nanoseconds()), true
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
