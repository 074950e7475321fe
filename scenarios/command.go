package scenarios

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Command is one parsed scenario line. The concrete types are the *Cmd
// structs below; String gives the canonical text, which Parse reads back
// to an equal command.
type Command interface {
	// LineNo is the 1-based line the command was read from.
	LineNo() int
	// String is the command's canonical text.
	String() string
}

// Script is a parsed scenario file.
type Script struct {
	// File names the scenario in errors ("FILE:LINE: …"); relative file=
	// paths resolve against its directory.
	File     string
	Commands []Command
}

// String renders the script one canonical command per line.
func (s *Script) String() string {
	var b strings.Builder
	for _, c := range s.Commands {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// line is embedded in every command.
type line struct{ Line int }

func (l line) LineNo() int { return l.Line }

// words joins the non-empty parts with spaces.
func words(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

func kv(key, value string) string {
	if value == "" {
		return ""
	}
	return key + "=" + value
}

func hex32(v uint32) string { return fmt.Sprintf("0x%x", v) }

// DeviceCmd is `device layout=compress|ab [flash=FILE] [root-key=PEM|none]
// [secure-boot=on|off] [seed=N] [in-order-writes=on|off] [boot-budget=N]`.
type DeviceCmd struct {
	line
	Layout partition.Layout
	// Flash is a raw 4 MiB flash file to start from instead of a new
	// device ("" for a factory-new device).
	Flash string
	// RootKey is a PEM key file for the root key; "" derives the key from
	// Seed, "none" leaves the root key area erased (hash-only params).
	RootKey    string
	SecureBoot bool
	// Seed is the source of every random choice in the scenario.
	Seed          uint64
	InOrderWrites bool
	BootBudget    int // 0: the emulator's default
	// ABStartSDKBug builds the update library with the shipped
	// upg_ab_start (upg.Options.ABStartSDKBug).
	ABStartSDKBug bool
	// Engine is the update-library engine, "go" (the default, "") or
	// "sdk" (engine.go).
	Engine string

	DeviceModels // recovery.go: hilink layout, sdk, flash encryption, anti-rollback burn, image map
	DeviceBuild  // build.go: params json, flashboot and app schemes
}

func (c *DeviceCmd) String() string {
	s := words("device", "layout="+c.layoutName(), kv("flash", c.Flash), kv("root-key", c.RootKey))
	if c.SecureBoot {
		s += " secure-boot=on"
	}
	s += " seed=" + strconv.FormatUint(c.Seed, 10)
	if c.InOrderWrites {
		s += " in-order-writes=on"
	}
	if c.BootBudget != 0 {
		s += " boot-budget=" + strconv.Itoa(c.BootBudget)
	}
	if c.ABStartSDKBug {
		s += " ab-start-bug=on"
	}
	if c.Engine != "" {
		s += " engine=" + c.Engine
	}
	return s + c.DeviceModels.String() + c.DeviceBuild.String()
}

// Image kinds a scenario can declare.
const (
	KindApp             = "app"
	KindFlashboot       = "flashboot"
	KindFlashbootBackup = "flashboot-backup"
	KindNV              = "nv"
)

// ImageCmd is `image NAME kind=app|flashboot|flashboot-backup|nv version=V
// [size=BYTES] [version_ext=0xN] [seed=N]` (a synthetic image) or
// `image NAME file=PATH [kind=K]` (a real one; kind is then checked, and
// required for an NV file, which has no signed header).
type ImageCmd struct {
	line
	Name       string
	File       string
	Kind       string
	Version    string
	Size       int // code bytes; 0: the default for the kind
	VersionExt uint32
	Seed       uint64
	HasSeed    bool // Seed was given; otherwise it derives from the scenario seed

	ImageModels // recovery.go: sdk, encrypted
}

func (c *ImageCmd) String() string {
	if c.File != "" {
		return words("image", c.Name, "file="+c.File, kv("kind", c.Kind)) + c.ImageModels.String()
	}
	s := words("image", c.Name, "kind="+c.Kind, "version="+c.Version)
	if c.Size != 0 {
		s += " size=" + strconv.Itoa(c.Size)
	}
	if c.VersionExt != 0 {
		s += " version_ext=" + hex32(c.VersionExt)
	}
	if c.HasSeed {
		s += " seed=" + strconv.FormatUint(c.Seed, 10)
	}
	return s + c.ImageModels.String()
}

// BurnCmd is `burn NAME...`: factory-burn images into their partitions.
type BurnCmd struct {
	line
	Names []string
	// Part, when set (part=P), is where the one image goes instead of its
	// kind's partition: the burn tool writes any file anywhere (build.go).
	Part    partition.ID
	HasPart bool
}

func (c *BurnCmd) String() string {
	s := "burn " + strings.Join(c.Names, " ")
	if c.HasPart {
		s += fmt.Sprintf(" part=0x%02x", uint8(c.Part))
	}
	return s
}

// Package signing modes.
const (
	SignECDSA  = "ecdsa"  // root key signs the key area, a sub key the info area
	SignSHA256 = "sha256" // the hash-only mode (SignSuite=4)
)

// PackageCmd is `package PKG images=A[,B...] [compress=A,...|none]
// [ver=STR] [sign=ecdsa|sha256] [config=FILE]` or `package PKG file=PATH`.
type PackageCmd struct {
	line
	Name   string
	File   string
	Images []string
	// Compress lists the images to LZMA-compress when CompressSet; an
	// empty list is compress=none. Unset means the fota.cfg default
	// (every image but NV compressed).
	Compress    []string
	CompressSet bool
	Ver         string
	// Sign is SignECDSA or SignSHA256; "" means the config's mode, or
	// SignECDSA (the current SDK's fota.cfg) without config=.
	Sign   string
	Config string // a fota.cfg to take the sections and key area from

	// What the SDK packer (build_upg_pkg.py) can do beyond the wrapper
	// build_ws63_update.py's rules (upg.PackOptions).
	OrderGiven    bool     // order=given: the packer's own image list, in images= order
	Sections      []string // sections=NAME:SECTION,…: NAME goes under [SECTION] (with order=given)
	NoFlashboot   bool     // add-flashboot=off: no flashboot image needed
	LongVer       bool     // long-ver=on: ver= up to 112 characters
	AnyVersionExt bool     // any-version-ext=on: version_ext packed as given
	HardwareID    string   // hardware-id=N: the info area's hardware_id ("" = the config's)

	PackageModels // recovery.go: encrypt
}

// SectionOf is the fota.cfg section image name goes under: the one
// sections= names, else its kind's ("" for an unknown kind).
func (c *PackageCmd) SectionOf(name, kind string) string {
	for _, s := range c.Sections {
		if n, sec, _ := strings.Cut(s, ":"); n == name {
			return sec
		}
	}
	return sectionOfKind(kind)
}

func (c *PackageCmd) String() string {
	if c.File != "" {
		return words("package", c.Name, "file="+c.File)
	}
	s := words("package", c.Name, "images="+strings.Join(c.Images, ","))
	if c.CompressSet {
		if len(c.Compress) == 0 {
			s += " compress=none"
		} else {
			s += " compress=" + strings.Join(c.Compress, ",")
		}
	}
	s = words(s, kv("ver", c.Ver), kv("sign", c.Sign), kv("config", c.Config))
	if c.OrderGiven {
		s += " order=given"
	}
	if len(c.Sections) > 0 {
		s += " sections=" + strings.Join(c.Sections, ",")
	}
	if c.NoFlashboot {
		s += " add-flashboot=off"
	}
	if c.LongVer {
		s += " long-ver=on"
	}
	if c.AnyVersionExt {
		s += " any-version-ext=on"
	}
	return words(s, kv("hardware-id", c.HardwareID)) + c.PackageModels.String()
}

// PowerOnCmd is `power-on`: power the device and boot until the app runs
// or the device is stuck.
type PowerOnCmd struct{ line }

func (c *PowerOnCmd) String() string { return "power-on" }

// StoreCmd is `store PKG [chunk=N]`: the app receives the package and
// stores it (prepare, then write_package_sync per chunk).
type StoreCmd struct {
	line
	Package   string
	Chunk     int            // 0: 4096
	Transport StoreTransport // chunks.go: order, resend, drop, corrupt
}

func (c *StoreCmd) String() string {
	if c.Chunk != 0 {
		return "store " + c.Package + " chunk=" + strconv.Itoa(c.Chunk) + c.Transport.String()
	}
	return "store " + c.Package + c.Transport.String()
}

// RequestUpgradeCmd is `request-upgrade [reset=true|false]` (default true).
type RequestUpgradeCmd struct {
	line
	Reset bool
}

func (c *RequestUpgradeCmd) String() string {
	return "request-upgrade reset=" + strconv.FormatBool(c.Reset)
}

// ResetCmd is `reset`: a soft reset (retention registers kept).
type ResetCmd struct{ line }

func (c *ResetCmd) String() string { return "reset" }

// CutCmd is `cut op=N [tear=before|after|prefix:K|bits[:SEED]]`: a power
// cut at the N-th flash operation from here (1 is the next one).
type CutCmd struct {
	line
	Op   uint64
	Tear flash.Tear
	// SeedFromScenario is set for a bare "bits": the tear seed is then the
	// scenario seed.
	SeedFromScenario bool
}

func (c *CutCmd) String() string {
	t := c.Tear.String()
	if c.SeedFromScenario {
		t = "bits"
	}
	return "cut op=" + strconv.FormatUint(c.Op, 10) + " tear=" + t
}

// Fault kinds.
const (
	FaultBadSector   = "bad-sector"
	FaultBitflip     = "bitflip"
	FaultProgramFail = "program-fail"
	FaultTimeout     = "timeout"
)

// Bad-sector modes (fault bad-sector mode=).
const (
	ModeStuck   = "stuck"   // program and erase succeed, seeded stuck bits stay wrong (flash.SetWornSector)
	ModeTimeout = "timeout" // program and erase time out, nothing changes (flash.SetBadSector)
)

// FaultCmd is `fault bad-sector addr=A | part=P [off=O] [mode=stuck|timeout]`,
// `fault bitflip addr=A | part=P [off=O] [bit=B]`, `fault timeout op=N` or
// `fault program-fail op=N`. The address is absolute (addr=) or an offset
// into a partition (part=, resolved through the device's partition table
// when the command runs). A timeout has no address: Op counts flash
// operations from here as cut op=N does (1 is the next one); program-fail
// is a timeout that only fires if that operation is a program.
type FaultCmd struct {
	line
	Kind   string
	Addr   uint32 // addr=, or the offset inside Part
	Part   partition.ID
	InPart bool
	Bit    uint
	Op     uint64 // timeout, program-fail: the operation, counted from here (≥ 1)
	Mode   string // bad-sector: ModeStuck or ModeTimeout as written; "" is ModeStuck
	// Layout is the device's (from the device command): String names
	// Part as that layout's table does (0x21 is imageB in the AB table).
	Layout partition.Layout
}

func (c *FaultCmd) String() string {
	if c.Kind == FaultProgramFail || c.Kind == FaultTimeout {
		return "fault " + c.Kind + " op=" + strconv.FormatUint(c.Op, 10)
	}
	var where string
	if c.InPart {
		where = "part=" + c.Part.Name(c.Layout) + " off=" + hex32(c.Addr)
	} else {
		where = "addr=" + hex32(c.Addr)
	}
	s := "fault " + c.Kind + " " + where
	if c.Kind == FaultBitflip {
		s += " bit=" + strconv.FormatUint(uint64(c.Bit), 10)
	}
	if c.Mode != "" {
		s += " mode=" + c.Mode
	}
	return s
}

// User verification hook modes.
const (
	UserVerifyAccept = "accept"
	UserVerifyReject = "reject"
	UserVerifyOff    = "off"
)

// UserVerifyCmd is `user-verify accept | reject [code=ERRCODE_NAME] | off`:
// from here on the app registers a user-defined verification function
// (uapi_upg_register_user_defined_verify_func) that accepts every package,
// or rejects it returning Code (default ERRCODE_FAIL), or none.
//
// in= says which program registers it: app, flashboot or both (default).
type UserVerifyCmd struct {
	line
	Mode string
	Code upg.Errcode // for reject
	In   string      // "app", "flashboot" or "both"
}

func (c *UserVerifyCmd) String() string {
	s := "user-verify " + c.Mode
	if c.Mode == UserVerifyReject {
		s += " code=" + c.Code.String()
	}
	if c.In != "both" {
		s += " in=" + c.In
	}
	return s
}

// hooks reports whether the app and flashboot register the function.
func (c *UserVerifyCmd) hooks() (inApp, inFlashboot bool) {
	return c.In != "flashboot", c.In != "app"
}

// What an expect line checks.
const (
	WhatRunning = "running" // the running app image's name ("none" when no app runs)
	WhatVerdict = "verdict" // the verdict (docs/design.md §5)
	WhatResult  = "result"  // update_result in the flag area
	WhatError   = "error"   // the errcode of the last app call
	WhatRetries = "retries" // consumed attempts of an image of the stored package
	WhatState   = "state"   // the device state: off, running, stuck, no-boot
	WhatRegion  = "region"  // AB: the region the running app booted from (A, B, none)
)

// ExpectCmd is `expect WHAT V[|V...]`, or `expect retries NAME=N`. Any of
// the alternatives may match.
type ExpectCmd struct {
	line
	What  string
	Want  []string
	Image string // for retries: an image name or app/flashboot/nv
}

// Text is the expectation as failures print it ("verdict upgraded").
func (c *ExpectCmd) Text() string {
	if c.What == WhatRetries || isKVExpect(c.What) || c.What == WhatNV {
		return c.What + " " + c.Image + "=" + strings.Join(c.Want, "|")
	}
	return c.What + " " + strings.Join(c.Want, "|")
}

func (c *ExpectCmd) String() string { return "expect " + c.Text() }

// SweepCmd is `sweep-begin` or `sweep-end`. The sweep runner (ws63emu
// sweep) takes the flash operations between them as its cut points; Run
// treats both as no-ops.
type SweepCmd struct {
	line
	End bool
}

func (c *SweepCmd) String() string {
	if c.End {
		return "sweep-end"
	}
	return "sweep-begin"
}

// InputFiles lists the files the script reads besides itself (file=,
// flash=, root-key=, config=), resolved against the script's folder as
// the runner resolves them: a command that writes outputs checks that
// none of them is one of these.
func (s *Script) InputFiles() []string {
	dir := filepath.Dir(s.File)
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		out = append(out, p)
	}
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *DeviceCmd:
			add(c.Flash)
			add(c.RootKey)
		case *ImageCmd:
			add(c.File)
		case *PackageCmd:
			add(c.File)
			add(c.Config)
		}
	}
	return out
}
