package lzma_test

import (
	"bytes"
	"testing"

	"github.com/ws63emu/ws63emu/lzma"
)

// FuzzDecode feeds arbitrary bytes to the decoder: the first byte picks
// the properties, the next two the input and output step sizes, the rest
// is the stream. It must never panic, never produce more than asked, and
// never consume more than given; allocation is bounded by the 64 KiB
// dictionary buffer and the largest probability table.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x5A, 5, 9, 0, 0, 0, 0, 0})
	f.Add(append([]byte{0x5A, 200, 255}, encodeXZ(f, []byte("hello hello hello hello"), 0, 0, 2, false)[13:]...))
	f.Add(append([]byte{0x5D, 1, 1}, encodeXZ(f, bytes.Repeat([]byte("ab"), 500), 3, 0, 2, true)[13:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 3 {
			return
		}
		p, err := lzma.ParseProps([]byte{b[0], 0, 0x10, 0, 0})
		if err != nil {
			return
		}
		inStep, outStep := int(b[1])+1, int(b[2])*64+1
		src := b[3:]
		d, err := lzma.NewDecoder(p, 1<<16)
		if err != nil {
			t.Fatal(err)
		}
		dest := make([]byte, outStep)
		total := 0
		for calls := 0; calls < 1<<16; calls++ {
			chunk := src[:min(inStep, len(src))]
			mode := lzma.FinishAny
			if calls%3 == 2 {
				mode = lzma.FinishEnd
			}
			nOut, nIn, _, err := d.DecodeToBuf(dest, chunk, mode)
			if nOut > len(dest) || nIn > len(chunk) || nOut < 0 || nIn < 0 {
				t.Fatalf("call %d: out %d of %d, in %d of %d", calls, nOut, len(dest), nIn, len(chunk))
			}
			total += nOut
			src = src[nIn:]
			if err != nil || (nIn == 0 && nOut == 0) || total > 1<<22 {
				return
			}
		}
	})
}

// FuzzCrossCheck encodes arbitrary data with ulikunitz/xz and decodes it
// with both decoders, in the device's loop shape with fuzzed steps: the
// outputs must be equal to each other and to the data.
func FuzzCrossCheck(f *testing.F) {
	f.Add([]byte("a"), uint8(0), uint8(0), false)
	f.Add(bytes.Repeat([]byte("abcd"), 3000), uint8(10), uint8(3), true)
	f.Add(make([]byte, 70000), uint8(255), uint8(255), false)
	f.Fuzz(func(t *testing.T, data []byte, in, out uint8, eos bool) {
		if len(data) == 0 || len(data) > 1<<20 {
			return
		}
		alone := encodeXZ(t, data, 0, 0, 2, eos)
		ref := decodeXZ(t, alone)
		size := len(data)
		if eos {
			size = -1
		}
		got, _, err := decode(t, alone, size, int(in)*17+1, int(out)*67+1)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !bytes.Equal(got, ref) || !bytes.Equal(ref, data) {
			t.Fatalf("ours %d bytes, xz %d, data %d: differ", len(got), len(ref), len(data))
		}
	})
}
