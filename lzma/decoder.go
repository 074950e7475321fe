package lzma

import (
	"errors"
	"fmt"
)

// The decoder is a Go implementation of the LZMA SDK's LzmaDec (public
// domain, version 22.00, the one the WS63 links) with its exact calling
// semantics: how much input a call consumes (including the up to 20 bytes
// it keeps in its own look-ahead buffer when the input ends inside a
// symbol), how much output it produces, the status it reports, and when it
// fails. The upgrade task's loop (upg_lzmadec.c) depends on all of these,
// so a decoder that only produced the same bytes would not reproduce the
// device's flash writes.

// Errors of the decoder, as the SDK's SRes codes (SZCode).
var (
	// ErrData is SZ_ERROR_DATA (1): the stream is corrupt — a match
	// reaches before the start of the output, the first byte of the range
	// coder is not 0, the stream did not end where the caller said it
	// must (FinishEnd), or an end marker left the range coder non-zero.
	ErrData = errors.New("lzma: data error (SZ_ERROR_DATA)")
	// ErrUnsupported is SZ_ERROR_UNSUPPORTED (4): a properties byte of 225
	// or more, or fewer than 5 properties bytes.
	ErrUnsupported = errors.New("lzma: unsupported properties (SZ_ERROR_UNSUPPORTED)")
	// ErrMem is SZ_ERROR_MEM (2): the dictionary buffer asked for is
	// empty or larger than MaxDictBuf.
	ErrMem = errors.New("lzma: cannot allocate (SZ_ERROR_MEM)")
	// ErrFail is SZ_ERROR_FAIL (11): the decoder's internal consistency
	// check failed; the decoder stays failed.
	ErrFail = errors.New("lzma: internal failure (SZ_ERROR_FAIL)")
)

// SZCode returns the LZMA SDK's SRes value of a decoder error (0 for nil,
// SZ_ERROR_FAIL for an error that is not the decoder's).
func SZCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrData):
		return 1
	case errors.Is(err, ErrMem):
		return 2
	case errors.Is(err, ErrUnsupported):
		return 4
	}
	return 11
}

// FinishMode says what a decode call may assume about the end of the
// stream when it reaches its output limit (ELzmaFinishMode).
type FinishMode int

const (
	// FinishAny stops at the output limit without looking further.
	FinishAny FinishMode = iota
	// FinishEnd requires the stream to end at the output limit: unless the
	// range coder shows a clean end, the decoder looks ahead for an end
	// marker and fails with ErrData when the next symbol cannot be one.
	FinishEnd
)

// Status is what a decode call found (ELzmaStatus).
type Status int

// Statuses.
const (
	StatusNotSpecified             Status = iota // the call failed
	StatusFinishedWithMark                       // an end marker was decoded
	StatusNotFinished                            // stopped at the output limit, more may follow
	StatusNeedsMoreInput                         // all input consumed, the stream goes on
	StatusMaybeFinishedWithoutMark               // at the output limit, and the stream may end there
)

var statusNames = [...]string{"not-specified", "finished-with-mark", "not-finished", "needs-more-input", "maybe-finished-without-mark"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// PropsLen is the length of the properties header (LZMA_PROPS_SIZE).
const PropsLen = 5

// MinDictSize is the smallest dictionary size a header can give
// (LZMA_DIC_MIN): smaller values decode as this.
const MinDictSize = 1 << 12

// MaxDictBuf bounds the dictionary buffer NewDecoder allocates.
const MaxDictBuf = 1 << 26

// Props are the decoded properties header.
type Props struct {
	LC, LP, PB int    // literal context bits, literal position bits, position bits
	DictSize   uint32 // at least MinDictSize
}

// ParseProps decodes the 5-byte properties header (LzmaProps_Decode):
// (pb·5 + lp)·9 + lc, then the dictionary size little-endian, raised to
// MinDictSize.
func ParseProps(b []byte) (Props, error) {
	if len(b) < PropsLen {
		return Props{}, fmt.Errorf("%w: %d properties bytes, want %d", ErrUnsupported, len(b), PropsLen)
	}
	if b[0] >= 9*5*5 {
		return Props{}, fmt.Errorf("%w: properties byte 0x%02X ≥ 225", ErrUnsupported, b[0])
	}
	d := int(b[0])
	p := Props{LC: d % 9, LP: d / 9 % 5, PB: d / 45}
	p.DictSize = uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16 | uint32(b[4])<<24
	p.DictSize = max(p.DictSize, MinDictSize)
	return p, nil
}

const (
	bitModelBits  = 11
	bitModelTotal = 1 << bitModelBits
	moveBits      = 5
	topValue      = 1 << 24
	rcInitSize    = 5
	// RequiredInputMax is the most input one symbol can need
	// (LZMA_REQUIRED_INPUT_MAX): below it, the decoder checks a symbol is
	// complete before decoding it, and keeps an incomplete one's bytes.
	RequiredInputMax = 20

	matchMinLen       = 2
	lenLowSymbols     = 8
	lenHighSymbols    = 256
	matchSpecLenStart = matchMinLen + 2*lenLowSymbols + lenHighSymbols // 274: end marker seen
	lenErrorData      = 1 << 9
	lenErrorFail      = lenErrorData - 1

	numStates    = 12
	numLitStates = 7
	startPosSlot = 4  // first slot with direct bits
	endPosSlot   = 14 // first slot whose low bits are the align tree
	alignBits    = 4
	posSlotBits  = 6
	litSize      = 0x300

	// Probability array layout (all counts in probabilities).
	offSpecPos    = 0
	offIsRep0Long = offSpecPos + 128
	offRepLen     = offIsRep0Long + 16<<4
	offLen        = offRepLen + lenCoderSize
	offIsMatch    = offLen + lenCoderSize
	offAlign      = offIsMatch + 16<<4
	offIsRep      = offAlign + 1<<alignBits
	offIsRepG0    = offIsRep + numStates
	offIsRepG1    = offIsRepG0 + numStates
	offIsRepG2    = offIsRepG1 + numStates
	offPosSlot    = offIsRepG2 + numStates
	offLiteral    = offPosSlot + 4<<posSlotBits

	// A length coder: per position state 8 low and 8 mid probabilities,
	// then 256 high ones. The choice bits sit in the unused index 0 of
	// position state 0's low and mid trees.
	lenChoice    = 0
	lenChoice2   = 8
	lenHigh      = 2 * 16 << 3
	lenCoderSize = lenHigh + lenHighSymbols

	// A first code at or above this cannot start a stream: it would
	// decode a rep match before any output.
	badRepCode = 0xC0000000 - 0x400
)

// Decoder is an LZMA decoder with LzmaDec's state and call semantics.
type Decoder struct {
	props Props
	probs []uint16
	dic   []byte // dicBufSize = len(dic)

	dicPos       int
	rng, code    uint32
	processedPos uint32
	checkDicSize uint32
	reps         [4]uint32
	state        uint32
	remainLen    uint32
	tempBuf      [RequiredInputMax]byte
	tempBufSize  int
}

// NewDecoder returns a decoder for a stream with properties p, with a
// dictionary buffer of dictBuf bytes (the WS63 uses min(DictSize,
// uncompressed size)), ready for the stream's first byte (LzmaDec_Init).
// dictBuf must be 1..MaxDictBuf (ErrMem otherwise).
func NewDecoder(p Props, dictBuf int) (*Decoder, error) {
	if p.LC < 0 || p.LC > 8 || p.LP < 0 || p.LP > 4 || p.PB < 0 || p.PB > 4 {
		return nil, fmt.Errorf("%w: lc=%d lp=%d pb=%d", ErrUnsupported, p.LC, p.LP, p.PB)
	}
	if dictBuf < 1 || dictBuf > MaxDictBuf {
		return nil, fmt.Errorf("%w: dictionary buffer of %d bytes", ErrMem, dictBuf)
	}
	p.DictSize = max(p.DictSize, MinDictSize)
	d := &Decoder{
		props: p,
		probs: make([]uint16, offLiteral+litSize<<(p.LC+p.LP)),
		dic:   make([]byte, dictBuf),
	}
	d.Reset()
	return d, nil
}

// Reset makes the decoder ready for a new stream with the same properties
// (LzmaDec_Init).
func (d *Decoder) Reset() {
	d.dicPos = 0
	d.tempBufSize = 0
	d.processedPos = 0
	d.checkDicSize = 0
	d.remainLen = matchSpecLenStart + 2
}

// Props returns the decoder's properties.
func (d *Decoder) Props() Props { return d.props }

// The decode loop (decodeReal) keeps the range coder in local variables
// and spells every bit decode out, as LzmaDec's macros do: the Go
// compiler will not inline a function that big, and a struct whose
// address is taken stays in memory.

// decodeReal decodes symbols from in[pos:] into the dictionary: at least
// one, then more while the output is below limit and the input position
// is below bufLimit (LZMA_DECODE_REAL). It returns the new input
// position; a match that reaches before the start of the output sets
// remainLen to an error length and returns false.
func (d *Decoder) decodeReal(limit int, in []byte, pos, bufLimit int) (int, bool) {
	probs := d.probs
	state := d.state
	rep0, rep1, rep2, rep3 := d.reps[0], d.reps[1], d.reps[2], d.reps[3]
	pbMask := uint32(1)<<d.props.PB - 1
	lc := uint(d.props.LC)
	lpMask := uint32(0x100)<<d.props.LP - uint32(0x100)>>lc
	dic := d.dic
	dicBufSize := len(dic)
	dicPos := d.dicPos
	processedPos := d.processedPos
	checkDicSize := d.checkDicSize
	length := uint32(0)
	rng, code := d.rng, d.code
	var (
		p         *uint16
		t0, bound uint32
		bit       uint32
	)

loop:
	for {
		posState := (processedPos & pbMask) << 4
		if rng < topValue {
			rng <<= 8
			code = code<<8 | uint32(in[pos])
			pos++
		}
		p = &probs[offIsMatch+posState+state]
		t0 = uint32(*p)
		bound = (rng >> bitModelBits) * t0
		if code < bound {
			rng = bound
			*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
			bit = 0
		} else {
			rng -= bound
			code -= bound
			*p = uint16(t0 - t0>>moveBits)
			bit = 1
		}
		if bit == 0 {
			base := uint32(offLiteral)
			if processedPos != 0 || checkDicSize != 0 {
				prev := dicPos - 1
				if dicPos == 0 {
					prev = dicBufSize - 1
				}
				base += 3 * ((((processedPos << 8) + uint32(dic[prev])) & lpMask) << lc)
			}
			processedPos++
			lit := (*[litSize]uint16)(probs[base : base+litSize]) // fixed size: no bounds checks on masked indexes
			symbol := uint32(1)
			if state < numLitStates {
				if state < 4 {
					state = 0
				} else {
					state -= 3
				}
				// The hottest loop: the range coder in locals.
				for symbol < 0x100 {
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					// Branch-free: literal bits are unpredictable. m is
					// all ones when the bit is 0 (code < bound).
					p := &lit[symbol&0xFF]
					t := uint32(*p)
					bound := (rng >> bitModelBits) * t
					m := uint32((int64(code) - int64(bound)) >> 63)
					rng = bound&m | (rng-bound)&^m
					code -= bound &^ m
					*p = uint16((t+(bitModelTotal-t)>>moveBits)&m | (t-t>>moveBits)&^m)
					symbol = symbol<<1 | ^m&1
				}
			} else {
				mp := dicPos - int(rep0)
				if dicPos < int(rep0) {
					mp += dicBufSize
				}
				matchByte := uint32(dic[mp])
				offs := uint32(0x100)
				if state < 10 {
					state -= 3
				} else {
					state -= 6
				}
				for symbol < 0x100 {
					matchByte += matchByte
					bit := offs
					offs &= matchByte
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p := &lit[offs+bit+symbol]
					t := uint32(*p)
					bound := (rng >> bitModelBits) * t
					m := uint32((int64(code) - int64(bound)) >> 63) // branch-free, as above
					rng = bound&m | (rng-bound)&^m
					code -= bound &^ m
					*p = uint16((t+(bitModelTotal-t)>>moveBits)&m | (t-t>>moveBits)&^m)
					symbol = symbol<<1 | ^m&1
					offs ^= bit & m
				}
			}
			dic[dicPos] = byte(symbol)
			dicPos++
		} else {
			var lenBase uint32
			if rng < topValue {
				rng <<= 8
				code = code<<8 | uint32(in[pos])
				pos++
			}
			p = &probs[offIsRep+state]
			t0 = uint32(*p)
			bound = (rng >> bitModelBits) * t0
			if code < bound {
				rng = bound
				*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
				bit = 0
			} else {
				rng -= bound
				code -= bound
				*p = uint16(t0 - t0>>moveBits)
				bit = 1
			}
			if bit == 0 {
				state += numStates
				lenBase = offLen
			} else {
				if rng < topValue {
					rng <<= 8
					code = code<<8 | uint32(in[pos])
					pos++
				}
				p = &probs[offIsRepG0+state]
				t0 = uint32(*p)
				bound = (rng >> bitModelBits) * t0
				if code < bound {
					rng = bound
					*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
					bit = 0
				} else {
					rng -= bound
					code -= bound
					*p = uint16(t0 - t0>>moveBits)
					bit = 1
				}
				if bit == 0 {
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p = &probs[offIsRep0Long+posState+state]
					t0 = uint32(*p)
					bound = (rng >> bitModelBits) * t0
					if code < bound {
						rng = bound
						*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
						bit = 0
					} else {
						rng -= bound
						code -= bound
						*p = uint16(t0 - t0>>moveBits)
						bit = 1
					}
					if bit == 0 {
						// A one-byte rep0 match. The caller never asks
						// for it at the output limit, and a stream start
						// that would need it was refused (badRepCode).
						mp := dicPos - int(rep0)
						if dicPos < int(rep0) {
							mp += dicBufSize
						}
						dic[dicPos] = dic[mp]
						dicPos++
						processedPos++
						if state < numLitStates {
							state = 9
						} else {
							state = 11
						}
						if dicPos < limit && pos < bufLimit {
							continue
						}
						break
					}
				} else {
					var dist uint32
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p = &probs[offIsRepG1+state]
					t0 = uint32(*p)
					bound = (rng >> bitModelBits) * t0
					if code < bound {
						rng = bound
						*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
						bit = 0
					} else {
						rng -= bound
						code -= bound
						*p = uint16(t0 - t0>>moveBits)
						bit = 1
					}
					if bit == 0 {
						dist = rep1
					} else {
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[pos])
							pos++
						}
						p = &probs[offIsRepG2+state]
						t0 = uint32(*p)
						bound = (rng >> bitModelBits) * t0
						if code < bound {
							rng = bound
							*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
							bit = 0
						} else {
							rng -= bound
							code -= bound
							*p = uint16(t0 - t0>>moveBits)
							bit = 1
						}
						if bit == 0 {
							dist = rep2
						} else {
							dist = rep3
							rep3 = rep2
						}
						rep2 = rep1
					}
					rep1 = rep0
					rep0 = dist
				}
				if state < numLitStates {
					state = 8
				} else {
					state = 11
				}
				lenBase = offRepLen
			}

			lp := probs[lenBase : lenBase+lenCoderSize]
			if rng < topValue {
				rng <<= 8
				code = code<<8 | uint32(in[pos])
				pos++
			}
			p = &lp[lenChoice]
			t0 = uint32(*p)
			bound = (rng >> bitModelBits) * t0
			if code < bound {
				rng = bound
				*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
				bit = 0
			} else {
				rng -= bound
				code -= bound
				*p = uint16(t0 - t0>>moveBits)
				bit = 1
			}
			if bit == 0 {
				t := lp[posState : posState+8]
				length = 1
				if rng < topValue {
					rng <<= 8
					code = code<<8 | uint32(in[pos])
					pos++
				}
				p = &t[length&7]
				t0 = uint32(*p)
				bound = (rng >> bitModelBits) * t0
				if code < bound {
					rng = bound
					*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
					bit = 0
				} else {
					rng -= bound
					code -= bound
					*p = uint16(t0 - t0>>moveBits)
					bit = 1
				}
				length = length<<1 | bit
				if rng < topValue {
					rng <<= 8
					code = code<<8 | uint32(in[pos])
					pos++
				}
				p = &t[length&7]
				t0 = uint32(*p)
				bound = (rng >> bitModelBits) * t0
				if code < bound {
					rng = bound
					*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
					bit = 0
				} else {
					rng -= bound
					code -= bound
					*p = uint16(t0 - t0>>moveBits)
					bit = 1
				}
				length = length<<1 | bit
				if rng < topValue {
					rng <<= 8
					code = code<<8 | uint32(in[pos])
					pos++
				}
				p = &t[length&7]
				t0 = uint32(*p)
				bound = (rng >> bitModelBits) * t0
				if code < bound {
					rng = bound
					*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
					bit = 0
				} else {
					rng -= bound
					code -= bound
					*p = uint16(t0 - t0>>moveBits)
					bit = 1
				}
				length = length<<1 | bit
				length -= 8
			} else {
				if rng < topValue {
					rng <<= 8
					code = code<<8 | uint32(in[pos])
					pos++
				}
				p = &lp[lenChoice2]
				t0 = uint32(*p)
				bound = (rng >> bitModelBits) * t0
				if code < bound {
					rng = bound
					*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
					bit = 0
				} else {
					rng -= bound
					code -= bound
					*p = uint16(t0 - t0>>moveBits)
					bit = 1
				}
				if bit == 0 {
					t := lp[posState+8 : posState+16]
					length = 1
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p = &t[length&7]
					t0 = uint32(*p)
					bound = (rng >> bitModelBits) * t0
					if code < bound {
						rng = bound
						*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
						bit = 0
					} else {
						rng -= bound
						code -= bound
						*p = uint16(t0 - t0>>moveBits)
						bit = 1
					}
					length = length<<1 | bit
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p = &t[length&7]
					t0 = uint32(*p)
					bound = (rng >> bitModelBits) * t0
					if code < bound {
						rng = bound
						*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
						bit = 0
					} else {
						rng -= bound
						code -= bound
						*p = uint16(t0 - t0>>moveBits)
						bit = 1
					}
					length = length<<1 | bit
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p = &t[length&7]
					t0 = uint32(*p)
					bound = (rng >> bitModelBits) * t0
					if code < bound {
						rng = bound
						*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
						bit = 0
					} else {
						rng -= bound
						code -= bound
						*p = uint16(t0 - t0>>moveBits)
						bit = 1
					}
					length = length<<1 | bit
				} else {
					t := lp[lenHigh : lenHigh+lenHighSymbols]
					length = 1
					for length < lenHighSymbols {
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[pos])
							pos++
						}
						p = &t[length&0xFF]
						t0 = uint32(*p)
						bound = (rng >> bitModelBits) * t0
						if code < bound {
							rng = bound
							*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
							bit = 0
						} else {
							rng -= bound
							code -= bound
							*p = uint16(t0 - t0>>moveBits)
							bit = 1
						}
						length = length<<1 | bit
					}
					length -= lenHighSymbols
					length += 2 * lenLowSymbols
				}
			}

			if state >= numStates {
				ls := min(length, 3)
				ps := probs[offPosSlot+ls<<posSlotBits : offPosSlot+(ls+1)<<posSlotBits]
				dist := uint32(1)
				for dist < 1<<posSlotBits {
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[pos])
						pos++
					}
					p = &ps[dist&63]
					t0 = uint32(*p)
					bound = (rng >> bitModelBits) * t0
					if code < bound {
						rng = bound
						*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
						bit = 0
					} else {
						rng -= bound
						code -= bound
						*p = uint16(t0 - t0>>moveBits)
						bit = 1
					}
					dist = dist<<1 | bit
				}
				dist -= 1 << posSlotBits
				if dist >= startPosSlot {
					slot := dist
					direct := dist>>1 - 1
					dist = 2 | dist&1
					if slot < endPosSlot {
						dist <<= direct
						sp := probs[offSpecPos:offIsRep0Long]
						m := uint32(1)
						dist++
						for ; direct > 0; direct-- {
							if rng < topValue {
								rng <<= 8
								code = code<<8 | uint32(in[pos])
								pos++
							}
							p = &sp[dist&127]
							t0 = uint32(*p)
							bound = (rng >> bitModelBits) * t0
							if code < bound {
								rng = bound
								*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
								bit = 0
							} else {
								rng -= bound
								code -= bound
								*p = uint16(t0 - t0>>moveBits)
								bit = 1
							}
							if bit == 0 {
								dist += m
								m += m
							} else {
								m += m
								dist += m
							}
						}
						dist -= m
					} else {
						for direct -= alignBits; direct > 0; direct-- {
							if rng < topValue {
								rng <<= 8
								code = code<<8 | uint32(in[pos])
								pos++
							}
							rng >>= 1
							code -= rng
							t := 0 - code>>31
							dist = dist<<1 + t + 1
							code += rng & t
						}
						al := probs[offAlign : offAlign+1<<alignBits]
						dist <<= alignBits
						i := uint32(1)
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[pos])
							pos++
						}
						p = &al[i&15]
						t0 = uint32(*p)
						bound = (rng >> bitModelBits) * t0
						if code < bound {
							rng = bound
							*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
							bit = 0
						} else {
							rng -= bound
							code -= bound
							*p = uint16(t0 - t0>>moveBits)
							bit = 1
						}
						if bit == 0 {
							i++
						} else {
							i += 2
						}
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[pos])
							pos++
						}
						p = &al[i&15]
						t0 = uint32(*p)
						bound = (rng >> bitModelBits) * t0
						if code < bound {
							rng = bound
							*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
							bit = 0
						} else {
							rng -= bound
							code -= bound
							*p = uint16(t0 - t0>>moveBits)
							bit = 1
						}
						if bit == 0 {
							i += 2
						} else {
							i += 4
						}
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[pos])
							pos++
						}
						p = &al[i&15]
						t0 = uint32(*p)
						bound = (rng >> bitModelBits) * t0
						if code < bound {
							rng = bound
							*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
							bit = 0
						} else {
							rng -= bound
							code -= bound
							*p = uint16(t0 - t0>>moveBits)
							bit = 1
						}
						if bit == 0 {
							i += 4
						} else {
							i += 8
						}
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[pos])
							pos++
						}
						p = &al[i&15]
						t0 = uint32(*p)
						bound = (rng >> bitModelBits) * t0
						if code < bound {
							rng = bound
							*p = uint16(t0 + (bitModelTotal-t0)>>moveBits)
							bit = 0
						} else {
							rng -= bound
							code -= bound
							*p = uint16(t0 - t0>>moveBits)
							bit = 1
						}
						if bit == 0 {
							i -= 8
						}
						dist |= i
						if dist == 0xFFFFFFFF {
							length = matchSpecLenStart
							state -= numStates
							break loop
						}
					}
				}
				rep3, rep2, rep1, rep0 = rep2, rep1, rep0, dist+1
				if state < numStates+numLitStates {
					state = numLitStates
				} else {
					state = numLitStates + 3
				}
				lim := processedPos
				if checkDicSize != 0 {
					lim = checkDicSize
				}
				if dist >= lim {
					length += lenErrorData + matchMinLen
					break loop
				}
			}

			length += matchMinLen
			rem := limit - dicPos
			if rem == 0 {
				break // resumed later from remainLen
			}
			cur := min(uint32(rem), length)
			src := dicPos - int(rep0)
			if dicPos < int(rep0) {
				src += dicBufSize
			}
			processedPos += cur
			length -= cur
			if int(cur) <= dicBufSize-src {
				n := int(cur)
				if src+n <= dicPos || src >= dicPos+n {
					copy(dic[dicPos:dicPos+n], dic[src:src+n])
				} else {
					for i := range n {
						dic[dicPos+i] = dic[src+i]
					}
				}
				dicPos += n
			} else {
				for ; cur > 0; cur-- {
					dic[dicPos] = dic[src]
					dicPos++
					src++
					if src == dicBufSize {
						src = 0
					}
				}
			}
		}
		if !(dicPos < limit && pos < bufLimit) {
			break
		}
	}
	if rng < topValue {
		rng <<= 8
		code = code<<8 | uint32(in[pos])
		pos++
	}

	d.rng, d.code = rng, code
	d.remainLen = length
	d.dicPos = dicPos
	d.processedPos = processedPos
	d.reps = [4]uint32{rep0, rep1, rep2, rep3}
	d.state = state
	return pos, length < lenErrorData
}

// decodeReal2 caps the output limit while the dictionary is not yet full
// once, so that checkDicSize becomes DictSize exactly when it fills
// (LzmaDec_DecodeReal2).
func (d *Decoder) decodeReal2(limit int, in []byte, pos, bufLimit int) (int, bool) {
	if d.checkDicSize == 0 {
		rem := d.props.DictSize - d.processedPos
		if uint64(limit-d.dicPos) > uint64(rem) {
			limit = d.dicPos + int(rem)
		}
	}
	pos, ok := d.decodeReal(limit, in, pos, bufLimit)
	if d.checkDicSize == 0 && d.processedPos >= d.props.DictSize {
		d.checkDicSize = d.props.DictSize
	}
	return pos, ok
}

// writeRem copies the rest of an interrupted match, up to limit
// (LzmaDec_WriteRem).
func (d *Decoder) writeRem(limit int) {
	n := d.remainLen
	if n == 0 {
		return
	}
	if rem := uint32(limit - d.dicPos); rem < n {
		n = rem
		if n == 0 {
			return
		}
	}
	if d.checkDicSize == 0 && d.props.DictSize-d.processedPos <= n {
		d.checkDicSize = d.props.DictSize
	}
	d.processedPos += n
	d.remainLen -= n
	dic, dicPos, rep0 := d.dic, d.dicPos, int(d.reps[0])
	for ; n > 0; n-- {
		src := dicPos - rep0
		if dicPos < rep0 {
			src += len(dic)
		}
		dic[dicPos] = dic[src]
		dicPos++
	}
	d.dicPos = dicPos
}

type dummyKind int

const (
	dummyInputEOF dummyKind = iota
	dummyLit
	dummyMatch
	dummyRep
)

// rcCheck is a range decoder that only reads: it reports when a symbol
// needs more input than there is.
type rcCheck struct {
	rng, code uint32
	in        []byte
	pos       int
}

func (r *rcCheck) normalize() bool {
	if r.rng < topValue {
		if r.pos >= len(r.in) {
			return false
		}
		r.rng <<= 8
		r.code = r.code<<8 | uint32(r.in[r.pos])
		r.pos++
	}
	return true
}

// bit decodes one bit without adapting p; ok is false at end of input.
func (r *rcCheck) bit(p uint16) (b uint32, ok bool) {
	if !r.normalize() {
		return 0, false
	}
	bound := (r.rng >> bitModelBits) * uint32(p)
	if r.code < bound {
		r.rng = bound
		return 0, true
	}
	r.rng -= bound
	r.code -= bound
	return 1, true
}

// tree decodes a bit tree of n leaves; ok is false at end of input.
func (r *rcCheck) tree(probs []uint16, n uint32) (uint32, bool) {
	i := uint32(1)
	for i < n {
		b, ok := r.bit(probs[i])
		if !ok {
			return 0, false
		}
		i = i<<1 | b
	}
	return i - n, true
}

// tryDummy decodes the next symbol from in without changing the decoder,
// and reports its kind and how many bytes of in it needs
// (LzmaDec_TryDummy); dummyInputEOF when in does not hold all of it.
func (d *Decoder) tryDummy(in []byte) (dummyKind, int) {
	r := rcCheck{rng: d.rng, code: d.code, in: in}
	probs := d.probs
	state := d.state
	posState := (d.processedPos & (uint32(1)<<d.props.PB - 1)) << 4
	var res dummyKind

	b, ok := r.bit(probs[offIsMatch+posState+state])
	if !ok {
		return dummyInputEOF, 0
	}
	if b == 0 {
		base := uint32(offLiteral)
		if d.checkDicSize != 0 || d.processedPos != 0 {
			prev := d.dicPos - 1
			if d.dicPos == 0 {
				prev = len(d.dic) - 1
			}
			lp := d.processedPos & (uint32(1)<<d.props.LP - 1)
			base += litSize * (lp<<d.props.LC + uint32(d.dic[prev])>>(8-d.props.LC))
		}
		lit := probs[base : base+litSize]
		symbol := uint32(1)
		if state < numLitStates {
			for symbol < 0x100 {
				if b, ok = r.bit(lit[symbol]); !ok {
					return dummyInputEOF, 0
				}
				symbol = symbol<<1 | b
			}
		} else {
			mp := d.dicPos - int(d.reps[0])
			if d.dicPos < int(d.reps[0]) {
				mp += len(d.dic)
			}
			matchByte := uint32(d.dic[mp])
			offs := uint32(0x100)
			for symbol < 0x100 {
				matchByte += matchByte
				bit := offs
				offs &= matchByte
				if b, ok = r.bit(lit[offs+bit+symbol]); !ok {
					return dummyInputEOF, 0
				}
				symbol = symbol<<1 | b
				if b == 0 {
					offs ^= bit
				}
			}
		}
		res = dummyLit
	} else {
		var lenBase uint32
		if b, ok = r.bit(probs[offIsRep+state]); !ok {
			return dummyInputEOF, 0
		}
		if b == 0 {
			state = 0
			lenBase = offLen
			res = dummyMatch
		} else {
			res = dummyRep
			if b, ok = r.bit(probs[offIsRepG0+state]); !ok {
				return dummyInputEOF, 0
			}
			if b == 0 {
				if b, ok = r.bit(probs[offIsRep0Long+posState+state]); !ok {
					return dummyInputEOF, 0
				}
				if b == 0 {
					if !r.normalize() {
						return dummyInputEOF, 0
					}
					return dummyRep, r.pos
				}
			} else {
				if b, ok = r.bit(probs[offIsRepG1+state]); !ok {
					return dummyInputEOF, 0
				}
				if b != 0 {
					if _, ok = r.bit(probs[offIsRepG2+state]); !ok {
						return dummyInputEOF, 0
					}
				}
			}
			state = numStates
			lenBase = offRepLen
		}
		lp := probs[lenBase : lenBase+lenCoderSize]
		var length, n uint32
		var tree []uint16
		if b, ok = r.bit(lp[lenChoice]); !ok {
			return dummyInputEOF, 0
		}
		if b == 0 {
			tree, n = lp[posState:posState+8], 8
		} else {
			if b, ok = r.bit(lp[lenChoice2]); !ok {
				return dummyInputEOF, 0
			}
			if b == 0 {
				tree, n, length = lp[posState+8:posState+16], 8, lenLowSymbols
			} else {
				tree, n, length = lp[lenHigh:lenHigh+lenHighSymbols], lenHighSymbols, 2*lenLowSymbols
			}
		}
		v, ok := r.tree(tree, n)
		if !ok {
			return dummyInputEOF, 0
		}
		length += v
		if state < 4 {
			ls := min(length, 3)
			slot, ok := r.tree(probs[offPosSlot+ls<<posSlotBits:offPosSlot+(ls+1)<<posSlotBits], 1<<posSlotBits)
			if !ok {
				return dummyInputEOF, 0
			}
			if slot >= startPosSlot {
				direct := slot>>1 - 1
				var rev []uint16
				if slot < endPosSlot {
					rev = probs[offSpecPos+(2|slot&1)<<direct:]
				} else {
					for direct -= alignBits; direct > 0; direct-- {
						if !r.normalize() {
							return dummyInputEOF, 0
						}
						r.rng >>= 1
						r.code -= r.rng & ((r.code-r.rng)>>31 - 1)
					}
					rev = probs[offAlign:]
					direct = alignBits
				}
				i, m := uint32(1), uint32(1)
				for ; direct > 0; direct-- {
					if b, ok = r.bit(rev[i]); !ok {
						return dummyInputEOF, 0
					}
					if b == 0 {
						i += m
						m += m
					} else {
						m += m
						i += m
					}
				}
			}
		}
	}
	if !r.normalize() {
		return dummyInputEOF, 0
	}
	return res, r.pos
}

// errInternal is the decoder's own consistency failure: it stays failed.
func (d *Decoder) errInternal() error {
	d.remainLen = lenErrorFail
	return ErrFail
}

// DecodeToDic decodes src into the dictionary buffer up to position
// dicLimit (≤ its size), as LzmaDec_DecodeToDic: it returns how many bytes
// of src it consumed — bytes it keeps in its look-ahead buffer count as
// consumed — and the status. See DecodeToBuf for the usual entry point.
func (d *Decoder) DecodeToDic(dicLimit int, src []byte, mode FinishMode) (consumed int, status Status, err error) {
	if dicLimit < d.dicPos || dicLimit > len(d.dic) {
		return 0, StatusNotSpecified, fmt.Errorf("lzma: output limit %d outside the dictionary buffer [%d, %d]", dicLimit, d.dicPos, len(d.dic))
	}
	inSize := len(src)
	if d.remainLen > matchSpecLenStart {
		if d.remainLen > matchSpecLenStart+2 {
			if d.remainLen == lenErrorFail {
				return 0, StatusNotSpecified, ErrFail
			}
			return 0, StatusNotSpecified, ErrData
		}
		for inSize > 0 && d.tempBufSize < rcInitSize {
			d.tempBuf[d.tempBufSize] = src[consumed]
			d.tempBufSize++
			consumed++
			inSize--
		}
		if d.tempBufSize != 0 && d.tempBuf[0] != 0 {
			return consumed, StatusNotSpecified, fmt.Errorf("%w: first byte of the range coder is 0x%02X, want 0", ErrData, d.tempBuf[0])
		}
		if d.tempBufSize < rcInitSize {
			return consumed, StatusNeedsMoreInput, nil
		}
		d.code = uint32(d.tempBuf[1])<<24 | uint32(d.tempBuf[2])<<16 | uint32(d.tempBuf[3])<<8 | uint32(d.tempBuf[4])
		if d.checkDicSize == 0 && d.processedPos == 0 && d.code >= badRepCode {
			return consumed, StatusNotSpecified, fmt.Errorf("%w: the stream starts with a repeated match", ErrData)
		}
		d.rng = 0xFFFFFFFF
		d.tempBufSize = 0
		if d.remainLen > matchSpecLenStart+1 {
			for i := range d.probs {
				d.probs[i] = bitModelTotal >> 1
			}
			d.reps = [4]uint32{1, 1, 1, 1}
			d.state = 0
		}
		d.remainLen = 0
	}
	srcPos := consumed

	for {
		if d.remainLen == matchSpecLenStart {
			if d.code != 0 {
				return consumed, StatusNotSpecified, fmt.Errorf("%w: range coder not empty after the end marker", ErrData)
			}
			return consumed, StatusFinishedWithMark, nil
		}
		d.writeRem(dicLimit)

		checkEndMarkNow := false
		if d.dicPos >= dicLimit {
			if d.remainLen == 0 && d.code == 0 {
				return consumed, StatusMaybeFinishedWithoutMark, nil
			}
			if mode == FinishAny {
				return consumed, StatusNotFinished, nil
			}
			if d.remainLen != 0 {
				return consumed, StatusNotFinished, fmt.Errorf("%w: a match runs past the end of the output", ErrData)
			}
			checkEndMarkNow = true
		}

		if d.tempBufSize == 0 {
			dummyProcessed := -1
			var bufLimit int
			in := src[srcPos:]
			if inSize < RequiredInputMax || checkEndMarkNow {
				kind, n := d.tryDummy(in[:inSize])
				if kind == dummyInputEOF {
					if inSize >= RequiredInputMax {
						return consumed, StatusNotSpecified, d.errInternal()
					}
					consumed += inSize
					d.tempBufSize = copy(d.tempBuf[:], in[:inSize])
					return consumed, StatusNeedsMoreInput, nil
				}
				dummyProcessed = n
				if n > RequiredInputMax {
					return consumed, StatusNotSpecified, d.errInternal()
				}
				if checkEndMarkNow && kind != dummyMatch {
					consumed += n
					d.tempBufSize = copy(d.tempBuf[:], in[:n])
					return consumed, StatusNotFinished, fmt.Errorf("%w: the stream does not end where the output does", ErrData)
				}
				bufLimit = 0 // one symbol only
			} else {
				bufLimit = inSize - RequiredInputMax
			}
			pos, ok := d.decodeReal2(dicLimit, in[:inSize], 0, bufLimit)
			if dummyProcessed < 0 {
				if pos > inSize {
					return consumed, StatusNotSpecified, d.errInternal()
				}
			} else if pos != dummyProcessed {
				return consumed, StatusNotSpecified, d.errInternal()
			}
			srcPos += pos
			inSize -= pos
			consumed += pos
			if !ok {
				d.remainLen = lenErrorData
				return consumed, StatusNotSpecified, fmt.Errorf("%w: a match reaches before the start of the output", ErrData)
			}
			continue
		}

		// Bytes kept from an earlier call: complete one symbol in tempBuf.
		rem := d.tempBufSize
		ahead := 0
		for rem < RequiredInputMax && ahead < inSize {
			d.tempBuf[rem] = src[srcPos+ahead]
			rem++
			ahead++
		}
		dummyProcessed := -1
		if rem < RequiredInputMax || checkEndMarkNow {
			kind, n := d.tryDummy(d.tempBuf[:rem])
			if kind == dummyInputEOF {
				if rem >= RequiredInputMax {
					return consumed, StatusNotSpecified, d.errInternal()
				}
				d.tempBufSize = rem
				consumed += ahead
				return consumed, StatusNeedsMoreInput, nil
			}
			dummyProcessed = n
			if n < d.tempBufSize {
				return consumed, StatusNotSpecified, d.errInternal()
			}
			if checkEndMarkNow && kind != dummyMatch {
				consumed += n - d.tempBufSize
				d.tempBufSize = n
				return consumed, StatusNotFinished, fmt.Errorf("%w: the stream does not end where the output does", ErrData)
			}
		}
		pos, ok := d.decodeReal2(dicLimit, d.tempBuf[:], 0, 0)
		kept := d.tempBufSize
		if dummyProcessed < 0 {
			if pos > RequiredInputMax || pos < kept {
				return consumed, StatusNotSpecified, d.errInternal()
			}
		} else if pos != dummyProcessed {
			return consumed, StatusNotSpecified, d.errInternal()
		}
		pos -= kept
		srcPos += pos
		inSize -= pos
		consumed += pos
		d.tempBufSize = 0
		if !ok {
			d.remainLen = lenErrorData
			return consumed, StatusNotSpecified, fmt.Errorf("%w: a match reaches before the start of the output", ErrData)
		}
	}
}

// DecodeToBuf decodes src into dest, as LzmaDec_DecodeToBuf: it fills dest
// as far as the input allows, going through the dictionary buffer, and
// returns the bytes written to dest, the bytes of src consumed (including
// any it keeps in its look-ahead buffer), and the status. mode applies
// when dest can be filled within the dictionary buffer's remaining room,
// as in the SDK. On an error, the output and input counts so far are
// still returned.
func (d *Decoder) DecodeToBuf(dest, src []byte, mode FinishMode) (nOut, nIn int, status Status, err error) {
	outSize := len(dest)
	for {
		if d.dicPos == len(d.dic) {
			d.dicPos = 0
		}
		dicPos := d.dicPos
		limit, cur := dicPos+outSize, mode
		if outSize > len(d.dic)-dicPos {
			limit, cur = len(d.dic), FinishAny
		}
		inCur, st, err := d.DecodeToDic(limit, src, cur)
		status = st
		src = src[inCur:]
		nIn += inCur
		n := copy(dest[nOut:], d.dic[dicPos:d.dicPos])
		nOut += n
		outSize -= n
		if err != nil {
			return nOut, nIn, status, err
		}
		if n == 0 || outSize == 0 {
			return nOut, nIn, status, nil
		}
	}
}
