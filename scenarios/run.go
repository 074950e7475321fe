package scenarios

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Default sizes of synthetic images (code bytes). The app is kept small so
// that scenarios run fast; write size= for a realistic 2 MiB.
const (
	DefaultAppSize       = 256 << 10
	DefaultFlashbootSize = 60 << 10
	DefaultNVSize        = 8 << 10
	// maxInputFile bounds what file= reads: nothing bigger fits the flash.
	maxInputFile = flash.Size
)

// Options configure a run.
type Options struct {
	// Logger receives the emulator's trace events (zap.NewNop() if nil).
	Logger *zap.Logger
	// FlashLog keeps the flash operation log (flash.Device.SetLogging)
	// from manufacture on, for reports that count what was written.
	FlashLog bool
	// Observe, when set, is called by Run before each command with the
	// device (nil before the device command), so that a report can watch
	// the flash (package htmlreport). Sweep and Replay do not call it.
	Observe func(c Command, d *emulator.Device)
	// Ops, when set, receives every flash operation from manufacture on
	// as one JSON line (OpRecord; ws63emu run --ops).
	Ops io.Writer
	// memo is set by Sweep only (upg.Options.Memo); plain runs have none.
	memo *upg.Memo
	// Engine, when set ("go" or "sdk"), overrides every script's device
	// engine=; SDK is the engine engine=sdk runs (engine.go).
	Engine string
	SDK    upg.Engine
	// apiHook observes the programs' API calls (diff.go).
	apiHook func(call string, err error)
}

// Report is what a run did: the expectations checked, the device's final
// state, and the event trace. It encodes to JSON for --json.
type Report struct {
	File         string           `json:"file"`
	Seed         uint64           `json:"seed"`
	Commands     int              `json:"commands"` // commands run, up to and including a failing one
	Expectations []Expectation    `json:"expectations"`
	Passed       bool             `json:"passed"`  // every command ran and every expectation held
	Failure      string           `json:"failure"` // the error that stopped the run, if any
	State        string           `json:"state"`   // the device state at the end
	Running      string           `json:"running"` // the app image running at the end, "" if none
	Verdict      emulator.Verdict `json:"verdict"` // "" when the device is off at the end
	// VerdictWhy says which image a false-success upgrade did not install.
	VerdictWhy  string           `json:"verdict_why,omitempty"`
	Boots       int              `json:"boots"`
	SimTime     time.Duration    `json:"sim_time_ns"` // simulated time since manufacture
	FlashOps    uint64           `json:"flash_ops"`
	FlashSHA256 string           `json:"flash_sha256"`
	Trace       []emulator.Event `json:"trace"`
}

// Expectation is one checked expect line.
type Expectation struct {
	Line   int    `json:"line"`
	Expect string `json:"expect"` // as written, e.g. "verdict upgraded"
	Pass   bool   `json:"pass"`
	Seen   string `json:"seen"`
}

// builtImage is an image's bytes, made when both it and the device exist.
type builtImage struct {
	decl   *ImageCmd
	kind   string
	data   []byte // the image as burned and packed
	backup []byte // flashboot: the same code signed as the backup copy
}

// builtPackage is a package's bytes, made at first use (store).
type builtPackage struct {
	decl *PackageCmd
	data []byte
	app  string // the name of the app image it carries, "" if unknown
}

// Runner executes a script on an emulated device.
type Runner struct {
	s   *Script
	o   Options
	dir string

	dev    *emulator.Device
	devCmd *DeviceCmd
	seed   uint64
	root   *image.PrivateKey // the device's root key; nil for root-key=none
	keys   map[string]*image.PrivateKey

	imageDecl map[string]*ImageCmd
	pkgDecl   map[string]*PackageCmd
	images    map[string]*builtImage
	packages  map[string]*builtPackage
	byHead    map[headKey]string  // image head and length → declared name (packagedApp)
	sdk       map[[32]byte]string // image bytes → sdk= (recovery.go)

	burnedApp string        // the app burned most recently, or running when ab-upgrade began ("old")
	stored    *builtPackage // the package stored most recently ("new")
	abApp     string        // the app of the last ab-upgrade, unless a store came after it ("new")

	// The last app call (store, request-upgrade): its error, or whether
	// the power failed inside it.
	called   bool
	lastCall string
	lastErr  error
	lastCut  bool

	chunks  chunkState // chunks.go: the last read
	cutLine int        // line of the last cut command

	userVerify *UserVerifyCmd
	// faults are the flash faults set so far (fault bad-sector,
	// program-fail). They are the flash's settings, not its contents, so
	// a snapshot does not carry them: a sweep point gets them from here.
	faults flashFaults
	rep    Report
}

// flashFaults are the flash faults a script set: sectors marked bad or
// worn, and timeouts and program failures armed, at absolute operation
// numbers.
type flashFaults struct {
	bad      []uint32    // an address in each sector marked bad (mode=timeout)
	worn     []wornFault // sectors marked worn (mode=stuck)
	progFail []uint64    // operation numbers (flash.Device.FailProgramAt)
	timeout  []uint64    // operation numbers (flash.Device.TimeoutAt)
}

// wornFault is a worn sector: an address in it and its stuck-bit seed.
type wornFault struct {
	addr uint32
	seed uint64
}

func (ff flashFaults) clone() flashFaults {
	return flashFaults{bad: slices.Clone(ff.bad), worn: slices.Clone(ff.worn),
		progFail: slices.Clone(ff.progFail), timeout: slices.Clone(ff.timeout)}
}

// apply makes f's faults exactly ff: it clears f's faults (and an armed
// cut) first, then marks ff's.
func (ff flashFaults) apply(f *flash.Device) {
	f.ClearFaults()
	for _, a := range ff.bad {
		f.SetBadSector(a, true)
	}
	for _, w := range ff.worn {
		f.SetWornSector(w.addr, w.seed, true)
	}
	for _, n := range ff.progFail {
		f.FailProgramAt(n)
	}
	for _, n := range ff.timeout {
		f.TimeoutAt(n)
	}
}

// NewRunner prepares a run of s.
func NewRunner(s *Script, o Options) *Runner {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Runner{
		s: s, o: o, dir: filepath.Dir(s.File),
		keys:      map[string]*image.PrivateKey{},
		imageDecl: map[string]*ImageCmd{}, pkgDecl: map[string]*PackageCmd{},
		images: map[string]*builtImage{}, packages: map[string]*builtPackage{},
		byHead: map[headKey]string{},
		rep:    Report{File: s.File, Expectations: []Expectation{}},
	}
}

// Run executes a parsed script on a new runner (NewRunner(s, o).Run()).
func Run(s *Script, o Options) (*Report, error) {
	return NewRunner(s, o).Run()
}

// Device is the emulated device (nil before the device command ran).
func (r *Runner) Device() *emulator.Device { return r.dev }

// Run executes the script's commands in order. It stops at the first
// failed expectation (an *ExpectError) or command that cannot be carried
// out (a *CommandError); the report covers what ran either way.
func (r *Runner) Run() (*Report, error) {
	return r.RunContext(context.Background())
}

// RunContext is Run, stopping between commands when ctx is done: the
// report is then of the commands run, and the error wraps ctx's cause
// (context.Cause).
func (r *Runner) RunContext(ctx context.Context) (*Report, error) {
	var err error
	for _, c := range r.s.Commands {
		if ctx.Err() != nil {
			err = fmt.Errorf("scenarios: %s: stopped before line %d: %w", r.s.File, c.LineNo(), context.Cause(ctx))
			break
		}
		r.rep.Commands++
		if r.o.Observe != nil {
			r.o.Observe(c, r.dev)
		}
		if err = r.exec(c); err != nil {
			break
		}
	}
	if err == nil {
		err = r.unfiredCut()
	}
	r.finish(err)
	return &r.rep, err
}

// unfiredCut is the error for a cut still armed when the script ends: a
// cut that never fires is a mistake in the script, not a pass.
func (r *Runner) unfiredCut() error {
	if r.dev == nil {
		return nil
	}
	at, ok := r.dev.Flash.ArmedCut()
	if !ok {
		return nil
	}
	return &CommandError{File: r.s.File, Line: r.cutLine, Cmd: "cut",
		Err: fmt.Errorf("the cut never fired: the script ended after flash op #%d, before op #%d", r.dev.Flash.OpCount()-1, at)}
}

func (r *Runner) finish(err error) {
	r.rep.Passed = err == nil
	if err != nil {
		r.rep.Failure = err.Error()
	}
	d := r.dev
	if d == nil {
		return
	}
	r.rep.Seed = r.seed
	r.rep.State = d.State().String()
	r.rep.Running = d.Running()
	if d.State() != emulator.Off {
		r.rep.Verdict = d.Verdict(r.burnedApp, r.newApp())
		if r.rep.Verdict == emulator.FalseSuccess {
			r.rep.VerdictWhy, _ = d.FalseSuccess()
		}
	}
	r.rep.Boots = d.Boots()
	r.rep.SimTime = d.Now()
	r.rep.FlashOps = d.Flash.OpCount()
	h := d.Flash.Hash()
	r.rep.FlashSHA256 = hex.EncodeToString(h[:])
	r.rep.Trace = d.Trace()
}

func (r *Runner) fail(c Command, name string, err error) error {
	return &CommandError{File: r.s.File, Line: c.LineNo(), Cmd: name, Err: err}
}

func (r *Runner) failf(c Command, name, format string, a ...any) error {
	return r.fail(c, name, fmt.Errorf(format, a...))
}

// note puts the scenario command into the trace.
func (r *Runner) note(c Command) {
	r.dev.Note(fmt.Sprintf("scenario %s:%d: %s", filepath.Base(r.s.File), c.LineNo(), c))
}

func (r *Runner) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.dir, p)
}

// readInput reads a file= argument, refusing anything bigger than the flash.
func (r *Runner) readInput(p string) ([]byte, error) {
	return cliio.ReadFile(r.path(p), maxInputFile, "a file= input (the flash is 4 MiB)")
}

func (r *Runner) exec(c Command) error {
	if err := r.exec1(c); err != nil {
		return err
	}
	return r.engineFailure(c) // engine.go
}

func (r *Runner) exec1(c Command) error {
	switch c := c.(type) {
	case *DeviceCmd:
		return r.device(c)
	case *ImageCmd:
		r.imageDecl[c.Name] = c
		if r.dev == nil {
			return nil // built by the device command
		}
		_, err := r.image(c, c.Name)
		return err
	case *PackageCmd:
		r.pkgDecl[c.Name] = c
		return nil
	case *SweepCmd:
		return nil // the sweep runner's markers; a plain run ignores them
	}
	// Every other command needs the device (the parser guarantees the
	// device line came first).
	if r.dev == nil {
		return r.failf(c, "scenario", "no device")
	}
	if _, ok := c.(*ExpectCmd); !ok {
		r.note(c)
	}
	switch c := c.(type) {
	case *BurnCmd:
		return r.burn(c)
	case *PowerOnCmd:
		r.dev.PowerOn()
		return nil
	case *ResetCmd:
		if r.dev.State() == emulator.Off {
			return r.failf(c, "reset", "the device is off (power-on first)")
		}
		r.dev.Reset()
		return nil
	case *StoreCmd:
		return r.store(c)
	case *PrepareCmd, *WriteCmd, *ReadCmd, *ABReadCmd:
		err, _ := r.execChunks(c) // chunks.go
		return err
	case *ABUpgradeCmd:
		return r.abUpgrade(c)
	case *NVSetCmd:
		return r.nvSet(c) // nv.go
	case *RequestUpgradeCmd:
		return r.requestUpgrade(c)
	case *CutCmd:
		if at, ok := r.dev.Flash.ArmedCut(); ok {
			return r.failf(c, "cut", "the cut of line %d (at flash op #%d) has not fired yet; a second cut would silently replace it", r.cutLine, at)
		}
		t := c.Tear
		if c.SeedFromScenario {
			t.Seed = r.seed
		}
		r.dev.Cut(c.Op, t)
		r.cutLine = c.LineNo()
		return nil
	case *FaultCmd:
		return r.fault(c)
	case *UserVerifyCmd:
		r.userVerify = c
		var fn upg.UserVerifyFunc
		if _, inFB := c.hooks(); inFB {
			fn = c.verifyFunc()
		}
		r.dev.SetUserVerify(emulator.ProgFlashboot, fn)
		return nil
	case *ExpectCmd:
		return r.expect(c)
	}
	return r.failf(c, "scenario", "command %T not handled", c)
}

func (r *Runner) device(c *DeviceCmd) error {
	r.devCmd, r.seed = c, c.Seed
	switch c.RootKey {
	case "none":
	case "":
		k, err := seededKey(c.Seed, "root")
		if err != nil {
			return r.fail(c, "device", err)
		}
		r.root = k
	default:
		k, err := image.LoadPrivateKey(r.path(c.RootKey))
		if err != nil {
			return r.fail(c, "device", err)
		}
		r.root = k
	}
	cfg := emulator.Config{
		Layout:     c.Layout,
		SecureBoot: c.SecureBoot,
		RootKey:    r.root,
		BootBudget: c.BootBudget,
		Upg:        upg.Options{InOrderWrites: c.InOrderWrites, ABStartSDKBug: c.ABStartSDKBug, Memo: r.o.memo},
		Logger:     r.o.Logger,
	}
	if err := r.deviceModels(c, &cfg); err != nil { // recovery.go
		return r.fail(c, "device", err)
	}
	if err := r.deviceBuild(c, &cfg); err != nil { // build.go
		return r.fail(c, "device", err)
	}
	if err := r.deviceEngine(c, &cfg); err != nil { // engine.go
		return r.fail(c, "device", err)
	}
	var err error
	var startApp []byte // the app in the starting flash, if it holds one
	if c.Flash != "" {
		var f *flash.Device
		if f, err = flash.Load(r.path(c.Flash)); err == nil {
			startApp = appIn(f.Bytes())
			cfg.RootKey = nil // the flash carries its own params
			r.dev, err = emulator.FromFlash(cfg, f, nil)
		}
	} else {
		r.dev, err = emulator.New(cfg)
	}
	if err != nil {
		return r.fail(c, "device", err)
	}
	r.dev.Flash.SetLogging(r.o.FlashLog)
	if r.o.Ops != nil {
		tapOps(r.dev, r.o.Ops)
	}
	r.note(c)
	// Build the images declared so far: signing needs the device's keys,
	// and every image is named in the trace from now on.
	for _, cmd := range r.s.Commands {
		if ic, ok := cmd.(*ImageCmd); ok && r.imageDecl[ic.Name] == ic {
			if _, err := r.image(ic, ic.Name); err != nil {
				return err
			}
		}
	}
	if startApp != nil {
		// The app the user's flash holds is the old one until a burn
		// says otherwise: without it no outcome could be kept-old.
		r.burnedApp = r.dev.NameOf(startApp)
	}
	return nil
}

// appIn returns the signed app image in imageA of a raw flash, or nil.
func appIn(raw []byte) []byte {
	t, err := partition.ParseFlash(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	e, err := t.Lookup(partition.ImageA)
	if err != nil || uint64(e.Offset)+uint64(e.Size) > uint64(len(raw)) {
		return nil
	}
	part := raw[e.Offset : e.Offset+e.Size]
	im, err := image.ParseBytes(part)
	if err != nil || im.Kind != image.KindApp {
		return nil
	}
	return part[:im.Len()]
}

// key returns the seeded key for a purpose, made once.
func (r *Runner) key(purpose string) (*image.PrivateKey, error) {
	if k, ok := r.keys[purpose]; ok {
		return k, nil
	}
	k, err := seededKey(r.seed, purpose)
	if err != nil {
		return nil, err
	}
	r.keys[purpose] = k
	return k, nil
}

// imageKeys returns the signing keys of a synthetic image: hash-only
// (nil, nil) unless secure boot is on and the device has a root key; then
// the chain root → flashboot key → app key that ssb and flashboot check.
func (r *Runner) imageKeys(kind string) (key, parent *image.PrivateKey, err error) {
	if !r.devCmd.SecureBoot || r.root == nil {
		return nil, nil, nil
	}
	fb, err := r.key("flashboot")
	if err != nil {
		return nil, nil, err
	}
	if kind != KindApp {
		return fb, r.root, nil
	}
	ak, err := r.key("app")
	return ak, fb, err
}

// register names image bytes for the trace and for verdicts.
func (r *Runner) register(name string, data []byte) {
	sum := sha256.Sum256(data)
	if prev := r.dev.NameOfSum(sum); r.burnedApp == prev && prev != name {
		r.burnedApp = name // the starting flash's app, declared after the device
	}
	r.dev.NameSum(name, sum)
	r.byHead[headOf(data, len(data))] = name
	r.noteSDK(name, data) // recovery.go
}

// registerImage is register of a signed image whose code matches its
// header (parsed, or just built): the device also knows it by its header
// (emulator.Device.NameHeader).
func (r *Runner) registerImage(name string, data []byte) {
	r.register(name, data)
	r.dev.NameHeader(name, data)
}

func (r *Runner) image(c Command, name string) (*builtImage, error) {
	if b, ok := r.images[name]; ok {
		return b, nil
	}
	d, ok := r.imageDecl[name]
	if !ok {
		return nil, r.failf(c, "image", "unknown image %q", name)
	}
	b := &builtImage{decl: d, kind: d.Kind}
	var err error
	if d.File != "" {
		err = r.loadImage(b)
	} else {
		err = r.synthesize(b)
	}
	if err != nil {
		return nil, &CommandError{File: r.s.File, Line: d.Line, Cmd: "image " + name, Err: err}
	}
	r.images[name] = b
	return b, nil
}

func (r *Runner) loadImage(b *builtImage) error {
	d := b.decl
	data, err := r.readInput(d.File)
	if err != nil {
		return err
	}
	b.data = data
	if d.Kind == KindNV {
		r.register(d.Name, data)
		return nil
	}
	im, err := image.ParseBytes(data)
	if err != nil {
		return fmt.Errorf("%s: %w (an NV file needs kind=nv)", d.File, err)
	}
	if b.kind == "" {
		b.kind = im.Kind.String()
	} else if b.kind != im.Kind.String() {
		return fmt.Errorf("%s holds an image of kind %s, not %s", d.File, im.Kind, b.kind)
	}
	r.registerImage(d.Name, data[:im.Len()])
	if len(data) != im.Len() {
		r.byHead[headOf(data, len(data))] = d.Name
	}
	b.backup = data // a real flashboot file is burned into the backup as it is
	return nil
}

func (r *Runner) synthesize(b *builtImage) error {
	d := b.decl
	seed := nameSeed(r.seed, d.Name)
	if d.HasSeed {
		seed = d.Seed
	}
	if d.Kind == KindNV {
		return r.synthesizeNV(b, seed) // nv.go: real NV pages
	}
	size := d.Size
	if d.Kind == KindNV || d.Kind == KindHilink { // hilink: opaque data too (recovery.go)
		if size == 0 {
			size = DefaultNVSize
		}
		// NV data is opaque to the upgrade flow (flashboot only records
		// where it is): deterministic filler stands in for an NV store.
		b.data = make([]byte, size)
		newSeedStream(seed, "nv:"+d.Version).Read(b.data)
		r.register(d.Name, b.data)
		return nil
	}
	kind, err := image.ParseKind(d.Kind)
	if err != nil {
		return err
	}
	if size == 0 {
		size = DefaultAppSize
		if kind != image.KindApp {
			size = DefaultFlashbootSize
		}
	}
	key, parent, err := r.imageKeys(d.Kind)
	if err != nil {
		return err
	}
	code := image.SyntheticCode(image.Ident{Kind: kind, Version: d.Version, VersionExt: d.VersionExt, Seed: seed}, size)
	build := func(k image.Kind) ([]byte, error) {
		return image.Build(r.buildOptions(d, image.BuildOptions{Kind: k, Code: code, VersionExt: d.VersionExt, Key: key, ParentKey: parent}))
	}
	if b.data, err = build(kind); err != nil {
		return err
	}
	r.registerImage(d.Name, b.data)
	if kind == image.KindFlashboot {
		// The factory burns flashboot_backup_sign.bin, the same code
		// signed with the backup's image ids, into partition 0x02.
		if b.backup, err = build(image.KindFlashbootBackup); err != nil {
			return err
		}
		r.registerImage(d.Name+"(backup)", b.backup)
	}
	return nil
}

func (r *Runner) burn(c *BurnCmd) error {
	for _, name := range c.Names {
		b, err := r.image(c, name)
		if err != nil {
			return err
		}
		if c.HasPart { // build.go: any image into any partition
			if err := r.dev.Burn(c.Part, b.data); err != nil {
				return r.failf(c, "burn", "%s: %w", name, err)
			}
			continue
		}
		switch b.kind {
		case KindApp:
			err = r.dev.Burn(partition.ImageA, r.factoryImage(b)) // recovery.go: encrypted builds
			r.burnedApp = name
		case KindFlashboot:
			// The factory burns both flashboot copies (primary 0x01 and
			// backup 0x02); FOTA only ever rewrites the primary.
			if err = r.dev.Burn(partition.Flashboot, b.data); err == nil {
				err = r.dev.Burn(partition.FlashbootBackup, b.backup)
			}
		case KindFlashbootBackup:
			err = r.dev.Burn(partition.FlashbootBackup, b.data)
		case KindNV:
			err = r.dev.Burn(partition.NVData, b.data)
		case KindHilink:
			err = r.dev.Burn(partition.Hilink, b.data)
		}
		if err != nil {
			return r.failf(c, "burn", "%s: %w", name, err)
		}
	}
	return nil
}

func (r *Runner) pkg(c Command, name string) (*builtPackage, error) {
	if p, ok := r.packages[name]; ok {
		return p, nil
	}
	d, ok := r.pkgDecl[name]
	if !ok {
		return nil, r.failf(c, "package", "unknown package %q", name)
	}
	p := &builtPackage{decl: d}
	var err error
	if d.File != "" {
		if p.data, err = r.readInput(d.File); err == nil {
			p.app = r.packagedApp(p.data)
		}
	} else {
		err = r.pack(c, p)
	}
	if err != nil {
		if ce := (*CommandError)(nil); errors.As(err, &ce) {
			return nil, err
		}
		return nil, &CommandError{File: r.s.File, Line: d.Line, Cmd: "package " + name, Err: err}
	}
	r.packages[name] = p
	return p, nil
}

// headKey identifies an image by SHA-256 of its first image.HeaderLen
// bytes — the signed header, which carries SHA-256 of the code — and its
// length.
type headKey struct {
	head [32]byte
	size int
}

func headOf(head []byte, size int) headKey {
	return headKey{sha256.Sum256(head[:min(len(head), image.HeaderLen)]), size}
}

// packagedApp names the app image a package file carries: the declared
// image with the same signed header and length. Only the header is read
// (for an LZMA payload, the first image.HeaderLen bytes are decoded), so
// the package is not decompressed twice: flashboot decodes the rest when
// it applies it. "" when the package does not parse or carries an
// undeclared app.
func (r *Runner) packagedApp(data []byte) string {
	rd := bytes.NewReader(data)
	p, err := upg.ReadPackage(rd, int64(len(data)))
	if err != nil {
		return ""
	}
	i := p.ImageIndex(upg.ImageIDApp)
	if i < 0 {
		return ""
	}
	sec, err := p.ImageData(rd, int64(len(data)), i)
	if err != nil {
		return ""
	}
	h := p.Headers[i]
	var src io.Reader = sec
	if h.Compressed() {
		dec, _, err := upg.NewLZMADecoder(sec, maxInputFile)
		if err != nil {
			return ""
		}
		src = dec
	}
	head := make([]byte, min(int(h.NewImageLen), image.HeaderLen))
	if _, err := io.ReadFull(src, head); err != nil {
		return ""
	}
	return r.byHead[headOf(head, int(h.NewImageLen))]
}

func (r *Runner) pack(c Command, p *builtPackage) error {
	d := p.decl
	var cfg *upg.Config
	if d.Config != "" {
		var err error
		if cfg, err = upg.LoadConfig(r.path(d.Config)); err != nil {
			return err
		}
	} else {
		cfg = upg.DefaultConfig(upg.SignECDSA)
	}
	switch d.Sign {
	case SignECDSA:
		cfg.SetSignMode(upg.SignECDSA)
	case SignSHA256:
		cfg.SetSignMode(upg.SignSHA256)
	}
	o := upg.PackOptions{Config: cfg, Ver: d.Ver, NoFlashboot: d.NoFlashboot, LongVer: d.LongVer, AnyVersionExt: d.AnyVersionExt}
	if d.HardwareID != "" {
		id, err := strconv.ParseUint(d.HardwareID, 0, 32) // checked by the parser
		if err != nil {
			return err
		}
		hw := uint32(id)
		o.HardwareID = &hw
	}
	if d.OrderGiven {
		o.Images = []upg.PackImage{}
	}
	compress := map[string]bool{}
	for _, n := range d.Compress {
		compress[n] = true
	}
	kinds := map[string]string{}
	for _, name := range d.Images {
		b, err := r.image(c, name)
		if err != nil {
			return err
		}
		if b.kind == KindFlashbootBackup {
			return fmt.Errorf("image %q: a flashboot-backup image cannot go into a package (FOTA never writes the backup)", name)
		}
		section := d.SectionOf(name, b.kind)
		if d.OrderGiven {
			// The packer's own list: any section, in images= order.
			o.Images = append(o.Images, upg.PackImage{Section: section, Data: b.data})
			if section == upg.SectionApplication && b.kind == KindApp {
				p.app = name
			}
		} else {
			// The parser checked these for images of a declared kind; a
			// file= image's kind is known only now.
			if prev, dup := kinds[b.kind]; dup {
				return fmt.Errorf("images %q and %q are both %s images; a package holds one of each kind", prev, name, b.kind)
			}
			kinds[b.kind] = name
			switch b.kind {
			case KindApp:
				o.App, p.app = b.data, name
				o.Pkt = append(o.Pkt, upg.PktApp)
			case KindFlashboot:
				o.Flashboot = b.data
				o.Pkt = append(o.Pkt, upg.PktBoot)
			case KindNV:
				o.NV = b.data
				o.Pkt = append(o.Pkt, upg.PktNV)
			case KindHilink:
				o.Hilink = b.data
				o.Pkt = append(o.Pkt, upg.PktHilink)
			}
		}
		if d.CompressSet {
			ic := cfg.Image(section)
			if ic == nil {
				return fmt.Errorf("the config has no [%s] section", section)
			}
			if compress[name] {
				ic.DecompressFlag = upg.FlagLZMA
			} else if ic.DecompressFlag == upg.FlagLZMA {
				ic.DecompressFlag = 0
			}
		}
	}
	if cfg.SignMode() == upg.SignECDSA {
		// The root key signs the key area: the device's own root key, or
		// the seeded one when the device has none (its packages then fail
		// verification, as they would on such a chip).
		root := r.root
		if root == nil {
			var err error
			if root, err = r.key("root"); err != nil {
				return err
			}
		}
		sub, err := r.key("fota-sub")
		if err != nil {
			return err
		}
		o.RootKey, o.SubKey = root, sub
	}
	r.packModels(d, cfg, &o) // recovery.go: sign=sha256-ecc, version_ext, encrypt=on
	var err error
	p.data, err = upg.Pack(o)
	return err
}

// registerUserVerify installs the scenario's user verification policy on
// the running app's update library. It runs before every app call, which
// is what an app that registers its function at start-up looks like.
func (r *Runner) registerUserVerify(a *app.App) {
	uv := r.userVerify
	if uv == nil {
		return
	}
	if inApp, _ := uv.hooks(); inApp {
		a.RegisterUserVerify(uv.verifyFunc(), nil)
	} else {
		a.RegisterUserVerify(nil, nil)
	}
}

// verifyFunc is the hook the command describes (nil for off).
func (c *UserVerifyCmd) verifyFunc() upg.UserVerifyFunc {
	switch c.Mode {
	case UserVerifyAccept:
		return func([]byte, any) error { return nil }
	case UserVerifyReject:
		code := c.Code
		return func([]byte, any) error { return code }
	}
	return nil
}

// appCall runs an app call and records its outcome for expect error.
func (r *Runner) appCall(c Command, name string, fn func(a *app.App) error) error {
	if r.dev.State() != emulator.Running {
		return r.failf(c, name, "no app is running (device %s)", r.dev.State())
	}
	err, cut := r.dev.Do(func(a *app.App) error {
		r.registerUserVerify(a)
		return fn(a)
	})
	r.record(name, err, cut)
	return nil
}

// record keeps an app call's outcome for expect error, and puts a failure
// into the trace.
func (r *Runner) record(name string, err error, cut bool) {
	r.called, r.lastCall, r.lastErr, r.lastCut = true, name, err, cut
	if err != nil {
		r.dev.Note(fmt.Sprintf("scenario: %s returned %s (%v)", name, upg.Code(err).String(), err))
	}
}

func (r *Runner) store(c *StoreCmd) error {
	p, err := r.pkg(c, c.Package)
	if err != nil {
		return err
	}
	if len(p.data) > int(^uint32(0)) {
		return r.failf(c, "store", "package of %d bytes", len(p.data))
	}
	r.stored = p
	r.abApp = "" // the stored package's app is now the "new" one
	if !c.Transport.plain() {
		return r.storeTransport(c, p) // chunks.go
	}
	return r.appCall(c, "store", func(a *app.App) error {
		return a.Store(bytes.NewReader(p.data), uint32(len(p.data)), c.Chunk)
	})
}

func (r *Runner) requestUpgrade(c *RequestUpgradeCmd) error {
	if r.dev.State() != emulator.Running {
		return r.failf(c, "request-upgrade", "no app is running (device %s)", r.dev.State())
	}
	// Register the hook first: RequestUpgrade runs the app call itself.
	r.dev.Do(func(a *app.App) error { r.registerUserVerify(a); return nil })
	boots := r.dev.Boots()
	err, cut := r.dev.RequestUpgrade(c.Reset)
	// A cut after the call returned (during the reset it asked for) is
	// not a cut inside the call.
	r.record("request-upgrade", err, cut && r.dev.Boots() == boots)
	return nil
}

func (r *Runner) fault(c *FaultCmd) error {
	switch c.Kind {
	case FaultProgramFail:
		// Counted as cut op=N counts: the N-th operation from now. It
		// fails only if it is a program (flash.Device.FailProgramAt).
		at := r.dev.Flash.OpCount() + c.Op - 1
		r.dev.Flash.FailProgramAt(at)
		r.faults.progFail = append(r.faults.progFail, at)
		r.dev.Note(fmt.Sprintf("scenario: program failure (a driver timeout) armed at flash op #%d (if it is a program)", at))
		return nil
	case FaultTimeout:
		at := r.dev.Flash.OpCount() + c.Op - 1
		r.dev.Flash.TimeoutAt(at)
		r.faults.timeout = append(r.faults.timeout, at)
		r.dev.Note(fmt.Sprintf("scenario: driver timeout (0x80001344) armed at flash op #%d", at))
		return nil
	}
	addr := c.Addr
	if c.InPart {
		t, err := partition.ParseFlash(r.dev.Flash.View())
		if err != nil {
			return r.fail(c, "fault", err)
		}
		e, err := t.Lookup(c.Part)
		if err != nil {
			return r.fail(c, "fault", err)
		}
		if c.Addr >= e.Size {
			return r.failf(c, "fault", "off=0x%x is beyond partition %s (0x%x bytes)", c.Addr, c.Part, e.Size)
		}
		addr = e.Offset + c.Addr
	}
	switch c.Kind {
	case FaultBadSector:
		if c.Mode == ModeTimeout {
			r.dev.Flash.SetBadSector(addr, true)
			r.faults.bad = append(r.faults.bad, addr)
			break
		}
		// Silent stuck bits, chosen from the scenario's seed.
		seed := r.seed ^ wornSeedSalt
		r.dev.Flash.SetWornSector(addr, seed, true)
		r.faults.worn = append(r.faults.worn, wornFault{addr, seed})
		r.dev.Note(fmt.Sprintf("scenario: sector 0x%06x is worn: %d bits stuck (seed %d), its programs and erases report success", addr&^(flash.SectorSize-1), flash.WornStuckBits, r.seed))
	case FaultBitflip:
		if err := r.dev.Flash.FlipBit(addr, c.Bit); err != nil {
			return r.fail(c, "fault", err)
		}
	}
	return nil
}

// wornSeedSalt separates the stuck-bit seed of a worn sector from the
// scenario's other uses of its seed.
const wornSeedSalt = 0x57_0e_4e

// newApp is the verdict's "new" app: the app in the package stored most
// recently ("" when none).
func (r *Runner) newApp() string {
	if r.abApp != "" {
		return r.abApp
	}
	if r.stored == nil {
		return ""
	}
	return r.stored.app
}

func (r *Runner) expect(c *ExpectCmd) error {
	seen, ok := r.observe(c)
	r.rep.Expectations = append(r.rep.Expectations, Expectation{Line: c.Line, Expect: c.Text(), Pass: ok, Seen: seen})
	if !ok {
		return &ExpectError{File: r.s.File, Line: c.Line, Expected: c.Text(), Seen: seen}
	}
	return nil
}

// observe returns what the device shows for an expectation, and whether
// it is one of the wanted values. It reads flash through a snapshot, so
// observing costs no simulated time and works while the device is off.
func (r *Runner) observe(c *ExpectCmd) (string, bool) {
	d := r.dev
	match := func(v string) (string, bool) { return v, slices.Contains(c.Want, v) }
	switch c.What {
	case WhatRunning:
		if d.Running() == "" {
			return match("none")
		}
		return match(d.Running())
	case WhatState:
		return match(d.State().String())
	case WhatRegion:
		return r.observeRegion(c)
	case WhatNV:
		return r.observeNV(c) // nv.go
	case WhatNVTask:
		return r.observeNVTask(c) // nv.go
	case WhatRead:
		return r.observeRead(c) // chunks.go
	case WhatResultIndex:
		return r.observeResultIndex(c) // guideapi.go
	case WhatVerdict:
		if d.State() == emulator.Off {
			return "nothing: the device is off (power-on settles it)", false
		}
		return match(string(d.Verdict(r.burnedApp, r.newApp())))
	case WhatError:
		switch {
		case !r.called:
			_, ok := match(upg.ErrcodeSucc.String())
			return upg.ErrcodeSucc.String() + " (no app call yet)", ok
		case r.lastCut:
			return fmt.Sprintf("no return: the power failed inside %s", r.lastCall), false
		}
		code := upg.Code(r.lastErr).String()
		if _, ok := match(code); ok {
			return code, true
		}
		if r.lastErr != nil {
			return fmt.Sprintf("%s (%s: %v)", code, r.lastCall, r.lastErr), false
		}
		return code, false
	case WhatResult:
		f, err := r.flag()
		if err != nil {
			return "no flag area: " + err.Error(), false
		}
		return match(upg.Result(f.UpdateResult).String())
	case WhatRetries:
		return r.retries(c)
	case WhatEfuse, WhatPartition:
		return r.observeKV(c) // recovery.go
	}
	return "unknown expectation " + c.What, false
}

// readOnly is a snapshot as the update library's flash, for reading the
// flag area without touching the device.
type readOnly struct{ *flash.Snapshot }

func (readOnly) Program(uint32, []byte) error    { return errors.New("scenarios: read-only flash") }
func (readOnly) EraseRange(uint32, uint32) error { return errors.New("scenarios: read-only flash") }

func (r *Runner) flag() (*upg.Flag, error) {
	snap := r.dev.Flash.View() // read at once: no copy-on-write marks
	t, err := partition.ParseFlash(snap)
	if err != nil {
		return nil, err
	}
	return upg.New(readOnly{snap}, t, upg.Options{}).ReadFlag()
}

// retries reports the consumed attempts of one image of the stored
// package from its three retry bytes (docs/sdk-mapping.md §3.3): the count of leading
// 0x00 bytes while the image is not finished. 00 00 00 is "finished" —
// except for the image that used its third attempt when update_result is
// RETRY_ALL_FAILED, which is 3 (the SDK leaves the same bytes for both).
func (r *Runner) retries(c *ExpectCmd) (string, bool) {
	if r.stored == nil {
		return "no package stored", false
	}
	id, err := r.retryImageID(c.Image)
	if err != nil {
		return err.Error(), false
	}
	p, err := upg.ReadPackage(bytes.NewReader(r.stored.data), int64(len(r.stored.data)))
	if err != nil {
		return "the stored package does not parse: " + err.Error(), false
	}
	fwi, found := -1, false
	for _, n := range p.Nodes {
		if n.ImageID != upg.ImageIDNV {
			fwi++
		}
		if n.ImageID == id {
			found = true
			break
		}
	}
	if !found {
		return fmt.Sprintf("package %s carries no %s image", r.stored.decl.Name, upg.ImageName(id)), false
	}
	f, err := r.flag()
	if err != nil {
		return "no flag area: " + err.Error(), false
	}
	var t [3]byte
	field := "nv_flag"
	if id == upg.ImageIDNV {
		t = f.NVFlag
	} else {
		if fwi >= upg.MaxImages {
			return "image index beyond the flag area", false
		}
		t = f.FirmwareFlag[fwi]
		field = fmt.Sprintf("firmware_flag[%d]", fwi)
	}
	var n string
	if t == [3]byte{} {
		n = "finished"
		if id != upg.ImageIDNV && f.CompleteFlag == 0 && upg.Result(f.UpdateResult) == upg.ResultRetryAllFailed && lastZero(f) == fwi {
			n = "3"
		}
	} else {
		k := 0
		for k < 3 && t[k] == 0 {
			k++
		}
		n = strconv.Itoa(k)
	}
	seen := fmt.Sprintf("%s (%s = % x, %s)", n, field, t[:], upg.RetryStatus(t))
	return seen, slices.Contains(c.Want, n)
}

// lastZero is the last firmware index whose retry bytes are 00 00 00:
// processing stops at the failing image, so after RETRY_ALL_FAILED that
// is the exhausted one.
func lastZero(f *upg.Flag) int {
	last := -1
	for i := 0; i < int(min(f.FirmwareNum, upg.MaxImages)); i++ {
		if f.FirmwareFlag[i] == [3]byte{} {
			last = i
		}
	}
	return last
}

// retryImageID maps an expect retries NAME to a FOTA image id: a declared
// image's kind, or the words app and flashboot.
func (r *Runner) retryImageID(name string) (uint32, error) {
	kind := name
	if d, ok := r.imageDecl[name]; ok {
		kind = d.Kind
		if b, ok := r.images[name]; ok {
			kind = b.kind
		}
		if r.stored.decl.File == "" && !slices.Contains(r.stored.decl.Images, name) {
			return 0, fmt.Errorf("image %s is not in package %s", name, r.stored.decl.Name)
		}
	}
	switch kind {
	case KindApp:
		return upg.ImageIDApp, nil
	case KindFlashboot:
		return upg.ImageIDFlashboot, nil
	case KindNV:
		return upg.ImageIDNV, nil
	case KindHilink:
		return upg.ImageIDHilink, nil
	}
	return 0, fmt.Errorf("image %s (%s) never goes into a package", name, kind)
}

// String summarises a report in one line.
func (rep *Report) String() string {
	status := "PASS"
	if !rep.Passed {
		status = "FAIL"
	}
	n := 0
	for _, e := range rep.Expectations {
		if e.Pass {
			n++
		}
	}
	state := "state " + rep.State
	if rep.State == "" {
		state = "no device"
	}
	parts := []string{status, rep.File, fmt.Sprintf("%d/%d expectations", n, len(rep.Expectations)), state}
	if rep.Running != "" {
		parts = append(parts, "running "+rep.Running)
	}
	if rep.Verdict != "" {
		v := "verdict " + string(rep.Verdict)
		if rep.VerdictWhy != "" {
			v += " (" + rep.VerdictWhy + ")"
		}
		parts = append(parts, v)
	}
	parts = append(parts, fmt.Sprintf("%d boots", rep.Boots),
		fmt.Sprintf("%.3f s simulated", rep.SimTime.Seconds()),
		fmt.Sprintf("%d flash ops", rep.FlashOps))
	return strings.Join(parts, ", ")
}
