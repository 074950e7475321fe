package lzma_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/lzmaref"
	"github.com/ws63emu/ws63emu/lzma"
)

// BenchmarkEncodeW1App encodes the W1 workload's 2 MiB synthetic app
// (upg's BenchmarkPackW1 images) and, in the same run, interleaved, the
// LZMA SDK's C encoder (gcc -O2, same settings) encodes the same bytes:
// go/c and go/c-cpu are the ratios of the medians (wall-clock and CPU
// time; see lzmaref.Compare). Without gcc or the SDK sources only the Go
// figures are printed.
func BenchmarkEncodeW1App(b *testing.B) {
	app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", VersionExt: 1, Seed: 2}, 2<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	want, err := lzma.Encode(app)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(app)))
	lzmaref.Compare(b, func() error {
		_, err := lzma.Encode(app)
		return err
	}, [][]byte{app}, func(_ int, out []byte) error {
		if !bytes.Equal(out, want) {
			return errors.New("the C encoder's output differs from ours")
		}
		return nil
	})
	b.ReportMetric(float64(len(want))/float64(len(app)), "ratio")
}
