package upg

import (
	"bytes"
	"fmt"
	"strings"
)

// Format writes the config as a fota.cfg that ParseConfig reads back to
// an equal Config (TestConfigFormatRoundTrip): the sections and keys in
// the SDK file's order, numbers as the SDK writes them (hex with 0x,
// KeyOwnerId, KeyId and HardwareID decimal), without the SDK's comments.
// ws63emu pack --print-config prints the built-in one.
func (c *Config) Format() []byte {
	var b bytes.Buffer
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	hex := func(k string, v uint32) { kv(k, fmt.Sprintf("0x%08X", v)) }
	dec := func(k string, v uint32) { kv(k, fmt.Sprint(v)) }
	b.WriteString("# fota.cfg: the package layout and signing (ws63emu pack --config)\n")
	b.WriteString("# SignSuite: 1 = ECDSA_SHA256_LEA_CTR (KeyAlg=0x2A13C812), 4 = SHA256 only (KeyAlg=0x2A13C867)\n")
	b.WriteString("[" + SectionSign + "]\n")
	if c.Sign.SignSuite != "" {
		kv("SignSuite", c.Sign.SignSuite)
	}
	kv("UpgImagePath", c.Sign.UpgImagePath)
	kv("UpgSignedImagePath", c.Sign.UpgSignedImagePath)
	kv("RootKeyFile", c.Sign.RootKeyFile)
	kv("SubKeyFile", c.Sign.SubKeyFile)
	b.WriteString("\n[" + SectionTools + "]\n")
	kv("UpgToolPath", c.Tools.UpgToolPath)
	kv("LzmaToolPath", c.Tools.LzmaToolPath)
	kv("UpgToolWinPath", c.Tools.UpgToolWinPath)
	kv("LzmaToolWinPath", c.Tools.LzmaToolWinPath)
	k := c.KeyArea
	b.WriteString("\n[" + SectionKeyArea + "]\n")
	hex("ImageId", k.ImageID)
	hex("StructVersion", k.StructVersion)
	dec("KeyOwnerId", k.KeyOwnerID)
	dec("KeyId", k.KeyID)
	hex("KeyAlg", k.KeyAlg)
	hex("KeyVersion", k.KeyVersion)
	hex("KeyVersionMask", k.KeyVersionMask)
	hex("Msid", k.Msid)
	hex("MsidMask", k.MsidMask)
	in := c.InfoArea
	b.WriteString("\n[" + SectionInfoArea + "]\n")
	hex("ImageId", in.ImageID)
	hex("StructVersion", in.StructVersion)
	hex("Version", in.Version)
	hex("VersionMask", in.VersionMask)
	hex("Msid", in.Msid)
	hex("MsidMask", in.MsidMask)
	dec("HardwareID", in.HardwareID)
	for _, im := range c.Images {
		b.WriteString("\n[" + im.Section + "]\n")
		hex("HeaderMagic", im.HeaderMagic)
		hex("ImageId", im.ImageID)
		hex("DecompressFlag", im.DecompressFlag)
		if im.Encrypt {
			kv("ReRncFlag", "0x3C7896E1") // the SDK compares this string
		} else {
			hex("ReRncFlag", im.ReEncFlag)
		}
		hex("RootKeyType", im.RootKeyType)
		hex("version_ext", im.VersionExt)
		hex("version_mask", im.VersionMask)
		if im.Encrypt {
			kv("ProtectionKeyL1", fmt.Sprintf("%X", im.ProtectionKeyL1))
			kv("ProtectionKeyL2", fmt.Sprintf("%X", im.ProtectionKeyL2))
			kv("Iv", fmt.Sprintf("%X", im.IV))
		}
		kv("PlainKey", strings.ReplaceAll(im.PlainKey, "\n", "\n  ")) // continuation lines
	}
	return b.Bytes()
}
