package scenarios

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Scenario settings of the recovery-path models (emulator/recovery.go):
//
//	device … [layout=hilink] [sdk=A.B.C] [flash-encryption=on|off]
//	       [rollback-burn=on|off] [image-map=ID:PART[,ID:PART…]]
//	image NAME kind=hilink version=V [size=BYTES] [seed=N]
//	image NAME … [sdk=A.B.C] [encrypted=on|off]
//	package PKG … [encrypt=on|off] [sign=sha256-ecc]
//	expect efuse FIELD=V[|V…]          # app-version, flashboot-version
//	expect partition PART=NAME[|NAME…] # NAME, NAME(backup), NAME(encrypted), erased, other
//
// layout=hilink is the compress layout with the SDK's hilink table
// (param_sector_hilink_indie_upgrade.json): imageA 0x030000/0x1C0000 and
// partition 0x31 (hilink) 0x1F0000/0x80000. image-map= edits the device's
// image id → partition map (g_img_partition_map + UPDATE_IMAGE_SET, the
// guide's FAQ 2): ID is app, flashboot, hilink or a number, PART a
// partition name or number, or none to drop the id (Start then skips such
// images silently). A kind=hilink image is opaque data, like a synthetic
// NV image: it is copied into partition 0x31; what runs it is not
// modelled.
//
// sdk= on the device is the SDK version of its firmware, on an image the
// version that image was built with (default: the device's); it selects
// the package verifier of the flashboot and app that run (upg/compat.go).
// sign=sha256-ecc packs hash-only with KeyAlg 0x2A13C856, the format the
// emulator takes SDK 1.10.105's packer to produce by default.
//
// flash-encryption=on provisions a flash key (seeded) in efuse. An image
// with encrypted=on is an app built with the sign config's IV and
// protection keys and code_enc_flag "encrypted" but stored plain — the
// guide's OTA input ("带加密Iv、但未加密的APP镜像"); burn encrypts its code
// with the device's key, as burning the encrypted build does. encrypt=on
// sets the package's [application] ReRncFlag=0x3C7896E1 with the SDK
// fota.cfg's protection keys and IV (upg.PackOptions.PlainEncrypted: data
// in the clear, flashboot encrypts as it writes).
//
// rollback-burn=on turns on the anti-rollback burning model (ssb burns the
// efuse flashboot-version word, flashboot the app-version word, forward
// only, after booting a newer version). It is a model, off by default:
// nothing in the open-source SDK burns these words (docs/sdk-mapping.md §1.6 step 8,
// §6.2), so by default they stay as the factory left them.

// Kinds and expectations added by the models.
const (
	KindHilink    = "hilink"     // opaque data for partition 0x31
	SignSHA256ECC = "sha256-ecc" // hash-only, KeyAlg 0x2A13C856

	WhatEfuse     = "efuse"     // an efuse word: expect efuse app-version=0x3
	WhatPartition = "partition" // what a partition holds: expect partition hilink=hl-v2

	layoutHilink = "hilink"
)

// The SDK's encryption parameters: ProtectionKeyL1/L2 of the sign config
// liteos_app_bin_ecc.cfg and fota.cfg [application], and the guide's
// Iv=FF000000000000000000000000000000.
var (
	sdkProtectionKeyL1 = [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}
	sdkProtectionKeyL2 = [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB}
	sdkIV              = [16]byte{0xFF}
)

// DeviceModels are the device line's model settings.
type DeviceModels struct {
	Hilink          bool   // layout=hilink
	SDK             string // sdk=
	FlashEncryption bool   // flash-encryption=on
	RollbackBurn    bool   // rollback-burn=on (the model is off by default)
	ImageMap        []ImageMapEntry
}

// ImageMapEntry is one image-map= item; None drops the id.
type ImageMapEntry struct {
	ID   uint32
	Part partition.ID
	None bool
}

func (e ImageMapEntry) String() string {
	id := strings.ToLower(upg.ImageName(e.ID))
	if id == "application" {
		id = "app"
	}
	if e.None {
		return id + ":none"
	}
	return fmt.Sprintf("%s:0x%02x", id, uint8(e.Part))
}

func (m DeviceModels) String() string {
	s := kv("sdk", m.SDK)
	if m.FlashEncryption {
		s = words(s, "flash-encryption=on")
	}
	if m.RollbackBurn {
		s = words(s, "rollback-burn=on")
	}
	if len(m.ImageMap) > 0 {
		items := make([]string, len(m.ImageMap))
		for i, e := range m.ImageMap {
			items[i] = e.String()
		}
		s = words(s, "image-map="+strings.Join(items, ","))
	}
	if s == "" {
		return ""
	}
	return " " + s
}

func (c *DeviceCmd) layoutName() string {
	if c.Hilink {
		return layoutHilink
	}
	return c.Layout.String()
}

func parseSDKArg(a *args) (string, error) {
	v, ok, err := a.optional("sdk")
	if err != nil || !ok {
		return "", err
	}
	if _, err := upg.ParseSDK(v); err != nil {
		return "", a.errf("sdk=%q: want a release number like 1.10.101", v)
	}
	return v, nil
}

func (m *DeviceModels) parse(a *args) error {
	var err error
	if m.SDK, err = parseSDKArg(a); err != nil {
		return err
	}
	if m.FlashEncryption, err = a.flag("flash-encryption", false); err != nil {
		return err
	}
	if m.RollbackBurn, err = a.flag("rollback-burn", false); err != nil {
		return err
	}
	v, ok, err := a.optional("image-map")
	if err != nil || !ok {
		return err
	}
	seen := map[uint32]bool{}
	for _, item := range strings.Split(v, ",") {
		id, part, found := strings.Cut(item, ":")
		if !found {
			return a.errf("image-map item %q: want ID:PART or ID:none", item)
		}
		var e ImageMapEntry
		switch id {
		case "app", "application":
			e.ID = upg.ImageIDApp
		case "flashboot", "boot":
			e.ID = upg.ImageIDFlashboot
		case "hilink":
			e.ID = upg.ImageIDHilink
		default:
			n, err := strconv.ParseUint(id, 0, 32)
			if err != nil {
				return a.errf("image-map item %q: image id %q is not app, flashboot, hilink or a number", item, id)
			}
			e.ID = uint32(n)
		}
		if e.ID == upg.ImageIDNV {
			return a.errf("image-map item %q: the NV image has no partition (the app's NV task takes it)", item)
		}
		if seen[e.ID] {
			return a.errf("image-map: image id 0x%08X given twice", e.ID)
		}
		seen[e.ID] = true
		if part == "none" {
			e.None = true
		} else if e.Part, err = partition.ParseID(part); err != nil {
			return a.errf("image-map item %q: %v", item, err)
		}
		m.ImageMap = append(m.ImageMap, e)
	}
	return nil
}

// ImageModels are an image line's model settings.
type ImageModels struct {
	SDK       string // sdk=
	Encrypted bool   // encrypted=on (apps)
}

func (m ImageModels) String() string {
	s := kv("sdk", m.SDK)
	if m.Encrypted {
		s = words(s, "encrypted=on")
	}
	if s == "" {
		return ""
	}
	return " " + s
}

func (m *ImageModels) parse(a *args, c *ImageCmd) error {
	var err error
	if m.SDK, err = parseSDKArg(a); err != nil {
		return err
	}
	if m.Encrypted, err = a.flag("encrypted", false); err != nil {
		return err
	}
	if m.Encrypted && (c.File != "" || c.Kind != KindApp) {
		return a.errf("encrypted=on applies to synthetic app images only (only app images are encrypted, 仅app镜像支持加密升级)")
	}
	return nil
}

// PackageModels are a package line's model settings.
type PackageModels struct {
	Encrypt bool // encrypt=on: [application] ReRncFlag=0x3C7896E1
}

func (m PackageModels) String() string {
	if m.Encrypt {
		return " encrypt=on"
	}
	return ""
}

func (m *PackageModels) parse(a *args) error {
	var err error
	m.Encrypt, err = a.flag("encrypt", false)
	return err
}

func isKVExpect(what string) bool { return what == WhatEfuse || what == WhatPartition }

// expectKV parses `expect efuse FIELD=V` and `expect partition PART=NAME`.
func (p *parser) expectKV(a *args, c *ExpectCmd) (Command, error) {
	if len(a.pos) != 1 || len(a.keys) != 1 {
		return nil, a.errf("%s takes one KEY=VALUE", c.What)
	}
	c.Image = a.keys[0]
	a.used[c.Image] = true
	vals := strings.Split(a.vals[c.Image], "|")
	switch c.What {
	case WhatEfuse:
		f, err := efuse.ParseField(c.Image)
		if err != nil || f.Bits() > 32 {
			return nil, a.errf("efuse %q: want a field of at most 32 bits (app-version, flashboot-version, msid, …)", c.Image)
		}
		for _, v := range vals {
			if _, err := strconv.ParseUint(v, 0, 32); err != nil {
				return nil, a.errf("efuse %s=%q: want a number", c.Image, v)
			}
		}
	case WhatPartition:
		if _, err := partition.ParseID(c.Image); err != nil {
			return nil, a.errf("partition %q: %v", c.Image, err)
		}
		for _, v := range vals {
			name := strings.TrimSuffix(strings.TrimSuffix(v, "(encrypted)"), "(backup)")
			if v == "erased" || v == "other" {
				continue
			}
			if _, ok := p.images[name]; !ok {
				return nil, a.errf("partition %s=%q: want a declared image name, NAME(backup), NAME(encrypted), erased or other", c.Image, v)
			}
		}
	}
	c.Want = vals
	return c, nil
}

// deviceModels applies the device line's model settings to the emulator
// configuration.
func (r *Runner) deviceModels(c *DeviceCmd, cfg *emulator.Config) error {
	m := c.DeviceModels
	cfg.Models.SDK = m.SDK
	if cfg.Models.SDK == "" && r.anyImageSDK() {
		cfg.Models.SDK = upg.DefaultSDK // per-image sdk= turns the SDK events on
	}
	cfg.Models.RollbackBurn = m.RollbackBurn
	cfg.Models.FirmwareSDK = func(raw []byte) string {
		if len(r.sdk) == 0 { // no image line says sdk=: nothing to hash for
			return ""
		}
		return r.sdk[r.o.memo.Sum256(raw)] // a sweep's memo (upg.Memo), nil-safe
	}
	if m.FlashEncryption {
		var k [upg.FlashKeyLen]byte
		newSeedStream(c.Seed, "flash-key").Read(k[:])
		cfg.Models.FlashKey = &k
	}
	if m.Hilink {
		t := partition.Default(partition.LayoutCompress)
		var err error
		if t, err = t.With(partition.ImageA, 0x030000, 0x1C0000); err == nil {
			t, err = t.With(partition.Hilink, 0x1F0000, 0x80000)
		}
		if err != nil {
			return err
		}
		cfg.Table = &t
	}
	if len(m.ImageMap) > 0 {
		im := upg.DefaultImagePartitions()
		for _, e := range m.ImageMap {
			if e.None {
				delete(im, e.ID)
			} else {
				im[e.ID] = e.Part
			}
		}
		cfg.Upg.ImagePartitions = im
	}
	return nil
}

func (r *Runner) anyImageSDK() bool {
	for _, c := range r.s.Commands {
		if ic, ok := c.(*ImageCmd); ok && ic.ImageModels.SDK != "" {
			return true
		}
	}
	return false
}

// noteSDK records the SDK version of a declared image's bytes (sdk=).
func (r *Runner) noteSDK(name string, data []byte) {
	d, ok := r.imageDecl[strings.TrimSuffix(name, "(backup)")]
	if !ok || d.ImageModels.SDK == "" {
		return
	}
	if r.sdk == nil {
		r.sdk = map[[32]byte]string{}
	}
	r.sdk[sha256.Sum256(data)] = d.ImageModels.SDK
}

// buildOptions adds the image line's encryption marking.
func (r *Runner) buildOptions(d *ImageCmd, o image.BuildOptions) image.BuildOptions {
	if d.ImageModels.Encrypted {
		o.Encrypted = true
		o.ProtectionKeyL1, o.ProtectionKeyL2, o.IV = sdkProtectionKeyL1, sdkProtectionKeyL2, sdkIV
	}
	return o
}

// factoryImage is what the factory burns for an image: an encrypted=on
// app is burned encrypted with the device's flash key, as the encrypted
// build is; everything else as it is.
func (r *Runner) factoryImage(b *builtImage) []byte {
	if !b.decl.ImageModels.Encrypted || len(b.data) < image.HeaderLen {
		return b.data
	}
	var k [upg.FlashKeyLen]byte
	copy(k[:], r.dev.Efuse.Read(efuse.AESKey))
	if k == ([upg.FlashKeyLen]byte{}) {
		return b.data // no flash key: the plain build is burned
	}
	out := bytes.Clone(b.data)
	var ci image.CodeInfo
	if ci.UnmarshalBinary(out[image.KeyAreaLen:image.HeaderLen]) != nil {
		return b.data
	}
	upg.CryptAt(upg.FlashKey(k, ci.ProtectionKeyL1, ci.ProtectionKeyL2), ci.IV, 0, out[upg.EncryptOffset:])
	return out
}

// packModels applies the package line's model settings and the images'
// anti-rollback versions to the configuration and options.
func (r *Runner) packModels(d *PackageCmd, cfg *upg.Config, o *upg.PackOptions) {
	if d.Sign == SignSHA256ECC {
		cfg.SetSignMode(upg.SignSHA256)
		cfg.KeyArea.KeyAlg = upg.KeyAlgSHA256ECC
	}
	// The guide's 防回滚号: version_ext goes into both the image's sign
	// config and its package section.
	for _, name := range d.Images {
		b, ok := r.images[name]
		if !ok || b.decl.File != "" {
			continue
		}
		if ic := cfg.Image(d.SectionOf(name, b.kind)); ic != nil && b.decl.VersionExt != 0 {
			ic.VersionExt = b.decl.VersionExt
		}
	}
	if d.PackageModels.Encrypt {
		if ic := cfg.Image(upg.SectionApplication); ic != nil {
			ic.Encrypt, ic.ReEncFlag = true, upg.FlagEncrypted
			ic.ProtectionKeyL1, ic.ProtectionKeyL2, ic.IV = sdkProtectionKeyL1, sdkProtectionKeyL2, sdkIV
		}
		o.PlainEncrypted = true
	}
	// A config= whose [application] asks for encryption (ReRncFlag
	// 0x3C7896E1; upg/cfg.go refuses it in other sections) gets the same
	// model as encrypt=on.
	if ic := cfg.Image(upg.SectionApplication); ic != nil && ic.Encrypt {
		o.PlainEncrypted = true
	}
}

func sectionOfKind(kind string) string {
	switch kind {
	case KindApp:
		return upg.SectionApplication
	case KindFlashboot:
		return upg.SectionFlashboot
	case KindNV:
		return upg.SectionNV
	case KindHilink:
		return upg.SectionHilink
	}
	return ""
}

// observeKV answers expect efuse and expect partition.
func (r *Runner) observeKV(c *ExpectCmd) (string, bool) {
	match := func(v string) (string, bool) { return v, slices.Contains(c.Want, v) }
	switch c.What {
	case WhatEfuse:
		f, err := efuse.ParseField(c.Image)
		if err != nil {
			return err.Error(), false
		}
		v, err := r.dev.Efuse.ReadU32(f)
		if err != nil {
			return err.Error(), false
		}
		for _, w := range c.Want {
			if n, err := strconv.ParseUint(w, 0, 32); err == nil && uint32(n) == v {
				return w, true
			}
		}
		return fmt.Sprintf("0x%x", v), false
	case WhatPartition:
		return match(r.partitionHolds(c.Image))
	}
	return "unknown expectation " + c.What, false
}

// partitionHolds names what a partition starts with: a declared image
// (in declaration order), a flashboot's backup-signed copy
// ("NAME(backup)"), an image through the flash decryption window
// ("NAME(encrypted)"), "erased", or "other".
func (r *Runner) partitionHolds(part string) string {
	id, err := partition.ParseID(part)
	if err != nil {
		return err.Error()
	}
	snap := r.dev.Flash.View() // read at once: no copy-on-write marks
	t, err := partition.ParseFlash(snap)
	if err != nil {
		return "no partition table: " + err.Error()
	}
	e, err := t.Lookup(id)
	if err != nil || e.Size == 0 {
		return "no such partition"
	}
	data := make([]byte, e.Size)
	snap.ReadAt(data, int64(e.Offset))
	if bytes.Count(data, []byte{0xFF}) == len(data) {
		return "erased"
	}
	var key [upg.FlashKeyLen]byte
	copy(key[:], r.dev.Efuse.Read(efuse.AESKey))
	for _, cmd := range r.s.Commands {
		ic, ok := cmd.(*ImageCmd)
		if !ok {
			continue
		}
		b, ok := r.images[ic.Name]
		if !ok || len(b.data) > len(data) {
			continue
		}
		if bytes.Equal(data[:len(b.data)], b.data) {
			return ic.Name
		}
		if len(b.backup) > 0 && len(b.backup) <= len(data) && !bytes.Equal(b.backup, b.data) && bytes.Equal(data[:len(b.backup)], b.backup) {
			return ic.Name + "(backup)" // the flashboot build signed as the backup copy
		}
		if key != ([upg.FlashKeyLen]byte{}) && len(b.data) > upg.EncryptOffset {
			var ci image.CodeInfo
			if ci.UnmarshalBinary(b.data[image.KeyAreaLen:image.HeaderLen]) == nil && ci.CodeEncFlag != image.NotEncrypted {
				dec := bytes.Clone(data[:len(b.data)])
				upg.CryptAt(upg.FlashKey(key, ci.ProtectionKeyL1, ci.ProtectionKeyL2), ci.IV, 0, dec[upg.EncryptOffset:])
				if bytes.Equal(dec, b.data) {
					return ic.Name + "(encrypted)"
				}
			}
		}
	}
	return "other"
}
