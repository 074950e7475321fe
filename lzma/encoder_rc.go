package lzma

// The range encoder and the bit prices the optimum parser works with.
//
// Probabilities are 11-bit (0..2048, starting at the middle), adapted by a
// shift of 5 after every coded bit. The range encoder keeps a 64-bit low
// so that a carry out of the low 32 bits is seen when the pending byte is
// shifted out; runs of 0xFF bytes wait in cacheSize until the carry (if
// any) is known.

const (
	encProbBits     = 11
	encProbTotal    = 1 << encProbBits // kBitModelTotal
	encProbInit     = encProbTotal / 2 // kProbInitValue
	encMoveBits     = 5
	encTopValue     = 1 << 24
	encPriceShift   = 4 // kNumBitPriceShiftBits: prices are in 1/16 bit
	encPriceReduce  = 4 // kNumMoveReducingBits: a price per 16 probability values
	encInfinity     = 1 << 30
	encPriceEntries = encProbTotal >> encPriceReduce
)

// rangeEncoder appends the coded stream to out.
type rangeEncoder struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize uint64
	out       []byte
}

func (rc *rangeEncoder) init(out []byte) {
	*rc = rangeEncoder{rng: 0xFFFFFFFF, out: out}
}

// shiftLow moves the top byte of low out, resolving a pending carry.
func (rc *rangeEncoder) shiftLow() {
	low := uint32(rc.low)
	high := uint32(rc.low >> 32)
	rc.low = uint64(low << 8)
	if low < 0xFF000000 || high != 0 {
		rc.out = append(rc.out, rc.cache+byte(high))
		rc.cache = byte(low >> 24)
		for ; rc.cacheSize != 0; rc.cacheSize-- {
			rc.out = append(rc.out, byte(0xFF+high))
		}
		return
	}
	rc.cacheSize++
}

// flush writes the last five bytes of low.
func (rc *rangeEncoder) flush() {
	for range 5 {
		rc.shiftLow()
	}
}

// bit codes one bit with an adaptive probability.
func (rc *rangeEncoder) bit(p *uint16, b uint32) {
	ttt := uint32(*p)
	bound := (rc.rng >> encProbBits) * ttt
	if b == 0 {
		rc.rng = bound
		*p = uint16(ttt + (encProbTotal-ttt)>>encMoveBits)
	} else {
		rc.low += uint64(bound)
		rc.rng -= bound
		*p = uint16(ttt - ttt>>encMoveBits)
	}
	if rc.rng < encTopValue {
		rc.rng <<= 8
		rc.shiftLow()
	}
}

// direct codes the bits of v from bit hi-1 down to bit lo with a fixed
// probability of one half.
func (rc *rangeEncoder) direct(v uint32, hi, lo uint32) {
	for i := hi; i > lo; i-- {
		rc.rng >>= 1
		rc.low += uint64(rc.rng & (0 - (v >> (i - 1) & 1)))
		if rc.rng < encTopValue {
			rc.rng <<= 8
			rc.shiftLow()
		}
	}
}

// tree codes the numBits-bit symbol sym, high bit first, through the
// probability tree probs (probs[1] is the root). It is bit() in a loop,
// with the range kept in a local.
func (rc *rangeEncoder) tree(probs []uint16, numBits uint32, sym uint32) {
	rng, low := rc.rng, rc.low
	m := uint32(1)
	for i := numBits; i > 0; i-- {
		b := sym >> (i - 1) & 1
		p := &probs[m]
		ttt := uint32(*p)
		bound := (rng >> encProbBits) * ttt
		if b == 0 {
			rng = bound
			*p = uint16(ttt + (encProbTotal-ttt)>>encMoveBits)
		} else {
			low += uint64(bound)
			rng -= bound
			*p = uint16(ttt - ttt>>encMoveBits)
		}
		if rng < encTopValue {
			rng <<= 8
			rc.low = low
			rc.shiftLow()
			low = rc.low
		}
		m = m<<1 | b
	}
	rc.rng, rc.low = rng, low
}

// reverseTree codes the low numBits bits of sym, low bit first.
func (rc *rangeEncoder) reverseTree(probs []uint16, numBits uint32, sym uint32) {
	m := uint32(1)
	for ; numBits > 0; numBits-- {
		b := sym & 1
		sym >>= 1
		rc.bit(&probs[m], b)
		m = m<<1 | b
	}
}

// encProbPrices[p>>4] is the price, in 1/16 bit, of coding the bit whose
// probability is p: about -16·log2(p/2048), computed with integers only
// (LzmaEnc_InitPriceTables) so that every build prices alike.
var encProbPrices = func() (t [encPriceEntries]uint32) {
	for i := range uint32(encPriceEntries) {
		w := i<<encPriceReduce + 1<<(encPriceReduce-1)
		bitCount := uint32(0)
		for range encPriceShift {
			w *= w
			bitCount <<= 1
			for w >= 1<<16 {
				w >>= 1
				bitCount++
			}
		}
		t[i] = encProbBits<<encPriceShift - 15 - bitCount
	}
	return t
}()

// price0 and price1 are the prices of coding 0 and 1 with probability p.
func price0(p uint16) uint32 { return encProbPrices[p>>encPriceReduce] }
func price1(p uint16) uint32 {
	return encProbPrices[(p^(encProbTotal-1))>>encPriceReduce]
}

// priceBit is the price of coding b with probability p.
func priceBit(p uint16, b uint32) uint32 {
	return encProbPrices[(uint32(p)^(-b&(encProbTotal-1)))>>encPriceReduce]
}
