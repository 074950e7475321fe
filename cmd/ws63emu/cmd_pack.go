package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/atomicfile"
	"github.com/ws63emu/ws63emu/upg"
)

func init() {
	register("pack", "make an update.fwpkg as the SDK's build_ws63_update.py does", runPack)
}

func runPack(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pack", stderr)
	cfgPath := fs.String("config", "", "fota.cfg to pack with (default: the SDK's fota.cfg, built in)")
	sign := fs.String("sign", "", "without --config: ecdsa (the SDK default) or sha256 (hash-only, SDK ≤ 1.10.101)")
	pkt := fs.String("pkt", "app", "images to pack: app,app_iot,test,hilink,boot,nv (boot is always added)")
	ver := fs.String("ver", "", "version string written to the info area's user area (at most 16 characters)")
	appF := fs.String("app", "", "application image (ws63-liteos-app-sign.bin)")
	bootF := fs.String("flashboot", "", "flashboot image (flashboot_sign.bin)")
	nvF := fs.String("nv", "", "NV image (ws63_all_nv.bin)")
	hilinkF := fs.String("hilink", "", "hilink image (ws63-liteos-hilink-sign.bin)")
	rootF := fs.String("root-key", "", "ECDSA: root key PEM, signs the key area (overrides the config's RootKeyFile)")
	subF := fs.String("sub-key", "", "ECDSA: sub (app) key PEM, signs the info area (overrides the config's SubKeyFile)")
	unsigned := fs.Bool("unsigned", false, "write the unsigned package (the SDK's update_temp.fwpkg) for a signing server")
	out := fs.StringP("output", "o", "", "output file (required)")
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

	cfg, err := packConfig(*cfgPath, *sign)
	if err != nil {
		return err
	}
	opts := upg.PackOptions{Config: cfg, Pkt: strings.Split(*pkt, ","), Ver: *ver, Unsigned: *unsigned}
	secs, err := upg.Sections(opts.Pkt)
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	inputs := []struct {
		section, flag, path string
		dst                 *[]byte
	}{
		{upg.SectionApplication, "--app", *appF, &opts.App},
		{upg.SectionHilink, "--hilink", *hilinkF, &opts.Hilink},
		{upg.SectionFlashboot, "--flashboot", *bootF, &opts.Flashboot},
		{upg.SectionNV, "--nv", *nvF, &opts.NV},
	}
	for _, in := range inputs {
		packed := false
		for _, s := range secs {
			packed = packed || s == in.section
		}
		switch {
		case packed && in.path == "":
			return fmt.Errorf("pack: the package holds %s (--pkt %s): %s FILE is required", in.section, *pkt, in.flag)
		case !packed && in.path != "":
			fmt.Fprintf(stderr, "pack: ignoring %s: %s is not in --pkt %s\n", in.flag, in.section, *pkt)
		case packed:
			b, err := os.ReadFile(in.path)
			if err != nil {
				return fmt.Errorf("pack: %w", err)
			}
			if len(b) == 0 {
				return fmt.Errorf("pack: %s: empty file", in.path)
			}
			*in.dst = b
		}
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
	if err := atomicfile.Write(*out, pkg, 0o644); err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	return packSummary(stdout, *out, pkg, cfg, *unsigned)
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
