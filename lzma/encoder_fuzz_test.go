package lzma_test

import (
	"bytes"
	"testing"

	"github.com/ws63emu/ws63emu/internal/lzmaref"
	"github.com/ws63emu/ws63emu/lzma"
)

// FuzzEncodeRoundTrip encodes arbitrary input and decodes the result with
// ulikunitz/xz's decoder, an independent implementation: the stream must
// be valid LZMA and give the input back, and the header must carry the
// size.
func FuzzEncodeRoundTrip(f *testing.F) {
	for _, s := range [][]byte{
		{0}, []byte("a"), []byte("abcabcabcabcabcabcabcabc"),
		bytes.Repeat([]byte{0xFF}, 300),
		bytes.Repeat([]byte("0123456789"), 500),
		append(bytes.Repeat([]byte{1, 2, 3, 4}, 1100), bytes.Repeat([]byte{1, 2, 3, 5}, 1100)...),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || len(data) > 1<<20 {
			return
		}
		z, err := lzma.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		if back := xzDecode(t, z); !bytes.Equal(back, data) {
			t.Fatalf("round trip of %d bytes gives %d bytes, first difference at %d", len(data), len(back), encFirstDiff(back, data))
		}
	})
}

// FuzzEncodeMatchesC compares Encode with the LZMA SDK's C encoder on
// arbitrary input (skipped without gcc or the SDK sources).
func FuzzEncodeMatchesC(f *testing.F) {
	f.Add([]byte("abracadabra abracadabra"))
	f.Add(bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, 1000))
	c := lzmaref.Build(f) // once per process, before the inputs
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // keep the round trips to the C process quick
		}
		want, _, err := c.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := lzma.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d-byte input: Go %d bytes, C %d bytes, first difference at %d", len(data), len(got), len(want), encFirstDiff(got, want))
		}
	})
}
