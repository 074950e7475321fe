package upg

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/lzma"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/sfc"
)

// The compressed image task (uapi_upg_compress_image_update →
// uapi_upg_lzma_ota_image → upg_lzma_decode, docs/sdk-mapping.md §4.4), call for call:
//
//   - the 16-byte header is read; the properties must decode (else
//     ErrLZMAProps, the raw SZ_ERROR_UNSUPPORTED); the size is the
//     device's 32-bit sum (DeviceLZMASize: bytes 9..15 are not checked);
//     the dictionary buffer is min(DictSize, size), and a size of 0 is
//     ERRCODE_UPG_INVALID_PARAMETER; a size above the partition is
//     ERRCODE_UPG_NO_ENOUGH_SPACE;
//   - image_len − 16 bytes of input are read in chunks of lzmaInBuf
//     (4 KiB); each chunk is decoded with LzmaDec_DecodeToBuf calls
//     asking lzmaOutBuf (16 KiB, CONFIG_MIDDLEWARE_SUPPORT_UPG_COMPRESS_ENCRY)
//     bytes, or exactly the rest with FinishEnd once fewer remain, into
//     the output buffer at its write position;
//   - after each call the buffer is programmed to the partition (one
//     uapi_sfc_reg_write of whatever it holds) when it has fewer than
//     4 KiB free — computed in 32-bit unsigned arithmetic as the C does,
//     so a buffer already past 16 KiB is not "nearly full" — or the size
//     is reached, or the chunk is used up. The request is not reduced by
//     what the buffer holds: on the device a chunk decoding to more than
//     16 KiB writes past the 16 KiB buffer (a latent overflow); the
//     emulator grows the buffer and programs what the code would;
//   - the task ends with success when the size is reached, even with
//     input left (the zero pad); with success when the input ends first
//     (a short image, the rest of the partition stays erased); with
//     ERRCODE_UPG_DECOMPRESS_FAIL on a decoder error, on a call that
//     consumes and produces nothing without an end marker, and on a
//     failed program of the buffer.
const (
	lzmaInBuf  = 0x1000 // IN_BUF_SIZE
	lzmaOutBuf = 0x4000 // OUT_BUF_SIZE with CONFIG_MIDDLEWARE_SUPPORT_UPG_COMPRESS_ENCRY
)

// compressTask is uapi_upg_compress_image_update after the whole
// partition was erased.
func (u *Upg) compressTask(h ImageHeader, e partition.Entry, src uint32) error {
	if err := u.eraseTarget(e); err != nil {
		return err
	}
	if h.ImageLen < LZMAHeaderLen {
		return fmt.Errorf("upg: lzma: image_len %d is shorter than the 16-byte header: %w", h.ImageLen, ErrDecompress)
	}
	var hb [LZMAHeaderLen]byte
	if _, err := u.flash.ReadAt(hb[:], int64(src)); err != nil {
		return flashErr(err, ErrcodeFail)
	}
	props, err := lzma.ParseProps(hb[:lzma.PropsLen])
	if err != nil {
		return fmt.Errorf("upg: lzma: %v: %w", err, ErrLZMAProps)
	}
	size := DeviceLZMASize(hb[:])
	dict := min(props.DictSize, size)
	if dict == 0 {
		return fmt.Errorf("upg: lzma: %w", ErrLZMASize)
	}
	if size > e.Size {
		return fmt.Errorf("upg: lzma: uncompressed size %d exceeds the %d-byte target: %w", size, e.Size, ErrNoSpace)
	}
	dec, err := lzma.NewDecoder(props, int(dict))
	if err != nil { // a dictionary above lzma.MaxDictBuf: malloc fails on the device too
		return fmt.Errorf("upg: lzma: %v: %w", err, ErrcodeMalloc)
	}
	u.phase("decompress " + e.ID.String())
	t := &lzmaTask{u: u, h: h, e: e, dec: dec, remain: size, out: make([]byte, 2*lzmaOutBuf)}
	in := src + LZMAHeaderLen
	rest := h.ImageLen - LZMAHeaderLen
	if m := u.opt.Memo; m != nil {
		return m.runLZMA(t, hb, in, rest)
	}
	buf := make([]byte, lzmaInBuf)
	for rest > 0 {
		n := min(lzmaInBuf, rest)
		if _, err := u.flash.ReadAt(buf[:n], int64(in)); err != nil {
			return &flashError{code: ErrcodeUpgDecompressFail, err: err}
		}
		in, rest = in+n, rest-n
		if done, err := t.chunk(buf[:n], nil); done || err != nil {
			return err
		}
		u.kick()
	}
	return nil
}

// lzmaTask is the state of one compressed image task.
type lzmaTask struct {
	u        *Upg
	h        ImageHeader
	e        partition.Entry
	dec      *lzma.Decoder
	remain   uint32 // decompress_len: bytes still to produce
	outOff   uint32 // out_offset: partition offset of the next flush
	writePos int    // bytes in out
	out      []byte
	dry      bool // replaying decoder state only: no flash, no clock
	// flashFailed: a program of the buffer failed. The outcome then
	// depends on the flash, not on the input: the memo must not keep it.
	flashFailed bool
}

// lzmaEvent is one step of a chunk as a record keeps it: a decode call
// that produced n bytes, or (flush) a program of n bytes.
type lzmaEvent struct {
	flush bool
	n     int
}

// chunk is upg_lzma_decode_to_midbuf over one input chunk. It reports
// done when the task ended (err nil: success). rec, when not nil, gets
// the chunk's events and flushed bytes.
func (t *lzmaTask) chunk(in []byte, rec *lzmaChunk) (done bool, err error) {
	pos := 0
	for pos < len(in) {
		want, mode := lzmaOutBuf, lzma.FinishAny
		if t.remain < lzmaOutBuf {
			want, mode = int(t.remain), lzma.FinishEnd
		}
		if t.writePos+want > len(t.out) {
			t.out = append(t.out, make([]byte, t.writePos+want-len(t.out))...)
		}
		nOut, nIn, status, derr := t.dec.DecodeToBuf(t.out[t.writePos:t.writePos+want], in[pos:], mode)
		if derr != nil {
			return true, fmt.Errorf("upg: lzma: after %d bytes: %v: %w", t.outOff+uint32(t.writePos+nOut), derr, ErrDecompress)
		}
		pos += nIn
		t.remain -= uint32(nOut)
		t.writePos += nOut
		if rec != nil {
			rec.events = append(rec.events, lzmaEvent{n: nOut})
		}
		if !t.dry {
			t.u.cpu(CPUDecode, nOut)
			t.u.advance(uint64(nOut))
		}
		if uint32(lzmaOutBuf)-uint32(t.writePos) < lzmaInBuf || t.remain == 0 || pos == len(in) {
			if err := t.flush(rec); err != nil {
				return true, err
			}
		}
		if t.remain == 0 {
			return true, nil
		}
		if nIn == 0 && nOut == 0 {
			if status != lzma.StatusFinishedWithMark {
				return true, fmt.Errorf("upg: lzma: no progress after %d bytes (%v): %w", t.outOff, status, ErrDecompress)
			}
			return true, nil
		}
	}
	return false, nil
}

// flush is upg_lzma_write_image: the buffer is (re-encrypted and)
// programmed at out_offset; any failure is the task's DECOMPRESS_FAIL.
func (t *lzmaTask) flush(rec *lzmaChunk) error {
	data := t.out[:t.writePos]
	if rec != nil {
		rec.events = append(rec.events, lzmaEvent{flush: true, n: len(data)})
		rec.out = append(rec.out, data...)
	}
	if !t.dry && len(data) > 0 {
		if err := t.program(data); err != nil {
			return err
		}
	}
	t.outOff += uint32(len(data))
	t.writePos = 0
	return nil
}

func (t *lzmaTask) program(data []byte) error {
	if err := t.u.encryptChunk(t.h, t.outOff, data); err != nil {
		t.flashFailed = true
		return &flashError{code: ErrcodeUpgDecompressFail, err: err}
	}
	if err := t.u.flash.Program(t.e.Offset+t.outOff, data); err != nil {
		t.flashFailed = true
		return &flashError{code: ErrcodeUpgDecompressFail, err: err}
	}
	return nil
}

// ---- memo ----

// lzmaKey says where a stream was decoded from; the bytes themselves are
// compared before a record is used.
type lzmaKey struct {
	hdr    [LZMAHeaderLen]byte
	src, n uint32
	maxOut uint32
}

// lzmaChunk is what the task did with one input chunk: the chunk as
// read, its events, the bytes it flushed, and whether the task ended
// there (with its error).
type lzmaChunk struct {
	in     []byte
	frozen flash.Frozen // in, where it was read (see InPlaceReader)
	events []lzmaEvent
	out    []byte
	done   bool
	err    error
}

// lzmaRec is one complete task over the same input.
type lzmaRec struct {
	chunks []lzmaChunk
}

// runLZMA runs the chunk loop with the memo: each input chunk is read
// from the flash exactly as without it; while the chunks equal a
// record's, byte for byte, the record's decode events are replayed
// (clock, progress, and the same programs of the same bytes); at the
// first chunk that differs, a real decoder is brought to the state after
// the equal chunks by decoding them again (dry), and the task goes on for
// real. A task that was run for real is recorded when it completes.
func (m *Memo) runLZMA(t *lzmaTask, hdr [LZMAHeaderLen]byte, in, rest uint32) error {
	key := lzmaKey{hdr, in, rest, t.e.Size}
	m.mu.Lock()
	recs := m.lzma[key]
	m.mu.Unlock()
	var rec *lzmaRec
	if len(recs) > 0 {
		rec = recs[len(recs)-1]
	}
	var mine *lzmaRec // recording, when decoding for real from the start
	if rec == nil {
		mine = &lzmaRec{}
	}
	buf := make([]byte, lzmaInBuf)
	ip, _ := inPlace(t.u.flash, 0)
	for i := 0; rest > 0; i++ {
		n := min(lzmaInBuf, rest)
		// A chunk as the record's: checked in place when the flash can
		// (the same read time, no copy), else read and compared.
		recorded := rec != nil && i < len(rec.chunks)
		same := recorded && ip != nil && m.matchInPlace(ip, int64(in), &rec.chunks[i].frozen)
		if !same {
			if _, err := t.u.flash.ReadAt(buf[:n], int64(in)); err != nil {
				return &flashError{code: ErrcodeUpgDecompressFail, err: err}
			}
			same = recorded && ip == nil && bytes.Equal(rec.chunks[i].in, buf[:n])
		}
		at := in
		in, rest = in+n, rest-n
		if same {
			c := &rec.chunks[i]
			if err := t.replay(c); err != nil {
				return err
			}
			if c.done {
				m.count(func(s *MemoStats) { s.DecodeHits++ })
				return c.err
			}
			t.u.kick()
			continue
		}
		if rec != nil { // differs from the record: decode for real from here
			m.count(func(s *MemoStats) { s.DecodeFallbacks++ })
			if err := t.catchUp(rec.chunks[:i]); err != nil {
				return err
			}
			rec = nil
		}
		var c *lzmaChunk
		if mine != nil {
			rc := lzmaChunk{in: bytes.Clone(buf[:n])}
			if ip != nil {
				rc.frozen = ip.Freeze(int64(at), rc.in)
			}
			mine.chunks = append(mine.chunks, rc)
			c = &mine.chunks[len(mine.chunks)-1]
		}
		done, err := t.chunk(buf[:n], c)
		if c != nil {
			c.done, c.err = done, err
		}
		if done {
			m.finish(key, mine, t)
			return err
		}
		t.u.kick()
	}
	m.finish(key, mine, t)
	return nil
}

func (m *Memo) count(f func(*MemoStats)) {
	m.mu.Lock()
	f(&m.stats)
	m.mu.Unlock()
}

// finish stores a complete recording of t, unless a flash failure
// decided its outcome.
func (m *Memo) finish(key lzmaKey, rec *lzmaRec, t *lzmaTask) {
	if rec == nil || t.flashFailed {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.DecodeMisses++
	if m.nlzma >= maxLZMARecs {
		clear(m.lzma) // forget everything: simple, and rare
		m.nlzma = 0
	}
	m.lzma[key] = append(m.lzma[key], rec)
	m.nlzma++
}

// replay does what the recorded chunk did: the same clock and progress
// per decode call, the same programs of the same bytes.
func (t *lzmaTask) replay(c *lzmaChunk) error {
	off := 0
	for _, ev := range c.events {
		if !ev.flush {
			t.u.cpu(CPUDecode, ev.n)
			t.u.advance(uint64(ev.n))
			t.remain -= uint32(ev.n)
			continue
		}
		if ev.n > 0 {
			if err := t.program(c.out[off : off+ev.n]); err != nil {
				return err
			}
		}
		off += ev.n
		t.outOff += uint32(ev.n)
	}
	return nil
}

// catchUp brings a fresh decoder to the state after the given chunks by
// decoding them again without touching flash or clock. The task's
// counters already stand after them (replay advanced them).
func (t *lzmaTask) catchUp(chunks []lzmaChunk) error {
	remain, outOff := t.remain, t.outOff
	var total uint32
	for _, c := range chunks {
		for _, ev := range c.events {
			if !ev.flush {
				total += uint32(ev.n)
			}
		}
	}
	t.remain, t.outOff, t.dry = remain+total, 0, true
	for _, c := range chunks {
		if _, err := t.chunk(c.in, nil); err != nil {
			return err // cannot happen: these chunks decoded before
		}
	}
	t.dry = false
	if t.remain != remain || t.outOff != outOff {
		return fmt.Errorf("upg: lzma: memo catch-up reached %d/%d, want %d/%d: %w", t.remain, t.outOff, remain, outOff, ErrDecompress)
	}
	return nil
}

// InPlaceReader is a flash whose bytes can be checked where they are
// (flash.Device, and the emulator's chip and driver over one): a memo
// checks the bytes it recorded through it without copying them, and a
// range whose sectors are the very ones recorded (shared copy-on-write
// sectors never change) without comparing them.
type InPlaceReader interface {
	Freeze(off int64, data []byte) flash.Frozen
	ReadMatches(off int64, f flash.Frozen) (bool, flash.Frozen)
}

// inPlace returns r as an InPlaceReader at offset off of it — through an
// sfc driver to its chip and through an io.SectionReader to the reader
// below — with the offset there; nil when it is none.
func inPlace(r io.ReaderAt, off int64) (InPlaceReader, int64) {
	for {
		switch v := r.(type) {
		case InPlaceReader:
			return v, off
		case *sfc.Driver:
			r = v.Chip()
		case *io.SectionReader:
			outer, base, _ := v.Outer()
			r, off = outer, base+off
		default:
			return nil, 0
		}
	}
}
