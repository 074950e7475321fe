package scenarios

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Limits on scenario input (docs/design.md §9: parsers treat input as hostile).
const (
	MaxLineLen  = 4096    // bytes in one line
	MaxFileLen  = 1 << 20 // bytes in one scenario file
	MaxNameLen  = 64      // bytes in an image or package name
	MaxCommands = 10000   // commands in one scenario
	// MaxImageSize bounds size= of a synthetic image: the largest code
	// area an image can have (image build --size has the same range).
	MaxImageSize = image.MaxCodeLen
	maxRetries   = 3
)

// ParseFile reads and parses a scenario file.
// "-" reads standard input.
func ParseFile(path string) (*Script, error) {
	data, err := cliio.ReadFile(path, MaxFileLen, "a scenario")
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return Parse(path, bytes.NewReader(data))
}

// Parse parses a scenario. name is used in errors and to resolve relative
// file= paths. Parse reads at most MaxFileLen bytes.
func Parse(name string, r io.Reader) (*Script, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileLen+1))
	if err != nil {
		return nil, fmt.Errorf("scenarios: read %s: %w", name, err)
	}
	if len(data) > MaxFileLen {
		return nil, &SyntaxError{File: name, Line: 0, Msg: fmt.Sprintf("file is longer than %d bytes", MaxFileLen)}
	}
	// A UTF-8 byte-order mark (Windows editors write one) is skipped, as
	// the fota.cfg reader does.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	p := parser{file: name, images: map[string]*ImageCmd{}, packages: map[string]*PackageCmd{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 256), MaxLineLen+1)
	s := &Script{File: name}
	n := 0
	for sc.Scan() {
		n++
		text := sc.Text()
		if len(text) > MaxLineLen {
			return nil, p.errf(n, "line is longer than %d bytes", MaxLineLen)
		}
		c, err := p.line(n, text)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		if len(s.Commands) >= MaxCommands {
			return nil, p.errf(n, "more than %d commands", MaxCommands)
		}
		s.Commands = append(s.Commands, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, p.errf(n+1, "line is longer than %d bytes", MaxLineLen)
		}
		return nil, fmt.Errorf("scenarios: read %s: %w", name, err)
	}
	if p.sweepOpen != 0 {
		return nil, p.errf(p.sweepOpen, "sweep-begin without sweep-end")
	}
	return s, nil
}

// parser holds what earlier lines declared.
type parser struct {
	file      string
	device    int // line of the device command, 0 before it
	layout    partition.Layout
	sweepOpen int // line of an open sweep-begin
	sweeps    int
	appAB     bool // the app is built for AB (build.go)
	images    map[string]*ImageCmd
	packages  map[string]*PackageCmd
}

func (p *parser) errf(n int, format string, a ...any) error {
	return &SyntaxError{File: p.file, Line: n, Msg: fmt.Sprintf(format, a...)}
}

// args is one line's arguments: positional words and key=value pairs.
type args struct {
	p    *parser
	n    int
	cmd  string
	pos  []string
	keys []string // in order of appearance
	vals map[string]string
	used map[string]bool
}

// tokenize splits a line into words; a word starting with '#' starts a
// comment. It returns nil for a blank or comment line.
func tokenize(text string) []string {
	f := strings.Fields(text)
	for i, w := range f {
		if strings.HasPrefix(w, "#") {
			return f[:i]
		}
	}
	return f
}

func (p *parser) split(n int, f []string) (*args, error) {
	a := &args{p: p, n: n, cmd: f[0], vals: map[string]string{}, used: map[string]bool{}}
	for _, w := range f[1:] {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			if len(a.keys) > 0 && a.cmd != "expect" && !(a.cmd == "write" && w == "async") {
				return nil, p.errf(n, "%s: positional argument %q after key=value arguments", a.cmd, w)
			}
			a.pos = append(a.pos, w)
			continue
		}
		if k == "" {
			return nil, p.errf(n, "%s: argument %q has no key", a.cmd, w)
		}
		if _, dup := a.vals[k]; dup {
			return nil, p.errf(n, "%s: %s= given twice", a.cmd, k)
		}
		a.keys = append(a.keys, k)
		a.vals[k] = v
	}
	return a, nil
}

// get returns a key's value and marks it used.
func (a *args) get(key string) (string, bool) {
	v, ok := a.vals[key]
	if ok {
		a.used[key] = true
	}
	return v, ok
}

func (a *args) errf(format string, x ...any) error {
	return a.p.errf(a.n, "%s: %s", a.cmd, fmt.Sprintf(format, x...))
}

// done reports the first key no one asked for, and a positional count
// outside [min, max] (max < 0: no limit).
func (a *args) done(min, max int) error {
	for _, k := range a.keys {
		if !a.used[k] {
			return a.errf("unknown key %q", k)
		}
	}
	switch {
	case len(a.pos) < min:
		return a.errf("needs %d argument(s), got %d", min, len(a.pos))
	case max >= 0 && len(a.pos) > max:
		return a.errf("unexpected argument %q", a.pos[max])
	}
	return nil
}

func (a *args) required(key string) (string, error) {
	v, ok := a.get(key)
	if !ok {
		return "", a.errf("%s= is required", key)
	}
	if v == "" {
		return "", a.errf("%s= is empty", key)
	}
	return v, nil
}

// optional returns a key's value, or "" when absent; present-but-empty is
// an error.
func (a *args) optional(key string) (string, bool, error) {
	v, ok := a.get(key)
	if ok && v == "" {
		return "", false, a.errf("%s= is empty", key)
	}
	return v, ok, nil
}

func (a *args) uint(key string, bits int, def uint64) (uint64, bool, error) {
	v, ok, err := a.optional(key)
	if err != nil || !ok {
		return def, false, err
	}
	u, err := strconv.ParseUint(v, 0, bits)
	if err != nil {
		return 0, false, a.errf("%s=%q is not an unsigned %d-bit number", key, v, bits)
	}
	return u, true, nil
}

func (a *args) flag(key string, def bool) (bool, error) {
	v, ok, err := a.optional(key)
	if err != nil || !ok {
		return def, err
	}
	switch v {
	case "on", "true":
		return true, nil
	case "off", "false":
		return false, nil
	}
	return false, a.errf("%s=%q: want on|off (or true|false)", key, v)
}

// validName checks an image or package name: letters, digits, '.', '_'
// and '-', at most MaxNameLen bytes.
func validName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// parseSize reads a byte count with an optional K/KiB/M/MiB suffix.
func parseSize(s string) (int, bool) {
	mult := uint64(1)
	for _, suf := range []struct {
		s string
		m uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}} {
		if t, ok := strings.CutSuffix(s, suf.s); ok {
			s, mult = t, suf.m
			break
		}
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil || v*mult > MaxImageSize {
		return 0, false
	}
	return int(v * mult), true
}

// line parses one line; nil, nil for a blank or comment line.
func (p *parser) line(n int, text string) (Command, error) {
	f := tokenize(text)
	if len(f) == 0 {
		return nil, nil
	}
	a, err := p.split(n, f)
	if err != nil {
		return nil, err
	}
	switch a.cmd {
	case "device", "image", "package":
	default:
		if p.device == 0 && a.cmd != "sweep-begin" && a.cmd != "sweep-end" {
			if _, known := commandParsers[a.cmd]; known {
				return nil, p.errf(n, "%s before the device command", a.cmd)
			}
		}
	}
	fn, ok := commandParsers[a.cmd]
	if !ok {
		return nil, p.errf(n, "unknown command %q", a.cmd)
	}
	return fn(p, a)
}

var commandParsers map[string]func(*parser, *args) (Command, error)

func init() {
	commandParsers = map[string]func(*parser, *args) (Command, error){
		"device":          (*parser).device_,
		"image":           (*parser).image,
		"burn":            (*parser).burn,
		"package":         (*parser).package_,
		"power-on":        func(p *parser, a *args) (Command, error) { return &PowerOnCmd{line{a.n}}, a.done(0, 0) },
		"reset":           func(p *parser, a *args) (Command, error) { return &ResetCmd{line{a.n}}, a.done(0, 0) },
		"store":           (*parser).store,
		"request-upgrade": (*parser).requestUpgrade,
		"cut":             (*parser).cut,
		"fault":           (*parser).fault,
		"user-verify":     (*parser).userVerify,
		"expect":          (*parser).expect,
		"sweep-begin":     (*parser).sweep,
		"sweep-end":       (*parser).sweep,
		"ab-upgrade":      (*parser).abUpgrade,
		"nv-set":          (*parser).nvSet,   // nv.go
		"prepare":         (*parser).prepare, // chunks.go
		"write":           (*parser).write,
		"read":            (*parser).read,
		"ab-read":         (*parser).abRead, // guideapi.go
	}
}

func (p *parser) device_(a *args) (Command, error) {
	if p.device != 0 {
		return nil, a.errf("a second device (the first is on line %d)", p.device)
	}
	c := &DeviceCmd{line: line{a.n}}
	l, err := a.required("layout")
	if err != nil {
		return nil, err
	}
	if l == layoutHilink { // recovery.go: the SDK's hilink table
		c.Layout, c.Hilink = partition.LayoutCompress, true
	} else if c.Layout, err = partition.ParseLayout(l); err != nil {
		return nil, a.errf("layout=%q: want compress, ab or hilink", l)
	}
	if c.Flash, _, err = a.optional("flash"); err != nil {
		return nil, err
	}
	if c.RootKey, _, err = a.optional("root-key"); err != nil {
		return nil, err
	}
	if c.SecureBoot, err = a.flag("secure-boot", false); err != nil {
		return nil, err
	}
	if c.Seed, _, err = a.uint("seed", 64, 0); err != nil {
		return nil, err
	}
	if c.InOrderWrites, err = a.flag("in-order-writes", false); err != nil {
		return nil, err
	}
	bb, _, err := a.uint("boot-budget", 16, 0)
	if err != nil {
		return nil, err
	}
	c.BootBudget = int(bb)
	if c.ABStartSDKBug, err = a.flag("ab-start-bug", false); err != nil {
		return nil, err
	}
	if err := c.DeviceModels.parse(a); err != nil {
		return nil, err
	}
	if err := c.DeviceBuild.parse(a, c); err != nil { // build.go
		return nil, err
	}
	if c.Engine, err = parseEngine(a); err != nil { // engine.go
		return nil, err
	}
	if err := a.done(0, 0); err != nil {
		return nil, err
	}
	p.device, p.layout, p.appAB = a.n, c.Layout, c.appAB()
	return c, nil
}

func (p *parser) declare(a *args, name string) error {
	if !validName(name) {
		return a.errf("bad name %q (letters, digits, '.', '_', '-'; at most %d bytes)", name, MaxNameLen)
	}
	if c, ok := p.images[name]; ok {
		return a.errf("%q is already declared on line %d", name, c.Line)
	}
	if c, ok := p.packages[name]; ok {
		return a.errf("%q is already declared on line %d", name, c.Line)
	}
	return nil
}

func (p *parser) image(a *args) (Command, error) {
	if len(a.pos) == 0 {
		return nil, a.errf("needs a NAME")
	}
	c := &ImageCmd{line: line{a.n}, Name: a.pos[0]}
	if err := p.declare(a, c.Name); err != nil {
		return nil, err
	}
	var err error
	var hasKind bool
	if c.Kind, hasKind, err = a.optional("kind"); err != nil {
		return nil, err
	}
	if hasKind {
		switch c.Kind {
		case KindApp, KindFlashboot, KindFlashbootBackup, KindNV, KindHilink:
		default:
			return nil, a.errf("kind=%q: want app, flashboot, flashboot-backup, nv or hilink", c.Kind)
		}
	}
	var isFile bool
	if c.File, isFile, err = a.optional("file"); err != nil {
		return nil, err
	}
	if !isFile {
		if !hasKind {
			return nil, a.errf("kind= is required (or file=PATH)")
		}
		if c.Version, err = a.required("version"); err != nil {
			return nil, err
		}
		if len(c.Version) > image.IdentVersionMax {
			return nil, a.errf("version=%q is longer than %d bytes", c.Version, image.IdentVersionMax)
		}
		if v, ok, err := a.optional("size"); err != nil {
			return nil, err
		} else if ok {
			if c.Size, ok = parseSize(v); !ok || c.Size < image.IdentLen {
				return nil, a.errf("size=%q: want a byte count %d..%d (K, KiB, M, MiB suffixes allowed)", v, image.IdentLen, MaxImageSize)
			}
		}
		ve, _, err := a.uint("version_ext", 32, 0)
		if err != nil {
			return nil, err
		}
		if err := image.CheckVersionExt(uint32(ve)); err != nil { // as image build --version-ext
			return nil, a.errf("version_ext=%d: %v", ve, err)
		}
		c.VersionExt = uint32(ve)
		if c.Seed, c.HasSeed, err = a.uint("seed", 64, 0); err != nil {
			return nil, err
		}
	}
	if err := c.ImageModels.parse(a, c); err != nil {
		return nil, err
	}
	if err := a.done(1, 1); err != nil {
		return nil, err
	}
	p.images[c.Name] = c
	return c, nil
}

func (p *parser) burn(a *args) (Command, error) {
	c := &BurnCmd{line: line{a.n}}
	if err := c.parsePart(a); err != nil { // build.go
		return nil, err
	}
	if err := a.done(1, -1); err != nil {
		return nil, err
	}
	for _, name := range a.pos {
		if _, ok := p.images[name]; !ok {
			return nil, a.errf("unknown image %q", name)
		}
	}
	c.Names = a.pos
	if c.HasPart && len(c.Names) != 1 {
		return nil, a.errf("part= burns one image, got %d", len(c.Names))
	}
	return c, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (p *parser) package_(a *args) (Command, error) {
	if len(a.pos) == 0 {
		return nil, a.errf("needs a NAME")
	}
	c := &PackageCmd{line: line{a.n}, Name: a.pos[0]}
	if err := p.declare(a, c.Name); err != nil {
		return nil, err
	}
	var err error
	var isFile bool
	if c.File, isFile, err = a.optional("file"); err != nil {
		return nil, err
	}
	if !isFile {
		list, err := a.required("images")
		if err != nil {
			return nil, err
		}
		if err := c.parsePackerSettings(a); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		kinds := map[string]string{}
		sections := map[string]string{}
		unknown := false
		for _, name := range splitList(list) {
			im, ok := p.images[name]
			switch {
			case !ok:
				return nil, a.errf("unknown image %q", name)
			case seen[name]:
				return nil, a.errf("image %q listed twice", name)
			case im.Kind == KindFlashbootBackup:
				return nil, a.errf("image %q: a flashboot-backup image cannot go into a package (FOTA never writes the backup)", name)
			}
			seen[name] = true
			c.Images = append(c.Images, name)
			if c.OrderGiven {
				sec := c.SectionOf(name, im.Kind)
				if sec == "" {
					unknown = true // a file= image without kind=: its section is known when it is read
					continue
				}
				if prev, dup := sections[sec]; dup {
					return nil, a.errf("images %q and %q both go under [%s]; a package holds one image per section", prev, name, sec)
				}
				sections[sec] = name
				continue
			}
			if im.Kind == "" {
				unknown = true // a file= image: its kind is known when it is read
				continue
			}
			if prev, dup := kinds[im.Kind]; dup {
				return nil, a.errf("images %q and %q are both %s images; a package holds one of each kind", prev, name, im.Kind)
			}
			kinds[im.Kind] = name
			sections[sectionOfKind(im.Kind)] = name
		}
		for _, s := range c.Sections {
			if n, _, _ := strings.Cut(s, ":"); !seen[n] {
				return nil, a.errf("sections: %q is not one of images=", n)
			}
		}
		if _, ok := kinds[KindFlashboot]; !ok && !unknown && !c.OrderGiven && !c.NoFlashboot {
			return nil, a.errf("images= needs a flashboot image: the SDK's build_ws63_update.py always packs flashboot (add-flashboot=off or order=given lift that rule)")
		}
		if !unknown {
			if _, ok := sections[upg.SectionNV]; ok {
				if _, ok := sections[upg.SectionApplication]; !ok {
					return nil, a.errf("an NV image needs an app image beside it (the SDK packer refuses NV alone)")
				}
			}
			if _, ok := sections[upg.SectionResData]; ok {
				if _, ok := sections[upg.SectionResIndex]; !ok {
					return nil, a.errf("res_data needs a res_index image beside it (the SDK packer refuses res_data alone)")
				}
			}
		}
		if len(c.Images) > upg.MaxImages {
			return nil, a.errf("%d images; a package holds at most %d", len(c.Images), upg.MaxImages)
		}
		if v, ok, err := a.optional("compress"); err != nil {
			return nil, err
		} else if ok {
			c.CompressSet = true
			c.Compress = []string{}
			if v != "none" {
				for _, name := range splitList(v) {
					if !seen[name] {
						return nil, a.errf("compress: %q is not one of images=", name)
					}
					if slicesContains(c.Compress, name) {
						return nil, a.errf("compress: %q listed twice", name)
					}
					if c.SectionOf(name, p.images[name].Kind) == upg.SectionNV {
						return nil, a.errf("compress: %q is an NV image, which the SDK never compresses", name)
					}
					c.Compress = append(c.Compress, name)
				}
			}
		}
		if c.Ver, _, err = a.optional("ver"); err != nil {
			return nil, err
		}
		// Characters, not bytes, as the SDK counts them.
		if n := utf8.RuneCountInString(c.Ver); c.LongVer || c.OrderGiven {
			if n > upg.UserAreaLen {
				return nil, a.errf("ver=%q has %d characters; the user area holds %d", c.Ver, n, upg.UserAreaLen)
			}
		} else if n > upg.MaxVerLen {
			return nil, a.errf("ver=%q is longer than %d characters (build_ws63_update.py refuses it; long-ver=on allows %d)", c.Ver, upg.MaxVerLen, upg.UserAreaLen)
		}
		sign, ok, err := a.optional("sign")
		if err != nil {
			return nil, err
		}
		if ok {
			if sign != SignECDSA && sign != SignSHA256 && sign != SignSHA256ECC {
				return nil, a.errf("sign=%q: want ecdsa, sha256 or sha256-ecc", sign)
			}
			c.Sign = sign
		}
		if c.Config, _, err = a.optional("config"); err != nil {
			return nil, err
		}
		if err := c.PackageModels.parse(a); err != nil {
			return nil, err
		}
	}
	if err := a.done(1, 1); err != nil {
		return nil, err
	}
	p.packages[c.Name] = c
	return c, nil
}

// parsePackerSettings reads the package line's build_upg_pkg.py settings.
func (c *PackageCmd) parsePackerSettings(a *args) error {
	order, ok, err := a.optional("order")
	if err != nil {
		return err
	}
	if ok {
		switch order {
		case "given":
			c.OrderGiven = true
		case "sdk":
		default:
			return a.errf("order=%q: want sdk (build_ws63_update.py's: application, hilink, flashboot, nv) or given (images= order)", order)
		}
	}
	if v, ok, err := a.optional("sections"); err != nil {
		return err
	} else if ok {
		if !c.OrderGiven {
			return a.errf("sections= needs order=given (build_ws63_update.py packs each image under its kind's section)")
		}
		for _, s := range splitList(v) {
			name, sec, ok := strings.Cut(s, ":")
			if !ok || name == "" || sec == "" {
				return a.errf("sections: %q: want NAME:SECTION", s)
			}
			c.Sections = append(c.Sections, s)
		}
	}
	var add bool
	if add, err = a.flag("add-flashboot", true); err != nil {
		return err
	}
	c.NoFlashboot = !add
	if c.LongVer, err = a.flag("long-ver", false); err != nil {
		return err
	}
	if c.AnyVersionExt, err = a.flag("any-version-ext", false); err != nil {
		return err
	}
	if _, ok, err := a.uint("hardware-id", 32, 0); err != nil {
		return err
	} else if ok {
		c.HardwareID = a.vals["hardware-id"]
	}
	if c.OrderGiven && c.NoFlashboot {
		return a.errf("add-flashboot=off: order=given never adds flashboot")
	}
	return nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (p *parser) store(a *args) (Command, error) {
	c := &StoreCmd{line: line{a.n}}
	ch, ok, err := a.uint("chunk", 32, 0)
	if err != nil {
		return nil, err
	}
	if ok && (ch == 0 || ch > upg.MaxWriteLen) {
		return nil, a.errf("chunk=%d: want 1..%d (write_package takes a 16-bit length)", ch, upg.MaxWriteLen)
	}
	c.Chunk = int(ch)
	if err := c.Transport.parse(a); err != nil { // chunks.go
		return nil, err
	}
	if err := a.done(1, 1); err != nil {
		return nil, err
	}
	c.Package = a.pos[0]
	if _, ok := p.packages[c.Package]; !ok {
		return nil, a.errf("unknown package %q", c.Package)
	}
	return c, nil
}

func (p *parser) requestUpgrade(a *args) (Command, error) {
	c := &RequestUpgradeCmd{line: line{a.n}}
	var err error
	if c.Reset, err = a.flag("reset", true); err != nil {
		return nil, err
	}
	return c, a.done(0, 0)
}

func (p *parser) cut(a *args) (Command, error) {
	c := &CutCmd{line: line{a.n}}
	v, err := a.required("op")
	if err != nil {
		return nil, err
	}
	if c.Op, err = strconv.ParseUint(v, 0, 64); err != nil || c.Op == 0 {
		return nil, a.errf("op=%q: want a flash operation number ≥ 1 (1 is the next operation)", v)
	}
	t, ok, err := a.optional("tear")
	if err != nil {
		return nil, err
	}
	if ok {
		if c.Tear, err = flash.ParseTear(t); err != nil {
			return nil, a.errf("tear=%q: want before, after, prefix:K, bits or bits:SEED", t)
		}
		c.SeedFromScenario = t == "bits"
	}
	return c, a.done(0, 0)
}

func (p *parser) fault(a *args) (Command, error) {
	if len(a.pos) == 0 {
		return nil, a.errf("needs a kind: bad-sector, bitflip, timeout or program-fail")
	}
	c := &FaultCmd{line: line{a.n}, Kind: a.pos[0], Layout: p.layout}
	switch c.Kind {
	case FaultBadSector, FaultBitflip:
	case FaultProgramFail, FaultTimeout:
		v, err := a.required("op")
		if err != nil {
			return nil, err
		}
		if c.Op, err = strconv.ParseUint(v, 0, 64); err != nil || c.Op == 0 {
			return nil, a.errf("op=%q: want a flash operation number ≥ 1 (1 is the next operation)", v)
		}
		return c, a.done(1, 1)
	default:
		return nil, a.errf("unknown fault %q (want bad-sector, bitflip, timeout or program-fail)", c.Kind)
	}
	addr, hasAddr, err := a.uint("addr", 32, 0)
	if err != nil {
		return nil, err
	}
	part, hasPart, err := a.optional("part")
	if err != nil {
		return nil, err
	}
	off, hasOff, err := a.uint("off", 32, 0)
	if err != nil {
		return nil, err
	}
	switch {
	case hasAddr && (hasPart || hasOff):
		return nil, a.errf("give addr= or part= [off=], not both")
	case hasAddr:
		if addr >= flash.Size {
			return nil, a.errf("addr=0x%x is beyond the %d-byte flash", addr, flash.Size)
		}
		c.Addr = uint32(addr)
	case hasPart:
		if c.Part, err = partition.ParseID(part); err != nil {
			return nil, a.errf("part=%q: %v", part, err)
		}
		c.InPart, c.Addr = true, uint32(off)
	default:
		return nil, a.errf("needs addr=A or part=P [off=O]")
	}
	if c.Kind == FaultBadSector {
		m, ok, err := a.optional("mode")
		if err != nil {
			return nil, err
		}
		if ok && m != ModeStuck && m != ModeTimeout {
			return nil, a.errf("mode=%q: want stuck or timeout", m)
		}
		c.Mode = m
	}
	if c.Kind == FaultBitflip {
		b, _, err := a.uint("bit", 8, 0)
		if err != nil {
			return nil, err
		}
		if b > 7 {
			return nil, a.errf("bit=%d: want 0..7", b)
		}
		c.Bit = uint(b)
	}
	return c, a.done(1, 1)
}

func (p *parser) userVerify(a *args) (Command, error) {
	c := &UserVerifyCmd{line: line{a.n}, In: "both"}
	if len(a.pos) > 0 {
		c.Mode = a.pos[0]
	}
	if in, ok, err := a.optional("in"); err != nil {
		return nil, err
	} else if ok {
		if in != "app" && in != "flashboot" && in != "both" {
			return nil, a.errf("in=%q: want app, flashboot or both", in)
		}
		c.In = in
	}
	switch c.Mode {
	case UserVerifyAccept, UserVerifyOff:
	case UserVerifyReject:
		code, ok, err := a.optional("code")
		if err != nil {
			return nil, err
		}
		c.Code = upg.ErrcodeFail
		if ok {
			if c.Code, err = upg.ParseErrcode(code); err != nil || c.Code.String() != code || c.Code == upg.ErrcodeSucc {
				return nil, a.errf("code=%q: want an errcode_t name other than ERRCODE_SUCC", code)
			}
		}
	default:
		return nil, a.errf("needs accept, reject or off")
	}
	return c, a.done(1, 1)
}

func (p *parser) sweep(a *args) (Command, error) {
	if err := a.done(0, 0); err != nil {
		return nil, err
	}
	c := &SweepCmd{line: line{a.n}, End: a.cmd == "sweep-end"}
	switch {
	case !c.End && p.sweepOpen != 0:
		return nil, a.errf("nested sweep (sweep-begin on line %d is still open)", p.sweepOpen)
	case !c.End && p.sweeps > 0:
		return nil, a.errf("a second sweep; a scenario has at most one")
	case c.End && p.sweepOpen == 0:
		return nil, a.errf("sweep-end without sweep-begin")
	case c.End:
		p.sweepOpen = 0
	default:
		p.sweepOpen, p.sweeps = a.n, 1
	}
	return c, nil
}

func (p *parser) expect(a *args) (Command, error) {
	if len(a.pos) == 0 {
		return nil, a.errf("needs what to check: running, verdict, result, error, retries, state or region")
	}
	c := &ExpectCmd{line: line{a.n}, What: a.pos[0]}
	if isKVExpect(c.What) { // recovery.go: efuse, partition
		return p.expectKV(a, c)
	}
	if c.What == WhatNV { // nv.go
		return p.expectNV(a, c)
	}
	if c.What == WhatRetries {
		if len(a.pos) != 1 || len(a.keys) != 1 {
			return nil, a.errf("retries takes one NAME=N")
		}
		c.Image = a.keys[0]
		a.used[c.Image] = true
		if _, ok := p.images[c.Image]; !ok && c.Image != KindApp && c.Image != KindFlashboot {
			return nil, a.errf("retries: %q is neither a declared image nor app or flashboot", c.Image)
		}
		for _, w := range strings.Split(a.vals[c.Image], "|") {
			if w != "finished" {
				n, err := strconv.ParseUint(w, 10, 8)
				if err != nil || n > maxRetries {
					return nil, a.errf("retries %s=%q: want 0..%d consumed attempts or finished", c.Image, w, maxRetries)
				}
			}
			c.Want = append(c.Want, w)
		}
		return c, nil
	}
	if err := a.done(2, 2); err != nil {
		return nil, err
	}
	for _, w := range strings.Split(a.pos[1], "|") {
		if err := checkExpectValue(c.What, w); err != nil {
			return nil, a.errf("%s %q: %v", c.What, w, err)
		}
		c.Want = append(c.Want, w)
	}
	return c, nil
}

// checkExpectValue validates one alternative of an expect line.
func checkExpectValue(what, v string) error {
	switch what {
	case WhatRunning:
		if v != "none" && !validName(v) {
			return errors.New("not an image name")
		}
		return nil
	case WhatVerdict:
		if !isVerdict(v) {
			return fmt.Errorf("want one of %s", strings.Join(verdictNames(), ", "))
		}
		return nil
	case WhatState:
		if !isState(v) {
			return fmt.Errorf("want one of %s", strings.Join(stateNames(), ", "))
		}
		return nil
	case WhatResult:
		r, err := upg.ParseResult(v)
		if err != nil || r.String() != v {
			return errors.New("want an upg_result_t name without its prefix, e.g. UPDATE_SUCCESS or RETRY_ALL_FAILED")
		}
		return nil
	case WhatError:
		c, err := upg.ParseErrcode(v)
		if err != nil || c.String() != v {
			return errors.New("want an errcode_t name, e.g. ERRCODE_SUCC or ERRCODE_UPG_NOT_INIT")
		}
		return nil
	case WhatRegion:
		return checkRegionValue(v)
	case WhatNVTask:
		return checkNVTaskValue(v) // nv.go
	case WhatRead:
		return checkReadValue(v) // chunks.go
	case WhatResultIndex:
		return checkResultIndexValue(v) // guideapi.go
	}
	return fmt.Errorf("unknown expectation (want running, verdict, result, error, retries, state or region)")
}
