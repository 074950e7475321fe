package upg

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/image"
)

// countingReaderAt counts the bytes read through it, as the flash's
// simulated clock does.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func code(t testing.TB, seed uint64, n int) []byte {
	t.Helper()
	return image.SyntheticCode(image.Ident{Kind: image.KindApp, Version: "memo", Seed: seed}, n)
}

func TestMemoSum256(t *testing.T) {
	m := NewMemo()
	a, b := code(t, 1, 64<<10), code(t, 2, 64<<10)
	for round := range 3 {
		for _, d := range [][]byte{a, b, a[:memoMinLen-1], bytes.Clone(a)} {
			if got, want := m.Sum256(d), sha256.Sum256(d); got != want {
				t.Fatalf("round %d: Sum256 = %x, want %x", round, got[:4], want[:4])
			}
		}
	}
	// A copy of a that differs in one byte is not taken for a.
	c := bytes.Clone(a)
	c[len(c)/3] ^= 1
	if got, want := m.Sum256(c), sha256.Sum256(c); got != want {
		t.Fatalf("changed bytes: Sum256 = %x, want %x", got[:4], want[:4])
	}
	st := m.Stats()
	if st.SumHits == 0 || st.SumMisses == 0 {
		t.Errorf("stats %+v: want hits and misses", st)
	}
	var nilMemo *Memo
	if got, want := nilMemo.Sum256(a), sha256.Sum256(a); got != want {
		t.Errorf("nil memo: Sum256 = %x, want %x", got[:4], want[:4])
	}
}

func TestMemoRead(t *testing.T) {
	m := NewMemo()
	data := code(t, 3, 256<<10)
	r := bytes.NewReader(data)
	first, n, err := m.Read(r, 100, 100<<10)
	if err != nil || n != 100<<10 || !bytes.Equal(first, data[100:100+100<<10]) {
		t.Fatalf("Read = %d bytes, %v, equal %v", n, err, bytes.Equal(first, data[100:100+100<<10]))
	}
	second, _, _ := m.Read(r, 100, 100<<10)
	if &second[0] != &first[0] {
		t.Errorf("second Read of the same bytes: want the memo's copy")
	}
	if m.Sum256(second) != sha256.Sum256(second) {
		t.Errorf("Sum256 of the memo's copy is wrong")
	}
	// Other bytes at the same range: a new copy with those bytes.
	other := bytes.Clone(data)
	other[150] ^= 0xFF
	third, _, _ := m.Read(bytes.NewReader(other), 100, 100<<10)
	if &third[0] == &first[0] || !bytes.Equal(third, other[100:100+100<<10]) {
		t.Errorf("Read of changed bytes returned the remembered copy")
	}
	if m.Sum256(third) != sha256.Sum256(third) {
		t.Errorf("Sum256 of the changed copy is wrong")
	}
	// A short read reports what ReadAt reports.
	b, n, err := m.Read(r, int64(len(data))-10, 20<<10)
	if n != 10 || !errors.Is(err, io.EOF) || len(b) != 20<<10 || !bytes.Equal(b[:10], data[len(data)-10:]) {
		t.Errorf("short Read = %d, %v, len %d", n, err, len(b))
	}
	var nilMemo *Memo
	b, n, err = nilMemo.Read(r, 0, 5)
	if n != 5 || err != nil || !bytes.Equal(b, data[:5]) {
		t.Errorf("nil memo Read = %d, %v", n, err)
	}
}

// decodeLikeEngine reads a decoder as compressTask does: 4 KiB ReadFull
// steps up to size. It returns the output and, after every step, how
// many bytes had been read from the flash.
func decodeLikeEngine(dec io.Reader, size uint32, flash *countingReaderAt) ([]byte, []int64, error) {
	var out []byte
	reads := []int64{flash.n}
	buf := make([]byte, chunkLen)
	for done := uint32(0); done < size; {
		c := min(chunkLen, size-done)
		if _, err := io.ReadFull(dec, buf[:c]); err != nil {
			return out, reads, err
		}
		out = append(out, buf[:c]...)
		reads = append(reads, flash.n)
		done += c
	}
	return out, reads, nil
}

// TestMemoDecode: a remembered decode is replayed only over equal bytes,
// with the same reads at the same moments; changed bytes anywhere give
// what a real decoder gives.
func TestMemoDecode(t *testing.T) {
	raw := code(t, 4, 300<<10)
	payload, err := CompressLZMA(raw)
	if err != nil {
		t.Fatal(err)
	}
	src := int64(4096) // the payload sits at an offset of the "flash"
	flashOf := func(p []byte) []byte {
		f := make([]byte, src+int64(len(p))+64)
		copy(f[src:], p)
		return f
	}
	n := int64((len(payload) + 15) &^ 15) // the payload rounded up to 16 bytes, as stored
	maxOut := uint32(1 << 20)

	plain := func(p []byte) ([]byte, []int64, error) {
		c := &countingReaderAt{r: bytes.NewReader(flashOf(p))}
		dec, size, err := NewLZMADecoder(io.NewSectionReader(c, src, n), maxOut)
		if err != nil {
			return nil, nil, err
		}
		return decodeLikeEngine(dec, size, c)
	}
	memoized := func(m *Memo, p []byte) ([]byte, []int64, error) {
		c := &countingReaderAt{r: bytes.NewReader(flashOf(p))}
		dec, size, err := m.newDecoder(c, src, n, maxOut)
		if err != nil {
			return nil, nil, err
		}
		return decodeLikeEngine(dec, size, c)
	}

	m := NewMemo()
	wantOut, wantReads, err := plain(payload)
	if err != nil || !bytes.Equal(wantOut, raw) {
		t.Fatalf("plain decode: %v", err)
	}
	for round := range 3 { // record, then replay twice
		out, reads, err := memoized(m, payload)
		if err != nil || !bytes.Equal(out, raw) {
			t.Fatalf("round %d: %v", round, err)
		}
		if d := cmp.Diff(wantReads, reads); d != "" {
			t.Fatalf("round %d: flash bytes read after each step differ (-plain +memo):\n%s", round, d)
		}
	}
	if st := m.Stats(); st.DecodeMisses != 1 || st.DecodeHits != 2 {
		t.Errorf("stats %+v: want 1 miss then 2 hits", st)
	}

	// Changed bytes: in the header, at the start of the stream, in the
	// middle, near the end. The memo's output and error must be a real
	// decoder's; a changed stream is never answered from the record.
	for _, off := range []int{5, LZMAHeaderLen + 3, len(payload) / 2, len(payload) - 20} {
		t.Run(fmt.Sprintf("changed@%d", off), func(t *testing.T) {
			p := bytes.Clone(payload)
			p[off] ^= 0x55
			wantOut, _, wantErr := plain(p)
			out, _, err := memoized(m, p)
			if !bytes.Equal(out, wantOut) {
				t.Errorf("output differs from a real decoder's (%d vs %d bytes)", len(out), len(wantOut))
			}
			if (err == nil) != (wantErr == nil) || (err != nil && Code(err) != Code(wantErr)) {
				t.Errorf("error %v, a real decoder's %v", err, wantErr)
			}
		})
	}
	if st := m.Stats(); st.DecodeFallbacks == 0 && st.DecodeMisses < 2 {
		t.Errorf("stats %+v: changed streams were neither decoded afresh nor fell back", st)
	}
}
