package upg

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/lzmaref"
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
// interleaved, compresses the same two images with the LZMA SDK's C
// encoder (built by gcc from ../shared/lzma-sdk-22.00, lzma_tool's
// settings) as the reference: the whole Pack against the C encoder alone.
// go/c and go/c-cpu are the ratios of the medians (wall-clock and CPU
// time; see lzmaref.Compare); ratio is compressed/original over both
// images. Without gcc or the SDK sources the reference figures are left
// out.
func BenchmarkPackW1(b *testing.B) {
	app, boot := w1Images(b)
	root, sub := testKeys(b)
	opts := PackOptions{Config: DefaultConfig(SignECDSA), Pkt: []string{PktApp, PktBoot}, App: app, Flashboot: boot, RootKey: root, SubKey: sub}
	out, err := Pack(opts)
	if err != nil {
		b.Fatal(err)
	}
	p, err := ReadPackage(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		b.Fatal(err)
	}
	var stored, orig float64
	var want [][]byte
	for i, h := range p.Headers {
		stored += float64(h.ImageLen - LZMAHeaderLen) // the stream (+ ≤ 15 pad bytes)
		orig += float64(h.NewImageLen)
		sec, err := p.ImageData(bytes.NewReader(out), int64(len(out)), i)
		if err != nil {
			b.Fatal(err)
		}
		data, err := io.ReadAll(sec)
		if err != nil {
			b.Fatal(err)
		}
		want = append(want, data)
	}
	lzmaref.Compare(b, func() error {
		_, err := Pack(opts)
		return err
	}, [][]byte{app, boot}, func(i int, alone []byte) error {
		z, err := FillLZMAHead(alone)
		if err != nil {
			return err
		}
		if !bytes.Equal(z, want[i][:len(z)]) {
			return errors.New("the C encoder's payload differs from the packed one")
		}
		return nil
	})
	b.ReportMetric(stored/orig, "ratio")
	b.ReportMetric(float64(len(out)), "pkg-bytes")
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
