package emulator

import (
	"bytes"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// w1 is reference workload W1 (docs/design.md §8): app v1 → v2 (2 MiB of code
// each), flashboot v1 → v2 (60 KiB), the SDK's default package
// (application + flashboot, LZMA, ECDSA).
type w1 struct {
	app1, app2, fb1, fb2, pkg []byte
	root                      *image.PrivateKey
}

func newW1(tb testing.TB) *w1 {
	tb.Helper()
	w := &w1{root: key(tb, "w1-root")}
	mk := func(k image.Kind, ver string, seed uint64, size int) []byte {
		b, err := image.Synthetic(image.Ident{Kind: k, Version: ver, Seed: seed}, size, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	w.app1, w.app2 = mk(image.KindApp, "1.0.0", 1, 2<<20), mk(image.KindApp, "2.0.0", 2, 2<<20)
	w.fb1, w.fb2 = mk(image.KindFlashboot, "1.0.0", 1, 60<<10), mk(image.KindFlashboot, "2.0.0", 2, 60<<10)
	var err error
	w.pkg, err = upg.Pack(upg.PackOptions{Pkt: []string{"app", "boot"}, App: w.app2, Flashboot: w.fb2,
		RootKey: w.root, SubKey: key(tb, "w1-sub"), Ver: "2.0.0"})
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// upgrade runs one W1 upgrade on a fresh device: burn v1, boot, store the
// package in 4 KiB chunks, request the upgrade, reboot into v2.
func (w *w1) upgrade(tb testing.TB) *Device {
	d, err := New(Config{RootKey: w.root})
	if err != nil {
		tb.Fatal(err)
	}
	d.Name("app-v2", w.app2)
	for _, b := range []struct {
		id   partition.ID
		data []byte
	}{{partition.ImageA, w.app1}, {partition.Flashboot, w.fb1}, {partition.FlashbootBackup, w.fb1}} {
		if err := d.Burn(b.id, b.data); err != nil {
			tb.Fatal(err)
		}
	}
	d.PowerOn()
	if err, cut := d.Do(func(a *app.App) error {
		return a.Store(bytes.NewReader(w.pkg), uint32(len(w.pkg)), 4096)
	}); err != nil || cut {
		tb.Fatal(err, cut)
	}
	if err, _ := d.RequestUpgrade(true); err != nil {
		tb.Fatal(err)
	}
	if d.Running() != "app-v2" {
		tb.Fatalf("running %q after the upgrade", d.Running())
	}
	return d
}

// BenchmarkW1Upgrade times one W1 upgrade beside the host doing the same
// data work with standard tools (testutil.HostRef: `xz --format=lzma -d`
// of both LZMA payloads plus `sha256sum` of the package), median of 5, in
// the same run. The whole process, start-up and files included, is
// cmd/ws63emu's BenchmarkW1Process.
func BenchmarkW1Upgrade(b *testing.B) {
	w := newW1(b)
	var sim time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := w.upgrade(b)
		sim = d.Now()
	}
	b.StopTimer()
	emu := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(sim.Seconds(), "sim-s")
	var payloads [][]byte
	for i, im := range [][]byte{w.app2, w.fb2} {
		z, err := upg.CompressLZMA(im)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(w.pkg, z) {
			b.Fatalf("image %d: payload not found in the package", i)
		}
		payloads = append(payloads, z)
	}
	h, ok := testutil.NewHostRef(b, b.TempDir(), w.pkg, payloads...)
	if !ok {
		return
	}
	var times []time.Duration
	for range 5 {
		times = append(times, h.Run(b))
	}
	ref := testutil.Median(times)
	b.ReportMetric(float64(ref.Nanoseconds()), "ref-xz+sha256sum-ns")
	b.ReportMetric(emu/float64(ref.Nanoseconds()), "x-vs-ref")
}

func TestW1Upgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("W1 is 2 MiB images")
	}
	d := newW1(t).upgrade(t)
	if v := d.Verdict("", "app-v2"); v != Upgraded {
		t.Fatalf("verdict %s", v)
	}
}
