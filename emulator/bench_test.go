package emulator

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/image"
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
// data work with standard tools: `xz --format=lzma -d` of both LZMA
// payloads plus `sha256sum` of the package, in the same run.
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
	ref, ok := hostReference(b, w.pkg, w.app2, w.fb2)
	if !ok {
		b.Log("xz or sha256sum not found: reference skipped")
		return
	}
	b.ReportMetric(float64(ref.Nanoseconds()), "ref-xz+sha256sum-ns")
	b.ReportMetric(emu/float64(ref.Nanoseconds()), "x-vs-ref")
}

// hostReference writes the package's LZMA payloads (CompressLZMA of the
// images, as in the package but without its zero padding) as .lzma files
// (13-byte header: the 3 pad bytes removed) and times xz decoding them and
// sha256sum hashing the package, median of 5 runs.
func hostReference(b *testing.B, pkg []byte, images ...[]byte) (time.Duration, bool) {
	if _, err := exec.LookPath("xz"); err != nil {
		return 0, false
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		return 0, false
	}
	dir := b.TempDir()
	args := []string{}
	for i, im := range images {
		z, err := upg.CompressLZMA(im)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(pkg, z) {
			b.Fatalf("image %d: payload not found in the package", i)
		}
		alone := append(append([]byte{}, z[:13]...), z[16:]...)
		name := filepath.Join(dir, fmt.Sprintf("image%d.lzma", i))
		if err := os.WriteFile(name, alone, 0o644); err != nil {
			b.Fatal(err)
		}
		args = append(args, name)
	}
	pkgFile := filepath.Join(dir, "update.fwpkg")
	os.WriteFile(pkgFile, pkg, 0o644)
	var times []time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		for _, a := range args {
			cmd := exec.Command("xz", "--format=lzma", "-dc", a)
			cmd.Stdout = io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatalf("xz: %v", err)
			}
		}
		if err := exec.Command("sha256sum", pkgFile).Run(); err != nil {
			b.Fatalf("sha256sum: %v", err)
		}
		times = append(times, time.Since(start))
	}
	for i := range times {
		for j := i + 1; j < len(times); j++ {
			if times[j] < times[i] {
				times[i], times[j] = times[j], times[i]
			}
		}
	}
	return times[len(times)/2], true
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
