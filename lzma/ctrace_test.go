package lzma_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/lzma"
)

// The testdata/*.ctrace files were produced by the LZMA SDK 22.00's own
// LzmaDec.c (the copy in the WS63 SDK), compiled on a host and driven by
// a small harness that runs upg_lzmadec.c's loop shape over the
// package-form stream next to it (NAME.lzma16: 16-byte header, stream,
// zero pad): input in IN-byte chunks, OUT bytes asked per call (the exact
// rest with LZMA_FINISH_END once fewer than OUT remain), the output
// buffer flushed when it has less than IN bytes free, the size is reached
// or the chunk is used up. Each line is one LzmaDec_DecodeToBuf call
// (bytes consumed, bytes produced, status, result) or a flush. The Go
// decoder, driven the same way, must give the same lines: that is the
// evidence that it consumes input and produces output exactly as the
// device's decoder does. File names: NAME.lzma16.IN.OUT.ctrace.

func traceLoop(t *testing.T, pkg []byte, inStep, outBuf int) string {
	var w strings.Builder
	props, err := lzma.ParseProps(pkg[:5])
	if err != nil {
		return fmt.Sprintf("alloc %d\n", lzma.SZCode(err))
	}
	var size uint32
	for i := range 11 {
		size += uint32(pkg[5+i]) << (uint(i*8) & 31)
	}
	dict := min(props.DictSize, size)
	d, err := lzma.NewDecoder(props, int(dict))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 2*outBuf)
	wpos, total, remain := 0, 0, int(size)
	src := pkg[16:]
	for len(src) > 0 {
		in := src[:min(inStep, len(src))]
		src = src[len(in):]
		pos := 0
		for pos < len(in) {
			want, mode := outBuf, lzma.FinishAny
			if remain < outBuf {
				want, mode = remain, lzma.FinishEnd
			}
			nOut, nIn, st, err := d.DecodeToBuf(out[wpos:wpos+want], in[pos:], mode)
			fmt.Fprintf(&w, "call in=%d out=%d status=%d res=%d\n", nIn, nOut, int(st), lzma.SZCode(err))
			if err != nil {
				fmt.Fprintf(&w, "end res=%d total=%d\n", lzma.SZCode(err), total)
				return w.String()
			}
			pos += nIn
			remain -= nOut
			wpos += nOut
			total += nOut
			if uint32(outBuf)-uint32(wpos) < uint32(inStep) || remain == 0 || pos == len(in) { // unsigned, as the C

				fmt.Fprintf(&w, "flush %d\n", wpos)
				wpos = 0
			}
			if remain == 0 {
				fmt.Fprintf(&w, "end ok total=%d\n", total)
				return w.String()
			}
			if nIn == 0 && nOut == 0 {
				fmt.Fprintf(&w, "end stall status=%d total=%d\n", int(st), total)
				return w.String()
			}
		}
	}
	fmt.Fprintf(&w, "end input total=%d\n", total)
	return w.String()
}

func TestMatchesLzmaDecCalls(t *testing.T) {
	files, err := filepath.Glob("testdata/*.ctrace")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.ctrace: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".ctrace"), ".")
			if len(parts) != 4 {
				t.Fatalf("name %q is not NAME.lzma16.IN.OUT.ctrace", f)
			}
			inStep, err1 := strconv.Atoi(parts[2])
			outBuf, err2 := strconv.Atoi(parts[3])
			pkg, err3 := os.ReadFile(filepath.Join("testdata", parts[0]+"."+parts[1]))
			want, err4 := os.ReadFile(f)
			if err := errorsJoin(err1, err2, err3, err4); err != nil {
				t.Fatal(err)
			}
			got := traceLoop(t, pkg, inStep, outBuf)
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d: got %q, LzmaDec gave %q", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("got %d lines, LzmaDec gave %d", len(gl), len(wl))
			}
		})
	}
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
