package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
)

func init() {
	register("image", "build a synthetic signed image, or inspect one", runImage)
}

func imageUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ws63emu image build --kind app|flashboot|flashboot-backup --version STR [--version-ext N] [--size BYTES] [--seed S] [--sign-key PEM [--parent-key PEM] | --hash-only] -o FILE")
	fmt.Fprintln(w, "       ws63emu image inspect FILE [--json] [--root-key PEM | --parent-key PEM]")
}

func runImage(args []string, stdout, stderr io.Writer) error {
	return dispatch("image", imageUsage, []subcommand{
		{"build", runImageBuild},
		{"inspect", runImageInspect},
	}, args, stdout, stderr)
}

// parseSize reads a byte count: decimal, 0x hex, or with a K/KiB/M/MiB
// suffix (powers of 1024).
func parseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mul := 1
	for _, suf := range []struct {
		s string
		m int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"K", 1 << 10}, {"k", 1 << 10}, {"M", 1 << 20}} {
		if strings.HasSuffix(t, suf.s) {
			t, mul = strings.TrimSuffix(t, suf.s), suf.m
			break
		}
	}
	n, err := strconv.ParseUint(t, 0, 32)
	if err != nil || n == 0 || n*uint64(mul) > image.MaxCodeLen {
		return 0, fmt.Errorf("bad size %q (want 1..%d bytes, e.g. 65536, 0x10000, 60KiB, 2MiB)", s, image.MaxCodeLen)
	}
	return int(n) * mul, nil
}

func runImageBuild(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("image build", stderr)
	kindS := fs.String("kind", "app", "image kind: app, flashboot or flashboot-backup")
	version := fs.String("version", "1.0.0", "version string recorded in the code's ident record (≤ 31 bytes)")
	versionExt := fs.Uint32("version-ext", 0, "anti-rollback version_ext: a run of ones from bit 0 (0, 1, 3, 7, 0xF, …)")
	sizeS := fs.String("size", "", fmt.Sprintf("code size in bytes, %d..%d (default 2MiB for app, 60KiB otherwise); the image adds the 0x300-byte header", image.IdentLen, image.MaxCodeLen))
	seed := fs.Uint64("seed", 0, "seed varying the synthetic code")
	signKey := fs.String("sign-key", "", "PEM key signing the code info (ECDSA mode); its public key goes to ext_public_key")
	parentKey := fs.String("parent-key", "", "PEM key signing the key area (default: --sign-key)")
	hashOnly := fs.Bool("hash-only", false, "SignSuite=4 hash-only signatures, as the SDK signs by default (the default without --sign-key)")
	out := fs.StringP("output", "o", "", "write the image to this file (required; - for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("image build: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("image build: -o FILE is required")
	}
	files := cliio.New(stdout)
	files.Input("--sign-key", *signKey)
	files.Input("--parent-key", *parentKey)
	files.Output("-o", *out)
	if err := files.Check(); err != nil {
		return fmt.Errorf("image build: %w", err)
	}
	info := stdout
	if files.ToStdout() {
		info = stderr
	}
	kind, err := image.ParseKind(*kindS)
	if err != nil {
		return fmt.Errorf("image build: --kind: %w", err)
	}
	if err := image.CheckVersionExt(*versionExt); err != nil {
		return fmt.Errorf("image build: --version-ext: %w", err)
	}
	if len(*version) > image.IdentVersionMax {
		return fmt.Errorf("image build: --version %q is longer than %d bytes", *version, image.IdentVersionMax)
	}
	size := 60 << 10
	if kind == image.KindApp {
		size = 2 << 20
	}
	if *sizeS != "" {
		if size, err = parseSize(*sizeS); err != nil {
			return fmt.Errorf("image build: --size: %w", err)
		}
	}
	if size < image.IdentLen {
		return fmt.Errorf("image build: --size %d is below the %d-byte ident record", size, image.IdentLen)
	}
	if *hashOnly && (*signKey != "" || *parentKey != "") {
		return errors.New("image build: --hash-only excludes --sign-key and --parent-key")
	}
	if *parentKey != "" && *signKey == "" {
		return errors.New("image build: --parent-key needs --sign-key")
	}
	var key, parent *image.PrivateKey
	if *signKey != "" {
		if key, err = image.LoadPrivateKey(*signKey); err != nil {
			return fmt.Errorf("image build: --sign-key: %w", err)
		}
	}
	if *parentKey != "" {
		if parent, err = image.LoadPrivateKey(*parentKey); err != nil {
			return fmt.Errorf("image build: --parent-key: %w", err)
		}
	}
	id := image.Ident{Kind: kind, Version: *version, VersionExt: *versionExt, Seed: *seed}
	data, err := image.Build(image.BuildOptions{
		Kind: kind, Code: image.SyntheticCode(id, size), VersionExt: *versionExt,
		Key: key, ParentKey: parent,
	})
	if err != nil {
		return err
	}
	if err := files.Write(*out, data, 0o644); err != nil {
		return fmt.Errorf("image build: %w", err)
	}
	mode := "hash-only (SignSuite=4)"
	if key != nil {
		xy := key.XY()
		mode = fmt.Sprintf("ECDSA, ext_public_key %x…", xy[:8])
	}
	fmt.Fprintf(info, "wrote %s: %v %q version_ext 0x%x seed %d, code %d bytes, image %d bytes, %s\n",
		*out, kind, *version, *versionExt, *seed, size, len(data), mode)
	return nil
}

func runImageInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("image inspect", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	rootF := fs.String("root-key", "", "PEM key (public or private) that signed the key area: the root key, for images signed with it")
	parentF := fs.String("parent-key", "", "PEM key (public or private) that signed the key area (the same check as --root-key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("image inspect: want exactly one FILE")
	}
	if *rootF != "" && *parentF != "" {
		return errors.New("image inspect: give --root-key or --parent-key, not both (both name the key that signed the key area)")
	}
	keyFlag, keyPath := "--root-key", *rootF
	if *parentF != "" {
		keyFlag, keyPath = "--parent-key", *parentF
	}
	var parent *[image.PublicKeyLen]byte
	if keyPath != "" {
		xy, err := image.LoadPublicKey(keyPath)
		if err != nil {
			return fmt.Errorf("image inspect: %s: %w", keyFlag, err)
		}
		parent = &xy
	}
	path := fs.Arg(0)
	im, err := image.ReadFile(path)
	if err != nil && !errors.Is(err, image.ErrBodyHash) {
		return err // bad input: exit 2, one line naming the file and offset
	}
	v := newImageView(path, im)
	if parent != nil {
		ok := image.VerifyDigest(*parent, im.Key.Digest(), im.Key.Signature)
		v.KeyAreaCheck = fmt.Sprintf("%s under %s %s", okBad(ok), keyFlag, keyPath)
		if !ok && err == nil {
			err = fmt.Errorf("%s: key area signature is INVALID under %s %s", path, keyFlag, keyPath)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		v.writeText(stdout)
	}
	if err != nil {
		return failed("%v", err)
	}
	return nil
}

// imageView is what inspect prints; byte fields are hex strings.
type imageView struct {
	File       string       `json:"file"`
	Kind       string       `json:"kind"`
	Length     int          `json:"length"`
	KeyArea    keyAreaView  `json:"key_area"`
	CodeInfo   codeInfoView `json:"code_info"`
	Signatures string       `json:"signatures"`
	// KeyAreaCheck is the key area's signature checked under the key of
	// --root-key / --parent-key; empty without one.
	KeyAreaCheck string     `json:"key_area_check,omitempty"`
	Ident        *identView `json:"ident"` // null for non-synthetic code
	BodyHashOK   bool       `json:"body_hash_ok"`
	BodyHash     string     `json:"body_hash"`
}

type keyAreaView struct {
	ImageID         string `json:"image_id"`
	StructVersion   string `json:"structure_version"`
	StructLength    string `json:"structure_length"`
	SignatureLength string `json:"signature_length"`
	KeyOwnerID      uint32 `json:"key_owner_id"`
	KeyID           uint32 `json:"key_id"`
	KeyAlg          string `json:"key_alg"`
	ECCCurveType    string `json:"ecc_curve_type"`
	KeyLength       string `json:"key_length"`
	VersionExt      string `json:"version_ext"`
	MaskVersionExt  string `json:"mask_version_ext"`
	MSIDExt         string `json:"msid_ext"`
	MaskMSIDExt     string `json:"mask_msid_ext"`
	MaintenanceMode string `json:"maintenance_mode"`
	DieID           string `json:"die_id"`
	CodeInfoAddr    string `json:"code_info_addr"`
	Reserved        string `json:"reserved"`
	ExtPublicKey    string `json:"ext_public_key"`
	Signature       string `json:"signature"`
}

type codeInfoView struct {
	ImageID           string `json:"image_id"`
	StructVersion     string `json:"structure_version"`
	StructLength      string `json:"structure_length"`
	SignatureLength   string `json:"signature_length"`
	VersionExt        string `json:"version_ext"`
	MaskVersionExt    string `json:"mask_version_ext"`
	MSIDExt           string `json:"msid_ext"`
	MaskMSIDExt       string `json:"mask_msid_ext"`
	CodeAreaAddr      string `json:"code_area_addr"`
	CodeAreaLen       string `json:"code_area_len"`
	CodeAreaHash      string `json:"code_area_hash"`
	CodeEncFlag       string `json:"code_enc_flag"`
	ProtectionKeyL1   string `json:"protection_key_l1"`
	ProtectionKeyL2   string `json:"protection_key_l2"`
	IV                string `json:"iv"`
	CodeCompressFlag  string `json:"code_compress_flag"`
	CodeUncompressLen string `json:"code_uncompress_len"`
	TextSegmentSize   string `json:"text_segment_size"`
	Reserved          string `json:"reserved"`
	Signature         string `json:"signature"`
	SignatureExt      string `json:"signature_ext"`
}

type identView struct {
	Kind       string `json:"kind"`
	Version    string `json:"version"`
	VersionExt string `json:"version_ext"`
	Seed       uint64 `json:"seed"`
}

func hx(v uint32) string { return fmt.Sprintf("0x%08X", v) }

// hexs is a byte field in hex.
func hexs(b []byte) string { return hex.EncodeToString(b) }

// compact shortens an all-zero hex byte field for the text form.
func compact(val string) string {
	if len(val) > 8 && strings.Trim(val, "0") == "" {
		return fmt.Sprintf("zero (%d bytes)", len(val)/2)
	}
	return val
}

// signatureMode tells how the image is signed, as far as the image alone
// shows: hash-only signatures check by themselves; ECDSA ones need the
// parent key for the key area, the code info verifies under ext_public_key.
func signatureMode(im *image.Image) string {
	keyHash := im.Key.Signature == image.HashOnlySignature(im.Key.Digest())
	infoHash := im.Info.Signature == image.HashOnlySignature(im.Info.Digest())
	switch {
	case keyHash && infoHash:
		return "hash-only (SignSuite=4), both valid"
	case keyHash || infoHash:
		return fmt.Sprintf("hash-only, key area %s, code info %s", okBad(keyHash), okBad(infoHash))
	case image.VerifyDigest(im.Key.ExtPublicKey, im.Info.Digest(), im.Info.Signature):
		return "ECDSA: code info verifies under ext_public_key; key area needs the parent key"
	default:
		return "ECDSA or damaged: code info does not verify under ext_public_key"
	}
}

func okBad(ok bool) string {
	if ok {
		return "valid"
	}
	return "INVALID"
}

func newImageView(path string, im *image.Image) *imageView {
	k, c := &im.Key, &im.Info
	v := &imageView{
		File:   path,
		Kind:   im.Kind.String(),
		Length: im.Len(),
		KeyArea: keyAreaView{
			ImageID: hx(k.ImageID), StructVersion: hx(k.StructVersion), StructLength: hx(k.StructLength),
			SignatureLength: hx(k.SignatureLength), KeyOwnerID: k.KeyOwnerID, KeyID: k.KeyID,
			KeyAlg: hx(k.KeyAlg), ECCCurveType: hx(k.ECCCurveType), KeyLength: hx(k.KeyLength),
			VersionExt: hx(k.VersionExt), MaskVersionExt: hx(k.MaskVersionExt), MSIDExt: hx(k.MSIDExt),
			MaskMSIDExt: hx(k.MaskMSIDExt), MaintenanceMode: hx(k.MaintenanceMode), DieID: hexs(k.DieID[:]),
			CodeInfoAddr: hx(k.CodeInfoAddr), Reserved: hexs(k.Reserved[:]),
			ExtPublicKey: hexs(k.ExtPublicKey[:]), Signature: hexs(k.Signature[:]),
		},
		CodeInfo: codeInfoView{
			ImageID: hx(c.ImageID), StructVersion: hx(c.StructVersion), StructLength: hx(c.StructLength),
			SignatureLength: hx(c.SignatureLength), VersionExt: hx(c.VersionExt), MaskVersionExt: hx(c.MaskVersionExt),
			MSIDExt: hx(c.MSIDExt), MaskMSIDExt: hx(c.MaskMSIDExt), CodeAreaAddr: hx(c.CodeAreaAddr),
			CodeAreaLen: hx(c.CodeAreaLen), CodeAreaHash: hex.EncodeToString(c.CodeAreaHash[:]),
			CodeEncFlag: hx(c.CodeEncFlag), ProtectionKeyL1: hexs(c.ProtectionKeyL1[:]),
			ProtectionKeyL2: hexs(c.ProtectionKeyL2[:]), IV: hexs(c.IV[:]),
			CodeCompressFlag: hx(c.CodeCompressFlag), CodeUncompressLen: hx(c.CodeUncompressLen),
			TextSegmentSize: hx(c.TextSegmentSize), Reserved: hexs(c.Reserved[:]),
			Signature: hexs(c.Signature[:]), SignatureExt: hexs(c.SignatureExt[:]),
		},
		Signatures: signatureMode(im),
		BodyHashOK: im.BodyHashOK(),
		BodyHash:   "ok",
	}
	if !v.BodyHashOK {
		v.BodyHash = "MISMATCH: SHA-256 of the code area differs from code_area_hash"
	}
	if id, ok := im.Ident(); ok {
		v.Ident = &identView{Kind: id.Kind.String(), Version: id.Version, VersionExt: hx(id.VersionExt), Seed: id.Seed}
	}
	return v
}

func (v *imageView) writeText(w io.Writer) {
	p := func(name, val string) { fmt.Fprintf(w, "  %-20s %s\n", name, compact(val)) }
	fmt.Fprintf(w, "%s: %s image, %d bytes (0x%x header + 0x%x code)\n", v.File, v.Kind, v.Length, image.HeaderLen, v.Length-image.HeaderLen)
	k := v.KeyArea
	fmt.Fprintln(w, "key area")
	for _, f := range [][2]string{
		{"image_id", k.ImageID}, {"structure_version", k.StructVersion}, {"structure_length", k.StructLength},
		{"signature_length", k.SignatureLength}, {"key_owner_id", fmt.Sprint(k.KeyOwnerID)}, {"key_id", fmt.Sprint(k.KeyID)},
		{"key_alg", k.KeyAlg}, {"ecc_curve_type", k.ECCCurveType}, {"key_length", k.KeyLength},
		{"version_ext", k.VersionExt}, {"mask_version_ext", k.MaskVersionExt}, {"msid_ext", k.MSIDExt},
		{"mask_msid_ext", k.MaskMSIDExt}, {"maintenance_mode", k.MaintenanceMode}, {"die_id", k.DieID},
		{"code_info_addr", k.CodeInfoAddr}, {"reserved", k.Reserved}, {"ext_public_key", k.ExtPublicKey},
		{"signature", k.Signature},
	} {
		p(f[0], f[1])
	}
	c := v.CodeInfo
	fmt.Fprintln(w, "code info")
	for _, f := range [][2]string{
		{"image_id", c.ImageID}, {"structure_version", c.StructVersion}, {"structure_length", c.StructLength},
		{"signature_length", c.SignatureLength}, {"version_ext", c.VersionExt}, {"mask_version_ext", c.MaskVersionExt},
		{"msid_ext", c.MSIDExt}, {"mask_msid_ext", c.MaskMSIDExt}, {"code_area_addr", c.CodeAreaAddr},
		{"code_area_len", c.CodeAreaLen}, {"code_area_hash", c.CodeAreaHash}, {"code_enc_flag", c.CodeEncFlag},
		{"protection_key_l1", c.ProtectionKeyL1}, {"protection_key_l2", c.ProtectionKeyL2}, {"iv", c.IV},
		{"code_compress_flag", c.CodeCompressFlag}, {"code_uncompress_len", c.CodeUncompressLen},
		{"text_segment_size", c.TextSegmentSize}, {"reserved", c.Reserved}, {"signature", c.Signature},
		{"signature_ext", c.SignatureExt},
	} {
		p(f[0], f[1])
	}
	fmt.Fprintf(w, "signatures  %s\n", v.Signatures)
	if v.KeyAreaCheck != "" {
		fmt.Fprintf(w, "key area    signature %s\n", v.KeyAreaCheck)
	}
	if v.Ident != nil {
		fmt.Fprintf(w, "ident       synthetic %s %q version_ext %s seed %d\n", v.Ident.Kind, v.Ident.Version, v.Ident.VersionExt, v.Ident.Seed)
	} else {
		fmt.Fprintln(w, "ident       none (not a ws63emu synthetic build)")
	}
	fmt.Fprintf(w, "body hash   %s\n", v.BodyHash)
}
