package upg

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ws63emu/ws63emu/internal/cliio"
)

// fota.cfg (docs/sdk-mapping.md §2.5) is read as build_upg_pkg.py reads it: Python's
// configparser with case-preserving keys (optionxform = str). Lines
// whose first non-blank character is '#' or ';' are comments, indented
// or not; there are no inline comments; "key = value" or "key: value";
// an indented line after a key continues its value (joined with "\n");
// duplicate sections and duplicate keys are errors. Numbers are hex
// (hex2dec: int(s, 16), "0x" optional) except KeyOwnerId, KeyId and
// HardwareID, which are decimal (int(s)).
//
// Every section other than SIGN_CFG, TOOLS, FOTA_KEY_AREA and
// FOTA_INFO_AREA is an image section, as for build_upg_pkg.py, which packs
// any section named in its image list: the SDK's flashboot, application,
// nv and hilink, res_index and res_data, or one of the user's own.
//
// Unlike configparser this reader knows the schema: an image section
// without ImageId (not an image section at all), missing required keys
// and bad numbers are errors naming the line, and values must fit 32 bits
// (ctypes would silently truncate them).

// Section names.
const (
	SectionSign     = "SIGN_CFG"
	SectionTools    = "TOOLS"
	SectionKeyArea  = "FOTA_KEY_AREA"
	SectionInfoArea = "FOTA_INFO_AREA"

	SectionFlashboot   = "flashboot"
	SectionApplication = "application"
	SectionNV          = "nv"
	SectionHilink      = "hilink"
	SectionResIndex    = "res_index"
	SectionResData     = "res_data"
)

// maxConfigSize bounds what ParseConfig reads; a real fota.cfg is ~5 KiB.
const maxConfigSize = 1 << 20

// SignMode is how a package is signed, derived from FOTA_KEY_AREA.KeyAlg.
type SignMode int

// Sign modes.
const (
	SignECDSA  SignMode = iota // KeyAlg 0x2A13C812: brainpoolP256r1 ECDSA, signature_length 64
	SignSHA256                 // KeyAlg 0x2A13C856 / 0x2A13C867: SHA-256 only, signature_length 32
	SignOther                  // SM2, RSA, SM3 or an unknown KeyAlg: signature_length 64, not signable here
)

func (m SignMode) String() string {
	switch m {
	case SignECDSA:
		return "ecdsa"
	case SignSHA256:
		return "sha256"
	}
	return "other"
}

// ParseSignMode parses "ecdsa" or "sha256" (the CLI's --sign).
func ParseSignMode(s string) (SignMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ecdsa":
		return SignECDSA, nil
	case "sha256", "sha256-only", "hash":
		return SignSHA256, nil
	}
	return 0, fmt.Errorf("upg: unknown sign mode %q (want ecdsa or sha256)", s)
}

// SignModeOf returns the mode a KeyAlg selects.
func SignModeOf(keyAlg uint32) SignMode {
	switch keyAlg {
	case KeyAlgECDSA:
		return SignECDSA
	case KeyAlgSHA256ECC, KeyAlgSHA256RSA:
		return SignSHA256
	}
	return SignOther
}

// SignatureLengthOf is the signature_length the SDK packer writes for a
// KeyAlg: 32 for the two SHA-256-only values, else 64.
func SignatureLengthOf(keyAlg uint32) uint32 {
	if SignModeOf(keyAlg) == SignSHA256 {
		return HashOnlySigLen
	}
	return SignatureLen
}

// SignCfg is [SIGN_CFG]: passed to the closed sign tool by the SDK; the
// key files are relative to the SDK's src/ directory.
type SignCfg struct {
	SignSuite          string // verbatim (1 = ECDSA_SHA256_LEA_CTR, 4 = SHA256 only, …)
	UpgImagePath       string
	UpgSignedImagePath string
	RootKeyFile        string
	SubKeyFile         string
}

// ToolsCfg is [TOOLS]: the SDK's sign and lzma tool paths (unused here).
type ToolsCfg struct {
	UpgToolPath, LzmaToolPath, UpgToolWinPath, LzmaToolWinPath string
}

// KeyAreaCfg is [FOTA_KEY_AREA].
type KeyAreaCfg struct {
	ImageID        uint32
	StructVersion  uint32
	KeyOwnerID     uint32 // decimal
	KeyID          uint32 // decimal
	KeyAlg         uint32
	KeyVersion     uint32
	KeyVersionMask uint32
	Msid           uint32
	MsidMask       uint32
}

// InfoAreaCfg is [FOTA_INFO_AREA].
type InfoAreaCfg struct {
	ImageID       uint32
	StructVersion uint32
	Version       uint32
	VersionMask   uint32
	Msid          uint32
	MsidMask      uint32
	HardwareID    uint32 // decimal
}

// ImageCfg is one image section ([application], [flashboot], [nv],
// [hilink], [res_index], [res_data] or another).
type ImageCfg struct {
	Section        string
	HeaderMagic    uint32
	ImageID        uint32
	DecompressFlag uint32
	ReEncFlag      uint32 // ReRncFlag (sic)
	RootKeyType    uint32
	VersionExt     uint32 // version_ext
	VersionMask    uint32 // version_mask
	// Encrypt is set when ReRncFlag is literally "0x3C7896E1": the SDK
	// compares the string, so "0x3c7896e1" sets re_enc_flag without
	// encrypting or filling the keys.
	Encrypt bool
	// ProtectionKeyL1, ProtectionKeyL2 and IV are read only when Encrypt
	// (an empty value leaves zeros).
	ProtectionKeyL1, ProtectionKeyL2, IV [16]byte
	// PlainKey is the encryption key handed to the sign tool (verbatim).
	PlainKey string
}

// Config is a parsed fota.cfg.
type Config struct {
	Sign     SignCfg
	Tools    ToolsCfg
	KeyArea  KeyAreaCfg
	InfoArea InfoAreaCfg
	Images   []ImageCfg // in file order
}

// Image returns the image section with the given name, or nil.
func (c *Config) Image(section string) *ImageCfg {
	for i := range c.Images {
		if c.Images[i].Section == section {
			return &c.Images[i]
		}
	}
	return nil
}

// SignMode returns the signing mode KeyAlg selects.
func (c *Config) SignMode() SignMode { return SignModeOf(c.KeyArea.KeyAlg) }

// SetSignMode switches the config between the SDK's two modes as the
// guide describes: ECDSA (SignSuite=1, KeyAlg=0x2A13C812) or hash-only
// (SignSuite=4, KeyAlg=0x2A13C867).
func (c *Config) SetSignMode(m SignMode) {
	switch m {
	case SignECDSA:
		c.Sign.SignSuite, c.KeyArea.KeyAlg = "1", KeyAlgECDSA
	case SignSHA256:
		c.Sign.SignSuite, c.KeyArea.KeyAlg = "4", KeyAlgSHA256RSA
	}
}

// DefaultConfig returns the SDK's fota.cfg (build/config/target_config/
// ws63/fota/fota.cfg) in the given mode: SignECDSA is the current SDK's
// file, SignSHA256 the hash-only file of SDKs up to 1.10.101. Both have
// application and flashboot LZMA-compressed, nv raw, nothing encrypted.
func DefaultConfig(sign SignMode) *Config {
	c := &Config{
		Sign: SignCfg{
			RootKeyFile: "build/config/target_config/ws63/sign_config/ec_bp256_oem_root_private_key.pem",
			SubKeyFile:  "build/config/target_config/ws63/sign_config/ec_bp256_app_private_key.pem",
		},
		Tools: ToolsCfg{
			UpgToolPath:     "tools/bin/sign_tool/sign_tool_pltuni",
			LzmaToolPath:    "tools/bin/lzma_tool/lzma_tool",
			UpgToolWinPath:  `tools\bin\sign_tool\sign_tool_pltuni.exe`,
			LzmaToolWinPath: `tools\bin\lzma_tool\lzma_tool.exe`,
		},
		KeyArea:  KeyAreaCfg{ImageID: PackageImageID, StructVersion: StructVersion},
		InfoArea: InfoAreaCfg{ImageID: PackageImageID, StructVersion: StructVersion},
		Images: []ImageCfg{
			{Section: SectionFlashboot, HeaderMagic: ImageHeaderMagic, ImageID: ImageIDFlashboot, DecompressFlag: FlagLZMA,
				PlainKey: "6712E3ACC547DEEF9375159058521FEB"},
			{Section: SectionNV, HeaderMagic: ImageHeaderMagic, ImageID: ImageIDNV,
				PlainKey: "6712E3ACC547DEEF9375159058521FEB"},
			{Section: SectionApplication, HeaderMagic: ImageHeaderMagic, ImageID: ImageIDApp, DecompressFlag: FlagLZMA,
				PlainKey: "70D37764279C2B086604078E8C577505"},
			{Section: SectionHilink, HeaderMagic: ImageHeaderMagic, ImageID: ImageIDHilink, DecompressFlag: FlagLZMA},
		},
	}
	c.SetSignMode(sign)
	return c
}

// LoadConfig reads a fota.cfg file.
func LoadConfig(path string) (*Config, error) {
	data, err := cliio.ReadFile(path, maxConfigSize, "a fota.cfg")
	if err != nil {
		return nil, fmt.Errorf("upg: %w", err)
	}
	return ParseConfig(bytes.NewReader(data), filepath.Base(path))
}

// cfgValue is a key's value and the line it starts on.
type cfgValue struct {
	val  string
	line int
}

// cfgSection is a section's keys in file order.
type cfgSection struct {
	name string
	line int
	keys map[string]*cfgValue
}

// ParseConfig reads a fota.cfg. name is used in error messages, which
// read "upg: NAME:LINE: …".
func ParseConfig(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("upg: read %s: %w", name, err)
	}
	if len(data) > maxConfigSize {
		return nil, &ConfigError{Name: name, Msg: fmt.Sprintf("larger than %d bytes; not a fota.cfg", maxConfigSize)}
	}
	secs, err := parseINI(data, name)
	if err != nil {
		return nil, err
	}
	return buildConfig(secs, name)
}

// parseINI splits the text into sections as configparser does.
func parseINI(data []byte, name string) ([]*cfgSection, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	var (
		secs    []*cfgSection
		cur     *cfgSection
		opt     *cfgValue // option whose value may continue
		optInd  int       // its line's indentation
		pending int       // blank lines seen since opt's last line
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxConfigSize+1)
	lineNo := 0
	errAt := func(line int, format string, a ...any) error {
		return &ConfigError{Name: name, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	for sc.Scan() {
		lineNo++
		raw := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(raw)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
			continue // comment lines, indented or not, do not end a value
		}
		if trimmed == "" {
			if opt != nil {
				pending++
			}
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		if opt != nil && indent > optInd {
			for ; pending > 0; pending-- {
				opt.val += "\n"
			}
			opt.val += "\n" + trimmed
			continue
		}
		opt, pending = nil, 0
		if strings.HasPrefix(trimmed, "[") {
			if !strings.HasSuffix(trimmed, "]") || len(trimmed) < 3 {
				return nil, errAt(lineNo, "malformed section header %s", quoteShort(trimmed))
			}
			sn := trimmed[1 : len(trimmed)-1]
			for _, s := range secs {
				if s.name == sn {
					return nil, errAt(lineNo, "section [%s] already defined on line %d", sn, s.line)
				}
			}
			cur = &cfgSection{name: sn, line: lineNo, keys: map[string]*cfgValue{}}
			secs = append(secs, cur)
			continue
		}
		if cur == nil {
			return nil, errAt(lineNo, "key outside any section: %s", quoteShort(trimmed))
		}
		i := strings.IndexAny(trimmed, "=:")
		if i < 0 {
			return nil, errAt(lineNo, "line is neither a section, a comment nor key=value: %s", quoteShort(trimmed))
		}
		key := strings.TrimSpace(trimmed[:i])
		if key == "" {
			return nil, errAt(lineNo, "empty key name: %s", quoteShort(trimmed))
		}
		if prev, dup := cur.keys[key]; dup {
			return nil, errAt(lineNo, "key %s in [%s] already set on line %d", key, cur.name, prev.line)
		}
		opt = &cfgValue{val: strings.TrimSpace(trimmed[i+1:]), line: lineNo}
		optInd = indent
		cur.keys[key] = opt
	}
	if err := sc.Err(); err != nil {
		return nil, errAt(lineNo+1, "%v", err)
	}
	return secs, nil
}

// cfgReader reads typed keys of one section, remembering the first error.
type cfgReader struct {
	name string
	sec  *cfgSection
	err  error
}

func (r *cfgReader) fail(line int, format string, a ...any) {
	if r.err == nil {
		r.err = &ConfigError{Name: r.name, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
}

// get returns a required key's value.
func (r *cfgReader) get(key string) (*cfgValue, bool) {
	v, ok := r.sec.keys[key]
	if !ok {
		r.fail(r.sec.line, "[%s] has no %s key", r.sec.name, key)
	}
	return v, ok
}

// str returns an optional key's value ("" when absent).
func (r *cfgReader) str(key string) string {
	if v, ok := r.sec.keys[key]; ok {
		return v.val
	}
	return ""
}

// hex reads a required hex2dec number.
func (r *cfgReader) hex(key string) uint32 {
	v, ok := r.get(key)
	if !ok {
		return 0
	}
	s := v.val
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		r.fail(v.line, "%s = %s is not a 32-bit hex number", key, quoteShort(v.val))
		return 0
	}
	return uint32(n)
}

// dec reads a required decimal number.
func (r *cfgReader) dec(key string) uint32 {
	v, ok := r.get(key)
	if !ok {
		return 0
	}
	n, err := strconv.ParseUint(v.val, 10, 32)
	if err != nil {
		r.fail(v.line, "%s = %s is not a 32-bit decimal number", key, quoteShort(v.val))
		return 0
	}
	return uint32(n)
}

// bytes16 reads a required key holding "" or 16 bytes of hex
// (bytes.fromhex: blanks between bytes allowed).
func (r *cfgReader) bytes16(key string) [16]byte {
	var out [16]byte
	v, ok := r.get(key)
	if !ok || v.val == "" {
		return out
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(v.val), ""))
	if err != nil || len(b) != len(out) {
		r.fail(v.line, "%s = %s is not 16 bytes of hex", key, quoteShort(v.val))
		return out
	}
	copy(out[:], b)
	return out
}

// buildConfig checks the schema and fills a Config.
func buildConfig(secs []*cfgSection, name string) (*Config, error) {
	c := &Config{}
	seen := map[string]bool{}
	for _, s := range secs {
		r := &cfgReader{name: name, sec: s}
		switch s.name {
		case SectionSign:
			c.Sign = SignCfg{
				SignSuite: r.str("SignSuite"), UpgImagePath: r.str("UpgImagePath"),
				UpgSignedImagePath: r.str("UpgSignedImagePath"),
				RootKeyFile:        r.str("RootKeyFile"), SubKeyFile: r.str("SubKeyFile"),
			}
		case SectionTools:
			c.Tools = ToolsCfg{
				UpgToolPath: r.str("UpgToolPath"), LzmaToolPath: r.str("LzmaToolPath"),
				UpgToolWinPath: r.str("UpgToolWinPath"), LzmaToolWinPath: r.str("LzmaToolWinPath"),
			}
		case SectionKeyArea:
			c.KeyArea = KeyAreaCfg{
				ImageID: r.hex("ImageId"), StructVersion: r.hex("StructVersion"),
				KeyOwnerID: r.dec("KeyOwnerId"), KeyID: r.dec("KeyId"), KeyAlg: r.hex("KeyAlg"),
				KeyVersion: r.hex("KeyVersion"), KeyVersionMask: r.hex("KeyVersionMask"),
				Msid: r.hex("Msid"), MsidMask: r.hex("MsidMask"),
			}
		case SectionInfoArea:
			c.InfoArea = InfoAreaCfg{
				ImageID: r.hex("ImageId"), StructVersion: r.hex("StructVersion"),
				Version: r.hex("Version"), VersionMask: r.hex("VersionMask"),
				Msid: r.hex("Msid"), MsidMask: r.hex("MsidMask"), HardwareID: r.dec("HardwareID"),
			}
		default:
			if _, ok := s.keys["ImageId"]; !ok {
				return nil, &ConfigError{Name: name, Line: s.line, Msg: fmt.Sprintf("section [%s] has no ImageId: neither %s, %s, %s, %s nor an image section",
					s.name, SectionSign, SectionTools, SectionKeyArea, SectionInfoArea)}
			}
			im := ImageCfg{
				Section: s.name, HeaderMagic: r.hex("HeaderMagic"), ImageID: r.hex("ImageId"),
				DecompressFlag: r.hex("DecompressFlag"), ReEncFlag: r.hex("ReRncFlag"),
				RootKeyType: r.hex("RootKeyType"), VersionExt: r.hex("version_ext"),
				VersionMask: r.hex("version_mask"), PlainKey: r.str("PlainKey"),
			}
			if v, ok := s.keys["ReRncFlag"]; ok && im.ReEncFlag == FlagEncrypted && s.name != SectionApplication && r.err == nil {
				r.fail(v.line, "[%s] ReRncFlag = %s: only the application image can be encrypted (guide, fota.cfg: 仅app镜像支持加密升级)", s.name, v.val)
			}
			if v, ok := s.keys["ReRncFlag"]; ok && v.val == "0x3C7896E1" {
				im.Encrypt = true
				im.ProtectionKeyL1 = r.bytes16("ProtectionKeyL1")
				im.ProtectionKeyL2 = r.bytes16("ProtectionKeyL2")
				im.IV = r.bytes16("Iv")
			}
			c.Images = append(c.Images, im)
		}
		if r.err != nil {
			return nil, r.err
		}
		seen[s.name] = true
	}
	for _, req := range []string{SectionKeyArea, SectionInfoArea} {
		if !seen[req] {
			return nil, &ConfigError{Name: name, Msg: fmt.Sprintf("missing section [%s]", req)}
		}
	}
	if err := checkSignSuite(secs, c, name); err != nil {
		return nil, err
	}
	return c, nil
}

// SignSuite values as the SDK's fota.cfg documents them (its legend, plus
// 4 from the older SDK's: "SHA256 ONLY"), and what each means here.
var signSuites = map[string]struct {
	name string
	mode SignMode // SignOther: refused
}{
	"0":  {"ECDSA_SHA256", SignECDSA},
	"1":  {"ECDSA_SHA256_LEA_CTR", SignECDSA},
	"2":  {"ECDSA_SHA256_LEA_CBC_MAC", SignECDSA},
	"3":  {"ECDSA_SHA256_AES_CBC", SignECDSA},
	"4":  {"SHA256 ONLY", SignSHA256},
	"10": {"SM2_SM3", SignOther},
	"11": {"SM2_SM3_LEA_CTR", SignOther},
	"12": {"SM2_SM3_LEA_CBC_MAC", SignOther},
	"13": {"SM2_SM3_SM4_CBC", SignOther},
	"30": {"RSA 4096", SignOther},
	"34": {"RSA 4096 - SHA256", SignOther},
}

// checkSignSuite interprets [SIGN_CFG] SignSuite, the suite the SDK hands
// its closed sign tool. 0..3 sign with ECDSA over SHA-256 (the suffix is the
// cipher the tool would use for encryption; the emulator's encryption
// model is the same for all four) and need KeyAlg 0x2A13C812; 4 (the older
// SDK's "SHA256 ONLY") writes hash-only signatures and needs a SHA-256
// KeyAlg (0x2A13C856 or 0x2A13C867); any other pairing would give a
// package whose signature_length (from KeyAlg) does not match its
// signatures, which every device refuses. SM2 and RSA suites are refused:
// WS63 compiles only the ECC verification path (upg_config.h). An absent
// SignSuite (no sign tool run) leaves the signing to KeyAlg.
func checkSignSuite(secs []*cfgSection, c *Config, name string) error {
	var v *cfgValue
	keyAlgLine := 0
	for _, s := range secs {
		switch s.name {
		case SectionSign:
			v = s.keys["SignSuite"]
		case SectionKeyArea:
			if k, ok := s.keys["KeyAlg"]; ok {
				keyAlgLine = k.line
			}
		}
	}
	if v == nil {
		return nil
	}
	suite, ok := signSuites[v.val]
	switch {
	case !ok:
		return &ConfigError{Name: name, Line: v.line, Msg: fmt.Sprintf("SignSuite = %q is not a value fota.cfg documents (0-3 ECDSA, 4 SHA256 only, 10-13 SM2, 30 and 34 RSA)", v.val)}
	case suite.mode == SignOther:
		return &ConfigError{Name: name, Line: v.line, Msg: fmt.Sprintf("SignSuite = %s (%s) is not supported: WS63 builds only the ECC verification path (upg_config.h), so its packages are ECDSA (0-3) or SHA256 only (4)", v.val, suite.name)}
	case suite.mode != c.SignMode():
		return &ConfigError{Name: name, Line: v.line, Msg: fmt.Sprintf("SignSuite = %s (%s) signs %s but KeyAlg = 0x%08X (line %d) declares %s signatures: the device would refuse every package (the guide pairs SignSuite=1 with KeyAlg=0x2A13C812)",
			v.val, suite.name, suite.mode, c.KeyArea.KeyAlg, keyAlgLine, c.SignMode())}
	}
	return nil
}

// quoteShort quotes at most the first 40 bytes of s for an error message:
// a binary file given as a config is one long "line".
func quoteShort(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}
