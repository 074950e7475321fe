package sdkengine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/upg"
)

// Message kinds; they must agree with csrc/shim.c.
const (
	kResult  = 1
	kProgram = 2
	kErase   = 3
	kECDSA   = 4
	kPrint   = 5
	kReboot  = 6
	kFatal   = 7
	// kProgramDone and kEraseDone report an operation the child has
	// already applied to the shared flash itself (within the budget the
	// call gave it, flash.Device.Quiet): no acknowledgement.
	kProgramDone = 8
	kEraseDone   = 9
	kUserVerify  = 10 // payload = the info area's user-defined field; reply: errcode
	kData        = 11 // payload = the next bytes an fRead call read, before its result

	fInit         = 1
	fStorageSize  = 2
	fPrepare      = 3
	fWrite        = 4
	fRequest      = 5
	fStart        = 6
	fResetFlag    = 7
	fVerifyStored = 8
	fResult       = 9
	fExit         = 10
	fUserVerify   = 11 // a = 1: register the shim's check (calls kUserVerify), 0: none
	fWriteAsync   = 12 // as fWrite through uapi_upg_write_package_async; extra: 1 + the callback's errcode, 0 if it did not run
	fRead         = 13 // a = offset, payload = length (LE32): uapi_upg_read_package; the bytes come as kData
	fBoot         = 14 // power-on: the child resets the vendor's state and runs board start-up
	fAck          = 100
)

// The call header's budget field (csrc/shim.c).
const (
	budgetMax = 1<<32 - 1
)

// sfcTimeout is ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY, what the SFC driver
// reports when the chip does not come back: the shim's answer to a chip
// command the flash model refused (a driver fault).
const sfcTimeout = 0x80001344

// mirror is what the engine needs of the flash beyond upg.Flash: raw
// reads that are not device reads, to keep the child's mapping equal to
// the model, and the operation counter, to know when it must resync.
type mirror interface {
	Peek(addr uint32, p []byte)
	OpCount() uint64
}

// quieter is a flash that says how many next operations are plain NOR
// (flash.Device.Quiet).
type quieter interface{ Quiet() uint64 }

// chipper is a driver-level flash (the emulator's sfc.Driver) that can
// hand over the chip below it.
type chipper interface{ Chip() upg.Flash }

// blockEraser is a flash that erases a 4, 32 or 64 KiB block as one
// operation (flash.Device.EraseBlock).
type blockEraser interface {
	EraseBlock(addr, size uint32) error
}

// session is one program's instance of the vendor library: a child
// process for one boot.
type session struct {
	prog   string
	f      upg.Flash
	m      mirror
	blocks blockEraser // the chip's block erase, one command
	print  func(string)
	phase  func(string)

	*child
	procs  *procPool
	mem    []byte // the shared mapping of the flash
	fresh  bool   // mem was synced when the session started and no call ran since
	synced uint64 // the flash's op count when mem was last made equal to it
	lastFn uint32 // the previous call
	// roundTrips turns off the quiet budget (Options.RoundTrips).
	roundTrips bool

	cpu       func(upg.CPUWork, int) // the simulated clock's charge (upg.Hooks.CPU)
	userFn    upg.UserVerifyFunc
	userArg   any
	status    upg.Status
	lastPhase string
	line      []byte
	hdr       [16]byte
	data      []byte // the bytes the current call read (kData)
	inCall    bool   // a call is under way: the child is not between calls
	lease     *lease // lease.ended: the boot ended (closed, rebooted or killed)
}

// child is a process running one program's executable. It serves one boot
// after another (F_BOOT resets the vendor's state), so that a sweep does
// not pay a process start, its page tables and its first touches of the
// flash at every point.
type child struct {
	path   string
	cmd    *exec.Cmd
	w      *bufio.Writer
	r      *bufio.Reader
	stderr *bytes.Buffer
	shm    *shm // the flash file it maps, for as long as it lives
	buf    []byte
	exited bool
}

// start starts a child for the executable at path, with a shared flash
// file from pool.
func startChild(pool *shmPool, path string) (*child, error) {
	sh, err := pool.get()
	if err != nil {
		return nil, err
	}
	c := &child{path: path, shm: sh, stderr: new(bytes.Buffer)}
	cmd := exec.Command(path)
	cmd.ExtraFiles = []*os.File{sh.file} // fd 3
	cmd.Stderr = c.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		pool.put(sh)
		return nil, fmt.Errorf("sdkengine: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		pool.put(sh)
		return nil, fmt.Errorf("sdkengine: %w", err)
	}
	if err := cmd.Start(); err != nil {
		pool.put(sh)
		return nil, fmt.Errorf("sdkengine: start %s: %w", path, err)
	}
	c.cmd, c.w, c.r = cmd, bufio.NewWriterSize(in, 1<<16), bufio.NewReaderSize(out, 1<<16)
	return c, nil
}

// kill ends the process (if it has not ended by itself), reaps it and
// gives its flash file back; the error is Wait's.
func (c *child) kill(pool *shmPool) error {
	if c.exited {
		return nil
	}
	c.exited = true
	_ = c.cmd.Process.Kill()
	err := c.cmd.Wait()
	pool.put(c.shm)
	return err
}

// procPool keeps children between boots, by executable.
type procPool struct {
	shms   shmPool
	fresh  bool // Options.FreshProcesses: no child serves a second boot
	mu     sync.Mutex
	idle   map[string][]*child
	closed bool // closeIdle ran: children that end a boot are killed
}

// procPoolMax bounds the idle children kept per executable.
const procPoolMax = 8

// closeIdle ends the idle children.
func (p *procPool) closeIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, l := range idle {
		for _, c := range l {
			c.kill(&p.shms)
		}
	}
}

// get returns an idle child for path, or starts one.
func (p *procPool) get(path string) (*child, error) {
	p.mu.Lock()
	if l := p.idle[path]; len(l) > 0 {
		c := l[len(l)-1]
		p.idle[path] = l[:len(l)-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	return startChild(&p.shms, path)
}

// put takes back a child that waits for its next message between calls.
func (p *procPool) put(c *child) {
	if !p.fresh {
		p.mu.Lock()
		if p.idle == nil {
			p.idle = make(map[string][]*child)
		}
		if !p.closed && len(p.idle[c.path]) < procPoolMax {
			c.stderr.Reset()
			p.idle[c.path] = append(p.idle[c.path], c)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	c.kill(&p.shms)
}

func newSession(procs *procPool, path, prog string, f upg.Flash, print func(string), phase func(string)) (*session, error) {
	if c, ok := f.(chipper); ok {
		f = c.Chip() // the vendor's sfc.c is the driver: talk to the chip
	}
	m, ok := f.(mirror)
	if !ok {
		return nil, errors.New("sdkengine: the flash cannot be mirrored (no Peek/OpCount)")
	}
	blocks, ok := f.(blockEraser)
	if !ok {
		return nil, errors.New("sdkengine: the flash has no block erase command (EraseBlock)")
	}
	c, err := procs.get(path)
	if err != nil {
		return nil, err
	}
	s := &session{prog: prog, f: f, m: m, blocks: blocks, print: print, phase: phase, procs: procs, child: c, mem: c.shm.mem}
	// A session its program dropped without Close (a device thrown away
	// while its app ran) ends its process when it is collected.
	s.lease = &lease{c: c, procs: procs}
	runtime.AddCleanup(s, func(l *lease) {
		if !l.ended {
			l.c.kill(&l.procs.shms)
		}
	}, s.lease)
	// Power-on: the flash as the model has it, then the program's start.
	s.resync()
	s.exchange(fBoot, 0, 0, nil)
	return s, nil
}

// lease is a session's hold on its child, what the cleanup of an
// unclosed session needs (not the session itself): once the boot ended,
// the child may serve another session.
type lease struct {
	c     *child
	procs *procPool
	ended bool
}

// shm is a shared 4 MiB flash file and the parent's mapping of it.
type shm struct {
	file *os.File
	mem  []byte
}

// shmPool keeps the shared flash files of ended sessions for the next
// ones: a fresh file costs page faults on every first touch, a reused one
// only the copy of the flash.
type shmPool struct {
	mu   sync.Mutex
	free []*shm
}

const shmPoolMax = 8

func (p *shmPool) get() (*shm, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		sh := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return sh, nil
	}
	p.mu.Unlock()
	file, mem, err := sharedFlash()
	if err != nil {
		return nil, err
	}
	return &shm{file: file, mem: mem}, nil
}

// put takes back a file no process maps any more.
func (p *shmPool) put(sh *shm) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < shmPoolMax {
		p.free = append(p.free, sh)
		return
	}
	_ = syscall.Munmap(sh.mem)
	sh.file.Close()
}

// sharedFlash makes an unlinked 4 MiB file, in /dev/shm when there is
// one, and maps it read-write.
func sharedFlash() (*os.File, []byte, error) {
	dir := "/dev/shm"
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = os.TempDir()
	}
	file, err := os.CreateTemp(dir, "ws63emu-flash-")
	if err != nil {
		return nil, nil, fmt.Errorf("sdkengine: shared flash: %w", err)
	}
	os.Remove(file.Name())
	if err := file.Truncate(flash.Size); err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("sdkengine: shared flash: %w", err)
	}
	mem, err := syscall.Mmap(int(file.Fd()), 0, flash.Size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("sdkengine: shared flash: mmap: %w", err)
	}
	return file, mem, nil
}

// isWrite reports whether a call is one of the package writes, which
// continue one another without a resync.
func isWrite(fn uint32) bool { return fn == fWrite || fn == fWriteAsync }

// resync makes the mapping equal to the flash model.
func (s *session) resync() {
	s.m.Peek(0, s.mem)
	s.synced = s.m.OpCount()
	s.fresh = true
}

// Close ends the boot. A child between calls serves a later boot; one
// stopped inside a call (a power cut, an engine failure) is killed.
func (s *session) Close() error {
	if !s.lease.ended {
		s.lease.ended = true
		if s.inCall {
			s.kill(&s.procs.shms)
		} else {
			s.procs.put(s.child)
		}
	}
	return nil
}

// fail stops the engine: the process is killed and the program stopped
// with an upg.EngineError.
func (s *session) fail(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if t := strings.TrimSpace(s.stderr.String()); t != "" {
		msg += " (stderr: " + lastLine(t) + ")"
	}
	// The child is not trusted with another boot.
	s.inCall = true
	s.Close()
	panic(&upg.EngineError{Err: fmt.Errorf("%s %s: %s", s.prog, "sdk", msg)})
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (s *session) send(kind, a, b uint32, payload []byte) {
	binary.LittleEndian.PutUint32(s.hdr[0:], kind)
	binary.LittleEndian.PutUint32(s.hdr[4:], a)
	binary.LittleEndian.PutUint32(s.hdr[8:], b)
	binary.LittleEndian.PutUint32(s.hdr[12:], uint32(len(payload)))
	s.w.Write(s.hdr[:])
	s.w.Write(payload)
	if err := s.w.Flush(); err != nil {
		s.fail("send: %v", err)
	}
}

// recv reads one child message; its payload is valid until the next recv.
func (s *session) recv() (kind, a, b uint32, payload []byte) {
	if _, err := io.ReadFull(s.r, s.hdr[:]); err != nil {
		s.died(err)
	}
	kind = binary.LittleEndian.Uint32(s.hdr[0:])
	a = binary.LittleEndian.Uint32(s.hdr[4:])
	b = binary.LittleEndian.Uint32(s.hdr[8:])
	n := binary.LittleEndian.Uint32(s.hdr[12:])
	if n > 1<<16 {
		s.fail("protocol: message of %d bytes", n)
	}
	if cap(s.buf) < int(n) {
		s.buf = make([]byte, n, 1<<16)
	}
	payload = s.buf[:n]
	if _, err := io.ReadFull(s.r, payload); err != nil {
		s.died(err)
	}
	return
}

func (s *session) died(err error) {
	s.lease.ended = true
	werr := s.kill(&s.procs.shms)
	msg := fmt.Sprintf("%s sdk: the child process ended (%v; %v)", s.prog, err, werr)
	if t := strings.TrimSpace(s.stderr.String()); t != "" {
		msg += ": " + lastLine(t)
	}
	panic(&upg.EngineError{Err: errors.New(msg)})
}

// call runs one library call in the child, serving its flash, crypto and
// console requests until it returns.
func (s *session) call(fn, a uint32, payload []byte) (code, extra, extra2 uint32) {
	if s.lease.ended {
		s.fail("call after the boot ended")
	}
	// The mapping must equal the model before the vendor code reads it.
	// Operations issued by Go code since the last call show in the op
	// counter; faults injected between scenario commands (a bit flip) do
	// not, so every call but a write that continues a run of writes
	// resyncs in full (a 4 MiB copy).
	if s.m.OpCount() != s.synced || !(s.fresh || isWrite(fn) && isWrite(s.lastFn)) {
		s.resync()
	}
	s.fresh = false
	s.lastFn = fn
	// The quiet budget, in the flash model's operations.
	var budget uint32
	if q, ok := s.f.(quieter); ok && !s.roundTrips {
		budget = uint32(min(q.Quiet(), budgetMax))
	}
	return s.exchange(fn, a, budget, payload)
}

// exchange sends one call and serves the child's requests until its
// result.
func (s *session) exchange(fn, a, budget uint32, payload []byte) (code, extra, extra2 uint32) {
	s.inCall = true
	defer func() {
		if r := recover(); r != nil {
			// A power cut (or an engine failure) stops the program inside a
			// flash call: the child dies with it.
			s.Close()
			panic(r)
		}
	}()
	s.send(fn, a, budget, payload)
	s.data = s.data[:0]
	for {
		kind, ma, mb, p := s.recv()
		switch kind {
		case kResult:
			if len(p) >= 4 {
				extra2 = binary.LittleEndian.Uint32(p)
			}
			if len(p) >= 20 && s.cpu != nil {
				if n := binary.LittleEndian.Uint64(p[4:]); n > 0 {
					s.cpu(upg.CPUHash, int(n))
				}
				if n := binary.LittleEndian.Uint64(p[12:]); n > 0 {
					s.cpu(upg.CPUDecode, int(n))
				}
			}
			s.flushLine()
			s.inCall = false
			return ma, mb, extra2
		case kProgram:
			s.ack(s.chip(s.f.Program(ma, p), ma, uint32(len(p))))
		case kErase:
			s.ack(s.chip(s.blocks.EraseBlock(ma, mb), ma, mb))
		case kProgramDone:
			s.applied(s.f.Program(ma, p), ma)
		case kEraseDone:
			s.applied(s.blocks.EraseBlock(ma, mb), ma)
		case kUserVerify:
			s.ack(s.userVerify(p))
		case kData:
			if int(ma) != len(s.data) {
				s.fail("protocol: read data at %d, want %d", ma, len(s.data))
			}
			s.data = append(s.data, p...)
		case kECDSA:
			if s.cpu != nil {
				s.cpu(upg.CPUECDSA, 1)
			}
			s.ack(ecdsa(p))
		case kPrint:
			s.console(p)
		case kReboot:
			// The child is back in its call loop, waiting for a boot.
			s.flushLine()
			s.inCall = false
			s.Close()
			return uint32(upg.ErrcodeSucc), 0, 0
		case kFatal:
			s.fail("%s", p)
		default:
			s.fail("protocol: message kind %d", kind)
		}
	}
}

// chip finishes one chip command: the mapping follows the model over the
// range it touched, and the command's error becomes the driver's code.
func (s *session) chip(err error, addr, n uint32) uint32 {
	if uint64(addr)+uint64(n) <= flash.Size {
		s.m.Peek(addr, s.mem[addr:addr+n])
	}
	s.synced = s.m.OpCount()
	if err == nil {
		// A worn sector (flash.SetWornSector) takes the command and
		// leaves bits wrong: the SFC driver sees nothing.
		return 0
	}
	// Every fault the chip model returns is a not-ready timeout
	// (flash.ErrTimeout: a bad sector in mode=timeout, fault timeout,
	// fault program-fail): the one failure the SFC driver reports.
	return sfcTimeout
}

// applied accounts for an operation the child applied itself: the model
// must agree that it was a plain one.
func (s *session) applied(err error, addr uint32) {
	s.synced = s.m.OpCount()
	if err != nil {
		s.fail("operation at 0x%06x, applied within the quiet budget, failed in the flash model: %v", addr, err)
	}
}

func (s *session) ack(code uint32) { s.send(fAck, code, 0, nil) }

// ecdsa verifies x‖y‖hash‖r‖s; 0 is valid, ERRCODE_FAIL not.
func ecdsa(p []byte) uint32 {
	if len(p) != 160 {
		return uint32(upg.ErrcodeFail)
	}
	var pub [image.PublicKeyLen]byte
	var digest [32]byte
	var sig [image.SignatureLen]byte
	copy(pub[:], p[:64])
	copy(digest[:], p[64:96])
	copy(sig[:], p[96:160])
	if image.VerifyDigest(pub, digest, sig) {
		return 0
	}
	return uint32(upg.ErrcodeFail)
}

// console collects the child's UART output into lines.
func (s *session) console(p []byte) {
	for _, c := range p {
		if c == '\n' || c == '\r' {
			s.flushLine()
			continue
		}
		s.line = append(s.line, c)
	}
}

func (s *session) flushLine() {
	if len(s.line) > 0 {
		line := string(s.line)
		if s.print != nil {
			s.print(line)
		}
		s.phaseFromLog(line)
	}
	s.line = s.line[:0]
}

// imageLog is the line upg_process.c logs before it applies an image.
const imageLog = "[UPG] start perform update image : 0x"

// phaseFromLog labels the operations that follow the vendor's "start
// perform update image" log line with the image, as the Go model's phases
// do ("image app"); the line precedes the image's operations in the
// child's output.
func (s *session) phaseFromLog(line string) {
	rest, ok := strings.CutPrefix(line, imageLog)
	if !ok {
		return
	}
	id, err := strconv.ParseUint(strings.TrimSpace(rest), 16, 32)
	if err != nil {
		return
	}
	s.setPhase("image " + upg.ImageName(uint32(id)))
}

func errOf(code uint32) error {
	if code == uint32(upg.ErrcodeSucc) {
		return nil
	}
	return upg.Errcode(code)
}

// setPhase labels the flash operations of the calls that follow, once
// per change (as the Go model announces "store" once per package).
func (s *session) setPhase(name string) {
	if s.phase != nil && name != s.lastPhase {
		s.lastPhase = name
		s.phase(name)
	}
}

// The API (upg.API).

func (s *session) Init() error {
	code, st, _ := s.call(fInit, 0, nil)
	s.status = upg.Status(st)
	return errOf(code)
}

func (s *session) Status() upg.Status { return s.status }

func (s *session) StorageSize() uint32 {
	_, n, _ := s.call(fStorageSize, 0, nil)
	return n
}

func (s *session) Prepare(n uint32) error {
	s.setPhase("prepare")
	code, _, _ := s.call(fPrepare, n, nil)
	return errOf(code)
}

func (s *session) WritePackageSync(off uint32, buf []byte) error {
	if len(buf) > upg.MaxWriteLen {
		return upg.ErrcodeInvalidParam
	}
	s.setPhase("store")
	code, _, _ := s.call(fWrite, off, buf)
	return errOf(code)
}

// WritePackageAsync is uapi_upg_write_package_async: the vendor calls its
// write-done callback (the shim's) before it returns, on success only;
// done is then called with the code the callback got.
func (s *session) WritePackageAsync(off uint32, buf []byte, done func(error)) error {
	if len(buf) > upg.MaxWriteLen {
		return upg.ErrcodeInvalidParam
	}
	s.setPhase("store")
	code, ran, _ := s.call(fWriteAsync, off, buf)
	if ran != 0 && done != nil {
		done(errOf(ran - 1))
	}
	return errOf(code)
}

// ReadPackage is uapi_upg_read_package into buf. The vendor API reports
// no count (upg_read_fota_pkg_data clamps its own copy of the length at the
// partition's end and leaves the rest of the buffer as it was), so a
// success returns len(buf).
func (s *session) ReadPackage(off uint32, buf []byte) (int, error) {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(buf)))
	code, _, _ := s.call(fRead, off, n[:])
	if len(s.data) != len(buf) {
		s.fail("protocol: read returned %d bytes, want %d", len(s.data), len(buf))
	}
	copy(buf, s.data)
	if err := errOf(code); err != nil {
		return 0, err
	}
	return len(buf), nil
}

func (s *session) RequestUpgrade() error {
	s.setPhase("request-upgrade")
	code, _, _ := s.call(fRequest, 0, nil)
	return errOf(code)
}

func (s *session) Start() error {
	s.setPhase("upgrade")
	code, _, _ := s.call(fStart, 0, nil)
	return errOf(code)
}

func (s *session) VerifyStoredPackage() error {
	s.setPhase("verify")
	code, _, _ := s.call(fVerifyStored, 0, nil)
	return errOf(code)
}

func (s *session) ResetUpgradeFlag() error {
	s.setPhase("reset-upgrade-flag")
	code, _, _ := s.call(fResetFlag, 0, nil)
	return errOf(code)
}

// RegisterUserVerify is uapi_upg_register_user_defined_verify_func: the
// shim registers a check that asks the parent, which calls fn.
func (s *session) RegisterUserVerify(fn upg.UserVerifyFunc, param any) {
	s.userFn, s.userArg = fn, param
	on := uint32(0)
	if fn != nil {
		on = 1
	}
	s.call(fUserVerify, on, nil)
}

// userVerify runs the registered Go check on the user-defined field.
func (s *session) userVerify(user []byte) uint32 {
	if s.userFn == nil {
		return 0
	}
	if err := s.userFn(bytes.Clone(user), s.userArg); err != nil {
		if c := upg.Code(err); c != upg.ErrcodeSucc {
			return uint32(c)
		}
		return uint32(upg.ErrcodeFail)
	}
	return 0
}

// Result is uapi_upg_get_result.
func (s *session) Result() (upg.Result, uint32, error) {
	code, r, idx := s.call(fResult, 0, nil)
	return upg.Result(r), idx, errOf(code)
}

var _ upg.API = (*session)(nil)
