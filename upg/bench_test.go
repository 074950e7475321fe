package upg

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/image"
)

// w1Images are the W1 workload's v2 images (docs/design.md §8): app with 2 MiB
// of synthetic code, flashboot with 60 KiB, both signed hash-only.
func w1Images(b *testing.B) (app, boot []byte) {
	b.Helper()
	var err error
	if app, err = image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", VersionExt: 1, Seed: 2}, 2<<20, nil); err != nil {
		b.Fatal(err)
	}
	if boot, err = image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2.0.0", VersionExt: 1, Seed: 2}, 60<<10, nil); err != nil {
		b.Fatal(err)
	}
	return app, boot
}

// BenchmarkPackW1 packs the W1 package (application + flashboot, both
// LZMA-compressed, ECDSA-signed: the SDK default) and, in the same run,
// compresses the same two images with xz at the SDK's LZMA settings as
// the reference. Metrics: ns/op is our whole Pack; xz-ns/op the two xz
// runs; ratio and xz-ratio are compressed/original over both images;
// size/xz is our payload bytes over xz's.
func BenchmarkPackW1(b *testing.B) {
	app, boot := w1Images(b)
	root, sub := testKeys(b)
	opts := PackOptions{Config: DefaultConfig(SignECDSA), Pkt: []string{PktApp, PktBoot}, App: app, Flashboot: boot, RootKey: root, SubKey: sub}
	var out []byte
	for b.Loop() {
		var err error
		if out, err = Pack(opts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	p, err := ReadPackage(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		b.Fatal(err)
	}
	var stored, orig float64
	for _, h := range p.Headers {
		stored += float64(h.ImageLen - LZMAHeaderLen) // the stream (+ ≤ 15 pad bytes)
		orig += float64(h.NewImageLen)
	}
	b.ReportMetric(stored/orig, "ratio")
	b.ReportMetric(float64(len(out)), "pkg-bytes")

	xz, err := exec.LookPath("xz")
	if err != nil {
		b.Log("xz not installed: no reference figures")
		return
	}
	dir := b.TempDir()
	var xzBytes float64
	start := time.Now()
	for i, img := range [][]byte{app, boot} {
		in := filepath.Join(dir, "img"+string(rune('0'+i)))
		if err := os.WriteFile(in, img, 0o644); err != nil {
			b.Fatal(err)
		}
		z, err := exec.Command(xz, "--format=lzma", "--lzma1=dict=4KiB,lc=0,lp=0,pb=2", "-c", in).Output()
		if err != nil {
			b.Fatal(err)
		}
		xzBytes += float64(len(z) - LZMAAloneHeaderLen)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds()), "xz-ns/op")
	b.ReportMetric(xzBytes/orig, "xz-ratio")
	b.ReportMetric(stored/xzBytes, "size/xz")
}

// BenchmarkCompressLZMAW1App isolates the encoder on the 2 MiB app.
func BenchmarkCompressLZMAW1App(b *testing.B) {
	app, _ := w1Images(b)
	b.SetBytes(int64(len(app)))
	for b.Loop() {
		if _, err := CompressLZMA(app); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFileW1 verifies the W1 package as the device does.
func BenchmarkVerifyFileW1(b *testing.B) {
	app, boot := w1Images(b)
	root, sub := testKeys(b)
	out, err := Pack(PackOptions{Config: DefaultConfig(SignECDSA), App: app, Flashboot: boot, RootKey: root, SubKey: sub})
	if err != nil {
		b.Fatal(err)
	}
	v := &Verifier{RootKey: root.XY()}
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		if _, err := v.VerifyFile(bytes.NewReader(out), int64(len(out))); err != nil {
			b.Fatal(err)
		}
	}
}
