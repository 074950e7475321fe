package lzma_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xzlzma "github.com/ulikunitz/xz/lzma"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/lzmaref"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/lzma"
)

// encStretch turns a .lzma file into the package form the SDK packer's
// fill_lzma_head makes: three zero bytes after the 13-byte header.
func encStretch(alone []byte) []byte {
	out := append([]byte{}, alone[:lzma.EncoderHeaderLen]...)
	out = append(out, 0, 0, 0)
	return append(out, alone[lzma.EncoderHeaderLen:]...)
}

// TestEncodeSDKMade encodes the input of every .lzma file the SDK packer
// made (…/sdk-made/X.lzma from X.bin) and compares byte for byte.
func TestEncodeSDKMade(t *testing.T) {
	dir := filepath.Dir(testutil.Reference(t, "sdk-made/app_v2-sign.lzma"))
	files, err := filepath.Glob(filepath.Join(dir, "*.lzma"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .lzma files in %s (%v)", dir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".lzma")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			in, err := os.ReadFile(filepath.Join(dir, name+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := lzma.Encode(in)
			if err != nil {
				t.Fatal(err)
			}
			if g := encStretch(got); !bytes.Equal(g, want) {
				t.Fatalf("Encode(%s.bin) stretched: %d bytes, lzma_tool's %s.lzma: %d bytes; first difference at %d",
					name, len(g), name, len(want), encFirstDiff(g, want))
			}
		})
	}
}

func encFirstDiff(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// input is one named encoder test input.
type encInput struct {
	name string
	data []byte
}

// inputs returns the test corpus: sizes from 0 B to a few MiB of random,
// constructed (runs, periodic patterns, long repeats at the edge of the
// dictionary, text) and synthetic-image data. short keeps it small.
func encCorpus(tb testing.TB, short bool) []encInput {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	// lowEntropy draws from a few symbols, so short matches abound.
	lowEntropy := func(n, k int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(k))
		}
		return b
	}
	periodic := func(n, period int) []byte {
		p := random(period)
		b := make([]byte, n)
		for i := range b {
			b[i] = p[i%period]
		}
		return b
	}
	// mutated repeats a block at distances around the dictionary size,
	// with sparse changes: long matches, rep distances, literal-then-rep0.
	mutated := func(n, dist int) []byte {
		b := random(dist)
		for len(b) < n {
			c := b[len(b)-dist]
			if r.IntN(97) == 0 {
				c = byte(r.Uint32())
			}
			b = append(b, c)
		}
		return b[:n]
	}
	// copies is low-entropy data with a 60..127-byte copy from up to 4 KiB
	// back every few hundred bytes: long parse windows (the optimum table
	// fills up) interrupted by matches the parser must cut at its end.
	copies := func(n int) []byte {
		b := lowEntropy(n, 4)
		for i := 4200; i+128 < n; i += 200 + r.IntN(300) {
			l, d := 60+r.IntN(68), 130+r.IntN(3900)
			copy(b[i:i+l], b[i-d:i-d+l])
		}
		return b
	}
	text := func(n int) []byte {
		words := strings.Fields("the upgrade package is verified then each image is decompressed and written to its partition flash boot app nv")
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(words[r.IntN(len(words))])
			if r.IntN(9) == 0 {
				sb.WriteString(".\n")
			} else {
				sb.WriteByte(' ')
			}
		}
		return []byte(sb.String()[:n])
	}
	synthetic := func(kind image.Kind, size int, seed uint64) []byte {
		b, err := image.Synthetic(image.Ident{Kind: kind, Version: "1.0.0", Seed: seed}, size, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}

	var in []encInput
	add := func(name string, b []byte) { in = append(in, encInput{fmt.Sprintf("%s/%d", name, len(b)), b}) }
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 16, 127, 128, 129, 273, 274, 300} {
		add("random", random(n))
		add("zeros", make([]byte, n))
	}
	for _, n := range []int{4095, 4096, 4097, 4098, 8191, 8192, 12289, 65536, 131071, 131072, 131073} {
		add("random", random(n))
		add("lowentropy", lowEntropy(n, 3))
		add("periodic7", periodic(n, 7))
		add("text", text(n))
	}
	for _, d := range []int{4094, 4095, 4096, 4097} {
		add(fmt.Sprintf("mutated%d", d), mutated(50000, d))
	}
	add("copies", copies(400000))
	add("zeros", make([]byte, 300000))
	add("ff", bytes.Repeat([]byte{0xFF}, 70000))
	add("periodic4096", periodic(200000, 4096))
	add("periodic4097", periodic(200000, 4097))
	add("periodic273", periodic(100000, 273))
	add("synthetic-boot", synthetic(image.KindFlashboot, 60<<10, 3))
	// mixed: segments of random bytes, runs, and copies from 1..5000 bytes
	// back (repeated distances make rep matches of every index).
	mixed := func(n int) []byte {
		b := make([]byte, 0, n)
		var dists []int
		for len(b) < n {
			l := 1 + r.IntN(300)
			switch k := r.IntN(10); {
			case k < 3 || len(b) < 8:
				for range l {
					b = append(b, byte(r.Uint32()))
				}
			case k < 4:
				c := byte(r.Uint32())
				for range l {
					b = append(b, c)
				}
			default:
				d := 1 + r.IntN(min(len(b), 5000))
				if len(dists) > 0 && r.IntN(2) == 0 {
					d = min(dists[r.IntN(len(dists))], len(b))
				}
				dists = append(dists, d)
				for range l {
					b = append(b, b[len(b)-d])
				}
			}
		}
		return b[:n]
	}
	count := 100
	if short {
		count = 20
	}
	for range count {
		add("mixed", mixed(r.IntN(40000)))
	}
	if !short {
		add("synthetic-app", synthetic(image.KindApp, 1<<20, 4))
		add("random", random(3<<20))
		add("mutated4000", mutated(2<<20, 4000))
		add("zeros", make([]byte, 4<<20))
		add("synthetic-app", synthetic(image.KindApp, 3<<20, 5))
	}
	return in
}

// TestEncodeMatchesC compares Encode with the C encoder built from the
// LZMA SDK sources on the whole corpus.
func TestEncodeMatchesC(t *testing.T) {
	c := lzmaref.Build(t)
	for _, in := range encCorpus(t, testing.Short()) {
		want, _, err := c.Encode(in.data)
		if err != nil {
			t.Fatalf("%s: C encoder: %v", in.name, err)
		}
		got, err := lzma.Encode(in.data)
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: Go %d bytes, C %d bytes, first difference at %d", in.name, len(got), len(want), encFirstDiff(got, want))
		}
	}
}

// decode decodes a .lzma file with ulikunitz/xz, an independent decoder.
func xzDecode(tb testing.TB, alone []byte) []byte {
	tb.Helper()
	r, err := xzlzma.NewReader(bytes.NewReader(alone))
	if err != nil {
		tb.Fatalf("xz reader: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("xz decode: %v", err)
	}
	return out
}

// TestEncodeRoundTrip decodes Encode's output with another decoder.
func TestEncodeRoundTrip(t *testing.T) {
	for _, in := range encCorpus(t, true) {
		got, err := lzma.Encode(in.data)
		if err != nil {
			t.Fatalf("%s: %v", in.name, err)
		}
		if len(in.data) == 0 {
			continue // xz's reader wants at least one byte of stream data
		}
		if back := xzDecode(t, got); !bytes.Equal(back, in.data) {
			t.Errorf("%s: round trip gives %d bytes, first difference at %d", in.name, len(back), encFirstDiff(back, in.data))
		}
	}
}

// TestEncodeHeader checks the 13-byte header lzma_tool writes.
func TestEncodeHeader(t *testing.T) {
	got, err := lzma.Encode([]byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x5A, 0x00, 0x10, 0x00, 0x00, 3, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(got[:lzma.EncoderHeaderLen], want) {
		t.Fatalf("header % x, want % x", got[:lzma.EncoderHeaderLen], want)
	}
	pre := []byte("prefix")
	app, err := lzma.AppendEncode(pre, []byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(app, append([]byte("prefix"), got...)) {
		t.Fatal("AppendEncode differs from prefix + Encode")
	}
}

// TestEncodeDeterministic encodes the same input twice (and interleaved
// with another) through the pooled encoders: no state leaks between runs.
func TestEncodeDeterministic(t *testing.T) {
	a := encCorpus(t, true)
	first := make([][]byte, len(a))
	for i, in := range a {
		first[i], _ = lzma.Encode(in.data)
	}
	for i := len(a) - 1; i >= 0; i-- {
		if got, _ := lzma.Encode(a[i].data); !bytes.Equal(got, first[i]) {
			t.Fatalf("%s: second encoding differs", a[i].name)
		}
	}
}
