package upg

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

func TestReferenceConfigs(t *testing.T) {
	for _, tc := range []struct {
		path string
		mode SignMode
	}{
		{"sdk/fota.cfg", SignECDSA},
		{"sdk/fota_sha256_only.cfg", SignSHA256},
		{"sdk-made/fota.cfg", SignSHA256},
	} {
		t.Run(tc.path, func(t *testing.T) {
			c, err := LoadConfig(testutil.Reference(t, tc.path))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(DefaultConfig(tc.mode), c); diff != "" {
				t.Errorf("DefaultConfig(%v) differs from %s (-default +file):\n%s", tc.mode, tc.path, diff)
			}
			if c.SignMode() != tc.mode {
				t.Errorf("SignMode = %v, want %v", c.SignMode(), tc.mode)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	e, s := DefaultConfig(SignECDSA), DefaultConfig(SignSHA256)
	if e.Sign.SignSuite != "1" || e.KeyArea.KeyAlg != 0x2A13C812 || s.Sign.SignSuite != "4" || s.KeyArea.KeyAlg != 0x2A13C867 {
		t.Errorf("modes: ecdsa %s/%#x sha256 %s/%#x", e.Sign.SignSuite, e.KeyArea.KeyAlg, s.Sign.SignSuite, s.KeyArea.KeyAlg)
	}
	if SignatureLengthOf(e.KeyArea.KeyAlg) != 64 || SignatureLengthOf(s.KeyArea.KeyAlg) != 32 || SignatureLengthOf(KeyAlgSHA256ECC) != 32 || SignatureLengthOf(KeyAlgSM2) != 64 {
		t.Errorf("signature lengths")
	}
	// The two must not share state.
	e.Image(SectionApplication).DecompressFlag = 0
	if DefaultConfig(SignECDSA).Image(SectionApplication).DecompressFlag != FlagLZMA {
		t.Errorf("DefaultConfig returns shared state")
	}
	for _, m := range []string{"ecdsa", "SHA256"} {
		got, err := ParseSignMode(m)
		if err != nil || !strings.EqualFold(got.String(), m) {
			t.Errorf("ParseSignMode(%q) = %v, %v", m, got, err)
		}
	}
	if SignModeOf(KeyAlgSM2) != SignOther || SignOther.String() != "other" {
		t.Errorf("SM2 sign mode")
	}
	if _, err := ParseSignMode("rsa"); err == nil {
		t.Errorf("ParseSignMode accepted rsa")
	}
}

// minimalCfg is a small valid fota.cfg; tests edit it.
const minimalCfg = `# comment
[FOTA_KEY_AREA]
ImageId=0xCB8D154E
StructVersion=0x00010000
KeyOwnerId=0
KeyId=0
    # an indented comment does not end anything
KeyAlg=0x2A13C867
KeyVersion=0x0
KeyVersionMask=0x0
Msid=0x0
MsidMask=0x0

[FOTA_INFO_AREA]
ImageId=0xCB8D154E
StructVersion=0x00010000
Version=0x0
VersionMask=0x0
Msid=0x0
MsidMask=0x0
HardwareID=0

[application]
HeaderMagic=0x464F5451
ImageId=0x4B0F2D2D
DecompressFlag=0x3C7896E1
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x00000000
version_mask=0x00000000
`

func parseCfgText(s string) (*Config, error) { return ParseConfig(strings.NewReader(s), "t.cfg") }

func TestParseConfigSyntax(t *testing.T) {
	c, err := parseCfgText(minimalCfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.KeyArea.KeyAlg != KeyAlgSHA256RSA || c.Image(SectionApplication).ImageID != ImageIDApp || c.Image(SectionFlashboot) != nil {
		t.Errorf("parsed %+v", c)
	}
	// CRLF, a BOM, ':' delimiters, blanks around '=', hex without 0x.
	alt := "\xEF\xBB\xBF" + strings.ReplaceAll(strings.Replace(minimalCfg, "KeyAlg=0x2A13C867", "KeyAlg : 2a13c812", 1), "\n", "\r\n")
	c2, err := parseCfgText(alt)
	if err != nil {
		t.Fatal(err)
	}
	if c2.KeyArea.KeyAlg != KeyAlgECDSA {
		t.Errorf("KeyAlg = %#x", c2.KeyArea.KeyAlg)
	}
	// Continuation lines join with "\n" (configparser), so a continued
	// number is an error naming the key's line; a continued string is kept.
	_, err = parseCfgText(strings.Replace(minimalCfg, "KeyVersion=0x0\n", "KeyVersion=0x0\n  0x1\n", 1))
	if err == nil || !strings.Contains(err.Error(), "t.cfg:9:") {
		t.Errorf("continued number: %v", err)
	}
	c3, err := parseCfgText(minimalCfg + "[SIGN_CFG]\nRootKeyFile=a\n\n   b\nSignSuite=4\n")
	if err != nil {
		t.Fatal(err)
	}
	if c3.Sign.RootKeyFile != "a\n\nb" || c3.Sign.SignSuite != "4" {
		t.Errorf("continuation: %q %q", c3.Sign.RootKeyFile, c3.Sign.SignSuite)
	}
	// ReRncFlag is compared as a string: lower case sets the field only.
	enc := strings.Replace(minimalCfg, "ReRncFlag=0x0", "ReRncFlag=0x3C7896E1\nProtectionKeyL1=00112233445566778899AABBCCDDEEFF\nProtectionKeyL2=\nIv=FF 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01", 1)
	c4, err := parseCfgText(enc)
	if err != nil {
		t.Fatal(err)
	}
	a := c4.Image(SectionApplication)
	if !a.Encrypt || a.ProtectionKeyL1[15] != 0xFF || a.ProtectionKeyL2 != [16]byte{} || a.IV[0] != 0xFF || a.IV[15] != 1 {
		t.Errorf("encryption fields %+v", a)
	}
	c5, err := parseCfgText(strings.Replace(minimalCfg, "ReRncFlag=0x0", "ReRncFlag=0x3c7896e1", 1))
	if err != nil {
		t.Fatal(err)
	}
	if a := c5.Image(SectionApplication); a.Encrypt || a.ReEncFlag != FlagEncrypted {
		t.Errorf("lower-case ReRncFlag: Encrypt=%v flag=%#x", a.Encrypt, a.ReEncFlag)
	}
}

func TestParseConfigErrors(t *testing.T) {
	rep := func(old, new string) string { return strings.Replace(minimalCfg, old, new, 1) }
	for _, tc := range []struct {
		name, in, want string
	}{
		{"unknown section", minimalCfg + "\n[bootloader]\nImageId=0x1\n", "t.cfg:32: unknown section [bootloader]"},
		{"DEFAULT section", "[DEFAULT]\nx=1\n" + minimalCfg, "t.cfg:1: unknown section [DEFAULT]"},
		{"missing key", rep("KeyAlg=0x2A13C867\n", ""), "t.cfg:2: [FOTA_KEY_AREA] has no KeyAlg key"},
		{"missing image key", rep("version_mask=0x00000000\n", ""), "t.cfg:23: [application] has no version_mask key"},
		{"bad hex", rep("Msid=0x0\n", "Msid=0xZZ\n"), `t.cfg:11: Msid = "0xZZ" is not a 32-bit hex number`},
		{"hex too big", rep("Msid=0x0\n", "Msid=0x100000000\n"), "t.cfg:11: Msid = \"0x100000000\" is not a 32-bit hex number"},
		{"empty hex", rep("Msid=0x0\n", "Msid=\n"), `t.cfg:11: Msid = "" is not a 32-bit hex number`},
		{"inline comment", rep("Msid=0x0\n", "Msid=0x0 # no inline comments\n"), "t.cfg:11: Msid"},
		{"bad decimal", rep("KeyOwnerId=0\n", "KeyOwnerId=0x1\n"), `t.cfg:5: KeyOwnerId = "0x1" is not a 32-bit decimal number`},
		{"negative decimal", rep("HardwareID=0\n", "HardwareID=-1\n"), "t.cfg:21: HardwareID"},
		{"duplicate section", minimalCfg + "[application]\n", "t.cfg:31: section [application] already defined on line 23"},
		{"duplicate key", rep("KeyId=0\n", "KeyId=0\nKeyId=1\n"), "t.cfg:7: key KeyId in [FOTA_KEY_AREA] already set on line 6"},
		{"case matters", rep("KeyId=0\n", "keyid=0\n"), "t.cfg:2: [FOTA_KEY_AREA] has no KeyId key"},
		{"key before section", "x=1\n" + minimalCfg, "t.cfg:1: key outside any section"},
		{"no delimiter", rep("KeyId=0\n", "KeyId 0\n"), "t.cfg:6: line is neither"},
		{"empty key", rep("KeyId=0\n", "=0\n"), "t.cfg:6: empty key name"},
		{"bad header", rep("[FOTA_INFO_AREA]", "[FOTA_INFO_AREA"), "t.cfg:14: malformed section header"},
		{"missing section", strings.Replace(minimalCfg, "[FOTA_INFO_AREA]", "[SIGN_CFG]", 1), "t.cfg: missing section [FOTA_INFO_AREA]"},
		{"bad protection key", rep("ReRncFlag=0x0", "ReRncFlag=0x3C7896E1\nProtectionKeyL1=0011\nProtectionKeyL2=\nIv="), "t.cfg:28: ProtectionKeyL1 = \"0011\" is not 16 bytes of hex"},
		{"encrypt needs Iv", rep("ReRncFlag=0x0", "ReRncFlag=0x3C7896E1\nProtectionKeyL1=\nProtectionKeyL2="), "t.cfg:23: [application] has no Iv key"},
	} {
		_, err := parseCfgText(tc.in)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v is not ErrConfig", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "upg: ") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, err, tc.want)
		}
	}
	big := strings.Repeat("#\n", maxConfigSize)
	if _, err := parseCfgText(big); err == nil || !errors.Is(err, ErrConfig) {
		t.Errorf("oversized config: %v", err)
	}
	if _, err := LoadConfig("testdata/does-not-exist.cfg"); err == nil {
		t.Errorf("LoadConfig of a missing file succeeded")
	}
}

// TestSignSuiteAndReRncFlag: SignSuite is interpreted as fota.cfg documents
// it (never ignored), and ReRncFlag encryption is for [application] only.
func TestSignSuiteAndReRncFlag(t *testing.T) {
	ecdsa := strings.Replace(minimalCfg, "KeyAlg=0x2A13C867", "KeyAlg=0x2A13C812", 1)
	withSuite := func(base, suite string) string { return base + "[SIGN_CFG]\nSignSuite=" + suite + "\n" }
	for _, tc := range []struct {
		name, in string
		want     SignMode
	}{
		{"ECDSA suite 0", withSuite(ecdsa, "0"), SignECDSA},
		{"ECDSA suite 1", withSuite(ecdsa, "1"), SignECDSA},
		{"ECDSA suite 3", withSuite(ecdsa, "3"), SignECDSA},
		{"SHA256 only 4", withSuite(minimalCfg, "4"), SignSHA256},
		{"SHA256 only 4, ECC format", withSuite(strings.Replace(minimalCfg, "KeyAlg=0x2A13C867", "KeyAlg=0x2A13C856", 1), "4"), SignSHA256},
		{"no SignSuite", minimalCfg, SignSHA256},
	} {
		c, err := parseCfgText(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.SignMode() != tc.want {
			t.Errorf("%s: mode %v, want %v", tc.name, c.SignMode(), tc.want)
		}
	}
	// minimalCfg has 30 lines: [SIGN_CFG] is line 31, SignSuite line 32.
	for _, tc := range []struct{ name, in, want string }{
		{"SM2", withSuite(ecdsa, "10"), "t.cfg:32: SignSuite = 10 (SM2_SM3) is not supported"},
		{"RSA", withSuite(ecdsa, "34"), "t.cfg:32: SignSuite = 34 (RSA 4096 - SHA256) is not supported"},
		{"undocumented", withSuite(ecdsa, "7"), `t.cfg:32: SignSuite = "7" is not a value fota.cfg documents`},
		{"empty", withSuite(ecdsa, ""), `t.cfg:32: SignSuite = "" is not a value`},
		{"ECDSA suite, SHA256 KeyAlg", withSuite(minimalCfg, "1"), "t.cfg:32: SignSuite = 1 (ECDSA_SHA256_LEA_CTR) signs ecdsa but KeyAlg = 0x2A13C867 (line 8) declares sha256"},
		{"SHA256 suite, ECDSA KeyAlg", withSuite(ecdsa, "4"), "t.cfg:32: SignSuite = 4 (SHA256 ONLY) signs sha256 but KeyAlg = 0x2A13C812"},
		{"encrypted flashboot", minimalCfg + "[flashboot]\nHeaderMagic=0x464F5451\nImageId=0x4B1E3C2D\nDecompressFlag=0x3C7896E1\nReRncFlag=0x3C7896E1\nRootKeyType=0x0\nversion_ext=0x0\nversion_mask=0x0\n",
			"t.cfg:35: [flashboot] ReRncFlag = 0x3C7896E1: only the application image can be encrypted"},
		{"encrypted nv, lower case", minimalCfg + "[nv]\nHeaderMagic=0x464F5451\nImageId=0xCB9E063C\nDecompressFlag=0x0\nReRncFlag=0x3c7896e1\nRootKeyType=0x0\nversion_ext=0x0\nversion_mask=0x0\n",
			"t.cfg:35: [nv] ReRncFlag = 0x3c7896e1: only the application image"},
	} {
		_, err := parseCfgText(tc.in)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant %q", tc.name, err, tc.want)
		}
	}
}
