package emulator

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flashboot"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Config describes a device to manufacture. Zero values take defaults.
type Config struct {
	Layout     partition.Layout
	Table      *partition.Table // nil: partition.Default(Layout)
	SecureBoot bool
	// RootKey, when set, fills the root key area, signs the params areas
	// and is burned (hashed) into efuse; nil leaves the root key area 0xFF
	// and the params hash-only, as the real sample blob.
	RootKey *image.PrivateKey
	// BootBudget bounds the boots of one settle (power-on or reset until
	// the app runs); exceeding it is a reset loop. Default 64.
	BootBudget int
	// CPU rates for the simulated clock (bytes per second).
	HashRate, DecodeRate int64
	// Upg are extra update-library options (InOrderWrites, image map).
	Upg    upg.Options
	Logger *zap.Logger
	// Models are the recovery-path models (recovery.go): anti-rollback
	// burning, the flash encryption key, the firmware's SDK version.
	Models Models
	// FlashbootScheme and AppScheme are what flashboot and the app are
	// built for (scheme.go); SchemeLayout, the default, follows Layout.
	FlashbootScheme, AppScheme Scheme
	// UserNV is the user's NV data (nv.go, ExpectNVKeys): keys whose loss
	// or change is the nv-lost verdict. Set through ExpectNVKeys.
	UserNV map[uint16][]byte
}

func (c *Config) validate() error {
	if c.BootBudget == 0 {
		c.BootBudget = 64
	}
	if c.BootBudget < 1 {
		return fmt.Errorf("emulator: boot budget %d < 1", c.BootBudget)
	}
	if c.HashRate == 0 {
		c.HashRate = DefaultHashRate
	}
	if c.DecodeRate == 0 {
		c.DecodeRate = DefaultDecodeRate
	}
	if c.HashRate < 0 || c.DecodeRate < 0 {
		return errors.New("emulator: negative CPU rate")
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Table == nil {
		t := partition.Default(c.Layout)
		c.Table = &t
	}
	if c.Layout == partition.LayoutAB {
		c.Upg.AB = true // an AB layout runs AB builds of flashboot and the app
	}
	if err := c.Models.validate(); err != nil {
		return err
	}
	return c.Table.Validate(flash.Size)
}

// Simulated-time defaults (documented in doc.go).
const (
	DefaultHashRate   = 40 << 20               // SHA-256, hardware-assisted, bytes/s
	DefaultDecodeRate = 6 << 20                // LZMA decode on the 240 MHz core, bytes/s
	bootCost          = 30 * time.Millisecond  // ROM + ssb + flashboot start-up
	resetDelay        = 500 * time.Millisecond // request_upgrade(reset): delay before the chip reset
)

// State is where the device is.
type State int

// Device states.
const (
	Off     State = iota // no power
	Running              // the app runs and takes commands
	Stuck                // no app runs: reset loop, WFI, or the boot budget ran out
	NoBoot               // ssb found no valid flashboot
)

func (s State) String() string {
	return [...]string{"off", "running", "stuck", "no-boot"}[s]
}

// powerCut is the panic that stops a program at a power cut; it never
// escapes the emulator.
type powerCut struct{}

// Device is one emulated WS63: flash, efuse, retention registers, power and
// the boot chain ssb → flashboot → app.
type Device struct {
	cfg   Config
	Flash *flash.Device
	Efuse *efuse.Bank
	regs  map[uint32]uint32

	state   State
	app     *app.App
	appName string
	why     string // why the device is stuck or not booting
	boot    int    // boots since manufacture
	cpu     time.Duration
	extra   time.Duration

	names      map[[32]byte]string // known image hashes → names, for the trace
	userVerify map[Program]upg.UserVerifyFunc
	// phaseAfterFlag is the phase a flag-area write interrupted; the flash
	// phase label is "flag FIELD" for that write's operations only.
	phaseAfterFlag string
	trace          []Event
	log            *zap.Logger

	// AB builds (ab.go): the region the running app booted from, and
	// whether flashboot had to switch regions in the current settle.
	region   upg.Region
	fellBack bool

	hist history // the recovery-path models' memory of past boots (recovery.go)

	engineErr error // the SDK engine failed in the last settle or action (engine.go)

	appBuf []byte // flashboot's app-check buffer (board.AppBuffer), reused boot to boot
}

// New manufactures a device: a blank flash with the factory params
// (root key area, params key area, params info, partition table) burned at
// 0x0, and efuse set up (root key hash, secure verify).
func New(cfg Config) (*Device, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Device{cfg: cfg, Flash: flash.New(), Efuse: new(efuse.Bank), regs: map[uint32]uint32{},
		names: map[[32]byte]string{}, log: cfg.Logger}
	var opts partition.ParamsOptions
	if cfg.RootKey != nil {
		opts.Root = cfg.RootKey
		h := sha256.Sum256(partition.RootKeyArea(cfg.RootKey.XY()))
		if err := d.Efuse.Burn(efuse.RootKeyHash, h[:]); err != nil {
			return nil, err
		}
	}
	if cfg.SecureBoot {
		if err := d.Efuse.Burn(efuse.SecureVerify, []byte{1}); err != nil {
			return nil, err
		}
	}
	if err := d.provision(); err != nil { // recovery.go: flash key
		return nil, err
	}
	params, err := partition.BuildParams(*cfg.Table, opts)
	if err != nil {
		return nil, err
	}
	d.Flash.SetPhase("factory")
	if err := d.Flash.Program(0, params); err != nil {
		return nil, err
	}
	d.extra -= d.Flash.Elapsed() // factory time is not device time
	return d, nil
}

// FromFlash wraps an existing flash image (e.g. a user's dump).
func FromFlash(cfg Config, f *flash.Device, ef *efuse.Bank) (*Device, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if ef == nil {
		ef = new(efuse.Bank)
	}
	return &Device{cfg: cfg, Flash: f, Efuse: ef, regs: map[uint32]uint32{},
		names: map[[32]byte]string{}, log: cfg.Logger}, nil
}

// Name registers a name for an image's bytes so traces and verdicts say
// "app-v2" rather than a hash.
func (d *Device) Name(name string, imageBytes []byte) {
	d.NameSum(name, sha256.Sum256(imageBytes))
}

// NameSum is Name of the bytes whose SHA-256 is sum.
func (d *Device) NameSum(name string, sum [32]byte) { d.names[sum] = name }

// NameHeader names a signed image (header and code, nothing after) whose
// code is known to match its header's code_area_hash by its header alone,
// besides Name or NameSum: the header carries the code's hash, so it
// identifies the image, and NameOfVerified need not hash the code again.
func (d *Device) NameHeader(name string, imageBytes []byte) {
	if k, ok := headName(imageBytes); ok {
		d.names[k] = name
	}
}

// NameOfVerified is NameOf of image bytes that flashboot has just checked
// (header and code, the code matching code_area_hash): an image named with
// NameHeader is found by its header; any other is hashed whole.
func (d *Device) NameOfVerified(imageBytes []byte) string {
	if k, ok := headName(imageBytes); ok {
		if n, ok := d.names[k]; ok {
			return n
		}
	}
	return d.NameOf(imageBytes)
}

// headName is the names key of a signed image by its header: SHA-256 of
// a label and the header, so that it is never the hash of other bytes
// registered whole. ok is false unless b is exactly one image (header and
// the code its code_area_len counts).
func headName(b []byte) (k [32]byte, ok bool) {
	ci, ok := codeInfo(b)
	if !ok || int64(len(b)) != image.HeaderLen+int64(ci.CodeAreaLen) {
		return k, false
	}
	h := sha256.New()
	h.Write([]byte("ws63emu image header\x00"))
	h.Write(b[:image.HeaderLen])
	h.Sum(k[:0])
	return k, true
}

// NameOf returns the registered name of image bytes, or a short hash.
func (d *Device) NameOf(imageBytes []byte) string {
	return d.NameOfSum(d.cfg.Upg.Memo.Sum256(imageBytes)) // nil-safe: crypto/sha256 without a memo
}

// NameOfSum is NameOf of the bytes whose SHA-256 is h.
func (d *Device) NameOfSum(h [32]byte) string {
	if n, ok := d.names[h]; ok {
		return n
	}
	return fmt.Sprintf("sha256:%x", h[:6])
}

// SetUserVerify makes program p register fn as its user-defined package
// verification (uapi_upg_register_user_defined_verify_func) from its next
// start-up on; nil unregisters it.
func (d *Device) SetUserVerify(p Program, fn upg.UserVerifyFunc) {
	if d.userVerify == nil {
		d.userVerify = map[Program]upg.UserVerifyFunc{}
	}
	if fn == nil {
		delete(d.userVerify, p)
		return
	}
	d.userVerify[p] = fn
}

// Table is the partition table the device reads at boot (flash 0x380).
func (d *Device) Table() partition.Table {
	t, err := partition.ParseFlash(d.Flash)
	if err != nil {
		return partition.Table{}
	}
	return t
}

// Burn factory-burns an image into a partition (erase, then program), as
// the burn tool does; it is not part of any upgrade flow.
func (d *Device) Burn(id partition.ID, data []byte) error {
	e, err := d.Table().Lookup(id)
	if err != nil {
		return fmt.Errorf("emulator: burn: %w", err)
	}
	if uint32(len(data)) > e.Size {
		return fmt.Errorf("emulator: burn: %d bytes do not fit partition %s (%d bytes)", len(data), id, e.Size)
	}
	d.Flash.SetPhase("burn " + id.String())
	// The burn tool's time is not the device's: keep the clock still.
	before := d.Flash.Elapsed()
	err = d.Flash.EraseRange(e.Offset, e.Size)
	if err == nil {
		err = d.Flash.Program(e.Offset, data)
	}
	d.extra -= d.Flash.Elapsed() - before
	if err != nil {
		return err
	}
	d.emit(KindFactory, fmt.Sprintf("burned %d bytes into %s (0x%06x)", len(data), id, e.Offset))
	return nil
}

// State reports where the device is; Why says why it is stuck.
func (d *Device) State() State { return d.state }

// Why explains a Stuck or NoBoot state.
func (d *Device) Why() string { return d.why }

// App is the running app, or nil.
func (d *Device) App() *app.App { return d.app }

// Running is the name of the running app image, or "".
func (d *Device) Running() string {
	if d.state != Running {
		return ""
	}
	return d.appName
}

// Boots counts boots since manufacture.
func (d *Device) Boots() int { return d.boot }

// Now is the simulated time since manufacture.
func (d *Device) Now() time.Duration { return d.Flash.Elapsed() + d.cpu + d.extra }

// Reg reads a retention register.
func (d *Device) Reg(addr uint32) uint32 { return d.regs[addr] }

// Cut arms a power cut at the n-th flash operation from now (n ≥ 1: the
// next operation is 1), torn as t.
func (d *Device) Cut(n uint64, t flash.Tear) {
	if n == 0 {
		n = 1
	}
	at := d.Flash.OpCount() + n - 1
	d.Flash.CutAt(at, t)
	d.emit(KindFault, fmt.Sprintf("power cut armed at flash op #%d (%s)", at, t))
}

// PowerOn powers the device and boots until the app runs or it is stuck.
// RAM and retention registers start cleared.
func (d *Device) PowerOn() State {
	d.Flash.PowerOn()
	d.regs = map[uint32]uint32{}
	d.closeApp()
	d.engineErr = nil
	d.emit(KindPower, "power on")
	return d.settle("power-on")
}

// Reset is a soft reset: retention registers survive, RAM does not.
func (d *Device) Reset() State {
	if d.Flash.Off() {
		return d.state
	}
	d.closeApp()
	d.emit(KindPower, "soft reset")
	return d.settle("reset")
}

// powerLost moves the device to Off after a cut stopped a program.
func (d *Device) powerLost() {
	d.phaseAfterFlag = ""
	d.state = Off
	d.closeApp()
	d.appName = ""
	d.regs = map[uint32]uint32{}
	d.emit(KindPower, fmt.Sprintf("power lost at flash op #%d (phase %q)", d.Flash.OpCount()-1, d.Flash.Phase()))
}

// guard runs fn and turns a power cut inside it into the Off state.
func (d *Device) guard(fn func()) (cut bool) {
	defer func() {
		if r := recover(); r != nil {
			if ee, ok := r.(*upg.EngineError); ok {
				d.engineFailed(ee) // engine.go
				return
			}
			if _, ok := r.(powerCut); !ok {
				panic(r)
			}
			cut = true
			d.powerLost()
		}
	}()
	fn()
	return d.Flash.Off()
}

// settle boots until the app runs, the device is stuck, or the boot budget
// is spent.
func (d *Device) settle(how string) State {
	d.fellBack = false
	for n := 0; ; n++ {
		if n >= d.cfg.BootBudget {
			d.stuck(fmt.Sprintf("boot budget of %d boots exhausted (reset loop)", d.cfg.BootBudget))
			return d.state
		}
		again := false
		if d.guard(func() { again = d.bootOnce(how) }) {
			return d.state
		}
		if !again {
			return d.state
		}
		how = "reset"
	}
}

func (d *Device) stuck(why string) {
	d.closeApp()
	d.state, d.why, d.appName = Stuck, why, ""
	d.emit(KindVerdict, "stuck: "+why)
}

// bootOnce runs ssb, flashboot and, when flashboot jumps, the app's
// start-up. It reports whether the chip resets and boots again.
func (d *Device) bootOnce(how string) bool {
	d.boot++
	d.extra += bootCost
	d.state = Off
	d.emitBoot(how) // recovery.go: counters and efuse words
	// ssb: verify the primary flashboot, else the backup.
	d.Flash.SetPhase("ssb")
	which, err := d.ssb()
	if err != nil {
		d.state, d.why = NoBoot, err.Error()
		d.emit(KindVerdict, "no-boot: "+err.Error())
		return false
	}
	d.regs[flashboot.RegBoot] = which
	d.Flash.SetPhase("flashboot")
	res := flashboot.Run(d.board(ProgFlashboot))
	d.afterFlashboot(which, res) // recovery.go
	if res.AppErr != nil {
		d.emit(KindBoot, fmt.Sprintf("app verification failed: %v; try-fix-app: %s", res.AppErr, res.Fix))
	}
	if res.Upgraded {
		d.emit(KindBoot, fmt.Sprintf("uapi_upg_start returned %s", upg.Code(res.UpgErr).String()))
	}
	if res.Recovery {
		d.emit(KindBoot, "flashboot primary restored from the backup partition")
	}
	if res.AB {
		d.abBoot(res)
	}
	switch res.Outcome {
	case flashboot.Reset:
		return true
	case flashboot.Halt:
		d.stuck("flashboot halted: " + res.Fix)
		return false
	}
	d.appName = d.NameOfVerified(res.App) // flashboot checked its code hash
	d.appBooted(res.App)                  // recovery.go
	d.Flash.SetPhase("app")
	d.emit(KindBoot, "jump to app "+d.appName)
	a, err := app.Start(d.board(ProgApp))
	d.app = a
	d.state = Running
	if err != nil {
		d.emit(KindApp, fmt.Sprintf("uapi_upg_init: %s", upg.Code(err).String()))
	}
	d.emit(KindApp, fmt.Sprintf("app running: %s (upg status %s)", d.appName, a.Status))
	return false
}

// ssb picks the flashboot copy to run (docs/sdk-mapping.md §4.6; ssb is closed source,
// modelled as: verify the primary, else the backup).
func (d *Device) ssb() (uint32, error) {
	t := d.Table()
	var errs []error
	for _, c := range []struct {
		id  partition.ID
		reg uint32
	}{{partition.Flashboot, flashboot.BootMain}, {partition.FlashbootBackup, flashboot.BootBackup}} {
		e, err := t.Lookup(c.id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r := io.NewSectionReader(d.Flash, int64(e.Offset), int64(e.Size))
		memo := d.cfg.Upg.Memo // a sweep's (upg.Memo); nil-safe
		im, err := image.ParseWith(r, int64(e.Size), image.ParseOptions{Sum256: memo.Sum256, Read: memo.Read})
		if err == nil {
			d.cpuWork(upg.CPUHash, len(im.Code))
			o := d.flashbootVerifyOptions()
			o.CodeHashChecked = true // ParseWith just did
			err = image.Verify(im, o)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.id, err))
			d.emit(KindBoot, fmt.Sprintf("ssb: %s does not verify: %v", c.id, err))
			continue
		}
		raw, _, _ := memo.Read(r, 0, im.Len())
		d.emit(KindBoot, fmt.Sprintf("ssb: booting %s %s", c.id, d.NameOf(raw)))
		d.ssbBooted(c.id, raw) // recovery.go: SDK, anti-rollback burn
		return c.reg, nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return 0, fmt.Errorf("ssb: no valid flashboot (%s)", strings.Join(msgs, "; "))
}

func (d *Device) flashbootVerifyOptions() image.VerifyOptions {
	o := image.VerifyOptions{}
	if sv := d.Efuse.Read(efuse.SecureVerify); len(sv) > 0 && sv[0] != 0 {
		o.SecureBoot = true
	}
	o.EfuseVersion, _ = d.Efuse.ReadU32(efuse.FlashbootVersion)
	o.EfuseMSID, _ = d.Efuse.ReadU32(efuse.MSID)
	copy(o.DieID[:], d.Efuse.Read(efuse.DieID))
	o.Sum256 = d.cfg.Upg.Memo.Sum256 // nil-safe: crypto/sha256 without a memo
	// Root key from the root key area; ssb's own key chain is modelled as
	// the root key signing flashboot's key area.
	if e, err := d.Table().Lookup(partition.RootKey); err == nil {
		d.Flash.ReadAt(o.ParentKey[:], int64(e.Offset)+0x40)
	}
	return o
}

func (d *Device) cpuWork(w upg.CPUWork, n int) {
	rate := d.cfg.HashRate
	if w == upg.CPUDecode {
		rate = d.cfg.DecodeRate
	}
	if w == upg.CPUECDSA {
		d.cpu += 15 * time.Millisecond * time.Duration(n)
		return
	}
	d.cpu += time.Duration(int64(n) * int64(time.Second) / rate)
}

// Do runs an app action (store, request-upgrade) on the running app. A
// power cut inside it leaves the device Off; the action's SDK error, if
// any, is returned.
func (d *Device) Do(fn func(a *app.App) error) (err error, cut bool) {
	if d.state != Running || d.app == nil {
		return fmt.Errorf("emulator: the app is not running (device %s)", d.state), false
	}
	cut = d.guard(func() { err = fn(d.app) })
	return err, cut
}

// RequestUpgrade is the app's request_upgrade(reset): on success with reset
// the device waits the SDK's 500 ms and resets.
func (d *Device) RequestUpgrade(reset bool) (error, bool) {
	err, cut := d.Do(func(a *app.App) error { return a.RequestUpgrade() })
	if cut || err != nil || !reset {
		return err, cut
	}
	d.extra += resetDelay
	d.Reset()
	return nil, d.state == Off
}
