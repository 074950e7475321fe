package lzma_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	xz "github.com/ulikunitz/xz/lzma"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/lzma"
)

// w1App is W1's v2 application image (docs/design.md §8: 2 MiB of synthetic
// code) compressed at the SDK's settings, as a .lzma file.
func w1App(b *testing.B) (data, alone []byte) {
	b.Helper()
	data, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", VersionExt: 1, Seed: 2}, 2<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	return data, encodeXZ(b, data, 0, 0, 2, false)
}

// deviceLoop decodes as upg_lzmadec.c does: 4 KiB of input at a time,
// 16 KiB of output asked per call, FinishEnd for the last request.
func deviceLoop(b *testing.B, d *lzma.Decoder, src []byte, out []byte) int {
	const in, outBuf = 0x1000, 0x4000
	done := 0
	for len(src) > 0 && done < len(out) {
		chunk := src[:min(in, len(src))]
		src = src[len(chunk):]
		for len(chunk) > 0 && done < len(out) {
			want, mode := outBuf, lzma.FinishAny
			if len(out)-done < outBuf {
				want, mode = len(out)-done, lzma.FinishEnd
			}
			nOut, nIn, _, err := d.DecodeToBuf(out[done:done+want], chunk, mode)
			if err != nil {
				b.Fatal(err)
			}
			done += nOut
			chunk = chunk[nIn:]
			if nIn == 0 && nOut == 0 {
				return done
			}
		}
	}
	return done
}

// BenchmarkDecodeW1App decodes W1's app with this package in the device's
// loop and, interleaved in the same iterations (so that a busy machine
// slows both alike), with ulikunitz/xz's reader as the reference.
// Metrics: ns/op and MB/s cover both decoders; ours-ns/op and xz-ns/op
// are each one's wall time per decode, speedup is xz-ns/op over
// ours-ns/op; the cpu- metrics are the same in process CPU time, which a
// busy machine distorts less.
func BenchmarkDecodeW1App(b *testing.B) {
	data, alone := w1App(b)
	p, err := lzma.ParseProps(alone[:5])
	if err != nil {
		b.Fatal(err)
	}
	out := make([]byte, len(data))
	var ours, ref, oursCPU, refCPU time.Duration
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		t0, c0 := time.Now(), testutil.CPUTime()
		d, err := lzma.NewDecoder(p, int(p.DictSize))
		if err != nil {
			b.Fatal(err)
		}
		if n := deviceLoop(b, d, alone[13:], out); n != len(data) {
			b.Fatalf("decoded %d of %d bytes", n, len(data))
		}
		t1, c1 := time.Now(), testutil.CPUTime()
		r, err := xz.NewReader(bytes.NewReader(alone))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
			b.Fatalf("xz: %d bytes, %v", n, err)
		}
		ours += t1.Sub(t0)
		ref += time.Since(t1)
		oursCPU += c1 - c0
		refCPU += testutil.CPUTime() - c1
	}
	if !bytes.Equal(out, data) {
		b.Fatal("output differs")
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
	b.ReportMetric(float64(ref.Nanoseconds())/float64(b.N), "xz-ns/op")
	b.ReportMetric(float64(ref)/float64(ours), "speedup")
	if oursCPU > 0 { // CPU time: the fairer ratio on a shared machine
		b.ReportMetric(float64(oursCPU.Nanoseconds())/float64(b.N), "ours-cpu-ns/op")
		b.ReportMetric(float64(refCPU.Nanoseconds())/float64(b.N), "xz-cpu-ns/op")
		b.ReportMetric(float64(refCPU)/float64(oursCPU), "cpu-speedup")
	}
}
