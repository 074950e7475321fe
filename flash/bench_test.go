package flash_test

import (
	"sync"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

// copyRef measures, once per size and process, the wall time of a plain
// copy of n bytes: the reference the flash benchmarks report beside their
// own figure. (Benchmarks measure wall time by nature; the simulation
// itself never reads the clock.)
var copyRef = struct {
	sync.Mutex
	ns map[int]float64
}{ns: map[int]float64{}}

func copyNsPerOp(n int) float64 {
	copyRef.Lock()
	defer copyRef.Unlock()
	if v, ok := copyRef.ns[n]; ok {
		return v
	}
	src, dst := flashtest.Pattern(1, n), make([]byte, n)
	copy(dst, src) // fault the pages in
	iters := 0
	start := time.Now()
	for iters < 10 || time.Since(start) < 200*time.Millisecond {
		copy(dst, src)
		iters++
	}
	v := float64(time.Since(start).Nanoseconds()) / float64(iters)
	copyRef.ns[n] = v
	return v
}

// reportVsCopy reports the reference copy time of n bytes and the ratio of
// this benchmark's ns/op to it.
func reportVsCopy(b *testing.B, n int) {
	own := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.StopTimer()
	ref := copyNsPerOp(n)
	b.ReportMetric(ref, "copy-ns/op")
	b.ReportMetric(own/ref, "x-vs-copy")
}

// snapSink keeps snapshots reachable so that they are heap-allocated as
// in real use.
var snapSink *flash.Snapshot

// BenchmarkSnapshotRestore: Snapshot + Restore of a full 4 MiB device,
// beside a plain 4 MiB copy (what a naive snapshot would cost).
func BenchmarkSnapshotRestore(b *testing.B) {
	d := flash.New()
	if err := d.Program(0, flashtest.Pattern(1, flash.Size)); err != nil {
		b.Fatal(err)
	}
	page := make([]byte, flash.PageSize)
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			s := d.Snapshot()
			d.Restore(s)
			snapSink = s
		}
		reportVsCopy(b, flash.Size)
	})
	// With one page program in between, which forces a chunk and a sector
	// copy: the per-cut-point cost of a sweep that snapshots every op.
	b.Run("page-write", func(b *testing.B) {
		i := 0
		for b.Loop() {
			s := d.Snapshot()
			if err := d.Program(uint32(i*flash.PageSize)%flash.Size, page); err != nil {
				b.Fatal(err)
			}
			d.Restore(s)
			snapSink = s
			i++
		}
		reportVsCopy(b, flash.Size)
	})
}

// BenchmarkEraseProgram2MiB: erase + program a 2 MiB region through the
// device (512 erase ops + 8192 page ops), beside a plain copy of 2 MiB.
// sim-s/op is the simulated on-chip time of the same work.
func BenchmarkEraseProgram2MiB(b *testing.B) {
	const n = 2 << 20
	data := flashtest.Pattern(2, n)
	run := func(b *testing.B, d *flash.Device) {
		b.SetBytes(n)
		var sim time.Duration
		for b.Loop() {
			t0 := d.Elapsed()
			if err := d.EraseRange(0, n); err != nil {
				b.Fatal(err)
			}
			if err := d.Program(0, data); err != nil {
				b.Fatal(err)
			}
			sim = d.Elapsed() - t0
		}
		b.ReportMetric(sim.Seconds(), "sim-s/op")
		reportVsCopy(b, n)
	}
	b.Run("device", func(b *testing.B) { run(b, flash.New()) })
	// The same with a snapshot taken in the hook before every op, as a
	// recording sweep does.
	b.Run("snapshot-every-op", func(b *testing.B) {
		d := flash.New()
		d.SetHook(func(flash.Op) { snapSink = d.Snapshot() })
		run(b, d)
	})
}
