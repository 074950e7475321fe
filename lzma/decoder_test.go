package lzma_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	xz "github.com/ulikunitz/xz/lzma"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/lzma"
)

// encodeXZ compresses data with ulikunitz/xz at the SDK's settings (lc=0
// lp=0 pb=2, 4 KiB dictionary) unless props say otherwise; it returns
// the 13-byte .lzma header and the stream.
func encodeXZ(t testing.TB, data []byte, lc, lp, pb int, eos bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := xz.WriterConfig{
		Properties:   &xz.Properties{LC: lc, LP: lp, PB: pb},
		DictCap:      4096,
		Matcher:      xz.HashTable4,
		SizeInHeader: !eos,
		Size:         int64(len(data)),
		EOSMarker:    eos,
	}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeXZ is the independent reference.
func decodeXZ(t testing.TB, alone []byte) []byte {
	t.Helper()
	r, err := xz.NewReader(bytes.NewReader(alone))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decode runs DecodeToBuf over a .lzma file with input chunks of inStep
// bytes and output requests of outStep bytes (the last request is the
// exact rest with FinishEnd when size is known), as a caller like the
// WS63's would. It returns the output and the last status.
func decode(t testing.TB, alone []byte, size int, inStep, outStep int) ([]byte, lzma.Status, error) {
	t.Helper()
	p, err := lzma.ParseProps(alone[:5])
	if err != nil {
		return nil, 0, err
	}
	dict := int(p.DictSize)
	if size >= 0 {
		dict = max(min(dict, size), 1)
	}
	d, err := lzma.NewDecoder(p, dict)
	if err != nil {
		return nil, 0, err
	}
	src := alone[13:]
	var out []byte
	dest := make([]byte, outStep)
	status := lzma.StatusNotSpecified
	// After the input ends the decoder may still hold output (a match in
	// progress, symbols the range coder's preloaded bytes determine): the
	// caller asks again with no input until nothing more comes.
	for {
		chunk := src[:min(inStep, len(src))]
		src = src[len(chunk):]
		for {
			want, mode := outStep, lzma.FinishAny
			if size >= 0 && size-len(out) < outStep {
				want, mode = size-len(out), lzma.FinishEnd
			}
			nOut, nIn, st, err := d.DecodeToBuf(dest[:want], chunk, mode)
			out = append(out, dest[:nOut]...)
			chunk = chunk[nIn:]
			status = st
			if err != nil {
				return out, status, err
			}
			if size >= 0 && len(out) == size {
				return out, status, nil
			}
			if nIn == 0 && nOut == 0 {
				if len(src) == 0 {
					return out, status, nil
				}
				break
			}
			if len(chunk) == 0 && len(src) > 0 {
				break
			}
		}
	}
}

func inputs(t testing.TB) map[string][]byte {
	app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.0", Seed: 7}, 200<<10, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 20000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	text := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog; "), 900)
	return map[string][]byte{
		"one byte":    {0x42},
		"zeros":       make([]byte, 50000),
		"random":      random,
		"text":        text,
		"synthetic":   app,
		"short":       []byte("abcabcabcabcabcab"),
		"dict wraps":  append(append([]byte(nil), random[:5000]...), random[:5000]...),
		"long repeat": bytes.Repeat(random[:300], 100),
	}
}

func TestDecodeMatchesXZ(t *testing.T) {
	steps := []struct{ in, out int }{{1 << 20, 1 << 20}, {4096, 16384}, {4096, 4096}, {1, 7}, {19, 20}, {21, 1}, {333, 100000}}
	for name, data := range inputs(t) {
		for _, eos := range []bool{false, true} {
			alone := encodeXZ(t, data, 0, 0, 2, eos)
			ref := decodeXZ(t, alone)
			if !bytes.Equal(ref, data) {
				t.Fatalf("%s: the reference does not round-trip", name)
			}
			size := len(data)
			if eos {
				size = -1
			}
			for _, s := range steps {
				got, status, err := decode(t, alone, size, s.in, s.out)
				if err != nil {
					t.Fatalf("%s eos=%v in=%d out=%d: %v", name, eos, s.in, s.out, err)
				}
				if !bytes.Equal(got, ref) {
					t.Fatalf("%s eos=%v in=%d out=%d: %d bytes differ from xz's %d", name, eos, s.in, s.out, len(got), len(ref))
				}
				if eos && status != lzma.StatusFinishedWithMark {
					t.Errorf("%s eos in=%d out=%d: status %v, want finished-with-mark", name, s.in, s.out, status)
				}
			}
		}
	}
}

func TestDecodeOtherProps(t *testing.T) {
	data := inputs(t)["synthetic"]
	for _, p := range [][3]int{{3, 0, 2}, {0, 2, 0}, {8, 0, 4}, {1, 3, 1}} {
		alone := encodeXZ(t, data, p[0], p[1], p[2], false)
		got, _, err := decode(t, alone, len(data), 4096, 16384)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("lc=%d lp=%d pb=%d: err %v, equal %v", p[0], p[1], p[2], err, bytes.Equal(got, data))
		}
	}
}

// Input that ends inside the stream: every call consumes all it is given
// (the tail of an incomplete symbol is kept), reports NEEDS_MORE_INPUT and
// produces only what is complete.
func TestTruncatedInput(t *testing.T) {
	data := inputs(t)["text"]
	alone := encodeXZ(t, data, 0, 0, 2, false)
	for _, cut := range []int{13, 14, 17, 18, 40, len(alone) / 2, len(alone) - 1} {
		p, _ := lzma.ParseProps(alone[:5])
		d, err := lzma.NewDecoder(p, 4096)
		if err != nil {
			t.Fatal(err)
		}
		dest := make([]byte, len(data))
		nOut, nIn, st, err := d.DecodeToBuf(dest, alone[13:cut], lzma.FinishAny)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if nIn != cut-13 || st != lzma.StatusNeedsMoreInput {
			t.Errorf("cut at %d: consumed %d of %d, status %v", cut, nIn, cut-13, st)
		}
		if !bytes.Equal(dest[:nOut], data[:nOut]) || nOut >= len(data) {
			t.Errorf("cut at %d: %d bytes out, not a prefix", cut, nOut)
		}
		// The rest of the stream completes it.
		n2, _, st, err := d.DecodeToBuf(dest[nOut:], alone[cut:], lzma.FinishEnd)
		if err != nil || nOut+n2 != len(data) || !bytes.Equal(dest, data) {
			t.Errorf("cut at %d: resume gave %d bytes, %v, %v", cut, nOut+n2, st, err)
		}
	}
}

func TestErrors(t *testing.T) {
	data := inputs(t)["text"]
	alone := encodeXZ(t, data, 0, 0, 2, false)
	p, _ := lzma.ParseProps(alone[:5])

	if _, err := lzma.ParseProps([]byte{225, 0, 16, 0, 0}); !errors.Is(err, lzma.ErrUnsupported) || lzma.SZCode(err) != 4 {
		t.Errorf("props 225: %v", err)
	}
	if _, err := lzma.ParseProps([]byte{0x5D, 0, 16}); !errors.Is(err, lzma.ErrUnsupported) {
		t.Errorf("short props: %v", err)
	}
	if got, _ := lzma.ParseProps([]byte{0x5D, 1, 0, 0, 0}); got.DictSize != lzma.MinDictSize || got.LC != 3 || got.LP != 0 || got.PB != 2 {
		t.Errorf("props 0x5D dict 1: %+v", got)
	}
	if _, err := lzma.NewDecoder(p, 0); !errors.Is(err, lzma.ErrMem) || lzma.SZCode(err) != 2 {
		t.Errorf("empty dictionary: %v", err)
	}

	newDec := func() *lzma.Decoder {
		d, err := lzma.NewDecoder(p, 4096)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	dest := make([]byte, len(data))

	bad := bytes.Clone(alone[13:])
	bad[0] = 1
	if _, _, _, err := newDec().DecodeToBuf(dest, bad, lzma.FinishAny); !errors.Is(err, lzma.ErrData) || lzma.SZCode(err) != 1 {
		t.Errorf("first byte 1: %v", err)
	}
	rep := []byte{0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0}
	if _, _, _, err := newDec().DecodeToBuf(dest, rep, lzma.FinishAny); !errors.Is(err, lzma.ErrData) {
		t.Errorf("stream starting with a rep match: %v", err)
	}

	// FinishEnd at a limit the stream does not end at: a data error.
	d := newDec()
	if _, _, st, err := d.DecodeToBuf(dest[:100], alone[13:], lzma.FinishEnd); !errors.Is(err, lzma.ErrData) || st != lzma.StatusNotFinished {
		t.Errorf("FinishEnd mid-stream: %v %v", st, err)
	}
	// FinishAny there is fine.
	if n, _, st, err := newDec().DecodeToBuf(dest[:100], alone[13:], lzma.FinishAny); err != nil || n != 100 || st != lzma.StatusNotFinished {
		t.Errorf("FinishAny mid-stream: %d %v %v", n, st, err)
	}

	// A decoder that failed stays failed.
	d = newDec()
	d.DecodeToBuf(dest, bad, lzma.FinishAny)
	if _, _, _, err := d.DecodeToBuf(dest, alone[13:], lzma.FinishAny); err == nil {
		t.Errorf("decoder after a data error accepted more")
	}
	if lzma.SZCode(nil) != 0 || lzma.SZCode(lzma.ErrFail) != 11 || lzma.SZCode(io.EOF) != 11 {
		t.Errorf("SZCode mapping")
	}
}

// A match that reaches before the start of the output is a data error:
// a stream whose first symbol is a literal, then a match of distance 2.
func TestMatchBeforeStart(t *testing.T) {
	data := inputs(t)["random"]
	alone := encodeXZ(t, data, 0, 0, 2, false)
	p, _ := lzma.ParseProps(alone[:5])
	found := false
	rng := rand.New(rand.NewPCG(5, 6))
	for range 400 {
		src := bytes.Clone(alone[13:200])
		src[5+rng.IntN(30)] ^= byte(1 + rng.IntN(255))
		d, _ := lzma.NewDecoder(p, 4096)
		dest := make([]byte, 2000)
		_, _, _, err := d.DecodeToBuf(dest, src, lzma.FinishAny)
		if errors.Is(err, lzma.ErrData) {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("no corrupted stream gave a data error")
	}
}

func TestStatusString(t *testing.T) {
	if lzma.StatusNeedsMoreInput.String() != "needs-more-input" || lzma.Status(9).String() != "Status(9)" {
		t.Errorf("status names")
	}
}

// The decoder works through a dictionary buffer smaller than the
// dictionary size (the device's min(DictSize, size)) and through one
// that wraps many times.
func TestSmallDictBuffer(t *testing.T) {
	data := []byte("hello hello hello hello")
	alone := encodeXZ(t, data, 0, 0, 2, false)
	got, _, err := decode(t, alone, len(data), 5, 4)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("small dictionary: %q, %v", got, err)
	}
	if binary.LittleEndian.Uint32(alone[1:5]) != 4096 {
		t.Fatalf("dict size %d", binary.LittleEndian.Uint32(alone[1:5]))
	}
}
