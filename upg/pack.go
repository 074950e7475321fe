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

// PackOptions describe a package to make.
type PackOptions struct {
	// Config is the fota.cfg; nil means DefaultConfig(SignECDSA).
	Config *Config
	// Pkt lists the images, as --pkt (nil: "app"). "boot" is always added.
	Pkt []string
	// Ver is the --ver string (at most MaxVerLen characters) written to
	// the info area's user area.
	Ver string
	// The input files: normally signed images (…-sign.bin), and the NV
	// image ws63_all_nv.bin.
	App, Flashboot, NV, Hilink []byte

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
	has[PktBoot] = true // build_ws63_update.py: boot is always appended
	var secs []string
	if has[PktApp] || has[PktAppIoT] || has[PktTest] {
		secs = append(secs, SectionApplication)
	}
	if has[PktHilink] {
		secs = append(secs, SectionHilink)
	}
	secs = append(secs, SectionFlashboot)
	if has[PktNV] {
		if !has[PktApp] && !has[PktAppIoT] && !has[PktTest] {
			return nil, fmt.Errorf("%w (check_image_key: \"The NV cannot be packed separately\")", ErrNVWithoutApp)
		}
		secs = append(secs, SectionNV)
	}
	return secs, nil
}

// input returns the option field for a section.
func (o *PackOptions) input(section string) ([]byte, string) {
	switch section {
	case SectionApplication:
		return o.App, "App"
	case SectionFlashboot:
		return o.Flashboot, "Flashboot"
	case SectionNV:
		return o.NV, "NV"
	case SectionHilink:
		return o.Hilink, "Hilink"
	}
	return nil, section
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
	if n := utf8.RuneCountInString(o.Ver); n > MaxVerLen {
		return nil, fmt.Errorf("%w: --ver %q has %d characters, at most %d", ErrVersionTooLong, o.Ver, n, MaxVerLen)
	}
	secs, err := Sections(o.Pkt)
	if err != nil {
		return nil, err
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
	items := make([]item, 0, len(secs))
	ids := map[uint32]string{}
	for _, s := range secs {
		ic := cfg.Image(s)
		if ic == nil {
			return nil, fmt.Errorf("%w: the config has no [%s] section", ErrPkt, s)
		}
		if prev, dup := ids[ic.ImageID]; dup {
			return nil, fmt.Errorf("%w: [%s] and [%s] both have ImageId 0x%08X", ErrImageID, prev, s, ic.ImageID)
		}
		ids[ic.ImageID] = s
		if err := image.CheckVersionExt(ic.VersionExt); err != nil {
			return nil, fmt.Errorf("%w: [%s] version_ext 0x%08X (the guide's 防回滚号: 0 → 1 → 3 → 7 …): %w", ErrVersionExt, s, ic.VersionExt, err)
		}
		raw, field := o.input(s)
		if len(raw) == 0 {
			return nil, fmt.Errorf("%w: [%s] is packed but PackOptions.%s is empty", ErrPkt, s, field)
		}
		if uint64(len(raw)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: [%s] input of %d bytes exceeds 4 GiB", ErrPkt, s, len(raw))
		}
		items = append(items, item{ic, raw})
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
				return nil, fmt.Errorf("%w: [%s] ReRncFlag=0x3C7896E1 asks for encryption, which needs the SDK's closed sign tool and chip keys (PlainEncrypted models it as a pass-through)", ErrUnsupported, ic.Section)
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
	copy(info.User[:], o.Ver)
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
