package lzma

import (
	"encoding/binary"
	"math/bits"
)

// The BT4 match finder of the LZMA SDK's LzFind.c, for a whole input held
// in memory.
//
// Three hash tables index the last position that began with the same 2,
// 3 and 4 bytes (hash2: 1 Ki entries, hash3: 64 Ki, hash4: 64 Ki for a
// 4 KiB dictionary). The 4-byte chain is a binary tree per hash bucket,
// kept in a cyclic buffer of dictionary+1 nodes ("son"): node i holds the
// left and right children of the position whose cyclic index is i. Every
// insertion re-roots its bucket's tree at the new position, walking at
// most cutValue nodes and recording each strictly longer match on the
// way.
//
// Positions are the SDK's: the first byte is position 1, so that 0 marks
// an empty hash slot. The SDK normalises (subtracts from) every stored
// position when pos wraps past 2^32; this encoder refuses inputs of 2^32-1
// bytes or more, so positions never wrap and normalisation never happens.

const (
	bt4Hash2Size  = 1 << 10
	bt4Hash3Size  = 1 << 16
	bt4CrcShift   = 5
	bt4NumHashing = 4 // numHashBytes
)

// bt4CRC is the CRC-32 table LzFind hashes bytes with.
var bt4CRC = func() (t [256]uint32) {
	for i := range uint32(256) {
		r := i
		for range 8 {
			r = r>>1 ^ 0xEDB88320&(0-(r&1))
		}
		t[i] = r
	}
	return t
}()

// bt4Hash4Size is the 4-byte hash table of MatchFinder_Create for a 4 KiB
// dictionary: the dictionary size - 1 with every lower bit set, halved,
// then at least 2^16 - 1, plus one.
const bt4Hash4Size = 1 << 16

// bt4CyclicSize is the number of tree nodes: the dictionary size + 1.
const bt4CyclicSize = EncoderDictSize + 1

type bt4 struct {
	buf         []byte
	idx         int    // index in buf of the current position
	pos         uint32 // the SDK's position of buf[idx]: idx+1
	cyclicPos   uint32 // the current node of the cyclic buffer
	cutValue    uint32 // the most tree nodes one search visits
	matchMaxLen uint32 // the longest match reported (numFastBytes)
	hash2       [bt4Hash2Size]uint32
	hash3       [bt4Hash3Size]uint32
	hash4       [bt4Hash4Size]uint32
	son         [2 * bt4CyclicSize]uint32 // two child links per cyclic node
}

// init prepares the match finder for buf with empty hash tables. The tree
// nodes are left as they are: every node is written before it is read.
func (mf *bt4) init(buf []byte, cutValue, matchMaxLen uint32) {
	mf.buf, mf.idx, mf.pos, mf.cyclicPos = buf, 0, 1, 1
	mf.cutValue, mf.matchMaxLen = cutValue, matchMaxLen
	clear(mf.hash2[:])
	clear(mf.hash3[:])
	clear(mf.hash4[:])
}

// avail is the number of bytes from the current position to the end.
func (mf *bt4) avail() uint32 { return uint32(len(mf.buf) - mf.idx) }

func (mf *bt4) movePos() {
	mf.idx++
	mf.pos++
	mf.cyclicPos++
	if mf.cyclicPos == bt4CyclicSize {
		mf.cyclicPos = 0
	}
}

// hashes returns the 2-, 3- and 4-byte hash slots of the current position.
func (mf *bt4) hashes() (h2, h3, hv uint32) {
	cur := mf.buf[mf.idx : mf.idx+4]
	temp := bt4CRC[cur[0]] ^ uint32(cur[1])
	h2 = temp & (bt4Hash2Size - 1)
	temp ^= uint32(cur[2]) << 8
	h3 = temp & (bt4Hash3Size - 1)
	hv = (temp ^ bt4CRC[cur[3]]<<bt4CrcShift) & (bt4Hash4Size - 1)
	return
}

// getMatches inserts the current position, writes (length, distance-1)
// pairs of strictly increasing length into d, advances one position and
// returns how many numbers it wrote.
func (mf *bt4) getMatches(d []uint32) int {
	lenLimit := min(mf.matchMaxLen, mf.avail())
	if lenLimit < bt4NumHashing {
		mf.movePos()
		return 0
	}
	h2, h3, hv := mf.hashes()
	pos := mf.pos
	d2 := pos - mf.hash2[h2]
	d3 := pos - mf.hash3[h3]
	curMatch := mf.hash4[hv]
	mf.hash2[h2] = pos
	mf.hash3[h3] = pos
	mf.hash4[hv] = pos

	mmm := min(bt4CyclicSize, pos)
	buf := mf.buf
	cur := mf.idx
	maxLen := uint32(3)
	n := 0
	found := true
	switch {
	case d2 < mmm && buf[cur-int(d2)] == buf[cur]:
		d[0], d[1] = 2, d2-1
		n = 2
		if buf[cur-int(d2)+2] == buf[cur+2] {
			break
		}
		if d3 < mmm && buf[cur-int(d3)] == buf[cur] {
			d2 = d3
			d[3] = d3 - 1
			n = 4
		} else {
			found = false
		}
	case d3 < mmm && buf[cur-int(d3)] == buf[cur]:
		d2 = d3
		d[1] = d3 - 1
		n = 2
	default:
		found = false
	}
	if found {
		maxLen = uint32(matchLen(buf[cur-int(d2):], buf[cur:cur+int(lenLimit)], int(maxLen)))
		d[n-2] = maxLen
		if maxLen == lenLimit {
			mf.skipTree(lenLimit, curMatch)
			mf.movePos()
			return n
		}
	}
	n = mf.searchTree(lenLimit, curMatch, d, n, maxLen)
	mf.movePos()
	return n
}

// skip inserts num positions without reporting matches.
func (mf *bt4) skip(num uint32) {
	for ; num > 0; num-- {
		lenLimit := min(mf.matchMaxLen, mf.avail())
		if lenLimit < bt4NumHashing {
			mf.movePos()
			continue
		}
		h2, h3, hv := mf.hashes()
		curMatch := mf.hash4[hv]
		mf.hash2[h2] = mf.pos
		mf.hash3[h3] = mf.pos
		mf.hash4[hv] = mf.pos
		mf.skipTree(lenLimit, curMatch)
		mf.movePos()
	}
}

// matchLen returns the first i in [start, len(cur)) where back[i] and
// cur[i] differ, or len(cur). back is at least as long as cur.
func matchLen(back, cur []byte, start int) int {
	back = back[:len(cur)]
	i := start
	for ; i+8 <= len(cur); i += 8 {
		if x := binary.LittleEndian.Uint64(back[i:]) ^ binary.LittleEndian.Uint64(cur[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)>>3
		}
	}
	for ; i < len(cur) && back[i] == cur[i]; i++ {
	}
	return i
}

// searchTree is GetMatchesSpec1: it walks the tree of curMatch, re-rooting
// it at the current position, and appends each match longer than maxLen.
func (mf *bt4) searchTree(lenLimit, curMatch uint32, d []uint32, n int, maxLen uint32) int {
	son := &mf.son
	buf := mf.buf
	cur := mf.idx
	c := buf[cur : cur+int(lenLimit)]
	pos, cycPos, cycSize := mf.pos, mf.cyclicPos, uint32(bt4CyclicSize)
	ptr0 := int(cycPos)<<1 + 1
	ptr1 := int(cycPos) << 1
	var len0, len1 uint32
	cmCheck := pos - cycSize
	if pos <= cycSize {
		cmCheck = 0
	}
	if cmCheck < curMatch {
		for cut := mf.cutValue; ; {
			delta := pos - curMatch
			node := cycPos - delta
			if delta > cycPos {
				node += cycSize
			}
			pair := int(node) << 1
			back := buf[cur-int(delta):]
			l := min(len0, len1)
			pair0 := son[pair]
			if back[l] == c[l] {
				l = uint32(matchLen(back, c, int(l)+1))
				if maxLen < l {
					maxLen = l
					d[n], d[n+1] = l, delta-1
					n += 2
					if l == lenLimit {
						son[ptr1] = pair0
						son[ptr0] = son[pair+1]
						return n
					}
				}
			}
			if back[l] < c[l] {
				son[ptr1] = curMatch
				curMatch = son[pair+1]
				ptr1 = pair + 1
				len1 = l
			} else {
				son[ptr0] = curMatch
				curMatch = son[pair]
				ptr0 = pair
				len0 = l
			}
			cut--
			if cut == 0 || cmCheck >= curMatch {
				break
			}
		}
	}
	son[ptr0] = 0
	son[ptr1] = 0
	return n
}

// skipTree is SkipMatchesSpec: searchTree without reporting matches.
func (mf *bt4) skipTree(lenLimit, curMatch uint32) {
	son := &mf.son
	buf := mf.buf
	cur := mf.idx
	c := buf[cur : cur+int(lenLimit)]
	pos, cycPos, cycSize := mf.pos, mf.cyclicPos, uint32(bt4CyclicSize)
	ptr0 := int(cycPos)<<1 + 1
	ptr1 := int(cycPos) << 1
	var len0, len1 uint32
	cmCheck := pos - cycSize
	if pos <= cycSize {
		cmCheck = 0
	}
	if cmCheck < curMatch {
		for cut := mf.cutValue; ; {
			delta := pos - curMatch
			node := cycPos - delta
			if delta > cycPos {
				node += cycSize
			}
			pair := int(node) << 1
			back := buf[cur-int(delta):]
			l := min(len0, len1)
			if back[l] == c[l] {
				l = uint32(matchLen(back, c, int(l)+1))
				if l == lenLimit {
					son[ptr1] = son[pair]
					son[ptr0] = son[pair+1]
					return
				}
			}
			if back[l] < c[l] {
				son[ptr1] = curMatch
				curMatch = son[pair+1]
				ptr1 = pair + 1
				len1 = l
			} else {
				son[ptr0] = curMatch
				curMatch = son[pair]
				ptr0 = pair
				len0 = l
			}
			cut--
			if cut == 0 || cmCheck >= curMatch {
				break
			}
		}
	}
	son[ptr0] = 0
	son[ptr1] = 0
}
