package lzma

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// The encoder's fixed settings: those of the SDK packer's
// `lzma_tool -d12 -lc0 -lp0 e` (LZMA SDK 22.00, level 5 defaults except
// the dictionary, lc and lp).
const (
	EncoderDictSize = 1 << 12 // -d12
	EncoderLC       = 0       // -lc0
	EncoderLP       = 0       // -lp0
	EncoderPB       = 2
	// EncoderProps is the properties byte: (pb·5 + lp)·9 + lc.
	EncoderProps = (EncoderPB*5+EncoderLP)*9 + EncoderLC
	// EncoderHeaderLen is the .lzma header lzma_tool writes: the
	// properties byte, the dictionary size and the 64-bit data size,
	// little-endian.
	EncoderHeaderLen = 13

	encFastBytes = 128                 // fb: the "long enough" match length
	encCutValue  = 16 + encFastBytes/2 // mc: tree nodes a search visits
)

// ErrEncodeTooLarge is returned when the input is 4 GiB − 1 bytes or
// more: the match finder's 32-bit positions would wrap.
var ErrEncodeTooLarge = errors.New("lzma: input of 4 GiB - 1 bytes or more")

// LZMA model sizes.
const (
	encNumReps        = 4
	encNumStates      = 12
	encPosStatesMax   = 1 << 4
	encLenLowBits     = 3
	encLenLowSymbols  = 1 << encLenLowBits
	encLenHighBits    = 8
	encLenHighSymbols = 1 << encLenHighBits
	encLenSymbols     = 2*encLenLowSymbols + encLenHighSymbols
	encMatchLenMin    = 2
	encMatchLenMax    = encMatchLenMin + encLenSymbols - 1 // 273
	encLenToPosStates = 4
	encPosSlotBits    = 6
	encDistTableMax   = 32 * 2
	encAlignBits      = 4
	encAlignSize      = 1 << encAlignBits
	encAlignMask      = encAlignSize - 1
	encStartPosModel  = 4
	encEndPosModel    = 14
	encFullDistances  = 1 << (encEndPosModel >> 1)
	encNumOpts        = 1 << 11
	encRepLenCount    = 64 // rep-length codings between price updates
	encMarkLit        = math.MaxUint32
	encLitSize        = 0x300
)

// State transitions: states below 7 follow a literal.
var (
	encLitNext      = [encNumStates]uint8{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5}
	encMatchNext    = [encNumStates]uint8{7, 7, 7, 7, 7, 7, 7, 10, 10, 10, 10, 10}
	encRepNext      = [encNumStates]uint8{8, 8, 8, 8, 8, 8, 8, 11, 11, 11, 11, 11}
	encShortRepNext = [encNumStates]uint8{9, 9, 9, 9, 9, 9, 9, 11, 11, 11, 11, 11}
)

const (
	encStateLitAfterMatch = 4
	encStateLitAfterRep   = 5
	encStateMatchAfterLit = 7
	encStateRepAfterLit   = 8
)

func encIsLitState(s uint32) bool { return s < 7 }

// encPosSlot is the slot of a distance-1 value: its top two bits and bit
// length (GetPosSlot).
func encPosSlot(dist uint32) uint32 {
	if dist < 4 {
		return dist
	}
	n := uint32(bits.Len32(dist)) - 1
	return n<<1 | dist>>(n-1)&1
}

// encLenToPosState maps a match length to the distance-slot coder used.
func encLenToPosState(l uint32) uint32 { return min(l-2, encLenToPosStates-1) }

// optimal is one node of the optimum parser (COptimal): the cheapest
// known way to reach this position from the start of the window.
type optimal struct {
	price uint32
	state uint16
	// extra: 0 a plain step; 1 literal then rep0 ("LIT : REP0"); >1 a
	// match or rep of extra-1 bytes, a literal, then rep0.
	extra uint16
	len   uint32
	dist  uint32 // encMarkLit, a rep index, or distance-1 + encNumReps
	reps  [encNumReps]uint32
}

// encoder is the LZMA SDK's CLzmaEnc in normal (optimum) mode with a BT4
// match finder, for one whole input in memory.
type encoder struct {
	// With the match finder in its own goroutine (encoder_mt.go), that
	// goroutine writes mf at every position while the parser writes its
	// own fields: the pads keep mf's first and last cache lines (two
	// lines each, for the adjacent-line prefetcher) off the parser's data
	// before and after it. Measured: W1's app, 296 -> 232 ms wall, 519 ->
	// 375 ms CPU (medians of five, interleaved).
	_      [128]byte
	mf     bt4
	_      [128]byte
	src    matchSource // the parser reads mf through src
	chunks [mtChunks]mfChunk
	rc     rangeEncoder

	optCur, optEnd   uint32
	longestMatchLen  uint32
	numPairs         uint32
	numAvail         uint32
	state            uint32
	additionalOffset uint32 // positions the match finder is ahead of the coder
	reps             [encNumReps]uint32
	backRes          uint32
	matchPriceCount  uint32
	repLenCounter    int
	distTableSize    uint32

	matches [encMatchLenMax*2 + 2]uint32

	alignPrices   [encAlignSize]uint32
	posSlotPrices [encLenToPosStates][encDistTableMax]uint32
	distPrices    [encLenToPosStates][encFullDistances]uint32

	posAlign    [encAlignSize]uint16
	isRep       [encNumStates]uint16
	isRepG0     [encNumStates]uint16
	isRepG1     [encNumStates]uint16
	isRepG2     [encNumStates]uint16
	isMatch     [encNumStates][encPosStatesMax]uint16
	isRep0Long  [encNumStates][encPosStatesMax]uint16
	posSlot     [encLenToPosStates][1 << encPosSlotBits]uint16
	posEncoders [encFullDistances]uint16
	lenProbs    lenCoder
	repLenProbs lenCoder
	lit         [encLitSize << (EncoderLC + EncoderLP)]uint16

	lenPrices    lenPrices
	repLenPrices lenPrices

	opt [encNumOpts]optimal
}

// encoders keeps encoders (about 220 KiB each with the match finder) for
// reuse.
var encoders = sync.Pool{New: func() any { return new(encoder) }}

// Encode compresses data as `lzma_tool -d12 -lc0 -lp0 e` does and returns
// the .lzma file it writes, byte for byte: the 13-byte header (properties
// byte 0x5A, dictionary size 4096, the 64-bit data size) and the stream,
// without an end marker.
func Encode(data []byte) ([]byte, error) {
	return AppendEncode(make([]byte, 0, EncoderHeaderLen+len(data)/2+64), data)
}

// AppendEncode appends Encode's output to dst.
func AppendEncode(dst, data []byte) ([]byte, error) {
	if err := checkEncodeSize(uint64(len(data))); err != nil {
		return dst, err
	}
	dst = append(dst, EncoderProps)
	dst = binary.LittleEndian.AppendUint32(dst, EncoderDictSize)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(len(data)))
	e := encoders.Get().(*encoder)
	defer encoders.Put(e)
	return e.encode(dst, data), nil
}

// checkEncodeSize refuses inputs whose positions would wrap the match
// finder's 32-bit counter (it starts at 1).
func checkEncodeSize(n uint64) error {
	if n >= math.MaxUint32 {
		return fmt.Errorf("%w: %d bytes", ErrEncodeTooLarge, n)
	}
	return nil
}

// reset sets the probabilities, states and prices to their initial values
// (LzmaEnc_Init, LzmaEnc_InitPrices).
func (e *encoder) reset(data, out []byte) {
	e.mf.init(data, encCutValue, encFastBytes)
	e.src.start(&e.mf, data, &e.chunks)
	e.rc.init(out)
	e.state = 0
	e.reps = [encNumReps]uint32{1, 1, 1, 1}
	for i := range e.posAlign {
		e.posAlign[i] = encProbInit
	}
	for i := range encNumStates {
		for j := range encPosStatesMax {
			e.isMatch[i][j] = encProbInit
			e.isRep0Long[i][j] = encProbInit
		}
		e.isRep[i] = encProbInit
		e.isRepG0[i] = encProbInit
		e.isRepG1[i] = encProbInit
		e.isRepG2[i] = encProbInit
	}
	for i := range e.posSlot {
		for j := range e.posSlot[i] {
			e.posSlot[i][j] = encProbInit
		}
	}
	for i := range e.posEncoders {
		e.posEncoders[i] = encProbInit
	}
	for i := range e.lit {
		e.lit[i] = encProbInit
	}
	e.lenProbs.init()
	e.repLenProbs.init()
	e.optEnd, e.optCur = 0, 0
	for i := range e.opt {
		e.opt[i].price = encInfinity
	}
	e.additionalOffset = 0
	e.longestMatchLen, e.numPairs, e.numAvail, e.backRes = 0, 0, 0, 0

	i := uint32(encEndPosModel / 2)
	for ; i < 32; i++ {
		if EncoderDictSize <= uint32(1)<<i {
			break
		}
	}
	e.distTableSize = i * 2

	e.fillDistancesPrices()
	e.fillAlignPrices()
	e.lenPrices.tableSize = encFastBytes + 1 - encMatchLenMin
	e.repLenPrices.tableSize = encFastBytes + 1 - encMatchLenMin
	e.repLenCounter = encRepLenCount
	e.lenPrices.update(1<<EncoderPB, &e.lenProbs)
	e.repLenPrices.update(1<<EncoderPB, &e.repLenProbs)
}

// litProbs returns the literal coder for position pos after prevByte.
func (e *encoder) litProbs(pos uint32, prevByte byte) []uint16 {
	const lpMask = (0x100 << EncoderLP) - (0x100 >> EncoderLC)
	i := 3 * (((pos<<8 + uint32(prevByte)) & lpMask) << EncoderLC)
	return e.lit[i : i+encLitSize]
}

// readMatchDistances finds the matches at the match finder's position and
// advances it (ReadMatchDistances). A match as long as numFastBytes is
// extended up to 273 bytes. It returns the longest length and the number
// of values in e.matches.
func (e *encoder) readMatchDistances() (mainLen, numPairs uint32) {
	e.additionalOffset++
	e.numAvail = e.src.avail()
	numPairs = uint32(e.src.getMatches(e.matches[:]))
	if numPairs == 0 {
		return 0, 0
	}
	l := e.matches[numPairs-2]
	if l != encFastBytes {
		return l, numPairs
	}
	numAvail := min(e.numAvail, encMatchLenMax)
	buf := e.src.buf
	p1 := e.src.idx - 1
	back := p1 - int(e.matches[numPairs-1]) - 1
	return uint32(matchLen(buf[back:], buf[p1:p1+int(numAvail)], int(l))), numPairs
}

// movePos lets the match finder skip n positions (MOVE_POS).
func (e *encoder) movePos(n uint32) {
	if n == 0 {
		return
	}
	e.additionalOffset += n
	e.src.skip(n)
}

// encode runs LzmaEnc_CodeOneBlock over the whole input and flushes.
func (e *encoder) encode(out, data []byte) []byte {
	e.reset(data, out)
	rc := &e.rc
	defer func() { // the pool keeps no caller's bytes
		e.src.finish()
		e.mf.buf, rc.out = nil, nil
	}()
	nowPos := uint32(0)
	if len(data) == 0 {
		rc.flush()
		return rc.out
	}
	e.readMatchDistances()
	rc.bit(&e.isMatch[0][0], 0)
	e.encodeLiteral(e.lit[:encLitSize], uint32(data[0]))
	e.additionalOffset--
	nowPos++
	if e.src.avail() == 0 {
		rc.flush()
		return rc.out
	}
	const pbMask = 1<<EncoderPB - 1
	for {
		var l uint32
		if e.optEnd == e.optCur {
			l = e.getOptimum(nowPos)
		} else {
			o := &e.opt[e.optCur]
			l = o.len
			e.backRes = o.dist
			e.optCur++
		}
		posState := nowPos & pbMask
		dist := e.backRes
		switch {
		case dist == encMarkLit:
			rc.bit(&e.isMatch[e.state][posState], 0)
			cur := e.src.idx - int(e.additionalOffset)
			probs := e.litProbs(nowPos, data[cur-1])
			state := e.state
			e.state = uint32(encLitNext[state])
			if encIsLitState(state) {
				e.encodeLiteral(probs, uint32(data[cur]))
			} else {
				e.encodeMatchedLiteral(probs, uint32(data[cur]), uint32(data[cur-int(e.reps[0])]))
			}
		case dist < encNumReps:
			rc.bit(&e.isMatch[e.state][posState], 1)
			rc.bit(&e.isRep[e.state], 1)
			if dist == 0 {
				rc.bit(&e.isRepG0[e.state], 0)
				if l == 1 {
					rc.bit(&e.isRep0Long[e.state][posState], 0)
					e.state = uint32(encShortRepNext[e.state])
				} else {
					rc.bit(&e.isRep0Long[e.state][posState], 1)
				}
			} else {
				rc.bit(&e.isRepG0[e.state], 1)
				if dist == 1 {
					rc.bit(&e.isRepG1[e.state], 0)
					dist = e.reps[1]
				} else {
					rc.bit(&e.isRepG1[e.state], 1)
					if dist == 2 {
						rc.bit(&e.isRepG2[e.state], 0)
						dist = e.reps[2]
					} else {
						rc.bit(&e.isRepG2[e.state], 1)
						dist = e.reps[3]
						e.reps[3] = e.reps[2]
					}
					e.reps[2] = e.reps[1]
				}
				e.reps[1] = e.reps[0]
				e.reps[0] = dist
			}
			if l != 1 {
				e.repLenProbs.encode(rc, l-encMatchLenMin, posState)
				e.repLenCounter--
				e.state = uint32(encRepNext[e.state])
			}
		default:
			rc.bit(&e.isMatch[e.state][posState], 1)
			rc.bit(&e.isRep[e.state], 0)
			e.state = uint32(encMatchNext[e.state])
			e.lenProbs.encode(rc, l-encMatchLenMin, posState)
			dist -= encNumReps
			e.reps[3], e.reps[2], e.reps[1] = e.reps[2], e.reps[1], e.reps[0]
			e.reps[0] = dist + 1
			e.matchPriceCount++
			slot := encPosSlot(dist)
			rc.tree(e.posSlot[encLenToPosState(l)][:], encPosSlotBits, slot)
			if dist >= encStartPosModel {
				footerBits := slot>>1 - 1
				if dist < encFullDistances {
					base := (2 | slot&1) << footerBits
					rc.reverseTree(e.posEncoders[base:], footerBits, dist)
				} else {
					rc.direct(dist, footerBits, encAlignBits)
					rc.reverseTree(e.posAlign[:], encAlignBits, dist)
				}
			}
		}
		nowPos += l
		e.additionalOffset -= l
		if e.additionalOffset == 0 {
			if e.matchPriceCount >= 64 {
				e.fillAlignPrices()
				e.fillDistancesPrices()
				e.lenPrices.update(1<<EncoderPB, &e.lenProbs)
			}
			if e.repLenCounter <= 0 {
				e.repLenCounter = encRepLenCount
				e.repLenPrices.update(1<<EncoderPB, &e.repLenProbs)
			}
			if e.src.avail() == 0 {
				break
			}
		}
	}
	rc.flush()
	return rc.out
}

// encodeLiteral codes a literal byte (LitEnc_Encode).
func (e *encoder) encodeLiteral(probs []uint16, sym uint32) {
	e.rc.tree(probs[:0x100], 8, sym)
}

// encodeMatchedLiteral codes a literal right after a match: while its bits
// agree with matchByte's, they are coded with probabilities selected by
// matchByte's bit (LitEnc_EncodeMatched).
func (e *encoder) encodeMatchedLiteral(probs []uint16, sym, matchByte uint32) {
	probs = probs[:encLitSize]
	offs := uint32(0x100)
	sym |= 0x100
	for sym < 0x10000 {
		matchByte <<= 1
		p := &probs[offs+(matchByte&offs)+(sym>>8)]
		bit := sym >> 7 & 1
		sym <<= 1
		offs &^= matchByte ^ sym
		e.rc.bit(p, bit)
	}
}
