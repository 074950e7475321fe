package flash

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Geometry.
const (
	Size       = 4 << 20 // 4 MiB
	SectorSize = 4096
	PageSize   = 256
	NumSectors = Size / SectorSize

	// MaxProgram is the most bytes one program command carries: the SFC
	// controller's 64-byte data buffer (hal_sfc_v150.c), which is how the
	// WS63 driver splits every write.
	MaxProgram = 64

	// Block erase sizes of the GD25Q32 (commands 20h, 52h, D8h).
	Block4K  = 4 << 10
	Block32K = 32 << 10
	Block64K = 64 << 10

	// Erased is the value of every byte of an erased sector.
	Erased = 0xFF
)

// Copy-on-write layout: the array is 32 chunks of 32 sectors. A snapshot
// copies the 32 chunk pointers; the first write to a chunk after a snapshot
// copies that chunk's 32 sector pointers and wear counters, and the first
// write to a sector copies its 4 KiB.
const (
	chunkShift   = 5
	chunkSectors = 1 << chunkShift // sectors per chunk
	numChunks    = NumSectors / chunkSectors
)

type sector = [SectorSize]byte

// chunk is immutable once it is shared (referenced by a snapshot or not
// marked owned by the device holding it).
type chunk struct {
	sec  [chunkSectors]*sector
	wear [chunkSectors]uint32 // erase cycles per sector
}

// erasedSector and erasedChunk are shared by every device and never written.
var (
	erasedSector = func() *sector {
		var s sector
		for i := range s {
			s[i] = Erased
		}
		return &s
	}()
	erasedChunk = func() *chunk {
		var c chunk
		for i := range c.sec {
			c.sec[i] = erasedSector
		}
		return &c
	}()
)

// Device is a simulated 4 MiB SPI NOR flash. See the package documentation
// for the contract. A Device is not safe for concurrent use; Snapshots are.
// The zero Device is not usable: call New.
type Device struct {
	chunks     [numChunks]*chunk
	chunkOwned [numChunks]bool  // chunk written by nobody else: may be modified in place
	secOwned   [NumSectors]bool // sector array written by nobody else (implies its chunk is owned)

	ops     uint64
	elapsed time.Duration
	readRem int64 // remainder of read time, in ns·bytes/s, so reads never drift
	phase   string
	off     bool

	timing Timing

	// Faults and instrumentation: not part of snapshots.
	cutArmed bool
	cutAt    uint64
	cutTear  Tear
	bad      [NumSectors]bool
	nbad     int
	failProg map[uint64]bool
	timeout  map[uint64]bool       // TimeoutAt: ops of any kind
	worn     map[uint32][]stuckBit // SetWornSector (worn.go), by sector
	hook     func(Op)
	tap      func(Op)
	logging  bool
	log      []Op
	wantBuf  [PageSize]byte // scratch for TearBits on a program

	// free holds sector arrays this device owned when a Restore dropped
	// them: nothing else references an owned sector (Snapshot disowns
	// everything), so they are reused instead of allocated.
	free []*sector
	// pokes counts content changes that are not ops (FlipBit, Restore).
	pokes uint64
	// pcache, when set, shares the results of bulk programs
	// (SetProgramCache).
	pcache *ProgramCache
}

// maxFree bounds the recycled sectors a device keeps (8 MiB).
const maxFree = 2048

// New returns a device with every byte 0xFF, no wear, powered on, with
// DefaultTiming. It allocates no sector memory until the first write.
func New() *Device {
	d := &Device{timing: DefaultTiming()}
	for i := range d.chunks {
		d.chunks[i] = erasedChunk
	}
	return d
}

// sectorAt returns the sector for reading.
func (d *Device) sectorAt(s uint32) *sector {
	return d.chunks[s>>chunkShift].sec[s&(chunkSectors-1)]
}

// ownChunk makes chunk c private to d and returns it.
func (d *Device) ownChunk(c uint32) *chunk {
	if !d.chunkOwned[c] {
		cp := *d.chunks[c]
		d.chunks[c] = &cp
		d.chunkOwned[c] = true
	}
	return d.chunks[c]
}

// writable returns sector s for writing, copying it first if shared.
func (d *Device) writable(s uint32) *sector {
	if !d.secOwned[s] {
		old := d.sectorAt(s)
		cp := d.fresh(s)
		*cp = *old
		return cp
	}
	return d.sectorAt(s)
}

// fresh installs an owned sector array at s and returns it; its contents
// are whatever a recycled array held: the caller fills all of it.
func (d *Device) fresh(s uint32) *sector {
	c := d.ownChunk(s >> chunkShift)
	var cp *sector
	if n := len(d.free); n > 0 {
		cp, d.free = d.free[n-1], d.free[:n-1]
	} else {
		cp = new(sector)
	}
	c.sec[s&(chunkSectors-1)] = cp
	d.secOwned[s] = true
	return cp
}

// recycle moves the sectors the device owns to its free list; the caller
// then drops them from the array.
func (d *Device) recycle() {
	for s := range uint32(NumSectors) {
		if d.secOwned[s] && len(d.free) < maxFree {
			d.free = append(d.free, d.chunks[s>>chunkShift].sec[s&(chunkSectors-1)])
		}
	}
}

// disown forgets every ownership mark: everything becomes shared.
func (d *Device) disown() {
	clear(d.chunkOwned[:])
	clear(d.secOwned[:])
}

// ---- reads ----

// ReadAt implements io.ReaderAt over the 4 MiB array. Reads are not cut
// points. Reading past the end returns the bytes up to the end and io.EOF;
// a negative offset returns ErrOutOfRange; a powered-off device returns
// 0, ErrPowerOff. Reads add to Elapsed at ReadBytesPerSecond.
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	if d.off {
		return 0, ErrPowerOff
	}
	if off < 0 {
		return 0, fmt.Errorf("%w: read at offset %d", ErrOutOfRange, off)
	}
	if off >= Size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if rest := Size - off; int64(n) > rest {
		n, err = int(rest), io.EOF
	}
	d.copyOut(p[:n], uint32(off))
	d.addRead(n)
	return n, err
}

// Read reads exactly len(p) bytes at addr. It returns ErrOutOfRange (and
// reads nothing) if the range spills past Size, ErrPowerOff when off.
func (d *Device) Read(addr uint32, p []byte) error {
	if d.off {
		return ErrPowerOff
	}
	if uint64(addr)+uint64(len(p)) > Size {
		return fmt.Errorf("%w: read 0x%06x+%d", ErrOutOfRange, addr, len(p))
	}
	d.copyOut(p, addr)
	d.addRead(len(p))
	return nil
}

func (d *Device) copyOut(p []byte, addr uint32) {
	for len(p) > 0 {
		s := d.sectorAt(addr / SectorSize)
		n := copy(p, s[addr%SectorSize:])
		p = p[n:]
		addr += uint32(n)
	}
}

func (d *Device) addRead(n int) {
	rate := d.timing.ReadBytesPerSecond
	if rate <= 0 || n == 0 {
		return
	}
	num := int64(n)*int64(time.Second) + d.readRem
	d.elapsed += time.Duration(num / rate)
	d.readRem = num % rate
}

// ---- operations ----

// Program ANDs data into the array at addr (NOR program can only clear
// bits: new = old AND data). A data of at most MaxProgram bytes that stays
// within one 256-byte page is one program command, one op. A longer data
// is split as the SFC HAL splits a write (hal_sfc_reg_write): a first
// command up to the next 64-byte boundary, then commands of 64 bytes,
// issued in ascending order. Program stops at the first op that fails and
// returns its error (ErrPowerOff for a cut, or an error wrapping
// ErrBadSector / ErrProgramFailed). A range spilling past Size returns
// ErrOutOfRange before any op. An empty data issues no op.
func (d *Device) Program(addr uint32, data []byte) error {
	if d.off {
		return ErrPowerOff
	}
	if uint64(addr)+uint64(len(data)) > Size {
		return fmt.Errorf("%w: program 0x%06x+%d", ErrOutOfRange, addr, len(data))
	}
	if len(data) == 0 {
		return nil
	}
	if len(data) <= MaxProgram && addr/PageSize == (addr+uint32(len(data))-1)/PageSize {
		return d.programOp(addr, data)
	}
	if d.quiet() {
		// Nothing observes or refuses the commands one by one (no hook,
		// tap, log, fault, and no cut among them): apply them at once.
		// Contents, op counter and clock come out as issuing each would.
		n, cost := d.splitCost(addr, len(data))
		if !d.cutArmed || d.cutAt < d.ops || d.cutAt >= d.ops+n {
			for len(data) > 0 {
				k := min(SectorSize-int(addr%SectorSize), len(data))
				d.andInto(addr, data[:k], true)
				addr += uint32(k)
				data = data[k:]
			}
			d.ops += n
			d.elapsed += cost
			return nil
		}
	}
	for len(data) > 0 {
		n := min(MaxProgram-int(addr%MaxProgram), len(data))
		if err := d.programOp(addr, data[:n]); err != nil {
			return err
		}
		addr += uint32(n)
		data = data[n:]
	}
	return nil
}

// quiet reports whether the ops of a call need not be issued one by one:
// no hook, tap or log sees them and no fault can refuse one.
func (d *Device) quiet() bool {
	return d.hook == nil && d.tap == nil && !d.logging && !d.HasFaults()
}

// splitCost returns how many program commands Program splits n bytes at
// addr into (n > MaxProgram or crossing a page), and their total time.
func (d *Device) splitCost(addr uint32, n int) (uint64, time.Duration) {
	first := min(MaxProgram-int(addr%MaxProgram), n)
	full, tail := (n-first)/MaxProgram, (n-first)%MaxProgram
	ops := uint64(1 + full)
	cost := d.timing.program(first) + time.Duration(full)*d.timing.program(MaxProgram)
	if tail > 0 {
		ops++
		cost += d.timing.program(tail)
	}
	return ops, cost
}

// Erase erases the 4 KiB sector at addr to 0xFF (one op): EraseBlock(addr,
// Block4K).
func (d *Device) Erase(addr uint32) error {
	return d.EraseBlock(addr, Block4K)
}

// EraseBlock is one block-erase command: size is Block4K, Block32K or
// Block64K and addr is aligned to it (ErrMisaligned otherwise) and below
// Size (ErrOutOfRange); both are checked before the op is issued. Every
// sector of the block is set to 0xFF and counts one erase cycle.
func (d *Device) EraseBlock(addr, size uint32) error {
	if d.off {
		return ErrPowerOff
	}
	if size != Block4K && size != Block32K && size != Block64K {
		return fmt.Errorf("%w: erase block of %d bytes (want 4096, 32768 or 65536)", ErrMisaligned, size)
	}
	if uint64(addr)+uint64(size) > Size {
		return fmt.Errorf("%w: erase 0x%06x+%d", ErrOutOfRange, addr, size)
	}
	if addr%size != 0 {
		return fmt.Errorf("%w: erase 0x%06x+%d", ErrMisaligned, addr, size)
	}
	return d.eraseOp(addr, size)
}

// EraseRange erases n bytes from addr with the fewest block commands, as
// the SFC driver's greedy plan does (uapi_sfc_reg_erase): at each address
// the largest of 64 KiB, 32 KiB and 4 KiB that is aligned there and fits
// in what remains, in ascending order, stopping at the first op that
// fails. addr and n must be sector aligned and addr+n ≤ Size; these are
// checked before any op. n == 0 issues no op.
func (d *Device) EraseRange(addr, n uint32) error {
	if d.off {
		return ErrPowerOff
	}
	if uint64(addr)+uint64(n) > Size {
		return fmt.Errorf("%w: erase 0x%06x+%d", ErrOutOfRange, addr, n)
	}
	if addr%SectorSize != 0 || n%SectorSize != 0 {
		return fmt.Errorf("%w: erase 0x%06x+%d", ErrMisaligned, addr, n)
	}
	for n > 0 {
		size := GreedyBlock(addr, n)
		if err := d.eraseOp(addr, size); err != nil {
			return err
		}
		addr += size
		n -= size
	}
	return nil
}

// GreedyBlock returns the block erase the SFC driver's greedy plan issues
// at addr with rest bytes left to erase (both sector aligned, rest > 0):
// the largest of Block64K, Block32K and Block4K aligned at addr and not
// above rest.
func GreedyBlock(addr, rest uint32) uint32 {
	for _, size := range [...]uint32{Block64K, Block32K} {
		if rest >= size && addr%size == 0 {
			return size
		}
	}
	return Block4K
}

// issue counts op, calls the hook and logs it. It reports false when the
// op is cut (the device is then off and the op has been torn).
func (d *Device) issue(op Op) bool {
	if d.hook != nil {
		d.hook(op)
	}
	if d.tap != nil {
		d.tap(op)
	}
	d.ops++
	if d.logging {
		d.logOp(op)
	}
	if d.off { // the hook called CutNow
		return false
	}
	if d.cutArmed && d.cutAt == op.Index {
		d.cutArmed = false
		d.applyTear(op, d.cutTear)
		return false
	}
	return true
}

// logOp appends op, without its Data, to the log.
func (d *Device) logOp(op Op) {
	op.Data = nil
	d.log = append(d.log, op)
}

// faulted returns the injected fault that makes op change nothing, or nil.
func (d *Device) faulted(op Op) error {
	if d.nbad > 0 {
		n := max(op.Len, 1)
		for sec := op.Addr / SectorSize; sec <= (op.Addr+n-1)/SectorSize; sec++ {
			if d.bad[sec] {
				return ErrBadSector
			}
		}
	}
	if op.Kind == OpProgram && len(d.failProg) > 0 && d.failProg[op.Index] {
		return ErrProgramFailed
	}
	if len(d.timeout) > 0 && d.timeout[op.Index] {
		return ErrTimeout
	}
	return nil
}

func (d *Device) programOp(addr uint32, p []byte) error {
	op := Op{Index: d.ops, Kind: OpProgram, Addr: addr, Len: uint32(len(p)), Phase: d.phase, Data: p}
	if !d.issue(op) {
		return ErrPowerOff
	}
	if err := d.faulted(op); err != nil {
		return opError(err, op)
	}
	d.elapsed += d.timing.program(len(p))
	d.andInto(addr, p, d.pcache != nil && d.quiet())
	d.stick(addr, uint32(len(p)))
	return nil
}

// andInto ANDs p into the array at addr; p lies within one sector. cache
// lets the program cache (SetProgramCache) share the result: for programs
// issued while nothing observes them one by one (quiet), not for torn ops
// or ops redone by RestoreRedo, whose one-off states would only fill it.
func (d *Device) andInto(addr uint32, p []byte, cache bool) {
	s, off := addr/SectorSize, addr%SectorSize
	end := off + uint32(len(p))
	if !d.secOwned[s] {
		cur := d.sectorAt(s)
		if !clears(cur[off:end], p) {
			return // nothing would change: do not copy a shared sector
		}
		if cache && d.pcache != nil && (len(p) >= progCacheMin || len(p) <= progCacheWord) {
			if r := d.pcache.lookup(cur, off, p); r != nil {
				d.ownChunk(s >> chunkShift).sec[s&(chunkSectors-1)] = r // shared: not owned
				return
			}
		}
		if cur == erasedSector {
			// ANDed into 0xFF the data is itself: copy it into a fresh
			// array instead of copying the erased one and ANDing.
			dst := d.fresh(s)
			copy(dst[:off], erasedSector[:off])
			copy(dst[off:end], p)
			copy(dst[end:], erasedSector[end:])
			return
		}
	}
	andBytes(d.writable(s)[off:end], p)
}

// andBytes ANDs p into dst (as long as p).
func andBytes(dst, p []byte) {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := binary.LittleEndian.Uint64(dst[i:]) & binary.LittleEndian.Uint64(p[i:])
		binary.LittleEndian.PutUint64(dst[i:], v)
	}
	for ; i < len(p); i++ {
		dst[i] &= p[i]
	}
}

// clears reports whether ANDing p into cur clears at least one bit.
func clears(cur, p []byte) bool {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		c := binary.LittleEndian.Uint64(cur[i:])
		if c&^binary.LittleEndian.Uint64(p[i:]) != 0 {
			return true
		}
	}
	for ; i < len(p); i++ {
		if cur[i]&^p[i] != 0 {
			return true
		}
	}
	return false
}

func (d *Device) eraseOp(addr, size uint32) error {
	op := Op{Index: d.ops, Kind: OpErase, Addr: addr, Len: size, Phase: d.phase}
	if !d.issue(op) {
		return ErrPowerOff
	}
	if err := d.faulted(op); err != nil {
		return opError(err, op)
	}
	d.elapsed += d.timing.erase(size)
	for s := addr / SectorSize; s < (addr+size)/SectorSize; s++ {
		d.eraseSector(s)
	}
	d.stick(addr, size)
	return nil
}

// eraseSector sets sector s to 0xFF and counts one erase cycle.
func (d *Device) eraseSector(s uint32) {
	c := d.ownChunk(s >> chunkShift)
	i := s & (chunkSectors - 1)
	c.wear[i]++
	if d.secOwned[s] {
		*c.sec[i] = *erasedSector // in place: no allocation
		return
	}
	c.sec[i] = erasedSector // shared, never written
}

// ---- tearing ----

// applyTear powers the device off and applies op as torn by t. Faults
// (bad sector, program failure, timeout) win: the op timed out, so nothing is
// applied whatever the tear; a worn sector keeps its stuck bits after a
// torn op that changed it. An unknown tear kind behaves as TearBefore.
func (d *Device) applyTear(op Op, t Tear) {
	d.off = true
	if d.faulted(op) != nil {
		return
	}
	switch t.Kind {
	case TearAfter, TearPrefix, TearBits:
	default:
		return
	}
	defer d.stick(op.Addr, op.Len) // a worn sector's stuck bits (worn.go)
	s := op.Addr / SectorSize
	switch op.Kind {
	case OpProgram:
		d.elapsed += d.timing.program(len(op.Data))
		p := op.Data
		switch t.Kind {
		case TearAfter:
			d.andInto(op.Addr, p, false)
		case TearPrefix:
			d.andInto(op.Addr, p[:min(max(t.K, 0), len(p))], false)
		case TearBits:
			off := op.Addr % SectorSize
			cur := d.sectorAt(s)[off : off+uint32(len(p))]
			if !clears(cur, p) {
				return
			}
			want := d.wantBuf[:len(p)]
			for i := range p {
				want[i] = cur[i] & p[i]
			}
			tearBits(d.writable(s)[off:off+uint32(len(p))], want, tearRand(t.Seed, op.Index))
		}
	case OpErase:
		d.elapsed += d.timing.erase(op.Len)
		d.tearErase(op, t)
	}
}

// tearErase applies a torn block erase (after, prefix or bits). Every
// sector of the block counts one erase cycle: the erase pulse reached all
// of them, whatever it finished.
func (d *Device) tearErase(op Op, t Tear) {
	first, n := op.Addr/SectorSize, op.Len/SectorSize
	switch t.Kind {
	case TearAfter:
		for s := first; s < first+n; s++ {
			d.eraseSector(s)
		}
		return
	case TearPrefix:
		k := uint32(min(max(t.K, 0), int(op.Len)))
		for s := first; s < first+n; s++ {
			done := min(k-min(k, (s-first)*SectorSize), SectorSize) // bytes of s inside the prefix
			if done == SectorSize {
				d.eraseSector(s)
				continue
			}
			d.ownChunk(s >> chunkShift).wear[s&(chunkSectors-1)]++
			if done == 0 {
				continue
			}
			sec := d.writable(s)
			for i := range done {
				sec[i] = Erased
			}
		}
		return
	}
	// TearBits: a random subset of the block's 0 bits go to 1, drawn over
	// the whole block so that, when at least two bits are 0, the block is
	// neither its old contents nor erased.
	for s := first; s < first+n; s++ {
		d.ownChunk(s >> chunkShift).wear[s&(chunkSectors-1)]++
	}
	buf := make([]byte, op.Len)
	d.copyOut(buf, op.Addr)
	want := erasedSector[:]
	if n > 1 {
		want = make([]byte, op.Len)
		for i := range want {
			want[i] = Erased
		}
	}
	if bytes.Equal(buf, want) {
		return
	}
	tearBits(buf, want, tearRand(t.Seed, op.Index))
	for s := first; s < first+n; s++ {
		part := buf[(s-first)*SectorSize : (s-first+1)*SectorSize]
		if !bytes.Equal(part, d.sectorAt(s)[:]) {
			copy(d.writable(s)[:], part)
		}
	}
}

// ApplyTorn applies op (with op.Data for a program) as torn by t, then
// powers the device off. It gives bit-identical contents, wear, op counter
// (op.Index+1), elapsed time and log to arming CutAt(op.Index, t) and
// issuing that op, except that the hook is not called. Sweeps use it after
// Restore-ing the snapshot taken (in the hook) just before op.
//
// If the device is already off, or op is not valid (Op.Validate), nothing
// changes except that the device is off.
func (d *Device) ApplyTorn(op Op, t Tear) {
	if d.off || op.Validate() != nil {
		d.off = true
		return
	}
	d.ops = op.Index + 1
	if d.logging {
		d.logOp(op)
	}
	d.applyTear(op, t)
}

// ---- power and faults ----

// CutAt arms a power cut: the op whose Index == n is torn by t, returns
// ErrPowerOff, and the device stays off. The cut disarms when it fires. An
// n below OpCount never fires. Arming again replaces the previous cut.
func (d *Device) CutAt(n uint64, t Tear) {
	d.cutArmed, d.cutAt, d.cutTear = true, n, t
}

// ArmedCut returns the operation number of an armed cut that can still
// fire (it is not below OpCount).
func (d *Device) ArmedCut() (uint64, bool) {
	if !d.cutArmed || d.cutAt < d.ops {
		return 0, false
	}
	return d.cutAt, true
}

// CutNow powers the device off at once; no op is torn.
func (d *Device) CutNow() {
	d.off = true
	d.cutArmed = false
}

// Off reports whether the device is powered off.
func (d *Device) Off() bool { return d.off }

// PowerOn makes the device usable again. Contents, wear, op counter,
// elapsed time, bad and worn sectors, program failures, timeouts, hook and log persist, and so
// does an armed cut that has not fired yet: a cut is armed at an operation
// number, whatever happens before it (ClearFaults disarms it).
func (d *Device) PowerOn() {
	d.off = false
}

// SetBadSector marks (or clears) the sector holding addr as bad: an erase or
// program touching it is counted as an op but returns ErrBadSector (a
// not-ready timeout, ErrTimeout) and changes nothing. SetWornSector is the
// silent kind. Addresses at or beyond Size are ignored.
func (d *Device) SetBadSector(addr uint32, bad bool) {
	if addr >= Size {
		return
	}
	s := addr / SectorSize
	if d.bad[s] != bad {
		d.bad[s] = bad
		if bad {
			d.nbad++
		} else {
			d.nbad--
		}
	}
}

// BadSector reports whether the sector holding addr is marked bad.
func (d *Device) BadSector(addr uint32) bool {
	return addr < Size && d.bad[addr/SectorSize]
}

// FailProgramAt makes the program op with Index n return ErrProgramFailed
// and change nothing. It stays armed (after a Restore the same op fails
// again); an erase op with that Index is not affected.
func (d *Device) FailProgramAt(n uint64) {
	if d.failProg == nil {
		d.failProg = make(map[uint64]bool)
	}
	d.failProg[n] = true
}

// TimeoutAt makes the op with Index n, erase or program, return ErrTimeout
// and change nothing: the driver's wait for the chip to be ready timed out
// (ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY). It stays armed, as FailProgramAt.
func (d *Device) TimeoutAt(n uint64) {
	if d.timeout == nil {
		d.timeout = make(map[uint64]bool)
	}
	d.timeout[n] = true
}

// ClearFaults removes bad and worn sectors, program failures, timeouts and an armed cut. It
// does not power the device on.
func (d *Device) ClearFaults() {
	clear(d.bad[:])
	d.nbad = 0
	d.failProg = nil
	d.timeout = nil
	d.worn = nil
	d.cutArmed = false
}

// FlipBit inverts one bit at once (a disturb error). It is not an op: it is
// not counted, not logged, not cut, costs no time and works while off.
func (d *Device) FlipBit(addr uint32, bit uint) error {
	if addr >= Size {
		return fmt.Errorf("%w: flip bit at 0x%06x", ErrOutOfRange, addr)
	}
	if bit > 7 {
		return fmt.Errorf("%w: flip bit %d at 0x%06x", ErrBadBit, bit, addr)
	}
	d.writable(addr / SectorSize)[addr%SectorSize] ^= 1 << bit
	d.pokes++
	return nil
}

// ---- instrumentation ----

// SetPhase sets the label recorded in every following op.
func (d *Device) SetPhase(label string) { d.phase = label }

// Phase returns the current phase label.
func (d *Device) Phase() string { return d.phase }

// OpCount returns the number of ops issued so far, which is the next op's
// Index.
func (d *Device) OpCount() uint64 { return d.ops }

// SetLogging turns the op log on or off. Turning it off keeps the entries.
func (d *Device) SetLogging(on bool) { d.logging = on }

// Log returns a copy of the logged ops (with Data nil).
func (d *Device) Log() []Op {
	if len(d.log) == 0 {
		return nil
	}
	return append([]Op(nil), d.log...)
}

// ResetLog empties the log.
func (d *Device) ResetLog() { d.log = d.log[:0] }

// SetHook sets a function called for every op before it is applied (even
// when it will be cut or fail), with Data set; nil disables it. When the
// hook runs, OpCount() == op.Index and the contents are those before the op,
// so a Snapshot taken in the hook is the state the op starts from. The hook
// may take snapshots, read, and arm a cut (CutAt(op.Index, …) tears this
// very op; CutNow cuts it as TearBefore), but must not issue ops. op.Data
// aliases the caller's buffer: copy it to keep it.
func (d *Device) SetHook(h func(op Op)) { d.hook = h }

// SetTap sets a function that observes every op as it is issued, right
// after the hook, with Data set (nil disables it). It is for recording
// (ws63emu --ops), independent of the hook the sweeps and replays use:
// it must not change the device. The op a cut tears is observed too (the
// chip received it). op.Data aliases the caller's buffer.
func (d *Device) SetTap(t func(op Op)) { d.tap = t }

// EraseCount returns the erase cycles of sector i (0 ≤ i < NumSectors),
// or 0 for an out-of-range index.
func (d *Device) EraseCount(i int) uint32 {
	if i < 0 || i >= NumSectors {
		return 0
	}
	return d.chunks[i>>chunkShift].wear[i&(chunkSectors-1)]
}

// Elapsed returns the simulated time consumed by ops and reads so far.
func (d *Device) Elapsed() time.Duration { return d.elapsed }

// SetTiming sets the cost model; negative costs are treated as zero.
func (d *Device) SetTiming(t Timing) { d.timing = t.validate() }

// Timing returns the cost model.
func (d *Device) Timing() Timing { return d.timing }

// ---- whole-array views (not device reads: no power check, no time) ----

// Bytes returns a copy of the whole contents. It works while off and costs
// no simulated time.
func (d *Device) Bytes() []byte {
	b := make([]byte, Size)
	for i := range NumSectors {
		copy(b[i*SectorSize:], d.sectorAt(uint32(i))[:])
	}
	return b
}

// Hash returns the SHA-256 of the whole contents. Like Bytes it works
// while off and costs no simulated time.
func (d *Device) Hash() [32]byte {
	return hashChunks(&d.chunks)
}

func hashChunks(cs *[numChunks]*chunk) [32]byte {
	h := sha256.New()
	for _, c := range cs {
		for _, s := range c.sec {
			h.Write(s[:])
		}
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// Check verifies the copy-on-write bookkeeping: every sector is present,
// a sector owned by the device lies in a chunk it owns, and the shared
// erased sector is still all 0xFF. Tests call it after using a device.
func (d *Device) Check() error {
	for c, ch := range d.chunks {
		if ch == nil {
			return fmt.Errorf("flash: check: chunk %d missing", c)
		}
		for i, s := range ch.sec {
			n := c*chunkSectors + i
			if s == nil {
				return fmt.Errorf("flash: check: sector %d missing", n)
			}
			if d.secOwned[n] && !d.chunkOwned[c] {
				return fmt.Errorf("flash: check: sector %d owned in a shared chunk", n)
			}
			if d.secOwned[n] && s == erasedSector {
				return fmt.Errorf("flash: check: sector %d owns the shared erased sector", n)
			}
		}
	}
	for i, b := range erasedSector {
		if b != Erased {
			return fmt.Errorf("flash: check: shared erased sector written at %d", i)
		}
	}
	if ch := erasedChunk; ch.wear != [chunkSectors]uint32{} {
		return fmt.Errorf("flash: check: shared erased chunk wear written")
	}
	return nil
}
