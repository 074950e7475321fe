package image

import (
	"crypto/sha256"
	"encoding/binary"
)

// The synthetic code generator. It writes what a compiler writes for a
// small embedded RV32IMC program: functions with prologues saving ra and
// s-registers, bodies of calls, struct field loads and stores, compares and
// branches, peripheral accesses through lui/lw/sw, short loops, epilogues
// ending in ret; then a read-only data section of format strings and
// constant tables. Opcodes, registers and immediates follow skewed
// distributions like compiled code's; the mix was tuned by measuring LZMA
// at the SDK's settings (see TestSyntheticRatio).

// rng is splitmix64: tiny, fast and fixed forever (math/rand's helpers
// may change between Go releases, and the firmware bytes must not).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// n returns a value in [0, n).
func (r *rng) n(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }

// pct is true with probability p percent.
func (r *rng) pct(p int) bool { return r.n(100) < p }

// pick returns an index drawn with the given cumulative weights.
func (r *rng) pick(cum []uint16) int {
	x := uint16(r.n(int(cum[len(cum)-1])))
	for i, c := range cum {
		if x < c {
			return i
		}
	}
	return len(cum) - 1
}

func cumulative(w ...uint16) []uint16 {
	c := make([]uint16, len(w))
	var s uint16
	for i, v := range w {
		s += v
		c[i] = s
	}
	return c
}

// Register numbers.
const (
	rZero, rRA, rSP = 0, 1, 2
	rT0, rT1, rT2   = 5, 6, 7
	rS0, rS1        = 8, 9
	rA0, rA1        = 10, 11
	rA5             = 15
)

var (
	// RVC registers x8..x15 (s0 s1 a0..a5), weighted as gcc -Os uses them.
	cRegW = cumulative(14, 6, 30, 12, 7, 6, 10, 15)
	// All registers, weighted.
	regW = cumulative(0, 2, 3, 0, 0, 4, 2, 1, 14, 6, 30, 12, 7, 6, 10, 15, 2, 2, 3, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1)
	// Number of saved s-registers in a prologue.
	saveW = cumulative(3, 5, 4, 2, 1)
	// Statement mix (see stmt).
	stmtW = cumulative(20, 18, 12, 12, 10, 7, 5, 6, 4, 6)
)

type gen struct {
	r     rng
	out   []byte
	t     []byte   // text being emitted
	pc0   uint32   // address of out[0]
	funcs []uint32 // call targets: random ones ahead, real entries behind
	hot   []uint32 // the first functions emitted, called often (memcpy, printf, …)
	nhot  int
}

func newGen(id Ident, out []byte) *gen {
	h := sha256.New()
	h.Write([]byte("ws63emu synthetic code v1\x00"))
	var b [13]byte
	b[0] = byte(id.Kind)
	binary.LittleEndian.PutUint32(b[1:], id.VersionExt)
	binary.LittleEndian.PutUint64(b[5:], id.Seed)
	h.Write(b[:])
	h.Write([]byte(id.Version))
	sum := h.Sum(nil)
	g := &gen{r: rng{binary.LittleEndian.Uint64(sum)}, out: out}
	switch id.Kind {
	case KindApp:
		g.pc0 = 0x230000 + HeaderLen + IdentLen
	default:
		g.pc0 = 0x220000 + HeaderLen + IdentLen
	}
	return g
}

func (g *gen) pc() uint32 { return g.pc0 + uint32(len(g.t)) }

func (g *gen) h(v uint32) { g.t = append(g.t, byte(v), byte(v>>8)) }
func (g *gen) w(v uint32) { g.t = binary.LittleEndian.AppendUint32(g.t, v) }

// fill writes text then rodata into g.out.
func (g *gen) fill() {
	n := len(g.out)
	textLen := n - n/6
	// Call targets spread over the text; entries of functions already
	// emitted replace them as generation proceeds, the first few are hot.
	nf := max(textLen/180, 4)
	g.funcs = make([]uint32, nf)
	for i := range g.funcs {
		g.funcs[i] = g.pc0 + uint32(g.r.n(textLen))&^1
	}
	g.nhot = max(nf/40, 3)
	g.t = make([]byte, 0, textLen+256)
	for len(g.t) < textLen {
		entry := g.pc()
		if len(g.hot) < g.nhot {
			g.hot = append(g.hot, entry)
		}
		g.funcs[g.r.n(nf)] = entry
		g.function()
	}
	copy(g.out, g.t)
	if textLen < n {
		g.rodata(g.out[textLen:])
	}
}

// --- encoders ---------------------------------------------------------

func iType(op, f3, rd, rs1 uint32, imm int32) uint32 {
	return uint32(imm)<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func sType(f3, rs1, rs2 uint32, imm int32) uint32 {
	u := uint32(imm)
	return (u>>5&0x7F)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u&0x1F)<<7 | 0x23
}

func bType(f3, rs1, rs2 uint32, off int32) uint32 {
	u := uint32(off)
	return (u>>12&1)<<31 | (u>>5&0x3F)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u>>1&0xF)<<8 | (u>>11&1)<<7 | 0x63
}

func jType(rd uint32, off int32) uint32 {
	u := uint32(off)
	return (u>>20&1)<<31 | (u>>1&0x3FF)<<21 | (u>>11&1)<<20 | (u>>12&0xFF)<<12 | rd<<7 | 0x6F
}

func rType(f7, f3, rd, rs1, rs2 uint32) uint32 {
	return f7<<25 | rs2<<20 | rs1<<15 | f3<<12 | rd<<7 | 0x33
}

func cImm6(f3, rd uint32, imm int32) uint32 {
	u := uint32(imm)
	return f3<<13 | (u>>5&1)<<12 | rd<<7 | (u&0x1F)<<2 | 1
}

// c.lw / c.sw: f3 2 or 6, rs1' rd' in 0..7, offset multiple of 4 below 128.
func cLS(f3, rs1c, rdc, off uint32) uint32 {
	return f3<<13 | (off>>3&7)<<10 | rs1c<<7 | (off>>2&1)<<6 | (off>>6&1)<<5 | rdc<<2
}

func cLWSP(rd, off uint32) uint32 {
	return 2<<13 | (off>>5&1)<<12 | rd<<7 | (off>>2&7)<<4 | (off>>6&3)<<2 | 2
}

func cSWSP(rs2, off uint32) uint32 {
	return 6<<13 | (off>>2&0xF)<<9 | (off>>6&3)<<7 | rs2<<2 | 2
}

func cAddi16sp(imm int32) uint32 {
	u := uint32(imm)
	return 3<<13 | (u>>9&1)<<12 | 2<<7 | (u>>4&1)<<6 | (u>>6&1)<<5 | (u>>7&3)<<3 | (u>>5&1)<<2 | 1
}

func cBZ(f3, rs1c uint32, off int32) uint32 {
	u := uint32(off)
	return f3<<13 | (u>>8&1)<<12 | (u>>3&3)<<10 | rs1c<<7 | (u>>6&3)<<5 | (u>>1&3)<<3 | (u>>5&1)<<2 | 1
}

func cJ(off int32) uint32 {
	u := uint32(off)
	return 5<<13 | (u>>11&1)<<12 | (u>>4&1)<<11 | (u>>8&3)<<9 | (u>>10&1)<<8 | (u>>6&1)<<7 | (u>>7&1)<<6 | (u>>1&7)<<3 | (u>>5&1)<<2 | 1
}

func cMV(rd, rs uint32) uint32  { return 0x8002 | rd<<7 | rs<<2 }
func cADD(rd, rs uint32) uint32 { return 0x9002 | rd<<7 | rs<<2 }

const cRet = 0x8082 // c.jr ra

// --- choices ----------------------------------------------------------

func (g *gen) creg() uint32 { return uint32(g.r.pick(cRegW)) } // 0..7 (x8..x15)
func (g *gen) reg() uint32  { return uint32(g.r.pick(regW)) }

// smallImm is a small signed immediate, mostly tiny.
func (g *gen) smallImm() int32 {
	switch g.r.n(8) {
	case 0, 1, 2:
		return int32(g.r.n(4))
	case 3, 4:
		return int32(g.r.n(16)) - 4
	case 5:
		return -1
	default:
		return int32(g.r.n(64)) - 32
	}
}

// fieldOff is a struct field offset, a multiple of 4, mostly small.
func (g *gen) fieldOff(limit int) uint32 {
	if g.r.pct(70) {
		return uint32(g.r.n(min(limit, 32)/4)) * 4
	}
	return uint32(g.r.n(limit/4)) * 4
}

// --- program structure ------------------------------------------------

func (g *gen) function() {
	nsave := g.r.pick(saveW)
	frame := int32(16 * (1 + (nsave+g.r.n(3))/3))
	g.h(cAddi16sp(-frame))
	g.h(cSWSP(rRA, uint32(frame-4)))
	for i := range nsave {
		g.h(cSWSP(savedReg(i), uint32(frame-8-4*int32(i))))
	}
	if nsave > 0 && g.r.pct(70) {
		g.h(cMV(rS0, rA0))
	}
	if nsave > 1 && g.r.pct(50) {
		g.h(cMV(rS1, rA1))
	}
	n := 2 + g.r.n(10) + g.r.n(10)
	for range n {
		g.stmt(nsave)
	}
	if g.r.pct(40) {
		g.h(cImm6(2, rA0, g.smallImm()&0x1F)) // li a0, result
	}
	g.h(cLWSP(rRA, uint32(frame-4)))
	for i := range nsave {
		g.h(cLWSP(savedReg(i), uint32(frame-8-4*int32(i))))
	}
	g.h(cAddi16sp(frame))
	g.h(cRet)
}

// savedReg is the i-th callee-saved register: s0, s1, s2, s3, …
func savedReg(i int) uint32 {
	if i < 2 {
		return rS0 + uint32(i)
	}
	return 16 + uint32(i)
}

func (g *gen) call() {
	var target uint32
	if g.r.pct(35) && len(g.hot) > 0 {
		target = g.hot[g.r.n(len(g.hot))]
	} else {
		target = g.funcs[g.r.n(len(g.funcs))]
	}
	off := int32(target - g.pc())
	if off >= -(1<<20) && off < 1<<20 {
		g.w(jType(rRA, off))
		return
	}
	hi := (off + 0x800) >> 12
	g.w(uint32(hi)<<12 | rRA<<7 | 0x17)       // auipc ra, hi
	g.w(iType(0x67, 0, rRA, rRA, off-hi<<12)) // jalr ra, lo(ra)
}

func (g *gen) stmt(nsave int) {
	switch g.r.pick(stmtW) {
	case 0: // call with argument setup
		for range g.r.n(3) {
			switch g.r.n(4) {
			case 0:
				g.h(cImm6(2, rA0+uint32(g.r.n(3)), g.smallImm()))
			case 1:
				g.h(cMV(rA0+uint32(g.r.n(3)), rS0+uint32(g.r.n(2))))
			case 2:
				g.w(iType(0x13, 0, rA1+uint32(g.r.n(2)), rSP, int32(g.fieldOff(64)))) // addi a1, sp, off
			default:
				g.h(cMV(rA0+uint32(g.r.n(4)), rA5))
			}
		}
		g.call()
	case 1: // struct field load
		if g.r.pct(60) {
			g.h(cLS(2, g.creg(), g.creg(), g.fieldOff(128)))
		} else {
			g.w(iType(0x03, 2, g.reg(), g.reg(), int32(g.fieldOff(256))))
		}
	case 2: // struct field store
		if g.r.pct(60) {
			g.h(cLS(6, g.creg(), g.creg(), g.fieldOff(128)))
		} else {
			g.w(sType(2, g.reg(), g.reg(), int32(g.fieldOff(256))))
		}
	case 3: // compare and branch over a few instructions
		off := int32(2 * (2 + g.r.n(20)))
		if g.r.pct(60) {
			g.h(cBZ(6+uint32(g.r.n(2)), g.creg(), off))
		} else {
			g.w(bType([]uint32{0, 1, 4, 5, 6, 7}[g.r.n(6)], g.reg(), g.reg(), off))
		}
	case 4: // register arithmetic
		switch g.r.n(6) {
		case 0:
			g.h(cImm6(0, 8+g.creg(), g.smallImm()))
		case 1:
			g.h(cMV(8+g.creg(), 8+g.creg()))
		case 2:
			g.h(cADD(8+g.creg(), 8+g.creg()))
		case 3:
			g.w(iType(0x13, 7, g.reg(), g.reg(), int32(1<<g.r.n(12)-1))) // andi
		case 4:
			g.w(iType(0x13, uint32(1+4*g.r.n(2)), g.reg(), g.reg(), int32(g.r.n(32)))) // slli / srli
		default:
			g.w(rType(0, uint32([]int{0, 4, 6, 7}[g.r.n(4)]), g.reg(), g.reg(), g.reg()))
		}
	case 5: // peripheral register access: lui a5, base; lw/sw off(a5)
		base := uint32(0x40000 + g.r.n(8)*0x100 + g.r.n(4))
		g.w(base<<12 | rA5<<7 | 0x37)
		if g.r.pct(50) {
			g.w(iType(0x03, 2, rA4(), rA5, int32(g.fieldOff(64))))
			g.w(iType(0x13, 6, rA4(), rA4(), int32(1<<g.r.n(11)))) // ori
		}
		g.w(sType(2, rA5, rA4(), int32(g.fieldOff(64))))
	case 6: // global variable: lui + lw/addi (RAM at 0xA00000)
		hi := uint32(0xA00 + g.r.n(64))
		rd := g.reg()
		g.w(hi<<12 | rd<<7 | 0x37)
		g.w(iType(0x03, 2, g.reg(), rd, int32(g.r.n(4096))-2048&^3))
	case 7: // load immediate: li / c.li
		if g.r.pct(60) {
			g.h(cImm6(2, 8+g.creg(), g.smallImm()))
		} else {
			g.w(iType(0x13, 0, g.reg(), rZero, int32(g.r.n(4096))-2048))
		}
	case 8: // a short loop: addi; bne back
		r := 8 + g.creg()
		g.h(cImm6(0, r, 1+int32(g.r.n(4))))
		g.w(bType(1, r, 8+g.creg(), -int32(2*(2+g.r.n(10)))))
	default: // jump forward / error return
		if g.r.pct(50) {
			g.h(cJ(int32(2 * (2 + g.r.n(60)))))
		} else {
			g.h(cImm6(2, rA0, -1))
			g.h(cJ(int32(2 * (2 + g.r.n(30)))))
		}
	}
}

func rA4() uint32 { return 14 }

// --- read-only data ---------------------------------------------------

var rodataWords = []string{
	"upg", "flash", "partition", "image", "failed", "error", "ret", "0x%x", "%d", "%s", "[UPG]", "\r\n",
	"erase", "write", "read", "verify", "hash", "nv", "boot", "app", "init", "start", "size", "addr",
	"len", "offset", "key", "sign", "check", "lzma", "decompress", "wifi", "sta", "connect", "mac",
	"sock", "timer", "irq", "uart", "gpio", "task", "queue", "mutex", "malloc", "free", "ok", "invalid",
	"param", "status", "flag", "version", "efuse", "reset", "percent", "success", "fota", "buf", "null",
}

func (g *gen) rodata(b []byte) {
	i := 0
	for i < len(b) {
		if g.r.pct(55) {
			i += g.str(b[i:])
		} else {
			i += g.table(b[i:])
		}
	}
}

// str writes a NUL-terminated message padded to 4 bytes.
func (g *gen) str(b []byte) int {
	var s []byte
	for range 2 + g.r.n(6) {
		if len(s) > 0 {
			s = append(s, ' ')
		}
		s = append(s, rodataWords[g.r.n(len(rodataWords))]...)
		if g.r.pct(15) {
			s = append(s, ':')
		}
	}
	s = append(s, 0)
	for len(s)%4 != 0 {
		s = append(s, 0)
	}
	return copy(b, s)
}

// table writes a constant table: function pointers, offsets or bytes.
func (g *gen) table(b []byte) int {
	n := 4 + g.r.n(24)
	var s []byte
	switch g.r.n(3) {
	case 0:
		for range n {
			s = binary.LittleEndian.AppendUint32(s, g.funcs[g.r.n(len(g.funcs))])
		}
	case 1:
		v := uint32(g.r.n(256))
		step := uint32(1 + g.r.n(64))
		for range n {
			s = binary.LittleEndian.AppendUint32(s, v)
			v += step + uint32(g.r.n(4))
		}
	default:
		for range n * 4 {
			s = append(s, byte(g.r.n(32)))
		}
	}
	return copy(b, s)
}
