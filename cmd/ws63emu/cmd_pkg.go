package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/upg"
)

func init() {
	register("pkg", "inspect or verify an update.fwpkg (the device's verification order)", runPkg)
}

func pkgUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ws63emu pkg inspect FILE [--json] [--root-key PEM]")
	fmt.Fprintln(w, "       ws63emu pkg verify FILE [--root-key PEM]")
}

func runPkg(args []string, stdout, stderr io.Writer) error {
	return dispatch("pkg", pkgUsage, []subcommand{
		{"inspect", runPkgInspect},
		{"verify", runPkgVerify},
	}, args, stdout, stderr)
}

// openPkg opens a package file, refusing one larger than the 4 MiB flash.
func openPkg(path string) (*cliio.Input, error) {
	return cliio.Open(path, cliio.ImageLimit, "a package")
}

// loadRootKey reads --root-key: the root public key X ‖ Y of a PEM key,
// public (`openssl ec -pubout`) or private.
func loadRootKey(path string) (*[image.PublicKeyLen]byte, error) {
	if path == "" {
		return nil, nil
	}
	xy, err := image.LoadPublicKey(path)
	if err != nil {
		return nil, err
	}
	return &xy, nil
}

func runPkgVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pkg verify", stderr)
	rootF := fs.String("root-key", "", "root key PEM, public or private (its public key is what the device reads at flash 0x40); needed for ECDSA packages")
	asJSON := fs.Bool("json", false, "print the outcome as JSON (the exit status is the same)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("pkg verify: want exactly one FILE")
	}
	path := fs.Arg(0)
	rep := pkgVerifyReport{FormatVersion: reportFormatVersion, Tool: toolVersion(), File: path}
	outcome, err := verifyPkg(path, *rootF, &rep)
	if err != nil {
		return err // cannot be read, or a key is missing: exit 2, no report
	}
	if *asJSON {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if _, err := stdout.Write(append(b, '\n')); err != nil {
			return err
		}
		return outcome
	}
	if outcome != nil {
		return outcome
	}
	fmt.Fprintf(stdout, "OK %s: %s package, %d images (%s), version %q\n", path, rep.Mode, len(rep.Images), strings.Join(rep.Images, ", "), rep.Version)
	return nil
}

// verifyPkg verifies path as the device would (steps 1–7, then whether it
// would install it) and fills rep. outcome is the failure to report (exit
// 1); err means the package or key could not be read (exit 2).
func verifyPkg(path, rootKey string, rep *pkgVerifyReport) (outcome, err error) {
	root, err := loadRootKey(rootKey)
	if err != nil {
		return nil, fmt.Errorf("pkg verify: --root-key: %w", err)
	}
	f, err := openPkg(path)
	if err != nil {
		return nil, fmt.Errorf("pkg verify: %w", err)
	}
	defer f.Close()
	size := f.Size
	var head [upg.KeyAreaLen]byte
	if size >= upg.HeaderLen {
		if _, err := f.ReadAt(head[:], 0); err != nil {
			return nil, fmt.Errorf("pkg verify: %s: %w", path, err)
		}
	}
	v := &upg.Verifier{}
	// The image id first: a file that is no package at all fails at step 1,
	// whatever its signature_length field holds.
	isPkg := binary.LittleEndian.Uint32(head[0:]) == upg.PackageImageID
	if sigLen := binary.LittleEndian.Uint32(head[12:]); isPkg && size >= upg.HeaderLen && sigLen != upg.HashOnlySigLen && root == nil {
		return nil, fmt.Errorf("pkg verify: %s is ECDSA-signed (key area signature_length %d at offset 0xC): --root-key PEM is required", path, sigLen)
	}
	if root != nil {
		v.RootKey = *root
	}
	p, err := v.VerifyFile(f, size)
	var ve *upg.VerifyError
	switch {
	case errors.As(err, &ve):
		rep.Failure = &pkgVerifyFailed{Step: int(ve.Step), StepName: ve.Step.String(), Image: ve.Image, Result: fmt.Sprint(ve.Result), Code: ve.Code.String(), Message: ve.Msg}
		where := fmt.Sprintf("step %d (%s)", int(ve.Step), ve.Step)
		if ve.Image >= 0 {
			where += fmt.Sprintf(", image %d", ve.Image)
		}
		return failed("pkg verify: %s: FAILED at %s: %s, %s: %s", path, where, ve.Result, ve.Code.String(), ve.Msg), nil
	case errors.Is(err, upg.ErrTooManyImages):
		rep.Failure = &pkgVerifyFailed{Image: -1, Code: upg.Code(err).String(), Message: err.Error()}
		return failed("pkg verify: %s: FAILED after verification: %s: %v", path, upg.Code(err).String(), err), nil
	case err != nil:
		return nil, fmt.Errorf("pkg verify: %s: %w", path, err)
	}
	for _, n := range p.Nodes {
		rep.Images = append(rep.Images, upg.ImageName(n.ImageID))
	}
	rep.Mode = "hash-only"
	if p.Key.SignatureLength != upg.HashOnlySigLen {
		rep.Mode = "ECDSA"
	}
	rep.Version = p.Version()
	if probs := deviceFit(f, size, p); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.String()
		}
		msg := "the signatures verify, but the device would not install it: " + strings.Join(msgs, "; ")
		rep.Failure = &pkgVerifyFailed{Image: -1, Code: "DEVICE_FIT", Message: msg}
		return failed("pkg verify: %s: %s", path, msg), nil
	}
	rep.OK = true
	return nil, nil
}

func runPkgInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pkg inspect", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	rootF := fs.String("root-key", "", "root key PEM, to check an ECDSA key area signature too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("pkg inspect: want exactly one FILE")
	}
	path := fs.Arg(0)
	root, err := loadRootKey(*rootF)
	if err != nil {
		return fmt.Errorf("pkg inspect: --root-key: %w", err)
	}
	f, err := openPkg(path)
	if err != nil {
		return fmt.Errorf("pkg inspect: %w", err)
	}
	defer f.Close()
	size := f.Size
	p, err := upg.ReadPackage(f, size)
	if err != nil {
		return fmt.Errorf("pkg inspect: %s: %w", path, err) // bad input: exit 2, with the offset
	}
	v, err := newPkgView(path, f, size, p, root)
	if err != nil {
		return fmt.Errorf("pkg inspect: %s: %w", path, err)
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
	if v.Failed > 0 {
		return failed("pkg inspect: %s: %d check(s) failed", path, v.Failed)
	}
	return nil
}

// Check results.
const (
	checkOK         = "ok"
	checkMismatch   = "MISMATCH"
	checkNotChecked = "not checked (ECDSA: give --root-key)"
)

// pkgView is what inspect prints; ids and flags are hex strings, byte
// fields hex, checks "ok" or an upper-case failure.
type pkgView struct {
	File      string         `json:"file"`
	Size      int64          `json:"size"`
	Version   string         `json:"version"`
	Signing   string         `json:"signing"`
	KeyArea   pkgKeyView     `json:"key_area"`
	InfoArea  pkgInfoView    `json:"info_area"`
	HashTable pkgTableView   `json:"hash_table"`
	Images    []pkgImageView `json:"images"`
	Failed    int            `json:"failed_checks"`
}

type pkgKeyView struct {
	ImageID               string `json:"image_id"`
	StructVersion         string `json:"struct_version"`
	StructLength          uint32 `json:"struct_length"`
	SignatureLength       uint32 `json:"signature_length"`
	KeyOwnerID            uint32 `json:"key_owner_id"`
	KeyID                 uint32 `json:"key_id"`
	KeyAlg                string `json:"key_alg"`
	ECCCurveType          string `json:"ecc_curve_type"`
	KeyLength             uint32 `json:"key_length"`
	FotaKeyVersionExt     string `json:"fota_key_version_ext"`
	MaskFotaKeyVersionExt string `json:"mask_fota_key_version_ext"`
	MsidExt               string `json:"msid_ext"`
	MaskMsidExt           string `json:"mask_msid_ext"`
	MaintenanceMode       string `json:"maintenance_mode"`
	DieID                 string `json:"die_id"`
	FotaInfoAddr          string `json:"fota_info_addr"`
	Reserved              string `json:"reserved"`
	FotaExternalPublicKey string `json:"fota_external_public_key"`
	SigFotaKeyArea        string `json:"sig_fota_key_area"`
	ImageIDCheck          string `json:"image_id_check"`
	SignatureCheck        string `json:"signature_check"`
}

type pkgInfoView struct {
	ImageID              string `json:"image_id"`
	StructVersion        string `json:"struct_version"`
	StructLength         uint32 `json:"struct_length"`
	SignatureLength      uint32 `json:"signature_length"`
	FotaVersionExt       string `json:"fota_version_ext"`
	MaskFotaVersionExt   string `json:"mask_fota_version_ext"`
	MsidExt              string `json:"msid_ext"`
	MaskMsidExt          string `json:"mask_msid_ext"`
	ImageHashTableAddr   string `json:"image_hash_table_addr"`
	ImageHashTableLength uint32 `json:"image_hash_table_length"`
	ImageHashTableHash   string `json:"image_hash_table_hash"`
	ImageNum             uint32 `json:"image_num"`
	HardwareID           uint32 `json:"hardware_id"`
	UserDefined          string `json:"user_defined"`
	SignFotaInfo         string `json:"sign_fota_info"`
	ImageIDCheck         string `json:"image_id_check"`
	SignatureCheck       string `json:"signature_check"`
}

type pkgTableView struct {
	Offset    string `json:"offset"`
	Length    uint32 `json:"length"`
	HashCheck string `json:"hash_check"`
}

type pkgImageView struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// The hash table entry.
	NodeImageID     string `json:"node_image_id"`
	NodeImageAddr   string `json:"node_image_addr"`
	NodeImageLength uint32 `json:"node_image_length"`
	NodeImageHash   string `json:"node_image_hash"`
	// The image header.
	HeaderMagic    string `json:"header_magic"`
	ImageID        string `json:"image_id"`
	ImageOffset    string `json:"image_offset"`
	ImageLen       uint32 `json:"image_len"`
	ImageHash      string `json:"image_hash"`
	OldImageLen    uint32 `json:"old_image_len"`
	OldImageHash   string `json:"old_image_hash"`
	NewImageLen    uint32 `json:"new_image_len"`
	VersionExt     string `json:"version_ext"`
	VersionMask    string `json:"version_mask"`
	DecompressFlag string `json:"decompress_flag"`
	ReEncFlag      string `json:"re_enc_flag"`
	RootKeyType    string `json:"root_key_type"`
	EncPKL1        string `json:"enc_pk_l1"`
	EncPKL2        string `json:"enc_pk_l2"`
	IV             string `json:"iv"`
	Padding        string `json:"padding"`
	// Derived.
	Storage string    `json:"storage"` // LZMA, raw, diff
	Ratio   float64   `json:"ratio"`   // image_len / new_image_len
	LZMA    *lzmaView `json:"lzma,omitempty"`
	// Checks, in the device's order.
	MagicCheck      string `json:"magic_check"`
	HeaderHashCheck string `json:"header_hash_check"`
	DataHashCheck   string `json:"data_hash_check"`
}

type lzmaView struct {
	Props    string `json:"props"` // "0x5A (lc=0 lp=0 pb=2)"
	DictSize uint32 `json:"dict_size"`
	Size     uint32 `json:"size"`
	Check    string `json:"check"` // header valid and size == new_image_len
}

func (v *pkgView) check(ok bool, bad string) string {
	if ok {
		return checkOK
	}
	v.Failed++
	return bad
}

func newPkgView(path string, r io.ReaderAt, size int64, p *upg.Package, root *[image.PublicKeyLen]byte) (*pkgView, error) {
	k, in := &p.Key, &p.Info
	kb, _ := k.MarshalBinary()
	ib, _ := in.MarshalBinary()
	v := &pkgView{File: path, Size: size, Version: p.Version()}
	v.KeyArea = pkgKeyView{
		ImageID: hx(k.ImageID), StructVersion: hx(k.StructVersion), StructLength: k.StructLength,
		SignatureLength: k.SignatureLength, KeyOwnerID: k.KeyOwnerID, KeyID: k.KeyID,
		KeyAlg: keyAlgName(k.KeyAlg), ECCCurveType: hx(k.ECCCurveType), KeyLength: k.KeyLength,
		FotaKeyVersionExt: hx(k.VersionExt), MaskFotaKeyVersionExt: hx(k.MaskVersionExt),
		MsidExt: hx(k.MSIDExt), MaskMsidExt: hx(k.MaskMSIDExt), MaintenanceMode: hx(k.MaintenanceMode),
		DieID: hexs(k.DieID[:]), FotaInfoAddr: hx(k.CodeInfoAddr), Reserved: hexs(k.Reserved[:]),
		FotaExternalPublicKey: hexs(k.ExtPublicKey[:]), SigFotaKeyArea: hexs(k.Signature[:]),
	}
	v.KeyArea.ImageIDCheck = v.check(k.ImageID == upg.PackageImageID, "MISMATCH: want 0xCB8D154E")
	kd := sha256.Sum256(kb[:upg.SignedLen])
	switch {
	case k.SignatureLength == upg.HashOnlySigLen:
		v.Signing = "hash-only (signature_length 32)"
		v.KeyArea.SignatureCheck = v.check([32]byte(k.Signature[:32]) == kd, checkMismatch+": SHA-256 of bytes 0..191 differs")
	case root == nil:
		v.Signing = fmt.Sprintf("ECDSA (signature_length %d)", k.SignatureLength)
		v.KeyArea.SignatureCheck = checkNotChecked
	default:
		v.Signing = fmt.Sprintf("ECDSA (signature_length %d)", k.SignatureLength)
		v.KeyArea.SignatureCheck = v.check(image.VerifyDigest(*root, kd, k.Signature), "INVALID under the root key")
	}
	v.InfoArea = pkgInfoView{
		ImageID: hx(in.ImageID), StructVersion: hx(in.StructVersion), StructLength: in.StructLength,
		SignatureLength: in.SignatureLength, FotaVersionExt: hx(in.VersionExt), MaskFotaVersionExt: hx(in.VersionMask),
		MsidExt: hx(in.MsidExt), MaskMsidExt: hx(in.MsidMask), ImageHashTableAddr: hx(in.HashTableAddr),
		ImageHashTableLength: in.HashTableLen, ImageHashTableHash: hexs(in.HashTableHash[:]),
		ImageNum: in.ImageNum, HardwareID: in.HardwareID, UserDefined: hexs(in.User[:]), SignFotaInfo: hexs(in.Signature[:]),
	}
	v.InfoArea.ImageIDCheck = v.check(in.ImageID == upg.PackageImageID, "MISMATCH: want 0xCB8D154E")
	id := sha256.Sum256(ib[:upg.SignedLen])
	if in.SignatureLength == upg.HashOnlySigLen {
		v.InfoArea.SignatureCheck = v.check([32]byte(in.Signature[:32]) == id, checkMismatch+": SHA-256 of bytes 0..191 differs")
	} else {
		v.InfoArea.SignatureCheck = v.check(image.VerifyDigest(k.ExtPublicKey, id, in.Signature), "INVALID under fota_external_public_key")
	}

	off, n := in.TableOffset(), int64(in.HashTableLen)
	v.HashTable = pkgTableView{Offset: fmt.Sprintf("0x%X", off), Length: in.HashTableLen}
	if off > size || n > size-off {
		v.HashTable.HashCheck = v.check(false, fmt.Sprintf("OUT OF RANGE: the table runs past the %d-byte file", size))
	} else {
		sum, err := hashRange(r, off, n)
		if err != nil {
			return nil, err
		}
		v.HashTable.HashCheck = v.check(sum == in.HashTableHash, checkMismatch)
	}

	for i := range p.Nodes {
		nd, h := &p.Nodes[i], &p.Headers[i]
		iv := pkgImageView{
			Index: i, Name: upg.ImageName(nd.ImageID),
			NodeImageID: hx(nd.ImageID), NodeImageAddr: hx(nd.ImageAddr), NodeImageLength: nd.ImageLength, NodeImageHash: hexs(nd.ImageHash[:]),
			HeaderMagic: hx(h.Magic), ImageID: hx(h.ImageID), ImageOffset: hx(h.ImageOffset), ImageLen: h.ImageLen,
			ImageHash: hexs(h.ImageHash[:]), OldImageLen: h.OldImageLen, OldImageHash: hexs(h.OldImageHash[:]),
			NewImageLen: h.NewImageLen, VersionExt: hx(h.VersionExt), VersionMask: hx(h.VersionMask),
			DecompressFlag: hx(h.DecompressFlag), ReEncFlag: hx(h.ReEncFlag), RootKeyType: hx(h.RootKeyType),
			EncPKL1: hexs(h.EncPKL1[:]), EncPKL2: hexs(h.EncPKL2[:]), IV: hexs(h.IV[:]), Padding: hexs(h.Padding[:]),
			Storage: "raw",
		}
		if h.NewImageLen > 0 {
			iv.Ratio = float64(h.ImageLen) / float64(h.NewImageLen)
		}
		iv.MagicCheck = v.check(h.Magic == upg.ImageHeaderMagic, "MISMATCH: want 0x464F5451")
		hb, _ := h.MarshalBinary()
		iv.HeaderHashCheck = v.check(sha256.Sum256(hb) == nd.ImageHash, checkMismatch)
		data, err := p.ImageData(r, size, i)
		if err != nil {
			return nil, err
		}
		sum, err := hashRange(data, 0, data.Size())
		if err != nil {
			return nil, err
		}
		iv.DataHashCheck = v.check(sum == h.ImageHash, checkMismatch)
		switch {
		case h.ImageID == upg.ImageIDNV:
			// NV data is never processed, whatever the flag says.
		case h.Compressed():
			iv.Storage = "LZMA"
			var hdr [upg.LZMAHeaderLen]byte
			lv := &lzmaView{}
			if _, err := data.ReadAt(hdr[:], 0); err != nil {
				lv.Check = v.check(false, "SHORT: payload smaller than the 16-byte header")
			} else {
				lh, err := upg.ParseLZMAHeader(hdr[:])
				lv.Props = fmt.Sprintf("0x%02X (lc=%d lp=%d pb=%d)", lh.Props, lh.LC(), lh.LP(), lh.PB())
				lv.DictSize, lv.Size = lh.DictSize, lh.Size
				switch {
				case err != nil:
					lv.Check = v.check(false, "INVALID: "+err.Error())
				default:
					lv.Check = v.check(lh.Size == h.NewImageLen, fmt.Sprintf("MISMATCH: size %d, new_image_len %d", lh.Size, h.NewImageLen))
				}
			}
			iv.LZMA = lv
		case h.DecompressFlag == upg.FlagDiff:
			iv.Storage = "diff"
		}
		v.Images = append(v.Images, iv)
	}
	return v, nil
}

// userText shows the user area as its version string when the rest is zero.
func userText(ver, hexUser string) string {
	rest := hexUser[2*len(ver):]
	if strings.Trim(rest, "0") == "" {
		return fmt.Sprintf("%q, then %d zero bytes", ver, len(rest)/2)
	}
	return hexUser
}

func hashRange(r io.ReaderAt, off, n int64) ([32]byte, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, off, n)); err != nil {
		return [32]byte{}, err
	}
	var s [32]byte
	h.Sum(s[:0])
	return s, nil
}

func keyAlgName(a uint32) string {
	name := map[uint32]string{
		upg.KeyAlgECDSA: "ECC256_SHA256", upg.KeyAlgSM2: "SM2_SM3", upg.KeyAlgRSA: "RSA4096_SHA256",
		upg.KeyAlgSHA256ECC: "SHA256 (ECC256 format)", upg.KeyAlgSHA256RSA: "SHA256 (RSA4096 format)", upg.KeyAlgSM3: "SM3_ONLY",
	}[a]
	if name == "" {
		return hx(a)
	}
	return hx(a) + " " + name
}

func (v *pkgView) writeText(w io.Writer) {
	p := func(name string, val any) { fmt.Fprintf(w, "  %-26s %s\n", name, compact(fmt.Sprint(val))) }
	fmt.Fprintf(w, "%s: update package, %d bytes, %d images, version %q, %s\n", v.File, v.Size, len(v.Images), v.Version, v.Signing)
	k := v.KeyArea
	fmt.Fprintln(w, "key area (0x000)")
	for _, f := range []struct {
		n string
		v any
	}{
		{"image_id", k.ImageID + " (" + k.ImageIDCheck + ")"}, {"struct_version", k.StructVersion}, {"struct_length", k.StructLength},
		{"signature_length", k.SignatureLength}, {"key_owner_id", k.KeyOwnerID}, {"key_id", k.KeyID}, {"key_alg", k.KeyAlg},
		{"ecc_curve_type", k.ECCCurveType}, {"key_length", k.KeyLength}, {"fota_key_version_ext", k.FotaKeyVersionExt},
		{"mask_fota_key_version_ext", k.MaskFotaKeyVersionExt}, {"msid_ext", k.MsidExt}, {"mask_msid_ext", k.MaskMsidExt},
		{"maintenance_mode", k.MaintenanceMode}, {"die_id", k.DieID}, {"fota_info_addr", k.FotaInfoAddr}, {"reserved", k.Reserved},
		{"fota_external_public_key", k.FotaExternalPublicKey}, {"sig_fota_key_area", k.SigFotaKeyArea}, {"signature check", k.SignatureCheck},
	} {
		p(f.n, f.v)
	}
	in := v.InfoArea
	fmt.Fprintln(w, "info area (0x100)")
	for _, f := range []struct {
		n string
		v any
	}{
		{"image_id", in.ImageID + " (" + in.ImageIDCheck + ")"}, {"struct_version", in.StructVersion}, {"struct_length", in.StructLength},
		{"signature_length", in.SignatureLength}, {"fota_version_ext", in.FotaVersionExt}, {"mask_fota_version_ext", in.MaskFotaVersionExt},
		{"msid_ext", in.MsidExt}, {"mask_msid_ext", in.MaskMsidExt}, {"image_hash_table_addr", in.ImageHashTableAddr},
		{"image_hash_table_length", in.ImageHashTableLength}, {"image_hash_table_hash", in.ImageHashTableHash},
		{"image_num", in.ImageNum}, {"hardware_id", in.HardwareID}, {"user_defined", userText(v.Version, in.UserDefined)},
		{"sign_fota_info", in.SignFotaInfo}, {"signature check", in.SignatureCheck},
	} {
		p(f.n, f.v)
	}
	fmt.Fprintf(w, "hash table (%s, %d bytes): hash %s\n", v.HashTable.Offset, v.HashTable.Length, v.HashTable.HashCheck)
	for _, im := range v.Images {
		how := im.Storage
		if im.NewImageLen > 0 {
			how += fmt.Sprintf(", %d -> %d bytes, ratio %.3f", im.NewImageLen, im.ImageLen, im.Ratio)
		}
		fmt.Fprintf(w, "image %d: %s (%s)\n", im.Index, im.Name, how)
		for _, f := range []struct {
			n string
			v any
		}{
			{"node image_id", im.NodeImageID}, {"node image_addr", im.NodeImageAddr}, {"node image_length", im.NodeImageLength},
			{"node image_hash", im.NodeImageHash}, {"header_magic", im.HeaderMagic + " (" + im.MagicCheck + ")"},
			{"image_id", im.ImageID}, {"image_offset", im.ImageOffset}, {"image_len", im.ImageLen}, {"image_hash", im.ImageHash},
			{"old_image_len", im.OldImageLen}, {"old_image_hash", im.OldImageHash}, {"new_image_len", im.NewImageLen},
			{"version_ext", im.VersionExt}, {"version_mask", im.VersionMask}, {"decompress_flag", im.DecompressFlag},
			{"re_enc_flag", im.ReEncFlag}, {"root_key_type", im.RootKeyType}, {"enc_pk_l1", im.EncPKL1}, {"enc_pk_l2", im.EncPKL2},
			{"iv", im.IV}, {"padding", im.Padding}, {"header hash check", im.HeaderHashCheck}, {"data hash check", im.DataHashCheck},
		} {
			p(f.n, f.v)
		}
		if l := im.LZMA; l != nil {
			p("lzma header", fmt.Sprintf("props %s dict %d size %d (%s)", l.Props, l.DictSize, l.Size, l.Check))
		}
	}
	if v.Failed == 0 {
		fmt.Fprintln(w, "all checks ok")
	} else {
		fmt.Fprintf(w, "%d check(s) FAILED\n", v.Failed)
	}
}
