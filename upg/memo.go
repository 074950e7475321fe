package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// Memo lets a power-cut sweep reuse work the device repeats identically
// at thousands of cut points: SHA-256 of the same bytes (package and image
// verification) and LZMA decoding of the same stream (flashboot's
// compressed image task). It is off unless Options.Memo is set; plain runs
// never set it.
//
// It is kept honest by three rules, so that a device with a Memo issues
// exactly the flash operations, in the same order, with the same data, as
// one without:
//
//   - A memo never answers from a key alone. Every answer is proved by
//     comparing the actual bytes of this run, byte for byte, with the
//     bytes the remembered result was computed from; a digest is returned
//     only for equal bytes, decoded output only after the compressed
//     bytes it came from were read again from the flash and found equal.
//   - The device's reads happen as without the memo: the same flash
//     ranges are read, in the same amounts, at the same moments between
//     operations (the memo replays the real decoder's recorded pattern of
//     reads), so the simulated clock and the operation sequence do not
//     change. Only host CPU work is saved.
//   - When the bytes differ, the memo falls back to the real computation
//     on the bytes actually read: the result is what the device computes.
//     (A decoder that falls back after it started may then read ahead by
//     a different amount, which shifts only the simulated read time.)
//
// A Memo is safe for concurrent use by many devices. Its memory is
// bounded (MemoLimit); when full it forgets the oldest entries.
type Memo struct {
	mu     sync.Mutex
	sums   map[uint64][]*sumEntry // fingerprint → entries
	order  []*sumEntry            // insertion order, for eviction
	bytes  int                    // data bytes held by sums
	seen   map[[32]byte]bool      // digests computed once (admission on the second sight)
	lzma   map[lzmaKey][]*lzmaRec
	nlzma  int
	reads  map[readKey][]*sumEntry // Read: remembered contents per range
	shared map[*byte]*sumEntry     // the memo's own copies, by first byte
	rpool  sync.Pool               // *[]byte scratch for Read
	rbytes int                     // data bytes held by reads
	stats  MemoStats
	limit  int
	pool   sync.Pool // *[]byte buffers for hashSection
	lzPool sync.Pool // *[]byte compare buffers for the decoder
}

// MemoLimit bounds the bytes a Memo holds for digests (the decoded
// streams it keeps, at most maxLZMARecs, come on top).
const MemoLimit = 64 << 20

// memoMinLen is the smallest input whose digest is memoised: hashing a
// few KiB costs less than the bookkeeping.
const memoMinLen = 16 << 10

// maxLZMARecs bounds the decoded streams a Memo keeps.
const maxLZMARecs = 8

// MemoStats counts what a Memo saved; for benchmarks and tests.
type MemoStats struct {
	SumHits, SumMisses       int // digests answered from memory / computed
	ReadHits, ReadMisses     int // Read answered with a remembered copy / a new one
	DecodeHits, DecodeMisses int // decoders replayed / run for real
	DecodeFallbacks          int // replays that found different bytes and decoded for real
}

type sumEntry struct {
	fp   uint64
	data []byte
	sum  [32]byte

	once   sync.Once // Read entries: sum computed on first use
	reused int       // Read entries: hits, for eviction
}

// NewMemo returns an empty Memo.
func NewMemo() *Memo {
	return &Memo{sums: map[uint64][]*sumEntry{}, seen: map[[32]byte]bool{},
		lzma: map[lzmaKey][]*lzmaRec{}, reads: map[readKey][]*sumEntry{},
		shared: map[*byte]*sumEntry{}, limit: MemoLimit}
}

// Stats returns the counters so far.
func (m *Memo) Stats() MemoStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

// fingerprint picks an entry list cheaply: FNV-1a over the length and 64
// words spread over b. It only narrows the search; equality is checked on
// every byte.
func fingerprint(b []byte) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	mix := func(v uint64) { h = (h ^ v) * prime }
	mix(uint64(len(b)))
	if len(b) < 8 {
		return h
	}
	for i := range 64 {
		off := (len(b) - 8) * i / 63
		mix(binary.LittleEndian.Uint64(b[off:]))
	}
	return h
}

// Sum256 returns sha256.Sum256(b). When the same bytes were hashed before
// and remembered, it finds them by comparing b with them byte for byte
// and returns their digest without hashing. Bytes are remembered the
// second time their digest is computed, so one-off contents (a torn
// image) never fill the memory.
func (m *Memo) Sum256(b []byte) [32]byte {
	if m == nil || len(b) < memoMinLen {
		return sha256.Sum256(b)
	}
	// The memo's own copies (Read) are never written: their identity is
	// proof of their contents.
	m.mu.Lock()
	e := m.shared[&b[0]]
	m.mu.Unlock()
	if e != nil && len(e.data) == len(b) {
		e.once.Do(func() { e.sum = sha256.Sum256(e.data) })
		m.mu.Lock()
		m.stats.SumHits++
		m.mu.Unlock()
		return e.sum
	}
	fp := fingerprint(b)
	m.mu.Lock()
	cands := m.sums[fp]
	m.mu.Unlock()
	for _, e := range cands {
		if bytes.Equal(e.data, b) {
			m.mu.Lock()
			m.stats.SumHits++
			m.mu.Unlock()
			return e.sum
		}
	}
	sum := sha256.Sum256(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.SumMisses++
	if !m.seen[sum] {
		if len(m.seen) > 1<<16 {
			clear(m.seen)
		}
		m.seen[sum] = true
		return sum
	}
	for _, e := range m.sums[fp] {
		if e.sum == sum && len(e.data) == len(b) {
			return sum // another goroutine stored it meanwhile
		}
	}
	e = &sumEntry{fp: fp, data: bytes.Clone(b), sum: sum}
	m.sums[fp] = append(m.sums[fp], e)
	m.order = append(m.order, e)
	m.bytes += len(b)
	for m.bytes > m.limit && len(m.order) > 1 {
		m.evictOldest()
	}
	return sum
}

func (m *Memo) evictOldest() {
	old := m.order[0]
	m.order = m.order[1:]
	m.bytes -= len(old.data)
	list := m.sums[old.fp]
	for i, e := range list {
		if e == old {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(m.sums, old.fp)
	} else {
		m.sums[old.fp] = list
	}
}

// hashSection is hashSection with the memo: the same reads, in the same
// 4 KiB steps, into one buffer, then Sum256.
func (m *Memo) hashSection(r io.ReaderAt, off, n int64, s *scratch) ([32]byte, error) {
	if n < memoMinLen {
		return hashSectionPlain(r, off, n, s)
	}
	bp, _ := m.pool.Get().(*[]byte)
	if bp == nil || int64(cap(*bp)) < n {
		b := make([]byte, n)
		bp = &b
	}
	buf := (*bp)[:n]
	defer m.pool.Put(bp)
	for done := int64(0); done < n; {
		k := min(n-done, int64(len(s.buf)))
		if got, err := r.ReadAt(buf[done:done+k], off+done); int64(got) != k {
			return [32]byte{}, &FormatError{Off: off + done + int64(got), Msg: fmt.Sprintf("read %d bytes: %v", k, err), Err: ErrTruncated}
		}
		done += k
	}
	return m.Sum256(buf), nil
}

// ---- reads ----

type readKey struct {
	off int64
	n   int
}

// maxReadRecs bounds the contents Read remembers per range.
const maxReadRecs = 4

// Read returns n bytes read from r at off by one r.ReadAt call, with its
// count and error, as reading into a fresh buffer does (image.ParseOptions
// .Read). When the bytes equal ones the memo holds for the same (off, n),
// compared byte for byte, it returns the memo's copy instead of a new
// buffer: the caller must not modify it. Sum256 of such a copy costs
// nothing. A nil Memo reads into a fresh buffer.
func (m *Memo) Read(r io.ReaderAt, off int64, n int) ([]byte, int, error) {
	if m == nil || n < memoMinLen {
		b := make([]byte, n)
		got, err := r.ReadAt(b, off)
		return b, got, err
	}
	bp, _ := m.rpool.Get().(*[]byte)
	if bp == nil || cap(*bp) < n {
		b := make([]byte, n)
		bp = &b
	}
	defer m.rpool.Put(bp)
	buf := (*bp)[:n]
	got, err := r.ReadAt(buf, off)
	if got < n {
		b := make([]byte, n)
		copy(b, buf[:got])
		return b, got, err
	}
	key := readKey{off, n}
	m.mu.Lock()
	cands := m.reads[key]
	m.mu.Unlock()
	for _, e := range cands {
		if bytes.Equal(e.data, buf) {
			m.mu.Lock()
			e.reused++
			m.stats.ReadHits++
			m.mu.Unlock()
			return e.data, got, err
		}
	}
	e := &sumEntry{data: bytes.Clone(buf)}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.ReadMisses++
	list := m.reads[key]
	if len(list) >= maxReadRecs {
		// Forget the least used copy (callers may still hold it: it is
		// only no longer found).
		k := 0
		for i, c := range list {
			if c.reused < list[k].reused {
				k = i
			}
		}
		delete(m.shared, &list[k].data[0])
		m.rbytes -= len(list[k].data)
		list = append(list[:k:k], list[k+1:]...)
	}
	if m.rbytes+n > m.limit {
		clear(m.reads) // rare: many distinct ranges (torn headers)
		clear(m.shared)
		m.rbytes = 0
		list = nil
	}
	m.reads[key] = append(list, e)
	m.shared[&e.data[0]] = e
	m.rbytes += n
	return e.data, got, err
}

// ---- LZMA ----

// lzmaKey says where a stream was decoded from; the bytes themselves are
// compared before a record is used.
type lzmaKey struct {
	src, n int64 // flash range the decoder read from
	maxOut uint32
}

// lzmaStep is one Read call the real decoder served: the length asked
// for, the bytes it returned, and how many input bytes it had read from
// the flash by then.
type lzmaStep struct {
	req, n int
	inEnd  int64
}

// lzmaRec is one complete, successful decode: its input as read, the
// reads done before the first Read (header and look-ahead), every Read,
// and the output.
type lzmaRec struct {
	in    []byte
	init  int64 // input bytes read by NewLZMADecoder
	steps []lzmaStep
	out   []byte
	size  uint32
}

// lzmaDecoder is NewLZMADecoder over the n flash bytes at src, through
// the memo when the options have one.
func (u *Upg) lzmaDecoder(src, n, maxOut uint32) (io.Reader, uint32, error) {
	if m := u.opt.Memo; m != nil {
		return m.newDecoder(u.flash, int64(src), int64(n), maxOut)
	}
	dec, size, err := NewLZMADecoder(io.NewSectionReader(u.flash, int64(src), int64(n)), maxOut)
	if err != nil {
		return nil, 0, err
	}
	return dec, size, nil
}

// newDecoder is NewLZMADecoder over the n flash bytes at src, with the
// memo: a remembered decode of the same bytes is replayed (its reads
// repeated and checked), any other is decoded for real and remembered
// when it completes.
func (m *Memo) newDecoder(f io.ReaderAt, src, n int64, maxOut uint32) (io.Reader, uint32, error) {
	in := io.NewSectionReader(f, src, n)
	key := lzmaKey{src, n, maxOut}
	m.mu.Lock()
	recs := m.lzma[key]
	m.mu.Unlock()
	if len(recs) == 0 {
		return m.record(key, in, maxOut)
	}
	// NewLZMADecoder reads the 16-byte header first: pick the latest
	// record with the same header.
	var hb [LZMAHeaderLen]byte
	k, err := io.ReadFull(in, hb[:])
	hdr := hb[:k]
	if err == nil {
		for i := len(recs) - 1; i >= 0; i-- {
			if bytes.Equal(recs[i].in[:LZMAHeaderLen], hdr) {
				return m.replay(recs[i], hdr, in, maxOut)
			}
		}
	}
	return m.record(key, io.MultiReader(bytes.NewReader(hdr), in), maxOut)
}

// record decodes for real through a recording reader.
func (m *Memo) record(key lzmaKey, in io.Reader, maxOut uint32) (io.Reader, uint32, error) {
	cr := &copyReader{r: in}
	dec, size, err := NewLZMADecoder(cr, maxOut)
	m.mu.Lock()
	m.stats.DecodeMisses++
	m.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	rec := &lzmaRec{init: int64(len(cr.data)), size: size, out: make([]byte, 0, size)}
	return &recordingDecoder{m: m, key: key, dec: dec, cr: cr, rec: rec}, size, nil
}

// copyReader passes reads through and keeps a copy of every byte.
type copyReader struct {
	r    io.Reader
	data []byte
}

func (c *copyReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.data = append(c.data, p[:n]...)
	return n, err
}

// recordingDecoder is a real decoder that records its Read calls; the
// record is kept when the whole stream has been produced without error.
type recordingDecoder struct {
	m    *Memo
	key  lzmaKey
	dec  *LZMADecoder
	cr   *copyReader
	rec  *lzmaRec
	dead bool // an error happened, or the record was stored
}

func (d *recordingDecoder) Read(p []byte) (int, error) {
	n, err := d.dec.Read(p)
	if d.dead {
		return n, err
	}
	if err != nil {
		d.dead = true
		return n, err
	}
	d.rec.steps = append(d.rec.steps, lzmaStep{req: len(p), n: n, inEnd: int64(len(d.cr.data))})
	d.rec.out = append(d.rec.out, p[:n]...)
	if uint32(len(d.rec.out)) == d.rec.size {
		d.dead = true
		d.rec.in = d.cr.data
		d.m.store(d.key, d.rec)
	}
	return n, err
}

func (m *Memo) store(key lzmaKey, rec *lzmaRec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nlzma >= maxLZMARecs {
		for k := range m.lzma { // forget everything: simple, and rare
			delete(m.lzma, k)
		}
		m.nlzma = 0
	}
	m.lzma[key] = append(m.lzma[key], rec)
	m.nlzma++
}

// readCompare reads len(want) bytes from in into a scratch buffer and
// reports whether they equal want; when they do not, got is a copy of
// what was read.
func (m *Memo) readCompare(in io.Reader, want []byte) (got []byte, equal bool, err error) {
	bp, _ := m.lzPool.Get().(*[]byte)
	if bp == nil || cap(*bp) < len(want) {
		b := make([]byte, len(want))
		bp = &b
	}
	defer m.lzPool.Put(bp)
	buf := (*bp)[:len(want)]
	k, err := io.ReadFull(in, buf)
	if err == nil && bytes.Equal(buf, want) {
		return nil, true, nil
	}
	return bytes.Clone(buf[:k]), false, err
}

// replay serves a decode from rec, whose header equals hdr (already
// read), repeating its reads and checking them.
func (m *Memo) replay(rec *lzmaRec, hdr []byte, in io.Reader, maxOut uint32) (io.Reader, uint32, error) {
	rest, ok, err := m.readCompare(in, rec.in[LZMAHeaderLen:rec.init])
	if !ok || err != nil {
		return m.fallbackStart(io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(rest), in), maxOut)
	}
	m.mu.Lock()
	m.stats.DecodeHits++
	m.mu.Unlock()
	return &replayDecoder{m: m, rec: rec, in: in, inPos: rec.init, maxOut: maxOut}, rec.size, nil
}

func (m *Memo) fallbackStart(r io.Reader, maxOut uint32) (io.Reader, uint32, error) {
	m.mu.Lock()
	m.stats.DecodeFallbacks++
	m.mu.Unlock()
	dec, size, err := NewLZMADecoder(r, maxOut)
	if err != nil {
		return nil, 0, err
	}
	return dec, size, nil
}

// replayDecoder answers Read calls from a record while the caller asks
// what the recorded caller asked and the flash holds what it held.
type replayDecoder struct {
	m      *Memo
	rec    *lzmaRec
	in     io.Reader
	inPos  int64
	step   int
	outPos int
	maxOut uint32
	real   io.Reader // after a fallback
	err    error
}

func (d *replayDecoder) Read(p []byte) (int, error) {
	if d.real != nil {
		return d.real.Read(p)
	}
	if d.err != nil {
		return 0, d.err
	}
	if d.step == len(d.rec.steps) {
		// The stream is complete: the real decoder answers every further
		// Read with io.EOF and reads nothing.
		return 0, io.EOF
	}
	st := d.rec.steps[d.step]
	if len(p) != st.req {
		if err := d.fallback(nil); err != nil {
			return 0, err
		}
		return d.real.Read(p)
	}
	got, ok, err := d.m.readCompare(d.in, d.rec.in[d.inPos:st.inEnd])
	if !ok || err != nil {
		if err := d.fallback(got); err != nil {
			return 0, err
		}
		return d.real.Read(p)
	}
	d.inPos = st.inEnd
	copy(p, d.rec.out[d.outPos:d.outPos+st.n])
	d.outPos += st.n
	d.step++
	return st.n, nil
}

// fallback switches to a real decoder fed with the input read so far
// (the record's, proven equal, then extra) and the rest of the flash, and
// skips the output already served.
func (d *replayDecoder) fallback(extra []byte) error {
	d.m.mu.Lock()
	d.m.stats.DecodeFallbacks++
	d.m.mu.Unlock()
	r := io.MultiReader(bytes.NewReader(d.rec.in[:d.inPos]), bytes.NewReader(extra), d.in)
	dec, _, err := NewLZMADecoder(r, d.maxOut)
	if err == nil {
		_, err = io.CopyN(io.Discard, dec, int64(d.outPos))
	}
	if err != nil {
		d.err = err // cannot happen: these bytes decoded before
		return err
	}
	d.real = dec
	return nil
}
