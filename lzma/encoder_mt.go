package lzma

import (
	"slices"
	"sync"
)

// The match finder runs ahead of the parser in its own goroutine for
// larger inputs, as the SDK's multithreaded match finder (LzFindMt) does:
// it finds the matches at every position, in order, and hands them over in
// chunks; the parser takes those of the positions it asks about and drops
// those it skips. Skipping a position updates the hash tables and the
// binary tree exactly as searching it does (SkipMatchesSpec and
// GetMatchesSpec1 walk and relink the same nodes), so the matches, and the
// output, are the same bytes as with the match finder in step.

const (
	mtMinInput = 256 << 10 // smaller inputs are encoded in one goroutine
	mtChunk    = 1 << 14   // positions per hand-over
	mtChunks   = 3         // chunks in flight
	mtMaxNums  = 2*encFastBytes + 2
)

// mfChunk holds the matches of consecutive positions: those of position i
// are data[ends[i-1]:ends[i]] (from 0 for the first).
type mfChunk struct {
	ends []uint32
	data []uint32
}

// matchSource is the parser's view of the match finder: in step (bt
// called directly) or running ahead in a goroutine.
type matchSource struct {
	bt  *bt4
	buf []byte
	idx int // index in buf of the next position the parser reads
	mt  bool

	full, free chan *mfChunk
	cur        *mfChunk
	ci         int    // next position in cur
	off        uint32 // its first number in cur.data
	wg         sync.WaitGroup
}

// start sets the source up for buf; bt must be initialised for buf.
func (s *matchSource) start(bt *bt4, buf []byte, chunks *[mtChunks]mfChunk) {
	*s = matchSource{bt: bt, buf: buf, mt: len(buf) >= mtMinInput}
	if !s.mt {
		return
	}
	s.full = make(chan *mfChunk, mtChunks)
	s.free = make(chan *mfChunk, mtChunks)
	for i := range chunks {
		s.free <- &chunks[i]
	}
	s.wg.Add(1)
	go s.produce(len(buf))
}

// produce runs the match finder over all n positions.
func (s *matchSource) produce(n int) {
	defer s.wg.Done()
	bt := s.bt
	for left := n; left > 0; {
		c := <-s.free
		// The chunk's slice headers are written back once, at the hand-
		// over: written at every position, they shared cache lines with
		// the parser's own fields (false sharing between the two cores).
		ends, data := c.ends[:0], c.data[:0]
		k := min(mtChunk, left)
		for range k {
			if cap(data)-len(data) < mtMaxNums {
				data = slices.Grow(data, max(mtMaxNums, cap(data)))
			}
			l := len(data)
			w := bt.getMatches(data[l:cap(data)])
			data = data[:l+w]
			ends = append(ends, uint32(len(data)))
		}
		c.ends, c.data = ends, data
		s.full <- c
		left -= k
	}
}

// finish waits for the producer (it has ended once every position was
// read) and drops the references to the caller's bytes.
func (s *matchSource) finish() {
	s.wg.Wait()
	s.buf, s.cur = nil, nil
}

// avail is the number of bytes from the next position to the end.
func (s *matchSource) avail() uint32 { return uint32(len(s.buf) - s.idx) }

// next returns the chunk holding the next position.
func (s *matchSource) next() *mfChunk {
	if s.cur == nil || s.ci == len(s.cur.ends) {
		if s.cur != nil {
			s.free <- s.cur
		}
		s.cur = <-s.full
		s.ci, s.off = 0, 0
	}
	return s.cur
}

// getMatches writes the matches of the next position into d and returns
// how many numbers it wrote (bt4.getMatches).
func (s *matchSource) getMatches(d []uint32) int {
	s.idx++
	if !s.mt {
		return s.bt.getMatches(d)
	}
	c := s.next()
	end := c.ends[s.ci]
	n := copy(d, c.data[s.off:end])
	s.off = end
	s.ci++
	return n
}

// skip passes over n positions (bt4.skip).
func (s *matchSource) skip(n uint32) {
	s.idx += int(n)
	if !s.mt {
		s.bt.skip(n)
		return
	}
	for ; n > 0; n-- {
		c := s.next()
		s.off = c.ends[s.ci]
		s.ci++
	}
}
