package upg

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ws63emu/ws63emu/image"
)

// Names accepted in PackOptions.Pkt, as build_ws63_update.py's --pkt.
const (
	PktApp    = "app"     // application section, PackOptions.App
	PktAppIoT = "app_iot" // application section, PackOptions.App
	PktTest   = "test"    // application section (the test-suite build), PackOptions.App
	PktHilink = "hilink"  // hilink section, PackOptions.Hilink
	PktBoot   = "boot"    // flashboot section, PackOptions.Flashboot; always added
	PktNV     = "nv"      // nv section, PackOptions.NV
)

// PackImage is one entry of build_upg_pkg.py's own image list (its
// new_images "path=section|…"): an input packed under a fota.cfg image
// section.
type PackImage struct {
	Section string // application, flashboot, nv, hilink, res_index, res_data or another section of the config
	Data    []byte
}

// PackOptions describe a package to make.
//
// The defaults are build_ws63_update.py's, the wrapper the SDK build
// runs: Pkt picks the images, flashboot is always added, the package
// order is application, hilink, flashboot, nv, and Ver has at most
// MaxVerLen characters. The packer under it, build_upg_pkg.py, can do
// more, and so can Pack: Images gives its image list directly (any
// sections, any order, no flashboot added), NoFlashboot and LongVer lift
// one wrapper rule each, AnyVersionExt and HardwareID write values the
// packer writes as given.
type PackOptions struct {
	// Config is the fota.cfg; nil means DefaultConfig(SignECDSA).
	Config *Config
	// Pkt lists the images, as --pkt (nil: "app"). "boot" is added
	// unless NoFlashboot.
	Pkt []string
	// Ver is the --ver string written to the info area's user area: at
	// most MaxVerLen characters (UserAreaLen with LongVer or Images). As
	// the SDK packer does, the area gets as many bytes of Ver's UTF-8
	// encoding as Ver has characters, so a non-ASCII version is cut
	// short: "版本2.0β" (6 characters, 11 bytes) stores "版本".
	Ver string
	// The input files: normally signed images (…-sign.bin), and the NV
	// image ws63_all_nv.bin.
	App, Flashboot, NV, Hilink []byte

	// Images, when not nil, is the packer's own image list, packed in
	// this order under the named sections with none of the wrapper's
	// rules: Pkt and the App, Flashboot, NV and Hilink inputs must be
	// empty, no flashboot is added, Ver may have UserAreaLen characters.
	// build_upg_pkg.py's own checks still apply: nv needs application,
	// res_data needs res_index, image ids are unique.
	Images []PackImage
	// NoFlashboot leaves flashboot out of a Pkt package
	// (build_ws63_update.py always adds it; the packer does not need it).
	NoFlashboot bool
	// LongVer allows a Ver of up to UserAreaLen characters, the size of
	// the user area, instead of build_ws63_update.py's MaxVerLen.
	LongVer bool
	// AnyVersionExt packs each section's version_ext as the config gives
	// it, as the SDK packer does. Without it a value that is not a run of
	// ones from bit 0 (the guide's 防回滚号 0 → 1 → 3 → 7 …) is refused
	// (ErrVersionExt).
	AnyVersionExt bool
	// HardwareID, when not nil, replaces the config's FOTA_INFO_AREA
	// HardwareID (the device never reads it).
	HardwareID *uint32

	// RootKey signs the key area and SubKey the info area in ECDSA mode;
	// SubKey's public key goes into the key area. Unused in hash-only mode.
	RootKey, SubKey *image.PrivateKey
	// Unsigned writes the SDK packer's unsigned output (update_temp.fwpkg):
	// signature and public key fields left zero, for a signing server.
	Unsigned bool

	// Compress, when set, replaces CompressLZMA for compressed images: it
	// gets the section name and the raw input and returns the payload in
	// the package form (16-byte header, stream; unpadded), e.g. payloads
	// lzma_tool made, or ones already compressed.
	Compress func(section string, raw []byte) ([]byte, error)
	// PlainEncrypted models the closed tool's encryption (ReRncFlag =
	// "0x3C7896E1") as a pass-through: the header carries re_enc_flag and
	// the protection keys and IV as the SDK fills them, the data is stored
	// in the clear. Without it such a config is refused (ErrUnsupported).
	PlainEncrypted bool
}

// Sections returns the fota.cfg sections a --pkt list packs, in package
// order, as build_ws63_update.py builds them: application (app, app_iot,
// test), hilink, flashboot (boot, always added), nv. It refuses unknown
// names and nv without the application.
func Sections(pkt []string) ([]string, error) {
	return sections(pkt, false)
}

// SectionsWithoutBoot is Sections without adding flashboot
// (PackOptions.NoFlashboot): boot is packed only when pkt names it.
func SectionsWithoutBoot(pkt []string) ([]string, error) {
	return sections(pkt, true)
}

func sections(pkt []string, noBoot bool) ([]string, error) {
	if len(pkt) == 0 {
		pkt = []string{PktApp}
	}
	has := map[string]bool{}
	for _, p := range pkt {
		p = strings.TrimSpace(p)
		switch p {
		case PktApp, PktAppIoT, PktTest, PktHilink, PktBoot, PktNV:
			has[p] = true
		case "":
		default:
			return nil, fmt.Errorf("%w: unknown --pkt entry %q (want app, app_iot, test, hilink, boot or nv)", ErrPkt, p)
		}
	}
	if !noBoot {
		has[PktBoot] = true // build_ws63_update.py: boot is always appended
	}
	var secs []string
	if has[PktApp] || has[PktAppIoT] || has[PktTest] {
		secs = append(secs, SectionApplication)
	}
	if has[PktHilink] {
		secs = append(secs, SectionHilink)
	}
	if has[PktBoot] {
		secs = append(secs, SectionFlashboot)
	}
	if has[PktNV] {
		if !has[PktApp] && !has[PktAppIoT] && !has[PktTest] {
			return nil, fmt.Errorf("%w (check_image_key: \"The NV cannot be packed separately\")", ErrNVWithoutApp)
		}
		secs = append(secs, SectionNV)
	}
	return secs, nil
}

// imageList returns the images to pack, in package order: Images as
// given, or the sections Pkt selects with their inputs. It applies
// build_upg_pkg.py's check_image_key to both.
func (o *PackOptions) imageList() ([]PackImage, error) {
	var list []PackImage
	if o.Images != nil {
		if o.Pkt != nil || o.App != nil || o.Flashboot != nil || o.NV != nil || o.Hilink != nil || o.NoFlashboot {
			return nil, fmt.Errorf("%w: Images is the packer's whole image list: Pkt, NoFlashboot, App, Flashboot, NV and Hilink must be empty", ErrPkt)
		}
		list = o.Images
	} else {
		secs, err := sections(o.Pkt, o.NoFlashboot)
		if err != nil {
			return nil, err
		}
		for _, s := range secs {
			list = append(list, PackImage{Section: s, Data: o.input(s)})
		}
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: no images to pack", ErrPkt)
	}
	has := map[string]bool{}
	for _, in := range list {
		has[in.Section] = true
	}
	if has[SectionNV] && !has[SectionApplication] {
		return nil, fmt.Errorf("%w (check_image_key: \"The NV cannot be packed separately\")", ErrNVWithoutApp)
	}
	if has[SectionResData] && !has[SectionResIndex] {
		return nil, fmt.Errorf("%w (check_image_key)", ErrResDataWithoutIndex)
	}
	return list, nil
}

// input returns the Pkt-mode input of a section.
func (o *PackOptions) input(section string) []byte {
	switch section {
	case SectionApplication:
		return o.App
	case SectionFlashboot:
		return o.Flashboot
	case SectionNV:
		return o.NV
	case SectionHilink:
		return o.Hilink
	}
	return nil
}

// inputName names where a section's input comes from, for errors.
func (o *PackOptions) inputName(section string) string {
	if o.Images != nil {
		return "its Images entry"
	}
	switch section {
	case SectionApplication:
		return "PackOptions.App"
	case SectionFlashboot:
		return "PackOptions.Flashboot"
	case SectionNV:
		return "PackOptions.NV"
	case SectionHilink:
		return "PackOptions.Hilink"
	}
	return section
}

// UserArea is the info area's user area for a version string as the SDK
// packer fills it: as many bytes of ver's UTF-8 encoding as ver has
// characters (all of it for ASCII; "版本2.0β", 6 characters in 11 bytes,
// gives the 6 bytes of "版本"), then zeros. ver must have at most
// UserAreaLen characters; longer ones are cut.
func UserArea(ver string) [UserAreaLen]byte {
	var u [UserAreaLen]byte
	n := min(utf8.RuneCountInString(ver), UserAreaLen)
	copy(u[:], ver[:n])
	return u
}

// Pack makes an update.fwpkg as build_ws63_update.py → build_upg_pkg.py
// (make_upg) and, unless Unsigned, the sign tool do: key area, info area,
// hash table, then per image its header and data, each image processed by
// its section's DecompressFlag (LZMA or raw; nv always raw) and zero-padded
// to 16 bytes. For the same inputs the output equals the SDK's byte for
// byte, LZMA payloads included (CompressLZMA is lzma_tool's encoder),
// except ECDSA signatures (RFC 6979 nonces).
func Pack(o PackOptions) ([]byte, error) {
	cfg := o.Config
	if cfg == nil {
		cfg = DefaultConfig(SignECDSA)
	}
	list, err := o.imageList()
	if err != nil {
		return nil, err
	}
	maxVer := MaxVerLen
	if o.LongVer || o.Images != nil {
		maxVer = UserAreaLen
	}
	if n := utf8.RuneCountInString(o.Ver); n > maxVer {
		return nil, fmt.Errorf("%w: --ver %q has %d characters, at most %d", ErrVersionTooLong, o.Ver, n, maxVer)
	}
	if cfg.KeyArea.ImageID != cfg.InfoArea.ImageID {
		return nil, fmt.Errorf("%w: FOTA_KEY_AREA ImageId 0x%08X differs from FOTA_INFO_AREA ImageId 0x%08X",
			ErrImageID, cfg.KeyArea.ImageID, cfg.InfoArea.ImageID)
	}
	mode := cfg.SignMode()
	if !o.Unsigned {
		if mode == SignOther {
			return nil, fmt.Errorf("%w: KeyAlg 0x%08X: only ECDSA (0x%08X) and SHA-256-only (0x%08X, 0x%08X) packages can be signed here; use Unsigned",
				ErrUnsupported, cfg.KeyArea.KeyAlg, KeyAlgECDSA, KeyAlgSHA256ECC, KeyAlgSHA256RSA)
		}
		if mode == SignECDSA && (o.RootKey == nil || o.SubKey == nil) {
			return nil, fmt.Errorf("%w: ECDSA signing (KeyAlg 0x%08X) needs the root key and the sub key", ErrMissingKey, cfg.KeyArea.KeyAlg)
		}
	}

	type item struct {
		ic  *ImageCfg
		raw []byte
	}
	items := make([]item, 0, len(list))
	ids := map[uint32]string{}
	for _, in := range list {
		s := in.Section
		ic := cfg.Image(s)
		if ic == nil {
			return nil, fmt.Errorf("%w: the config has no [%s] section", ErrPkt, s)
		}
		if prev, dup := ids[ic.ImageID]; dup {
			return nil, fmt.Errorf("%w: [%s] and [%s] both have ImageId 0x%08X", ErrImageID, prev, s, ic.ImageID)
		}
		ids[ic.ImageID] = s
		if err := image.CheckVersionExt(ic.VersionExt); err != nil && !o.AnyVersionExt {
			return nil, fmt.Errorf("%w: [%s] version_ext 0x%08X (the guide's 防回滚号: 0 → 1 → 3 → 7 …; AnyVersionExt packs it as given): %w", ErrVersionExt, s, ic.VersionExt, err)
		}
		if len(in.Data) == 0 {
			return nil, fmt.Errorf("%w: [%s] is packed but its input (%s) is empty", ErrPkt, s, o.inputName(s))
		}
		if uint64(len(in.Data)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: [%s] input of %d bytes exceeds 4 GiB", ErrPkt, s, len(in.Data))
		}
		items = append(items, item{ic, in.Data})
	}

	n := len(items)
	tableLen := alignInt(n * HashNodeLen)
	out := make([]byte, HeaderLen+tableLen, HeaderLen+tableLen+n*ImageHeaderLen)
	table := make([]byte, 0, tableLen)
	for _, it := range items {
		ic := it.ic
		data, err := processImage(ic, it.raw, o.Compress)
		if err != nil {
			return nil, err
		}
		off := len(out)
		h := ImageHeader{
			Magic: ic.HeaderMagic, ImageID: ic.ImageID, ImageOffset: uint32(off + ImageHeaderLen),
			NewImageLen: uint32(len(it.raw)), VersionExt: ic.VersionExt, VersionMask: ic.VersionMask,
			DecompressFlag: ic.DecompressFlag, ReEncFlag: ic.ReEncFlag, RootKeyType: ic.RootKeyType,
		}
		padded := make([]byte, alignInt(len(data)))
		copy(padded, data)
		h.ImageLen = uint32(len(padded))
		if ic.Encrypt {
			if !o.PlainEncrypted {
				return nil, fmt.Errorf("%w: [%s] ReRncFlag=0x3C7896E1 asks for encryption, which needs the SDK's closed sign tool and chip keys (PlainEncrypted, ws63emu pack --encryption-model, models it as a pass-through)", ErrUnsupported, ic.Section)
			}
			h.EncPKL1, h.EncPKL2, h.IV = ic.ProtectionKeyL1, ic.ProtectionKeyL2, ic.IV
		}
		h.ImageHash = sha256.Sum256(padded)
		out, _ = h.AppendBinary(out)
		node := HashNode{ImageID: ic.ImageID, ImageAddr: uint32(off), ImageLength: uint32(ImageHeaderLen + len(padded)),
			ImageHash: sha256.Sum256(out[off : off+ImageHeaderLen])}
		table, _ = node.AppendBinary(table)
		out = append(out, padded...)
		if uint64(len(out)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: package exceeds 4 GiB", ErrPkt)
		}
	}
	table = table[:tableLen] // zero padding to 16 (capacity was zeroed)
	copy(out[HeaderLen:], table)

	info := InfoArea{
		ImageID: cfg.InfoArea.ImageID, StructVersion: cfg.InfoArea.StructVersion, StructLength: InfoAreaLen,
		SignatureLength: SignatureLengthOf(cfg.KeyArea.KeyAlg),
		VersionExt:      cfg.InfoArea.Version, VersionMask: cfg.InfoArea.VersionMask,
		MsidExt: cfg.InfoArea.Msid, MsidMask: cfg.InfoArea.MsidMask,
		HashTableAddr: HeaderLen, HashTableLen: uint32(tableLen), HashTableHash: sha256.Sum256(table),
		ImageNum: uint32(n), HardwareID: cfg.InfoArea.HardwareID,
	}
	if o.HardwareID != nil {
		info.HardwareID = *o.HardwareID
	}
	info.User = UserArea(o.Ver)
	key := KeyArea{
		ImageID: cfg.KeyArea.ImageID, StructVersion: cfg.KeyArea.StructVersion, StructLength: KeyAreaLen,
		SignatureLength: SignatureLengthOf(cfg.KeyArea.KeyAlg),
		KeyOwnerID:      cfg.KeyArea.KeyOwnerID, KeyID: cfg.KeyArea.KeyID, KeyAlg: cfg.KeyArea.KeyAlg,
		VersionExt: cfg.KeyArea.KeyVersion, MaskVersionExt: cfg.KeyArea.KeyVersionMask,
		MSIDExt: cfg.KeyArea.Msid, MaskMSIDExt: cfg.KeyArea.MsidMask,
	}
	kb, _ := key.MarshalBinary()
	ib, _ := info.MarshalBinary()
	copy(out, kb)
	copy(out[KeyAreaLen:], ib)
	if o.Unsigned {
		return out, nil
	}
	if err := SignPackage(out, o.RootKey, o.SubKey); err != nil {
		return nil, err
	}
	return out, nil
}

// processImage turns an input into the data stored in the package
// (get_image_bin_data): nv (by image id) as is, DecompressFlag LZMA
// compressed, diff refused, anything else as is.
func processImage(ic *ImageCfg, raw []byte, compress func(string, []byte) ([]byte, error)) ([]byte, error) {
	switch {
	case ic.ImageID == ImageIDNV:
		return raw, nil
	case ic.DecompressFlag == FlagLZMA:
		if compress != nil {
			return compress(ic.Section, raw)
		}
		return CompressLZMA(raw)
	case ic.DecompressFlag == FlagDiff:
		return nil, fmt.Errorf("%w: [%s] DecompressFlag=0x%08X asks for a diff image, which the SDK's closed sign tool makes (and WS63 compiles out)",
			ErrUnsupported, ic.Section, uint32(FlagDiff))
	}
	return raw, nil
}

// SignPackage fills the signature fields of a packed package in place, as
// the sign tool (sign_tool_pltuni mode 3) does: each area is signed
// according to its own signature_length, as the device checks it. 32:
// SHA-256 of its first 192 bytes, then 32 zero bytes. Otherwise ECDSA:
// sub's raw X ‖ Y public key goes to the key area's
// fota_external_public_key, root signs SHA-256 of the key area's first
// 192 bytes, sub signs the info area's (raw r ‖ s).
func SignPackage(pkg []byte, root, sub *image.PrivateKey) error {
	if len(pkg) < HeaderLen {
		return &FormatError{Off: int64(len(pkg)), Msg: "package shorter than its 512-byte header", Err: ErrTruncated}
	}
	le := binary.LittleEndian
	keyArea, info := pkg[:KeyAreaLen], pkg[KeyAreaLen:HeaderLen]
	keyECDSA := le.Uint32(keyArea[12:]) != HashOnlySigLen
	infoECDSA := le.Uint32(info[12:]) != HashOnlySigLen
	if keyECDSA || infoECDSA {
		if alg := le.Uint32(keyArea[24:]); SignModeOf(alg) == SignOther {
			return fmt.Errorf("%w: KeyAlg 0x%08X cannot be signed here (ECDSA brainpoolP256r1 only)", ErrUnsupported, alg)
		}
		if root == nil || sub == nil {
			return fmt.Errorf("%w: ECDSA signing needs the root key and the sub key", ErrMissingKey)
		}
	}
	if keyECDSA {
		pub := sub.XY()
		copy(keyArea[128:192], pub[:])
	}
	sign := func(area []byte, ecdsa bool, k *image.PrivateKey) error {
		d := sha256.Sum256(area[:SignedLen])
		sig := image.HashOnlySignature(d)
		if ecdsa {
			var err error
			if sig, err = k.SignDigest(d); err != nil {
				return fmt.Errorf("upg: sign: %w", err)
			}
		}
		copy(area[SignedLen:], sig[:])
		return nil
	}
	if err := sign(keyArea, keyECDSA, root); err != nil {
		return err
	}
	return sign(info, infoECDSA, sub)
}
