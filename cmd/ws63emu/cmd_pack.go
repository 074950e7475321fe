package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/upg"
)

func init() {
	register("pack", "make an update.fwpkg as the SDK's build_ws63_update.py does", runPack)
}

func runPack(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pack", stderr)
	cfgPath := fs.String("config", "", "fota.cfg to pack with (default: the SDK's fota.cfg, built in)")
	sign := fs.String("sign", "", "without --config: ecdsa (the SDK default) or sha256 (hash-only, SDK ≤ 1.10.101)")
	pkt := fs.String("pkt", "app", "images to pack: app,app_iot,test,hilink,boot,nv (boot is always added unless --no-flashboot)")
	ver := fs.String("ver", "", "version string for the info area's user area: at most 16 characters (112 with --long-ver or --image). "+
		"Like the SDK, one byte is stored per character, so a non-ASCII version is cut: \"版本2.0β\" (6 characters, 11 bytes) stores \"版本\"")
	appF := fs.String("app", "", "application image (ws63-liteos-app-sign.bin)")
	bootF := fs.String("flashboot", "", "flashboot image (flashboot_sign.bin)")
	nvF := fs.String("nv", "", "NV image (ws63_all_nv.bin)")
	hilinkF := fs.String("hilink", "", "hilink image (ws63-liteos-hilink-sign.bin)")
	rootF := fs.String("root-key", "", "ECDSA: root key PEM, signs the key area (overrides the config's RootKeyFile)")
	subF := fs.String("sub-key", "", "ECDSA: sub (app) key PEM, signs the info area (overrides the config's SubKeyFile)")
	unsigned := fs.Bool("unsigned", false, "write the unsigned package (the SDK's update_temp.fwpkg) for a signing server")
	// What build_upg_pkg.py can do beyond build_ws63_update.py's rules.
	images := fs.StringArray("image", nil, "SECTION=FILE: pack FILE under the config's [SECTION] (application, flashboot, nv, hilink, res_index, res_data or "+
		"any other); repeat it: the packer's own image list, in that order, without --pkt's rules (no flashboot added, versions up to 112 characters). "+
		"Excludes --pkt, --app, --flashboot, --nv, --hilink")
	noBoot := fs.Bool("no-flashboot", false, "do not add flashboot to --pkt (build_ws63_update.py always adds it; the packer does not need it)")
	longVer := fs.Bool("long-ver", false, "allow --ver up to 112 characters, the user area's size (build_ws63_update.py allows 16)")
	anyVerExt := fs.Bool("any-version-ext", false, "pack each section's version_ext as given, as the SDK packer does (by default one that is not 0, 1, 3, 7, … is refused)")
	verExts := fs.StringArray("version-ext", nil, "SECTION=N: set [SECTION]'s version_ext (hex with 0x, else decimal); repeatable")
	hwID := fs.String("hardware-id", "", "N: the info area's hardware_id instead of the config's HardwareID (hex with 0x, else decimal)")
	encModel := fs.Bool("encryption-model", false, "pack an [application] with ReRncFlag=0x3C7896E1 with ws63emu's encryption model (the config's keys and IV recorded, the data left plain, as scripts' encrypt=on do); the SDK's sign tool and chip keys that really encrypt are closed")
	force := fs.Bool("force", false, "write the package even when the device would not install it (too large, an image that does not fit or is not the kind its slot boots)")
	out := fs.StringP("output", "o", "", "output file (required; - for standard output)")
	printCfg := fs.Bool("print-config", false, "print the fota.cfg pack would use (the built-in one, with --sign) and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("pack: unexpected argument %q", fs.Arg(0))
	}
	if *printCfg {
		cfg, err := packConfig(*cfgPath, *sign)
		if err != nil {
			return err
		}
		_, err = stdout.Write(cfg.Format())
		return err
	}
	if *out == "" {
		return errors.New("pack: -o FILE is required")
	}
	if *unsigned && *sign != "" {
		return fmt.Errorf("pack: --unsigned and --sign %s conflict: an unsigned package is signed later by a signing server; give one", *sign)
	}
	pktList := strings.Split(*pkt, ",")
	for i, a := range pktList {
		for _, b := range pktList[:i] {
			if a == b {
				return fmt.Errorf("pack: --pkt %s: %q is listed twice", *pkt, a)
			}
		}
	}
	files := cliio.New(stdout)
	for _, in := range [][2]string{{"--config", *cfgPath}, {"--app", *appF}, {"--flashboot", *bootF}, {"--nv", *nvF},
		{"--hilink", *hilinkF}, {"--root-key", *rootF}, {"--sub-key", *subF}} {
		files.Input(in[0], in[1])
	}
	for _, kv := range *images {
		if _, path, ok := strings.Cut(kv, "="); ok {
			files.Input("--image", path)
		}
	}
	files.Output("-o", *out)
	if err := files.Check(); err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	info := stdout
	if files.ToStdout() {
		info = stderr
	}

	cfg, err := packConfig(*cfgPath, *sign)
	if err != nil {
		return err
	}
	opts := upg.PackOptions{Config: cfg, Ver: *ver, Unsigned: *unsigned, NoFlashboot: *noBoot, LongVer: *longVer, AnyVersionExt: *anyVerExt, PlainEncrypted: *encModel}
	for _, kv := range *verExts {
		sec, val, err := packSetting("--version-ext", kv)
		if err != nil {
			return err
		}
		ic := cfg.Image(sec)
		if ic == nil {
			return fmt.Errorf("pack: --version-ext %s: the config has no [%s] section", kv, sec)
		}
		ic.VersionExt = val
	}
	if *hwID != "" {
		n, err := parseNumber(*hwID)
		if err != nil {
			return fmt.Errorf("pack: --hardware-id %s: %w", *hwID, err)
		}
		opts.HardwareID = &n
	}
	if len(*images) > 0 {
		if err := packImageList(fs, *images, &opts); err != nil {
			return err
		}
	} else if err := packPktInputs(*pkt, &opts, stderr, [4]string{*appF, *hilinkF, *bootF, *nvF}); err != nil {
		return err
	}
	if cfg.SignMode() == upg.SignECDSA && !*unsigned {
		if opts.RootKey, err = packKey(*rootF, "--root-key", *cfgPath, cfg.Sign.RootKeyFile, "RootKeyFile"); err != nil {
			return err
		}
		if opts.SubKey, err = packKey(*subF, "--sub-key", *cfgPath, cfg.Sign.SubKeyFile, "SubKeyFile"); err != nil {
			return err
		}
	}
	pkg, err := upg.Pack(opts)
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	if err := packFit(pkg, *force, stderr); err != nil {
		return err
	}
	if err := files.Write(*out, pkg, 0o644); err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	return packSummary(info, *out, pkg, cfg, *unsigned)
}

// packFit refuses, unless force, a package the device would not install
// (deviceFit, as pkg verify checks it); with force it warns.
func packFit(pkg []byte, force bool, stderr io.Writer) error {
	p, err := upg.ReadPackage(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return fmt.Errorf("pack: reading back the package: %w", err)
	}
	probs := deviceFit(bytes.NewReader(pkg), int64(len(pkg)), p)
	if len(probs) == 0 {
		return nil
	}
	msgs := make([]string, len(probs))
	for i, pr := range probs {
		msgs[i] = pr.String()
	}
	if !force {
		return fmt.Errorf("pack: the device would not install this package: %s (--force writes it anyway)", strings.Join(msgs, "; "))
	}
	for _, m := range msgs {
		fmt.Fprintf(stderr, "pack: warning: --force: %s\n", m)
	}
	return nil
}

// packImageList reads the --image SECTION=FILE list into opts.Images.
func packImageList(fs *pflag.FlagSet, list []string, opts *upg.PackOptions) error {
	for _, f := range []string{"pkt", "app", "flashboot", "nv", "hilink", "no-flashboot"} {
		if fs.Changed(f) {
			return fmt.Errorf("pack: --image gives the whole image list: drop --%s", f)
		}
	}
	opts.Images = []upg.PackImage{}
	for _, kv := range list {
		sec, path, ok := strings.Cut(kv, "=")
		if !ok || sec == "" || path == "" {
			return fmt.Errorf("pack: --image %q: want SECTION=FILE", kv)
		}
		b, err := readPackInput("--image", path)
		if err != nil {
			return err
		}
		opts.Images = append(opts.Images, upg.PackImage{Section: sec, Data: b})
	}
	return nil
}

func readPackInput(flag, path string) ([]byte, error) {
	b, err := cliio.ReadFile(path, cliio.ImageLimit, "an image")
	if err != nil {
		return nil, fmt.Errorf("pack: %s: %w", flag, err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("pack: %s: empty file", path)
	}
	return b, nil
}

// packSetting splits a SECTION=N flag value.
func packSetting(flag, kv string) (string, uint32, error) {
	sec, val, ok := strings.Cut(kv, "=")
	if !ok || sec == "" {
		return "", 0, fmt.Errorf("pack: %s %q: want SECTION=N", flag, kv)
	}
	n, err := parseNumber(val)
	if err != nil {
		return "", 0, fmt.Errorf("pack: %s %s: %w", flag, kv, err)
	}
	return sec, n, nil
}

// parseNumber reads a 32-bit number: hex with 0x, else decimal.
func parseNumber(s string) (uint32, error) {
	base := 10
	if len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") {
		s, base = s[2:], 16
	}
	n, err := strconv.ParseUint(s, base, 32)
	if err != nil {
		return 0, errors.New("not a 32-bit number (hex with 0x, else decimal)")
	}
	return uint32(n), nil
}

// packPktInputs reads the --app/--hilink/--flashboot/--nv files the
// --pkt list needs (paths in that order).
func packPktInputs(pkt string, opts *upg.PackOptions, stderr io.Writer, paths [4]string) error {
	opts.Pkt = strings.Split(pkt, ",")
	var secs []string
	var err error
	if opts.NoFlashboot {
		secs, err = upg.SectionsWithoutBoot(opts.Pkt)
	} else {
		secs, err = upg.Sections(opts.Pkt)
	}
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	inputs := []struct {
		section, flag, path string
		dst                 *[]byte
	}{
		{upg.SectionApplication, "--app", paths[0], &opts.App},
		{upg.SectionHilink, "--hilink", paths[1], &opts.Hilink},
		{upg.SectionFlashboot, "--flashboot", paths[2], &opts.Flashboot},
		{upg.SectionNV, "--nv", paths[3], &opts.NV},
	}
	for _, in := range inputs {
		packed := false
		for _, s := range secs {
			packed = packed || s == in.section
		}
		switch {
		case packed && in.path == "":
			return fmt.Errorf("pack: the package holds %s (--pkt %s): %s FILE is required", in.section, pkt, in.flag)
		case !packed && in.path != "":
			fmt.Fprintf(stderr, "pack: ignoring %s: %s is not in --pkt %s\n", in.flag, in.section, pkt)
		case packed:
			b, err := readPackInput(in.flag, in.path)
			if err != nil {
				return err
			}
			*in.dst = b
		}
	}
	return nil
}

// packConfig picks the config: a file, or the built-in SDK one in the
// --sign mode.
func packConfig(path, sign string) (*upg.Config, error) {
	if path != "" {
		if sign != "" {
			return nil, errors.New("pack: give --config or --sign, not both (the config's KeyAlg sets the mode)")
		}
		cfg, err := upg.LoadConfig(path)
		if err != nil {
			return nil, fmt.Errorf("pack: %w", err)
		}
		return cfg, nil
	}
	mode := upg.SignECDSA
	if sign != "" {
		m, err := upg.ParseSignMode(sign)
		if err != nil {
			return nil, fmt.Errorf("pack: --sign: %w", err)
		}
		mode = m
	}
	return upg.DefaultConfig(mode), nil
}

// packKey loads a signing key: the flag's file, else the config's key
// file, which the SDK resolves against its src/ directory (five levels
// above build/config/target_config/ws63/fota/fota.cfg).
func packKey(flagPath, flagName, cfgPath, cfgKey, cfgKeyName string) (*image.PrivateKey, error) {
	if flagPath != "" {
		k, err := image.LoadPrivateKey(flagPath)
		if err != nil {
			return nil, fmt.Errorf("pack: %s: %w", flagName, err)
		}
		return k, nil
	}
	alt := "--unsigned, or --sign sha256"
	if cfgPath != "" {
		alt = "--unsigned"
	}
	need := fmt.Sprintf("pack: ECDSA signing (KeyAlg 0x%08X) needs %s PEM (or %s)", uint32(upg.KeyAlgECDSA), flagName, alt)
	if cfgPath == "" || cfgKey == "" {
		return nil, errors.New(need)
	}
	keyPath := cfgKey
	if !filepath.IsAbs(keyPath) {
		sdkRoot := filepath.Join(filepath.Dir(cfgPath), "..", "..", "..", "..", "..")
		keyPath = filepath.Join(sdkRoot, filepath.FromSlash(cfgKey))
	}
	if _, err := os.Stat(keyPath); err == nil {
		k, err := image.LoadPrivateKey(keyPath)
		if err != nil {
			return nil, fmt.Errorf("pack: %s %s: %w", cfgKeyName, keyPath, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%s: the config's %s is not at %s", need, cfgKeyName, keyPath)
}

func packSummary(w io.Writer, path string, pkg []byte, cfg *upg.Config, unsigned bool) error {
	p, err := upg.ReadPackage(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		return fmt.Errorf("pack: reading back %s: %w", path, err)
	}
	mode := map[upg.SignMode]string{upg.SignECDSA: "ECDSA-signed", upg.SignSHA256: "hash-only signed (SHA-256)"}[cfg.SignMode()]
	if unsigned {
		mode = "unsigned"
	}
	fmt.Fprintf(w, "wrote %s: %d bytes, %d images, %s, version %q\n", path, len(pkg), len(p.Nodes), mode, p.Version())
	for i, h := range p.Headers {
		how := "raw"
		if h.Compressed() && h.ImageID != upg.ImageIDNV {
			how = fmt.Sprintf("LZMA, %.3f", float64(h.ImageLen)/float64(h.NewImageLen))
		}
		fmt.Fprintf(w, "  %d %-11s %8d -> %8d bytes (%s) at 0x%X\n", i, upg.ImageName(h.ImageID), h.NewImageLen, h.ImageLen, how, p.Nodes[i].ImageAddr)
	}
	return nil
}
