package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/ws63emu/ws63emu/flash"
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

	once   sync.Once    // Read entries: sum computed on first use
	reused int          // Read entries: hits, for eviction
	frozen flash.Frozen // Read entries: data where it was read (InPlaceReader)
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

// matchInPlace reports whether the flash below ip still holds the bytes
// of *f at off (ReadMatches: no copy, the read's simulated time on a
// match). On a match *f — a record's or entry's, which other workers read
// too, hence the lock — becomes the Frozen that names the sectors holding
// the bytes now.
func (m *Memo) matchInPlace(ip InPlaceReader, off int64, f *flash.Frozen) bool {
	m.mu.Lock()
	cur := *f
	m.mu.Unlock()
	ok, nf := ip.ReadMatches(off, cur)
	if ok {
		m.mu.Lock()
		*f = nf
		m.mu.Unlock()
	}
	return ok
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
	key := readKey{off, n}
	m.mu.Lock()
	cands := m.reads[key]
	m.mu.Unlock()
	// Within a section reader's limit, a flash that checks in place
	// spares the copy (and, for sectors still shared, the compare).
	ip, at := inPlace(r, off)
	if sr, ok := r.(*io.SectionReader); ok && off+int64(n) > sr.Size() {
		ip = nil
	}
	if ip != nil {
		for _, e := range cands {
			if m.matchInPlace(ip, at, &e.frozen) {
				m.mu.Lock()
				e.reused++
				m.stats.ReadHits++
				m.mu.Unlock()
				return e.data, n, nil
			}
		}
		cands = nil // none matches: read, and remember the new bytes
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
	if ip != nil {
		e.frozen = ip.Freeze(at, e.data)
	}
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
