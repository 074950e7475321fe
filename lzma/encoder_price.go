package lzma

// Price tables: what the optimum parser pays for lengths, distances and
// literals. They are rebuilt from the probabilities at the points the SDK
// rebuilds them (after 64 coded matches; after 64 coded rep lengths), so
// they lag the probabilities exactly as lzma_tool's do.

// lenCoder holds the probabilities of one length coder: a choice bit and
// an 8-symbol low tree per position state (interleaved with the choice-2
// bit and an 8-symbol mid tree), and a 256-symbol high tree.
type lenCoder struct {
	low  [encPosStatesMax << (encLenLowBits + 1)]uint16
	high [encLenHighSymbols]uint16
}

func (lc *lenCoder) init() {
	for i := range lc.low {
		lc.low[i] = encProbInit
	}
	for i := range lc.high {
		lc.high[i] = encProbInit
	}
}

// encode codes sym = length-2 for posState (LenEnc_Encode). low[0] is the
// first choice bit and low[8] the second; the low trees of posState start
// at low[posState<<4], the mid trees at low[posState<<4 + 8].
func (lc *lenCoder) encode(rc *rangeEncoder, sym, posState uint32) {
	if sym >= encLenLowSymbols {
		rc.bit(&lc.low[0], 1)
		if sym >= 2*encLenLowSymbols {
			rc.bit(&lc.low[encLenLowSymbols], 1)
			rc.tree(lc.high[:], encLenHighBits, sym-2*encLenLowSymbols)
			return
		}
		rc.bit(&lc.low[encLenLowSymbols], 0)
		sym -= encLenLowSymbols
		rc.tree(lc.low[posState<<(encLenLowBits+1)+encLenLowSymbols:], encLenLowBits, sym)
		return
	}
	rc.bit(&lc.low[0], 0)
	rc.tree(lc.low[posState<<(encLenLowBits+1):], encLenLowBits, sym)
}

// lenPrices holds the price of every length for every position state
// (CLenPriceEnc).
type lenPrices struct {
	tableSize uint32 // lengths priced: numFastBytes + 1 - 2
	prices    [encPosStatesMax][encLenSymbols]uint32
}

// setPrices3 prices the 8 symbols of a 3-bit tree (SetPrices_3).
func setPrices3(probs []uint16, start uint32, prices []uint32) {
	for i := uint32(0); i < 8; i += 2 {
		price := start + priceBit(probs[1], i>>2) + priceBit(probs[2+(i>>2)], i>>1&1)
		prob := probs[4+(i>>1)]
		prices[i] = price + price0(prob)
		prices[i+1] = price + price1(prob)
	}
}

// update rebuilds the table from lc (LenPriceEnc_UpdateTables).
func (lp *lenPrices) update(numPosStates uint32, lc *lenCoder) {
	b := price1(lc.low[0])
	a := price0(lc.low[0])
	c := b + price0(lc.low[encLenLowSymbols])
	for ps := range numPosStates {
		probs := lc.low[ps<<(encLenLowBits+1):]
		setPrices3(probs, a, lp.prices[ps][:])
		setPrices3(probs[encLenLowSymbols:], c, lp.prices[ps][encLenLowSymbols:])
	}
	i := lp.tableSize
	if i <= 2*encLenLowSymbols {
		return
	}
	prices := lp.prices[0][2*encLenLowSymbols:]
	i -= 2*encLenLowSymbols - 1
	i >>= 1
	b += price1(lc.low[encLenLowSymbols])
	for i > 0 {
		i--
		sym := i + 1<<(encLenHighBits-1)
		price := b
		for sym >= 2 {
			bit := sym & 1
			sym >>= 1
			price += priceBit(lc.high[sym], bit)
		}
		prob := lc.high[i+1<<(encLenHighBits-1)]
		prices[i*2] = price + price0(prob)
		prices[i*2+1] = price + price1(prob)
	}
	n := lp.tableSize - 2*encLenLowSymbols
	for ps := uint32(1); ps < numPosStates; ps++ {
		copy(lp.prices[ps][2*encLenLowSymbols:2*encLenLowSymbols+n], lp.prices[0][2*encLenLowSymbols:])
	}
}

// price is the price of length l (≥ 2) at posState.
func (lp *lenPrices) price(posState, l uint32) uint32 {
	return lp.prices[posState][l-encMatchLenMin]
}

// priceLit is the price of literal sym with probabilities probs
// (LitEnc_GetPrice).
func priceLit(probs []uint16, sym uint32) uint32 {
	probs = probs[:0x300]
	price := uint32(0)
	sym |= 0x100
	for sym >= 2 {
		bit := sym & 1
		sym >>= 1
		price += priceBit(probs[sym], bit)
	}
	return price
}

// priceMatchedLit is the price of literal sym after a match, whose next
// byte matchByte steers the probabilities while the two agree
// (LitEnc_Matched_GetPrice).
func priceMatchedLit(probs []uint16, sym, matchByte uint32) uint32 {
	probs = probs[:0x300]
	price := uint32(0)
	offs := uint32(0x100)
	sym |= 0x100
	for sym < 0x10000 {
		matchByte <<= 1
		price += priceBit(probs[offs+(matchByte&offs)+(sym>>8)], sym>>7&1)
		sym <<= 1
		offs &^= matchByte ^ sym
	}
	return price
}

// fillAlignPrices prices the 16 values of the 4 low distance bits coded
// with the align tree (FillAlignPrices).
func (e *encoder) fillAlignPrices() {
	probs := &e.posAlign
	for i := range uint32(encAlignSize / 2) {
		price := uint32(0)
		sym := i
		m := uint32(1)
		for range 3 {
			bit := sym & 1
			sym >>= 1
			price += priceBit(probs[m], bit)
			m = m<<1 + bit
		}
		prob := probs[m]
		e.alignPrices[i] = price + price0(prob)
		e.alignPrices[i+8] = price + price1(prob)
	}
}

// fillDistancesPrices prices every slot for each length state and every
// full distance below 128 (FillDistancesPrices).
func (e *encoder) fillDistancesPrices() {
	var temp [encFullDistances]uint32
	e.matchPriceCount = 0
	for i := uint32(encStartPosModel / 2); i < encFullDistances/2; i++ {
		slot := encPosSlot(i)
		footerBits := slot>>1 - 1
		base := (2 | slot&1) << footerBits
		probs := e.posEncoders[base*2:]
		price := uint32(0)
		m := uint32(1)
		sym := i
		offset := uint32(1) << footerBits
		base += i
		for ; footerBits > 0; footerBits-- {
			bit := sym & 1
			sym >>= 1
			price += priceBit(probs[m], bit)
			m = m<<1 + bit
		}
		prob := probs[m]
		temp[base] = price + price0(prob)
		temp[base+offset] = price + price1(prob)
	}
	for lps := range encLenToPosStates {
		tableSize2 := (e.distTableSize + 1) >> 1
		slotPrices := &e.posSlotPrices[lps]
		probs := &e.posSlot[lps]
		for slot := range tableSize2 {
			sym := slot + 1<<(encPosSlotBits-1)
			price := uint32(0)
			for range encPosSlotBits - 1 {
				bit := sym & 1
				sym >>= 1
				price += priceBit(probs[sym], bit)
			}
			prob := probs[slot+1<<(encPosSlotBits-1)]
			slotPrices[slot*2] = price + price0(prob)
			slotPrices[slot*2+1] = price + price1(prob)
		}
		delta := uint32(encEndPosModel/2-1-encAlignBits) << encPriceShift
		for slot := uint32(encEndPosModel / 2); slot < tableSize2; slot++ {
			slotPrices[slot*2] += delta
			slotPrices[slot*2+1] += delta
			delta += 1 << encPriceShift
		}
		dp := &e.distPrices[lps]
		copy(dp[:4], slotPrices[:4])
		for i := uint32(4); i < encFullDistances; i += 2 {
			sp := slotPrices[encPosSlot(i)]
			dp[i] = sp + temp[i]
			dp[i+1] = sp + temp[i+1]
		}
	}
}
