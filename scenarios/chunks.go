package scenarios

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/upg"
)

// Chunk-level storage calls (issue 16), for testing a product's own
// transport:
//
//	prepare PKG [len=N]              # uapi_upg_prepare (len: the package's size)
//	write PKG off=N len=M [async]    # one uapi_upg_write_package_sync (or _async) of package bytes [N, N+M)
//	read PKG off=N len=M             # one uapi_upg_read_package, compared with the package bytes
//	store PKG [chunk=N] [order=reverse|shuffle:SEED] [resend=K] [drop=K] [corrupt=K]
//	expect read same|differs         # the last read against the package
//
// Each is an app call: it needs a running app, and its errcode goes to
// expect error. write sends the package's bytes at the same offset; bytes
// past the package's end are sent as 0xFF (a no-op on NOR). len=0 is sent
// too, to show ERRCODE_UPG_INVALID_BUFF_LEN.
//
// The store options model a transport: the package is cut into chunks
// (4096 bytes unless chunk=); order=reverse sends them last to first,
// order=shuffle:SEED in a seeded random order; then, counting chunks in
// the order they are sent (1 is the first), resend=K sends every K-th
// chunk twice, drop=K never sends every K-th chunk, and corrupt=K sends
// chunk K with one bit cleared (the lowest 1 bit of its first non-zero
// byte) and then sends it again correctly. Like the guide's example, the
// store stops at the first write that returns an error.
//
// What reaches the flash is what the SDK makes of it. On WS63 (no file
// system) write_package checks bounds only: out-of-order, shuffled and
// repeated chunks are all accepted, and a write programs without erasing,
// so bits only go 1→0. A resent identical chunk changes nothing; a dropped
// chunk leaves 0xFF; a corrupted chunk resent correctly stays corrupted —
// the cleared bit cannot come back without an erase, i.e. a new prepare
// and a full resend. The guide's "retransmission" remedy (升级包保存, 注意事项)
// therefore does not repair a chunk already written. Verification
// (request-upgrade) then refuses the package. With in-order-writes=on (the
// guide's file-system variant) an out-of-order or repeated write fails with
// ERRCODE_UPG_INVALID_OFFSET.

// Kinds of what an expect read checks.
const (
	WhatRead = "read" // the last read: same or differs

	readSame    = "same"
	readDiffers = "differs"
)

// Transport orders.
const (
	OrderInOrder = ""
	OrderReverse = "reverse"
	OrderShuffle = "shuffle"
)

// StoreTransport are store's transport options.
type StoreTransport struct {
	Order   string // OrderInOrder, OrderReverse or OrderShuffle
	Seed    uint64 // for OrderShuffle
	Resend  int    // every Resend-th chunk is sent twice (0: none)
	Drop    int    // every Drop-th chunk is not sent (0: none)
	Corrupt int    // chunk Corrupt is sent with a bit cleared, then again (0: none)
}

// plain reports whether the transport is the guide's: every chunk once, in order.
func (t StoreTransport) plain() bool { return t == StoreTransport{} }

func (t StoreTransport) String() string {
	var parts []string
	switch t.Order {
	case OrderReverse:
		parts = append(parts, "order=reverse")
	case OrderShuffle:
		parts = append(parts, "order=shuffle:"+strconv.FormatUint(t.Seed, 10))
	}
	for _, o := range []struct {
		key string
		v   int
	}{{"resend", t.Resend}, {"drop", t.Drop}, {"corrupt", t.Corrupt}} {
		if o.v != 0 {
			parts = append(parts, o.key+"="+strconv.Itoa(o.v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

func (t *StoreTransport) parse(a *args) error {
	if v, ok, err := a.optional("order"); err != nil {
		return err
	} else if ok {
		switch {
		case v == OrderReverse:
			t.Order = OrderReverse
		case strings.HasPrefix(v, OrderShuffle+":"):
			s, err := strconv.ParseUint(strings.TrimPrefix(v, OrderShuffle+":"), 0, 64)
			if err != nil {
				return a.errf("order=%q: want reverse or shuffle:SEED", v)
			}
			t.Order, t.Seed = OrderShuffle, s
		default:
			return a.errf("order=%q: want reverse or shuffle:SEED", v)
		}
	}
	for _, o := range []struct {
		key string
		v   *int
	}{{"resend", &t.Resend}, {"drop", &t.Drop}, {"corrupt", &t.Corrupt}} {
		n, ok, err := a.uint(o.key, 32, 0)
		if err != nil {
			return err
		}
		if ok && (n == 0 || n > 1<<20) {
			return a.errf("%s=%d: want a chunk number 1..%d", o.key, n, 1<<20)
		}
		*o.v = int(n)
	}
	return nil
}

// PrepareCmd is `prepare PKG [len=N]`.
type PrepareCmd struct {
	line
	Package string
	Len     uint32
	HasLen  bool
}

func (c *PrepareCmd) String() string {
	s := "prepare " + c.Package
	if c.HasLen {
		s += " len=" + strconv.FormatUint(uint64(c.Len), 10)
	}
	return s
}

// WriteCmd is `write PKG off=N len=M [async]`.
type WriteCmd struct {
	line
	Package string
	Off     uint32
	Len     int
	Async   bool
}

func (c *WriteCmd) String() string {
	s := fmt.Sprintf("write %s off=0x%x len=%d", c.Package, c.Off, c.Len)
	if c.Async {
		s += " async"
	}
	return s
}

// ReadCmd is `read PKG off=N len=M`.
type ReadCmd struct {
	line
	Package string
	Off     uint32
	Len     int
}

func (c *ReadCmd) String() string {
	return fmt.Sprintf("read %s off=0x%x len=%d", c.Package, c.Off, c.Len)
}

// maxReadLen bounds read's len= (the SDK's len is 32-bit, but nothing
// larger than the flash can be read).
const maxReadLen = flash.Size

// pkgArg reads the one positional PKG and checks it is declared.
func (p *parser) pkgArg(a *args) (string, error) {
	if err := a.done(1, 1); err != nil {
		return "", err
	}
	if _, ok := p.packages[a.pos[0]]; !ok {
		return "", a.errf("unknown package %q", a.pos[0])
	}
	return a.pos[0], nil
}

func (p *parser) prepare(a *args) (Command, error) {
	c := &PrepareCmd{line: line{a.n}}
	n, ok, err := a.uint("len", 32, 0)
	if err != nil {
		return nil, err
	}
	c.Len, c.HasLen = uint32(n), ok
	if c.Package, err = p.pkgArg(a); err != nil {
		return nil, err
	}
	return c, nil
}

// offLen reads the required off= and len= (len at most max).
func offLen(a *args, max uint64) (uint32, int, error) {
	if _, ok := a.vals["off"]; !ok {
		return 0, 0, a.errf("off= is required")
	}
	if _, ok := a.vals["len"]; !ok {
		return 0, 0, a.errf("len= is required")
	}
	off, _, err := a.uint("off", 32, 0)
	if err != nil {
		return 0, 0, err
	}
	n, _, err := a.uint("len", 32, 0)
	if err != nil {
		return 0, 0, err
	}
	if n > max {
		return 0, 0, a.errf("len=%d: at most %d", n, max)
	}
	return uint32(off), int(n), nil
}

func (p *parser) write(a *args) (Command, error) {
	c := &WriteCmd{line: line{a.n}}
	var err error
	if c.Off, c.Len, err = offLen(a, upg.MaxWriteLen); err != nil {
		return nil, err
	}
	// async is a bare word after the package name.
	if len(a.pos) == 2 && a.pos[1] == "async" {
		c.Async, a.pos = true, a.pos[:1]
	}
	if c.Package, err = p.pkgArg(a); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) read(a *args) (Command, error) {
	c := &ReadCmd{line: line{a.n}}
	var err error
	if c.Off, c.Len, err = offLen(a, maxReadLen); err != nil {
		return nil, err
	}
	if c.Package, err = p.pkgArg(a); err != nil {
		return nil, err
	}
	return c, nil
}

// chunkState is the runner's memory of the last read.
type chunkState struct {
	read string // "" before any read, else readSame or readDiffers
	why  string // what the comparison found
}

// execChunks runs the chunk-level commands; ok is false for other commands.
func (r *Runner) execChunks(c Command) (error, bool) {
	switch c := c.(type) {
	case *PrepareCmd:
		return r.prepare(c), true
	case *WriteCmd:
		return r.write(c), true
	case *ReadCmd:
		return r.read(c), true
	case *ABReadCmd:
		return r.abRead(c), true // guideapi.go
	}
	return nil, false
}

// chunkCallName is the app call a chunk-level command makes, for a sweep
// point cut inside it ("" for other commands).
func chunkCallName(c Command) string {
	switch c := c.(type) {
	case *PrepareCmd:
		return "prepare"
	case *WriteCmd:
		if c.Async {
			return "write_package_async"
		}
		return "write_package_sync"
	case *ReadCmd:
		return "read_package"
	case *ABReadCmd:
		return "upg_ab_image_read"
	}
	return ""
}

func (r *Runner) storedPackage(c Command, name string) (*builtPackage, error) {
	p, err := r.pkg(c, name)
	if err != nil {
		return nil, err
	}
	if uint64(len(p.data)) > uint64(^uint32(0)) {
		return nil, r.failf(c, "package", "package of %d bytes", len(p.data))
	}
	return p, nil
}

func (r *Runner) prepare(c *PrepareCmd) error {
	p, err := r.storedPackage(c, c.Package)
	if err != nil {
		return err
	}
	n := uint32(len(p.data))
	if c.HasLen {
		n = c.Len
	}
	r.stored, r.abApp = p, ""
	return r.appCall(c, "prepare", func(a *app.App) error {
		r.dev.Note(fmt.Sprintf("scenario: uapi_upg_get_storage_size = %d, prepare package_len = %d", a.API().StorageSize(), n))
		return a.API().Prepare(n)
	})
}

// packageBytes returns package bytes [off, off+n), 0xFF past its end.
func packageBytes(data []byte, off uint32, n int) []byte {
	b := bytes.Repeat([]byte{0xFF}, n)
	if uint64(off) < uint64(len(data)) {
		copy(b, data[off:])
	}
	return b
}

func (r *Runner) write(c *WriteCmd) error {
	p, err := r.storedPackage(c, c.Package)
	if err != nil {
		return err
	}
	r.stored, r.abApp = p, ""
	buf := packageBytes(p.data, c.Off, c.Len)
	name := "write_package_sync"
	if c.Async {
		name = "write_package_async"
	}
	return r.appCall(c, name, func(a *app.App) error {
		if !c.Async {
			return a.API().WritePackageSync(c.Off, buf)
		}
		return a.API().WritePackageAsync(c.Off, buf, func(err error) {
			r.dev.Note(fmt.Sprintf("scenario: write_package_async callback (offset 0x%x, %d bytes)", c.Off, len(buf)))
		})
	})
}

func (r *Runner) read(c *ReadCmd) error {
	p, err := r.storedPackage(c, c.Package)
	if err != nil {
		return err
	}
	buf := make([]byte, c.Len)
	r.chunks = chunkState{}
	return r.appCall(c, "read_package", func(a *app.App) error {
		n, err := a.API().ReadPackage(c.Off, buf)
		if err != nil {
			return err
		}
		r.chunks = compareRead(p.data, c.Off, buf[:n])
		r.dev.Note(fmt.Sprintf("scenario: read_package read %d bytes at 0x%x: %s (%s)", n, c.Off, r.chunks.read, r.chunks.why))
		return nil
	})
}

// compareRead compares bytes read at package offset off with the package.
func compareRead(pkg []byte, off uint32, got []byte) chunkState {
	if uint64(off) >= uint64(len(pkg)) {
		return chunkState{readDiffers, "all beyond the package's end"}
	}
	want := pkg[off:]
	if len(got) < len(want) {
		want = want[:len(got)]
	}
	for i := range want {
		if got[i] != want[i] {
			return chunkState{readDiffers, fmt.Sprintf("package offset 0x%x reads 0x%02x, the package has 0x%02x", int(off)+i, got[i], want[i])}
		}
	}
	if len(got) > len(want) {
		return chunkState{readSame, fmt.Sprintf("%d bytes as in the package; the %d bytes after its end are not compared", len(want), len(got)-len(want))}
	}
	return chunkState{readSame, fmt.Sprintf("%d bytes as in the package", len(got))}
}

// observeRead is `expect read same|differs`.
func (r *Runner) observeRead(c *ExpectCmd) (string, bool) {
	if r.chunks.read == "" {
		return "no successful read yet", false
	}
	seen := r.chunks.read + " (" + r.chunks.why + ")"
	return seen, slices.Contains(c.Want, r.chunks.read)
}

func checkReadValue(v string) error {
	if v != readSame && v != readDiffers {
		return fmt.Errorf("want same or differs")
	}
	return nil
}

// send is one write of the transport: a chunk's offset and bytes.
type send struct {
	off  uint32
	data []byte
	note string // what is special about it, for the trace
}

// plan turns a package into the writes the transport makes.
func (t StoreTransport) plan(data []byte, chunk int) []send {
	if chunk <= 0 {
		chunk = app.DefaultChunk
	}
	var chunks []send
	for off := 0; off < len(data); off += chunk {
		chunks = append(chunks, send{off: uint32(off), data: data[off:min(off+chunk, len(data))]})
	}
	switch t.Order {
	case OrderReverse:
		slices.Reverse(chunks)
	case OrderShuffle:
		s := newSeedStream(t.Seed, "store-shuffle")
		var b [8]byte
		for i := len(chunks) - 1; i > 0; i-- {
			s.Read(b[:])
			j := int(binary.LittleEndian.Uint64(b[:]) % uint64(i+1))
			chunks[i], chunks[j] = chunks[j], chunks[i]
		}
	}
	var out []send
	for i, ch := range chunks {
		k := i + 1 // chunks count from 1 in the order they are sent
		switch {
		case t.Drop != 0 && k%t.Drop == 0:
			continue
		case t.Corrupt == k:
			bad, where := clearOneBit(ch.data)
			if where < 0 {
				out = append(out, send{off: ch.off, data: ch.data, note: fmt.Sprintf("chunk %d has no 1 bit to clear: sent as is", k)})
				continue
			}
			out = append(out,
				send{off: ch.off, data: bad, note: fmt.Sprintf("chunk %d sent corrupted: bit %d of package byte 0x%x cleared", k, bits(ch.data[where]^bad[where]), int(ch.off)+where)},
				send{off: ch.off, data: ch.data, note: fmt.Sprintf("chunk %d sent again, correct", k)})
			continue
		}
		out = append(out, ch)
		if t.Resend != 0 && k%t.Resend == 0 {
			out = append(out, send{off: ch.off, data: ch.data, note: fmt.Sprintf("chunk %d sent again", k)})
		}
	}
	return out
}

// clearOneBit returns b with the lowest 1 bit of its first non-zero byte
// cleared, and that byte's index (-1 when b is all zero).
func clearOneBit(b []byte) ([]byte, int) {
	for i, v := range b {
		if v != 0 {
			out := bytes.Clone(b)
			out[i] = v & (v - 1)
			return out, i
		}
	}
	return b, -1
}

// bits is the index of the single set bit of v.
func bits(v byte) int {
	for i := 0; i < 8; i++ {
		if v == 1<<i {
			return i
		}
	}
	return -1
}

// storeTransport is store with transport options: prepare, then the
// transport's writes; the first error stops it, as in the guide.
func (r *Runner) storeTransport(c *StoreCmd, p *builtPackage) error {
	sends := c.Transport.plan(p.data, c.Chunk)
	chunk := c.Chunk
	if chunk == 0 {
		chunk = app.DefaultChunk
	}
	total := (len(p.data) + chunk - 1) / chunk
	return r.appCall(c, "store", func(a *app.App) error {
		u := a.API() // the engine's calls: the vendor code's on the SDK engine
		size := uint32(len(p.data))
		if max := u.StorageSize(); size > max {
			r.dev.Note(fmt.Sprintf("scenario: package of %d bytes exceeds storage size %d", size, max))
		}
		if err := u.Prepare(size); err != nil {
			return err
		}
		r.dev.Note(fmt.Sprintf("scenario: transport%s: %d chunks of %d bytes, %d writes", c.Transport, total, chunk, len(sends)))
		for i, s := range sends {
			if s.note != "" {
				r.dev.Note("scenario: transport: " + s.note)
			}
			if err := u.WritePackageSync(s.off, s.data); err != nil {
				r.dev.Note(fmt.Sprintf("scenario: transport: write %d of %d (offset 0x%x, %d bytes) failed; the store stops", i+1, len(sends), s.off, len(s.data)))
				return err
			}
		}
		return nil
	})
}
