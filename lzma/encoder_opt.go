package lzma

// The optimum parser (GetOptimum): from the current position it prices
// every way to code the next bytes — literal, short rep, rep0..3, match,
// and the compound steps match/rep + literal + rep0 — in e.opt, a table of
// the cheapest known path to each position ahead, and extends the table
// one position at a time until it reaches a position no candidate goes
// beyond, or a match of numFastBytes makes further search pointless. The
// path is then read backwards into e.opt (backward) and handed out one
// step per call by the coding loop.
//
// The order of the comparisons and every tie-break (strict < against the
// table) is the SDK's: the output depends on them.

func (e *encoder) priceShortRep(state, posState uint32) uint32 {
	return price0(e.isRepG0[state]) + price0(e.isRep0Long[state][posState])
}

func (e *encoder) priceRep0(state, posState uint32) uint32 {
	return price1(e.isMatch[state][posState]) + price1(e.isRep0Long[state][posState]) +
		price1(e.isRep[state]) + price0(e.isRepG0[state])
}

func (e *encoder) pricePureRep(repIndex, state, posState uint32) uint32 {
	if repIndex == 0 {
		return price0(e.isRepG0[state]) + price1(e.isRep0Long[state][posState])
	}
	price := price1(e.isRepG0[state])
	if repIndex == 1 {
		return price + price0(e.isRepG1[state])
	}
	return price + price1(e.isRepG1[state]) + priceBit(e.isRepG2[state], repIndex-2)
}

// distPrice is the price of distance-1 value dist after a match of len l.
func (e *encoder) distPrice(dist, l uint32) uint32 {
	lps := encLenToPosState(l)
	if dist < encFullDistances {
		return e.distPrices[lps][dist]
	}
	return e.alignPrices[dist&encAlignMask] + e.posSlotPrices[lps][encPosSlot(dist)]
}

// backward turns the chain of e.opt ending at cur into the forward list
// of steps e.opt[optCur:optEnd] and returns the first step (Backward).
func (e *encoder) backward(cur uint32) uint32 {
	wr := cur + 1
	e.optEnd = wr
	for {
		dist := e.opt[cur].dist
		l := e.opt[cur].len
		extra := uint32(e.opt[cur].extra)
		cur -= l
		if extra != 0 {
			wr--
			e.opt[wr].len = l
			cur -= extra
			l = extra
			if extra == 1 {
				e.opt[wr].dist = dist
				dist = encMarkLit
			} else {
				e.opt[wr].dist = 0
				l--
				wr--
				e.opt[wr].dist = encMarkLit
				e.opt[wr].len = 1
			}
		}
		if cur == 0 {
			e.backRes = dist
			e.optCur = wr
			return l
		}
		wr--
		e.opt[wr].dist = dist
		e.opt[wr].len = l
	}
}

// getOptimum returns the length of the next step at position (the coder's
// position) and leaves its distance in e.backRes.
func (e *encoder) getOptimum(position uint32) uint32 {
	const pbMask = 1<<EncoderPB - 1
	var reps [encNumReps]uint32
	var repLens [encNumReps]uint32
	buf := e.src.buf
	matches := e.matches[:]
	opt := e.opt[:]

	e.optCur, e.optEnd = 0, 0
	var mainLen, numPairs uint32
	if e.additionalOffset == 0 {
		mainLen, numPairs = e.readMatchDistances()
	} else {
		mainLen, numPairs = e.longestMatchLen, e.numPairs
	}
	numAvail := e.numAvail
	if numAvail < 2 {
		e.backRes = encMarkLit
		return 1
	}
	numAvail = min(numAvail, encMatchLenMax)

	data := e.src.idx - 1
	repMaxIndex := 0
	for i := range encNumReps {
		reps[i] = e.reps[i]
		d2 := data - int(reps[i])
		if buf[data] != buf[d2] || buf[data+1] != buf[d2+1] {
			repLens[i] = 0
			continue
		}
		l := uint32(matchLen(buf[d2:], buf[data:data+int(numAvail)], 2))
		repLens[i] = l
		if l > repLens[repMaxIndex] {
			repMaxIndex = i
		}
		if l == encMatchLenMax {
			break
		}
	}
	if repLens[repMaxIndex] >= encFastBytes {
		e.backRes = uint32(repMaxIndex)
		l := repLens[repMaxIndex]
		e.movePos(l - 1)
		return l
	}
	if mainLen >= encFastBytes {
		e.backRes = matches[numPairs-1] + encNumReps
		e.movePos(mainLen - 1)
		return mainLen
	}

	curByte := buf[data]
	matchByte := buf[data-int(reps[0])]
	last := max(repLens[repMaxIndex], mainLen)
	if last < 2 && curByte != matchByte {
		e.backRes = encMarkLit
		return 1
	}

	state := e.state
	opt[0].state = uint16(state)
	posState := position & pbMask
	{
		probs := e.litProbs(position, buf[data-1])
		p := price0(e.isMatch[state][posState])
		if encIsLitState(state) {
			p += priceLit(probs, uint32(curByte))
		} else {
			p += priceMatchedLit(probs, uint32(curByte), uint32(matchByte))
		}
		opt[1].price = p
		opt[1].dist, opt[1].extra = encMarkLit, 0
	}
	matchPrice := price1(e.isMatch[state][posState])
	repMatchPrice := matchPrice + price1(e.isRep[state])
	if matchByte == curByte && repLens[0] == 0 {
		shortRepPrice := repMatchPrice + e.priceShortRep(state, posState)
		if shortRepPrice < opt[1].price {
			opt[1].price = shortRepPrice
			opt[1].dist, opt[1].extra = 0, 0
		}
		if last < 2 {
			e.backRes = opt[1].dist
			return 1
		}
	}
	opt[1].len = 1
	opt[0].reps = reps

	// Reps.
	for i := range uint32(encNumReps) {
		repLen := repLens[i]
		if repLen < 2 {
			continue
		}
		price := repMatchPrice + e.pricePureRep(i, state, posState)
		for ; repLen >= 2; repLen-- {
			price2 := price + e.repLenPrices.price(posState, repLen)
			o := &opt[repLen]
			if price2 < o.price {
				o.price = price2
				o.len = repLen
				o.dist = i
				o.extra = 0
			}
		}
	}

	// Matches.
	if l := repLens[0] + 1; l <= mainLen {
		offs := uint32(0)
		normalMatchPrice := matchPrice + price0(e.isRep[state])
		if l < 2 {
			l = 2
		} else {
			for l > matches[offs] {
				offs += 2
			}
		}
		for ; ; l++ {
			dist := matches[offs+1]
			price := normalMatchPrice + e.lenPrices.price(posState, l) + e.distPrice(dist, l)
			o := &opt[l]
			if price < o.price {
				o.price = price
				o.len = l
				o.dist = dist + encNumReps
				o.extra = 0
			}
			if l == matches[offs] {
				offs += 2
				if offs == numPairs {
					break
				}
			}
		}
	}

	cur := uint32(0)
	for {
		cur++
		if cur == last {
			break
		}
		if cur >= encNumOpts-64 {
			// The table is nearly full: stop at the cheapest position
			// still ahead.
			price := opt[cur].price
			best := cur
			for j := cur + 1; j <= last; j++ {
				if p2 := opt[j].price; price >= p2 {
					price = p2
					best = j
				}
			}
			e.movePos(best - cur)
			cur = best
			break
		}

		newLen, numPairs := e.readMatchDistances()
		if newLen >= encFastBytes {
			e.numPairs = numPairs
			e.longestMatchLen = newLen
			break
		}
		curOpt := &opt[cur]
		position++

		// The state and reps at cur, from the step that reaches it.
		prev := cur - curOpt.len
		var state uint32
		if curOpt.len == 1 {
			state = uint32(opt[prev].state)
			if curOpt.dist == 0 {
				state = uint32(encShortRepNext[state])
			} else {
				state = uint32(encLitNext[state])
			}
		} else {
			dist := curOpt.dist
			if curOpt.extra != 0 {
				prev -= uint32(curOpt.extra)
				state = encStateRepAfterLit
				if curOpt.extra == 1 && dist >= encNumReps {
					state = encStateMatchAfterLit
				}
			} else {
				state = uint32(opt[prev].state)
				if dist < encNumReps {
					state = uint32(encRepNext[state])
				} else {
					state = uint32(encMatchNext[state])
				}
			}
			prevOpt := &opt[prev]
			b0 := prevOpt.reps[0]
			if dist < encNumReps {
				switch dist {
				case 0:
					reps = prevOpt.reps
				case 1:
					reps[1] = b0
					reps[0] = prevOpt.reps[1]
					reps[2] = prevOpt.reps[2]
					reps[3] = prevOpt.reps[3]
				default:
					reps[1] = b0
					reps[2] = prevOpt.reps[1]
					reps[0] = prevOpt.reps[dist]
					reps[3] = prevOpt.reps[dist^1]
				}
			} else {
				reps[0] = dist - encNumReps + 1
				reps[1] = b0
				reps[2] = prevOpt.reps[1]
				reps[3] = prevOpt.reps[2]
			}
		}
		curOpt.state = uint16(state)
		curOpt.reps = reps

		data := e.src.idx - 1
		curByte := buf[data]
		matchByte := buf[data-int(reps[0])]
		posState := position & pbMask

		curPrice := curOpt.price
		matchPrice := curPrice + price1(e.isMatch[state][posState])
		litPrice := curPrice + price0(e.isMatch[state][posState])

		nextOpt := &opt[cur+1]
		nextIsLit := false
		if (nextOpt.price < encInfinity && matchByte == curByte) || litPrice > nextOpt.price {
			litPrice = 0
		} else {
			probs := e.litProbs(position, buf[data-1])
			if encIsLitState(state) {
				litPrice += priceLit(probs, uint32(curByte))
			} else {
				litPrice += priceMatchedLit(probs, uint32(curByte), uint32(matchByte))
			}
			if litPrice < nextOpt.price {
				nextOpt.price = litPrice
				nextOpt.len = 1
				nextOpt.dist, nextOpt.extra = encMarkLit, 0
				nextIsLit = true
			}
		}

		repMatchPrice := matchPrice + price1(e.isRep[state])
		numAvailFull := min(e.numAvail, encNumOpts-1-cur)

		// Short rep.
		if encIsLitState(state) && matchByte == curByte && repMatchPrice < nextOpt.price &&
			(nextOpt.len < 2 || nextOpt.dist != 0) {
			shortRepPrice := repMatchPrice + e.priceShortRep(state, posState)
			if shortRepPrice < nextOpt.price {
				nextOpt.price = shortRepPrice
				nextOpt.len = 1
				nextOpt.dist, nextOpt.extra = 0, 0
				nextIsLit = false
			}
		}
		if numAvailFull < 2 {
			continue
		}
		numAvail := min(numAvailFull, encFastBytes)

		// Literal, then rep0.
		if !nextIsLit && litPrice != 0 && matchByte != curByte && numAvailFull > 2 {
			d2 := data - int(reps[0])
			if buf[data+1] == buf[d2+1] && buf[data+2] == buf[d2+2] {
				limit := min(uint32(encFastBytes+1), numAvailFull)
				l := uint32(matchLen(buf[d2:], buf[data:data+int(limit)], 3))
				state2 := uint32(encLitNext[state])
				posState2 := (position + 1) & pbMask
				price := litPrice + e.priceRep0(state2, posState2)
				offset := cur + l
				last = max(last, offset)
				l--
				price2 := price + e.repLenPrices.price(posState2, l)
				if o := &opt[offset]; price2 < o.price {
					o.price = price2
					o.len = l
					o.dist = 0
					o.extra = 1
				}
			}
		}

		startLen := uint32(2)
		for repIndex := range uint32(encNumReps) {
			d2 := data - int(reps[repIndex])
			if buf[data] != buf[d2] || buf[data+1] != buf[d2+1] {
				continue
			}
			l := uint32(matchLen(buf[d2:], buf[data:data+int(numAvail)], 2))
			last = max(last, cur+l)
			price := repMatchPrice + e.pricePureRep(repIndex, state, posState)
			for len2 := l; len2 >= 2; len2-- {
				price2 := price + e.repLenPrices.price(posState, len2)
				if o := &opt[cur+len2]; price2 < o.price {
					o.price = price2
					o.len = len2
					o.dist = repIndex
					o.extra = 0
				}
			}
			if repIndex == 0 {
				startLen = l + 1
			}

			// Rep, literal, rep0.
			len2 := l + 1
			limit := min(len2+encFastBytes, numAvailFull)
			len2 += 2
			if len2 <= limit && buf[data+int(len2)-2] == buf[d2+int(len2)-2] && buf[data+int(len2)-1] == buf[d2+int(len2)-1] {
				state2 := uint32(encRepNext[state])
				posState2 := (position + l) & pbMask
				price += e.repLenPrices.price(posState, l) +
					price0(e.isMatch[state2][posState2]) +
					priceMatchedLit(e.litProbs(position+l, buf[data+int(l)-1]), uint32(buf[data+int(l)]), uint32(buf[d2+int(l)]))
				state2 = encStateLitAfterRep
				posState2 = (posState2 + 1) & pbMask
				price += e.priceRep0(state2, posState2)
				len2 = uint32(matchLen(buf[d2:], buf[data:data+int(limit)], int(len2)))
				len2 -= l
				offset := cur + l + len2
				last = max(last, offset)
				len2--
				price2 := price + e.repLenPrices.price(posState2, len2)
				if o := &opt[offset]; price2 < o.price {
					o.price = price2
					o.len = len2
					o.extra = uint16(l + 1)
					o.dist = repIndex
				}
			}
		}

		// Matches.
		if newLen > numAvail {
			newLen = numAvail
			numPairs = 0
			for newLen > matches[numPairs] {
				numPairs += 2
			}
			matches[numPairs] = newLen
			numPairs += 2
		}
		if newLen < startLen {
			continue
		}
		normalMatchPrice := matchPrice + price0(e.isRep[state])
		last = max(last, cur+newLen)
		offs := uint32(0)
		for startLen > matches[offs] {
			offs += 2
		}
		dist := matches[offs+1]
		for l := startLen; ; l++ {
			price := normalMatchPrice + e.lenPrices.price(posState, l) + e.distPrice(dist, l)
			if o := &opt[cur+l]; price < o.price {
				o.price = price
				o.len = l
				o.dist = dist + encNumReps
				o.extra = 0
			}
			if l != matches[offs] {
				continue
			}
			// Match, literal, rep0.
			d2 := data - int(dist) - 1
			len2 := l + 1
			limit := min(len2+encFastBytes, numAvailFull)
			len2 += 2
			if len2 <= limit && buf[data+int(len2)-2] == buf[d2+int(len2)-2] && buf[data+int(len2)-1] == buf[d2+int(len2)-1] {
				len2 = uint32(matchLen(buf[d2:], buf[data:data+int(limit)], int(len2)))
				len2 -= l
				state2 := uint32(encMatchNext[state])
				posState2 := (position + l) & pbMask
				price += price0(e.isMatch[state2][posState2])
				price += priceMatchedLit(e.litProbs(position+l, buf[data+int(l)-1]), uint32(buf[data+int(l)]), uint32(buf[d2+int(l)]))
				state2 = encStateLitAfterMatch
				posState2 = (posState2 + 1) & pbMask
				price += e.priceRep0(state2, posState2)
				offset := cur + l + len2
				last = max(last, offset)
				len2--
				price2 := price + e.repLenPrices.price(posState2, len2)
				if o := &opt[offset]; price2 < o.price {
					o.price = price2
					o.len = len2
					o.extra = uint16(l + 1)
					o.dist = dist + encNumReps
				}
			}
			offs += 2
			if offs == numPairs {
				break
			}
			dist = matches[offs+1]
		}
	}

	for ; last > 0; last-- {
		opt[last].price = encInfinity
	}
	return e.backward(cur)
}
