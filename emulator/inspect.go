package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"sort"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Content values of a PartitionReport.
const (
	ContentEmpty   = "empty"   // the partition has size 0
	ContentErased  = "erased"  // every byte 0xFF
	ContentImage   = "image"   // a signed image that parses (see Image)
	ContentGarbage = "garbage" // not erased, and not what the partition should hold
	ContentParams  = "params"  // the params blob (partition 0x03)
	ContentData    = "data"    // not erased; no format is decoded for this partition
	ContentFota    = "fota"    // the fota data partition (see Package and Flag)
)

// Inspection is a decoded flash image: what the params blob, the partition
// table and every partition hold, decoded without running anything and
// without writing (uapi_upg_init would consume ver_change_flag; Inspect only computes the
// status it would report). It is the data behind `ws63emu flash inspect`;
// scenarios and other commands reuse it. Every field marshals to JSON;
// Partitions are in table order, Warnings in a fixed order, so the output is
// deterministic.
//
// Findings are not errors: an erased or damaged partition is reported in its
// PartitionReport (Content "erased" or "garbage", Note says why) and, where it
// matters for booting or upgrading, in Warnings. Inspect fails only when the
// flash cannot be read.
type Inspection struct {
	SHA256      string            `json:"sha256"`       // of the whole 4 MiB
	Layout      string            `json:"layout"`       // "compress" or "ab", as the table reads
	TableSource string            `json:"table_source"` // where the table below comes from
	Params      ParamsReport      `json:"params"`
	Partitions  []PartitionReport `json:"partitions"` // table order
	Flashboot   FlashbootReport   `json:"flashboot"`
	Warnings    []string          `json:"warnings"`
}

// ParamsReport is the params blob at flash 0x0 (partition 0x03) and its
// checks. Signatures are checked in the mode the blob is signed in:
// hash-only (SignSuite=4, root key area erased) or ECDSA under the root key
// area's key.
type ParamsReport struct {
	OK          bool   `json:"ok"`              // the blob decodes (ParseParams)
	Error       string `json:"error,omitempty"` // why not
	RootKey     string `json:"root_key"`        // "erased", or the public key X‖Y in hex
	RootKeyHash string `json:"root_key_hash,omitempty"`
	KeyArea     string `json:"key_area"` // "hash-only ok", "ECDSA ok", "INVALID"
	KeyAreaOK   bool   `json:"key_area_ok"`
	Info        string `json:"info"` // same values for the params info
	InfoOK      bool   `json:"info_ok"`
	TableHashOK bool   `json:"table_hash_ok"` // SHA-256 of the table equals the info's hash
}

// PartitionReport is one table entry and what it holds.
type PartitionReport struct {
	ID      uint8  `json:"id"`
	Name    string `json:"name"` // "imageA", "fota", "imageB" (AB), …
	Offset  uint32 `json:"offset"`
	Size    uint32 `json:"size"`
	End     uint32 `json:"end"`  // Offset + Size
	Used    uint32 `json:"used"` // offset just past the last non-0xFF byte, 0 when erased
	Content string `json:"content"`
	Note    string `json:"note,omitempty"`

	Image    *ImageReport    `json:"image,omitempty"`     // ssb, flashboot, backup, imageA, imageB
	Package  *PackageReport  `json:"package,omitempty"`   // fota (compress layout)
	Flag     *FlagReport     `json:"flag,omitempty"`      // fota (compress layout)
	ABConfig *ABConfigReport `json:"ab_config,omitempty"` // imageB (AB layout)
	NV       *NVReport       `json:"nv,omitempty"`        // nv, nv-backup (nv.go)
}

// ImageReport is a signed image found in a partition (docs/sdk-mapping.md §6.2).
type ImageReport struct {
	Kind       string       `json:"kind"` // from the key-area id
	KeyAreaID  uint32       `json:"key_area_id"`
	CodeInfoID uint32       `json:"code_info_id"`
	IDsOK      bool         `json:"ids_ok"` // both ids are the kind's, and the kind belongs in this partition
	VersionExt uint32       `json:"version_ext"`
	CodeLen    uint32       `json:"code_len"`
	Len        int          `json:"len"` // header + code
	Signing    string       `json:"signing"`
	BodyHashOK bool         `json:"body_hash_ok"`
	SHA256     string       `json:"sha256"`    // of the Len image bytes
	CodeHash   string       `json:"code_hash"` // code_area_hash: equal for the same code signed as another kind
	Ident      *IdentReport `json:"ident,omitempty"`
}

// IdentReport is a synthetic image's identification record (image.IdentOf).
type IdentReport struct {
	Kind       string `json:"kind"`
	Version    string `json:"version"`
	VersionExt uint32 `json:"version_ext"`
	Seed       uint64 `json:"seed"`
}

// PackageReport is the update.fwpkg stored at the start of the fota
// partition, in the package area (partition size − upg.FlagTailLen).
type PackageReport struct {
	Content  string         `json:"content"` // "erased", "package", "garbage"
	Error    string         `json:"error,omitempty"`
	Version  string         `json:"version,omitempty"` // the --ver string
	Signing  string         `json:"signing,omitempty"` // "hash-only" or "ECDSA"
	ImageNum uint32         `json:"image_num"`
	Images   []PackageImage `json:"images,omitempty"`
	Verify   string         `json:"verify,omitempty"` // "ok" or what uapi_upg_verify_file reports
	VerifyOK bool           `json:"verify_ok"`
	Extent   uint32         `json:"extent"` // bytes from the start to the end of the last image
	Area     uint32         `json:"area"`   // the package area's size
}

// PackageImage is one image of a stored package.
type PackageImage struct {
	Name       string       `json:"name"` // "application", "flashboot", "nv", …
	ID         uint32       `json:"id"`
	Offset     uint32       `json:"offset"`     // image_offset in the package
	Len        uint32       `json:"len"`        // image_len as stored
	NewLen     uint32       `json:"new_len"`    // new_image_len: the size once applied
	Compressed bool         `json:"compressed"` // LZMA payload
	VersionExt uint32       `json:"version_ext"`
	Ident      *IdentReport `json:"ident,omitempty"` // of the payload, when it is a synthetic image
}

// FlagReport is the decoded flag area fota_upgrade_flag_area_t (docs/sdk-mapping.md §3.3)
// at fota end − 0x1000.
type FlagReport struct {
	Erased        bool          `json:"erased"` // all 108 bytes 0xFF: no upgrade was ever prepared
	HeadMagic     uint32        `json:"head_magic"`
	HeadMagicOK   bool          `json:"head_magic_ok"`
	BeforeOffset  uint32        `json:"head_before_offset"`
	PackageLength uint32        `json:"package_length"`
	FirmwareNum   uint32        `json:"firmware_num"`
	Firmware      []RetryReport `json:"firmware_flag"` // the first firmware_num (≤ 20) entries, and any other not erased
	NV            RetryReport   `json:"nv_flag"`
	VerChangeFlag uint8         `json:"ver_change_flag"`
	VerChange     string        `json:"ver_change"` // "not reported", "reported", or "other"
	UpdateResult  uint32        `json:"update_result"`
	ResultName    string        `json:"update_result_name"`
	NVDataOffset  uint32        `json:"nv_data_offset"`
	NVDataLen     uint32        `json:"nv_data_len"`
	NVHashOffset  uint32        `json:"nv_hash_offset"`
	NVHashLen     uint32        `json:"nv_hash_len"`
	CompleteFlag  uint32        `json:"complete_flag"`
	Complete      string        `json:"complete"` // "pending", "half", "finished", "other"
	EndMagic      uint32        `json:"head_end_magic"`
	EndMagicOK    bool          `json:"head_end_magic_ok"`
	UpgradeNeeded bool          `json:"upgrade_needed"` // flashboot's predicate
	Status        string        `json:"status"`         // upg_status_t uapi_upg_init would compute
}

// RetryReport is one image's three retry bytes and the state they encode.
type RetryReport struct {
	Index  int    `json:"index"`
	Bytes  string `json:"bytes"` // hex, e.g. "0f ff ff"
	Status string `json:"status"`
}

// ABConfigReport is the AB config page (upg_ab_config_t), the last 4 KiB of
// partition 0x21 in the AB layout.
type ABConfigReport struct {
	Offset    uint32 `json:"offset"` // flash offset of the page
	State     string `json:"state"`  // "erased", "set", "bad magic"
	Magic     uint32 `json:"magic"`
	RunRegion uint32 `json:"run_region"`
	Region    string `json:"region"` // what upg_get_run_region returns: "A" or "B"
}

// FlashbootReport compares the two flashboot copies ssb chooses from.
type FlashbootReport struct {
	Primary  string `json:"primary"` // one-line description of partition 0x01
	Backup   string `json:"backup"`  // of partition 0x02
	Relation string `json:"relation"`
}

// Flashboot copy relations.
const (
	RelIdentical     = "identical"
	RelSameCode      = "same code"        // the same code signed separately (e.g. with the backup ids)
	RelSameBuild     = "same build"       // synthetic builds with the same version, version_ext and seed
	RelOlder         = "backup older"     // backup's version_ext ranks below the primary's
	RelNewer         = "backup newer"     // above
	RelDifferent     = "backup different" // same rank, other bytes
	RelNoBackup      = "no valid backup"
	RelPrimaryBroken = "primary invalid" // ssb boots the backup
	RelNone          = "none valid"      // ssb finds no flashboot
)

// Inspect decodes the 4 MiB flash image read from f (a *flash.Device, a
// *bytes.Reader over a dump, an *os.File). It reads the whole image once;
// on a *flash.Device that read counts as a device read (simulated time).
func Inspect(f io.ReaderAt) (*Inspection, error) {
	buf := make([]byte, flash.Size)
	if n, err := f.ReadAt(buf, 0); n != flash.Size {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("emulator: inspect: flash ends at offset %d: %w", n, err)
	}
	return InspectBytes(buf)
}

// InspectBytes is Inspect of a flash image already in memory, without
// copying it: buf must be flash.Size bytes, and is only read.
func InspectBytes(buf []byte) (*Inspection, error) {
	return inspectBytes(buf, true)
}

// inspectBytes is InspectBytes; without hash, SHA256 is left empty (the
// fuzz target skips hashing 4 MiB per run, half of its time).
func inspectBytes(buf []byte, hash bool) (*Inspection, error) {
	if len(buf) != flash.Size {
		return nil, fmt.Errorf("emulator: inspect: %d bytes, want the %d-byte flash: %w", len(buf), flash.Size, io.ErrUnexpectedEOF)
	}
	r := bytes.NewReader(buf)
	in := &Inspection{Warnings: []string{}}
	if hash {
		sum := sha256.Sum256(buf)
		in.SHA256 = hex.EncodeToString(sum[:])
	}

	t, p := in.readTable(r)
	layout := LayoutOf(t)
	in.Layout = layout.String()
	if err := t.Validate(flash.Size); err != nil {
		in.warn("partition table: %v", err)
	}
	if p != nil {
		in.Params = paramsReport(p)
		if !in.Params.KeyAreaOK || !in.Params.InfoOK {
			in.warn("params blob: key area %s, params info %s: ssb rejects the params with secure boot on", in.Params.KeyArea, in.Params.Info)
		}
		if !p.TableHashOK {
			in.warn("params blob: the table's SHA-256 differs from the params info's hash")
		}
	}

	for _, e := range t.Entries {
		pr := PartitionReport{ID: uint8(e.ID), Name: e.ID.Name(layout), Offset: e.Offset, Size: e.Size, End: e.End()}
		part, ok := slice(buf, e)
		if !ok {
			pr.Content, pr.Note = ContentGarbage, "outside the flash"
			in.Partitions = append(in.Partitions, pr)
			continue
		}
		pr.Used = used(part)
		switch {
		case e.Size == 0:
			pr.Content = ContentEmpty
		case e.ID == partition.RootKey:
			switch {
			case p != nil:
				pr.Content = ContentParams
			case pr.Used == 0:
				pr.Content = ContentErased
			default:
				pr.Content, pr.Note = ContentGarbage, in.Params.Error
			}
		case e.ID == partition.FotaData && layout == partition.LayoutCompress:
			in.fota(&pr, part, buf)
		case e.ID == partition.ImageB && layout == partition.LayoutAB:
			in.imageB(&pr, t, buf)
		case e.ID == partition.SSB || e.ID == partition.Flashboot || e.ID == partition.FlashbootBackup || e.ID == partition.ImageA:
			in.image(&pr, e.ID, part)
		case pr.Used == 0:
			pr.Content = ContentErased
		case e.ID == partition.NVData || e.ID == partition.NVBackup:
			in.nv(&pr, e, part) // nv.go
		default:
			pr.Content = ContentData
		}
		in.Partitions = append(in.Partitions, pr)
	}
	in.compareFlashboot()
	return in, nil
}

func (in *Inspection) warn(format string, a ...any) {
	in.Warnings = append(in.Warnings, fmt.Sprintf(format, a...))
}

// readTable finds the partition table as the device does (flash 0x380),
// preferring the whole params blob; when nothing parses it falls back to
// the SDK default compress table so the rest can still be shown.
func (in *Inspection) readTable(r *bytes.Reader) (partition.Table, *partition.Params) {
	p, perr := partition.ParseParams(r, flash.Size)
	if perr == nil {
		in.TableSource = fmt.Sprintf("params blob at 0x0, table at 0x%03x", partition.TableOffset)
		return p.Table, p
	}
	in.Params = ParamsReport{Error: perr.Error(), RootKey: "unknown", KeyArea: "unreadable", Info: "unreadable"}
	t, err := partition.ParseFlash(r)
	if err == nil {
		in.TableSource = fmt.Sprintf("table at 0x%03x (params blob does not decode)", partition.TableOffset)
		in.warn("params blob: %v", perr)
		return t, nil
	}
	in.TableSource = "none readable: showing the SDK default compress table"
	in.warn("no partition table: %v: the device stops with ERRCODE_PARTITION_INIT_ERR", err)
	return partition.Default(partition.LayoutCompress), nil
}

// LayoutOf tells which layout a table follows: AB when partitions 0x20 and
// 0x21 have the same size (param_sector_double.json splits the span evenly),
// compress otherwise (the default, where 0x21 is the smaller fota store).
func LayoutOf(t partition.Table) partition.Layout {
	a, errA := t.Lookup(partition.ImageA)
	b, errB := t.Lookup(partition.ImageB)
	if errA == nil && errB == nil && a.Size == b.Size && a.Size != 0 {
		return partition.LayoutAB
	}
	return partition.LayoutCompress
}

func paramsReport(p *partition.Params) ParamsReport {
	r := ParamsReport{OK: true, RootKey: "erased", TableHashOK: p.TableHashOK}
	keyECDSA, infoECDSA := p.VerifyECDSA(image.Verifier{})
	if p.Root != nil {
		r.RootKey = hex.EncodeToString(p.Root.PublicKey[:])
		r.RootKeyHash = hex.EncodeToString(p.RootKeyHash[:])
	}
	r.KeyArea, r.KeyAreaOK = sigCheck(p.KeyHashOK, keyECDSA)
	r.Info, r.InfoOK = sigCheck(p.InfoHashOK, infoECDSA)
	return r
}

func sigCheck(hashOnly, ecdsa bool) (string, bool) {
	switch {
	case hashOnly:
		return "hash-only ok", true
	case ecdsa:
		return "ECDSA ok", true
	}
	return "INVALID", false
}

// slice returns the bytes of partition e, or false when it leaves the flash.
func slice(buf []byte, e partition.Entry) ([]byte, bool) {
	end := uint64(e.Offset) + uint64(e.Size)
	if end > uint64(len(buf)) {
		return nil, false
	}
	return buf[e.Offset:end], true
}

// erasedSector is one sector of 0xFF, to compare against.
var erasedSector = bytes.Repeat([]byte{flash.Erased}, flash.SectorSize)

// used returns the offset just past the last byte that is not 0xFF. It
// skips erased 4 KiB blocks with a memory compare, then scans one block.
func used(b []byte) uint32 {
	end := len(b)
	for end > 0 {
		start := max(0, end-flash.SectorSize)
		if !bytes.Equal(b[start:end], erasedSector[:end-start]) {
			break
		}
		end = start
	}
	for i := end - 1; i >= 0; i-- {
		if b[i] != flash.Erased {
			return uint32(i + 1)
		}
	}
	return 0
}

// slotKinds lists the image kinds each image partition may hold.
func slotKinds(id partition.ID) []image.Kind {
	switch id {
	case partition.SSB, partition.Flashboot:
		return []image.Kind{image.KindFlashboot}
	case partition.FlashbootBackup:
		return []image.Kind{image.KindFlashboot, image.KindFlashbootBackup}
	}
	return []image.Kind{image.KindApp}
}

// image fills pr for a partition that should hold a signed image.
func (in *Inspection) image(pr *PartitionReport, id partition.ID, part []byte) {
	pr.Content, pr.Image, pr.Note = parseImage(part, slotKinds(id))
	switch {
	case id == partition.SSB:
		// ssb is not modelled as an image the emulator burns; no warning.
	case pr.Content == ContentErased && id == partition.ImageA:
		in.warn("%s is erased: flashboot finds no app to boot", pr.Name)
	case pr.Content == ContentGarbage:
		in.warn("%s holds no valid image: %s", pr.Name, pr.Note)
	case pr.Image != nil && !pr.Image.IDsOK:
		in.warn("%s holds a %s image (key area 0x%08X, code info 0x%08X): not the image for this partition",
			pr.Name, pr.Image.Kind, pr.Image.KeyAreaID, pr.Image.CodeInfoID)
	case pr.Image != nil && !pr.Image.BodyHashOK:
		in.warn("%s: %s image body hash MISMATCH: boot rejects it even with secure boot off", pr.Name, pr.Image.Kind)
	}
}

// parseImage decodes the image at the start of part.
func parseImage(part []byte, kinds []image.Kind) (content string, rep *ImageReport, note string) {
	if used(part) == 0 {
		return ContentErased, nil, ""
	}
	im, err := image.ParseBytes(part)
	if im == nil {
		return ContentGarbage, nil, fmt.Sprintf("%v (offset from the partition start)", err)
	}
	rep = imageReport(im, part[:im.Len()], kinds)
	return ContentImage, rep, ""
}

func imageReport(im *image.Image, raw []byte, kinds []image.Kind) *ImageReport {
	sum := sha256.Sum256(raw)
	keyID, infoID := im.Kind.IDs()
	r := &ImageReport{
		Kind: im.Kind.String(), KeyAreaID: im.Key.ImageID, CodeInfoID: im.Info.ImageID,
		VersionExt: im.Info.VersionExt, CodeLen: im.Info.CodeAreaLen, Len: im.Len(),
		Signing: signing(im), BodyHashOK: im.BodyHashOK(), SHA256: hex.EncodeToString(sum[:]),
		CodeHash: hex.EncodeToString(im.Info.CodeAreaHash[:]),
	}
	r.IDsOK = im.Key.ImageID == keyID && im.Info.ImageID == infoID
	slotOK := false
	for _, k := range kinds {
		slotOK = slotOK || k == im.Kind
	}
	r.IDsOK = r.IDsOK && slotOK
	if id, ok := im.Ident(); ok {
		r.Ident = identReport(id)
	}
	return r
}

func identReport(id image.Ident) *IdentReport {
	return &IdentReport{Kind: id.Kind.String(), Version: id.Version, VersionExt: id.VersionExt, Seed: id.Seed}
}

// signing tells how an image is signed, as far as the image alone shows.
func signing(im *image.Image) string {
	keyHash := im.Key.Signature == image.HashOnlySignature(im.Key.Digest())
	infoHash := im.Info.Signature == image.HashOnlySignature(im.Info.Digest())
	switch {
	case keyHash && infoHash:
		return "hash-only"
	case keyHash || infoHash:
		return "hash-only, one signature INVALID"
	case image.VerifyDigest(im.Key.ExtPublicKey, im.Info.Digest(), im.Info.Signature):
		return "ECDSA"
	}
	return "ECDSA, code info signature INVALID"
}

// Describe is a one-line description of an image report, as flash inspect
// prints it: kind, ident version, version_ext.
func (r *ImageReport) Describe() string {
	s := r.Kind
	if r.Ident != nil {
		s += fmt.Sprintf(" %q", r.Ident.Version)
	} else {
		s += " (not synthetic)"
	}
	return s + fmt.Sprintf(" version_ext 0x%X", r.VersionExt)
}

// fota fills pr for the compress layout's fota data partition: the stored
// package and the flag area (docs/sdk-mapping.md §3.2, §3.3).
func (in *Inspection) fota(pr *PartitionReport, part, flashBuf []byte) {
	pr.Content = ContentFota
	if len(part) < upg.FlagTailLen {
		pr.Note = fmt.Sprintf("smaller than the %d-byte flag tail: uapi_upg_* report ERRCODE_PARTITION_CONFIG_NOT_FOUND", upg.FlagTailLen)
		in.warn("fota: %s", pr.Note)
		return
	}
	area := part[:len(part)-upg.FlagTailLen]
	pr.Package = packageReport(area, flashBuf)
	flagAt := len(part) - 0x1000
	pr.Flag = flagReport(part[flagAt : flagAt+upg.FlagAreaLen])
	f := pr.Flag
	if f.UpgradeNeeded && !pr.Package.VerifyOK {
		why := pr.Package.Verify
		if why == "" {
			why = pr.Package.Content
		}
		in.warn("fota: an upgrade is pending but the stored package does not verify (%s)", why)
	}
}

func packageReport(area, flashBuf []byte) *PackageReport {
	pr := &PackageReport{Area: uint32(len(area))}
	if used(area) == 0 {
		pr.Content = ContentErased
		return pr
	}
	r := bytes.NewReader(area)
	p, err := upg.ReadPackage(r, int64(len(area)))
	if err != nil {
		pr.Content, pr.Error = ContentGarbage, err.Error()
		return pr
	}
	pr.Content, pr.Version, pr.ImageNum = "package", p.Version(), p.Info.ImageNum
	pr.Signing = "ECDSA"
	if p.Key.SignatureLength == upg.HashOnlySigLen {
		pr.Signing = "hash-only"
	}
	for i, h := range p.Headers {
		pi := PackageImage{Name: upg.ImageName(h.ImageID), ID: h.ImageID, Offset: h.ImageOffset, Len: h.ImageLen,
			NewLen: h.NewImageLen, Compressed: h.Compressed(), VersionExt: h.VersionExt}
		if end := uint64(p.Nodes[i].ImageAddr) + uint64(p.Nodes[i].ImageLength); end > uint64(pr.Extent) && end <= uint64(len(area)) {
			pr.Extent = uint32(end)
		}
		if id, ok := payloadIdent(p, r, int64(len(area)), i); ok {
			pi.Ident = identReport(id)
		}
		pr.Images = append(pr.Images, pi)
	}
	// Verify as uapi_upg_verify_file does, with the root key the device
	// reads at flash 0x40.
	v := &upg.Verifier{}
	copy(v.RootKey[:], flashBuf[rootKeyFlashOffset:rootKeyFlashOffset+image.PublicKeyLen])
	if _, err := v.VerifyFile(r, int64(len(area))); err != nil {
		pr.Verify = err.Error()
	} else {
		pr.Verify, pr.VerifyOK = "ok", true
	}
	return pr
}

// payloadIdent reads the identification record of image i's payload when it
// is a synthetic signed image: the first HeaderLen+IdentLen bytes, decoded
// through LZMA if compressed (a few KiB of work, whatever the image size).
func payloadIdent(p *upg.Package, r io.ReaderAt, size int64, i int) (image.Ident, bool) {
	h := &p.Headers[i]
	if h.Encrypted() {
		return image.Ident{}, false
	}
	data, err := p.ImageData(r, size, i)
	if err != nil {
		return image.Ident{}, false
	}
	var src io.Reader = data
	if h.Compressed() {
		d, _, err := upg.NewLZMADecoder(data, flash.Size)
		if err != nil {
			return image.Ident{}, false
		}
		src = d
	}
	head := make([]byte, image.HeaderLen+image.IdentLen)
	if _, err := io.ReadFull(src, head); err != nil {
		return image.Ident{}, false
	}
	return image.IdentOf(head[image.HeaderLen:])
}

// rootKeyFlashOffset is where upg_get_root_public_key reads the root public
// key X ‖ Y: the root key area's key field (docs/sdk-mapping.md §6.3).
const rootKeyFlashOffset = partition.RootAreaOffset + 64

// Flag-area values (docs/sdk-mapping.md §3.3).
const (
	completePending  = 0xFFFFFFFF
	completeHalf     = 0x0000FFFF
	completeFinished = 0
)

func flagReport(b []byte) *FlagReport {
	var f upg.Flag
	f.UnmarshalBinary(b) // len(b) == upg.FlagAreaLen
	r := &FlagReport{
		Erased:    used(b) == 0,
		HeadMagic: f.HeadMagic, HeadMagicOK: f.HeadMagic == upg.FlagHeadMagic,
		BeforeOffset: f.BeforeOffset, PackageLength: f.PackageLength, FirmwareNum: f.FirmwareNum,
		NV:            retry(-1, f.NVFlag),
		VerChangeFlag: f.VerChangeFlag,
		UpdateResult:  f.UpdateResult, ResultName: upg.Result(f.UpdateResult).String(),
		NVDataOffset: f.NVDataOffset, NVDataLen: f.NVDataLen, NVHashOffset: f.NVHashOffset, NVHashLen: f.NVHashLen,
		CompleteFlag: f.CompleteFlag,
		EndMagic:     f.EndMagic, EndMagicOK: f.EndMagic == upg.FlagEndMagic,
		UpgradeNeeded: f.UpgradeNeeded(),
	}
	for i, t := range f.FirmwareFlag {
		// firmware_num bounds the list, unless it is not a count (erased
		// before request_upgrade writes it); other entries show when used.
		if (f.FirmwareNum <= upg.MaxImages && uint32(i) < f.FirmwareNum) || t != [3]byte{0xFF, 0xFF, 0xFF} {
			r.Firmware = append(r.Firmware, retry(i, t))
		}
	}
	switch f.VerChangeFlag {
	case 0xFF:
		r.VerChange = "not reported"
	case 0x00:
		r.VerChange = "reported"
	default:
		r.VerChange = "other"
	}
	switch f.CompleteFlag {
	case completePending:
		r.Complete = "pending"
	case completeHalf:
		r.Complete = "half"
	case completeFinished:
		r.Complete = "finished"
	default:
		r.Complete = "other"
	}
	// upg_get_status, as uapi_upg_init computes it (without its write).
	switch {
	case !r.HeadMagicOK || !r.EndMagicOK:
		r.Status = upg.StatusNone.String()
	case f.CompleteFlag != completeFinished:
		r.Status = upg.StatusUpdating.String()
	case f.VerChangeFlag == 0:
		r.Status = upg.StatusNone.String()
	case upg.Result(f.UpdateResult) == upg.ResultUpdateSuccess:
		r.Status = upg.StatusSucc.String()
	default:
		r.Status = upg.StatusFail.String()
	}
	return r
}

func retry(i int, t [3]byte) RetryReport {
	return RetryReport{Index: i, Bytes: fmt.Sprintf("%02x %02x %02x", t[0], t[1], t[2]), Status: upg.RetryStatus(t).String()}
}

// imageB fills pr for partition 0x21 in the AB layout: the app image in
// region B and the config page at its end (upg.ABLayoutOf, docs/sdk-mapping.md §5).
func (in *Inspection) imageB(pr *PartitionReport, t partition.Table, buf []byte) {
	l, err := upg.ABLayoutOf(t)
	if err != nil || uint64(l.Config)+upg.ABConfigPageLen > uint64(len(buf)) || uint64(l.BAddr)+uint64(l.BSize) > uint64(len(buf)) {
		pr.Content, pr.Note = ContentGarbage, fmt.Sprintf("no AB layout: %v", err)
		in.warn("imageB: %s", pr.Note)
		return
	}
	page := buf[l.Config : l.Config+upg.ABConfigPageLen]
	var cfg upg.ABConfig
	cfg.UnmarshalBinary(page[:upg.ABConfigLen])
	c := &ABConfigReport{Offset: l.Config, Magic: cfg.CheckNum, RunRegion: cfg.RunRegion, Region: cfg.Region().String()}
	switch {
	case used(page) == 0:
		c.State = "erased"
	case !cfg.Valid():
		c.State = "bad magic"
		in.warn("imageB: AB config page has check_num 0x%08X, want 0x%08X: the next read returns region %s and rewrites the page with region A",
			cfg.CheckNum, uint32(upg.ABConfigMagic), c.Region)
	default:
		c.State = "set"
		if !upg.Region(cfg.RunRegion).Valid() {
			in.warn("imageB: AB config run_region %d is invalid: the device runs region A", cfg.RunRegion)
		}
	}
	pr.ABConfig = c

	pr.Content, pr.Image, pr.Note = parseImage(buf[l.BAddr:l.BAddr+l.BSize], []image.Kind{image.KindApp})
	switch {
	case pr.Content == ContentGarbage:
		in.warn("imageB holds no valid image: %s", pr.Note)
	case c.Region == upg.RegionB.String() && pr.Content != ContentImage:
		in.warn("imageB: the run region is B but region B holds no image")
	case pr.Image != nil && (!pr.Image.IDsOK || !pr.Image.BodyHashOK):
		in.warn("imageB: %s image is not a valid app (ids ok %v, body hash ok %v)", pr.Image.Kind, pr.Image.IDsOK, pr.Image.BodyHashOK)
	}
}

// compareFlashboot sets in.Flashboot from the two flashboot partitions.
func (in *Inspection) compareFlashboot() {
	var pri, bak *PartitionReport
	for i := range in.Partitions {
		switch partition.ID(in.Partitions[i].ID) {
		case partition.Flashboot:
			if pri == nil {
				pri = &in.Partitions[i]
			}
		case partition.FlashbootBackup:
			if bak == nil {
				bak = &in.Partitions[i]
			}
		}
	}
	desc := func(p *PartitionReport) (string, *ImageReport) {
		switch {
		case p == nil:
			return "no partition", nil
		case p.Image == nil:
			return p.Content, nil
		case !p.Image.BodyHashOK:
			return p.Image.Describe() + ", body hash MISMATCH", nil
		case !p.Image.IDsOK:
			return p.Image.Describe() + ", wrong image ids", nil
		}
		return p.Image.Describe(), p.Image
	}
	fb := &in.Flashboot
	var a, b *ImageReport
	fb.Primary, a = desc(pri)
	fb.Backup, b = desc(bak)
	switch {
	case a == nil && b == nil:
		fb.Relation = RelNone
		in.warn("NO VALID FLASHBOOT: neither flashboot nor its backup holds a valid image: ssb finds nothing to boot")
	case a == nil:
		fb.Relation = RelPrimaryBroken
		in.warn("flashboot is invalid (%s): ssb boots the backup (%s), which then copies itself over the primary", fb.Primary, fb.Backup)
	case b == nil:
		fb.Relation = RelNoBackup
		in.warn("flashboot backup is %s: a power cut during a flashboot self-upgrade could not be recovered", fb.Backup)
	case a.SHA256 == b.SHA256:
		fb.Relation = RelIdentical
	case a.CodeHash == b.CodeHash && a.CodeLen == b.CodeLen && a.VersionExt == b.VersionExt:
		fb.Relation = RelSameCode
	case a.Ident != nil && b.Ident != nil && a.VersionExt == b.VersionExt &&
		a.Ident.Version == b.Ident.Version && a.Ident.VersionExt == b.Ident.VersionExt && a.Ident.Seed == b.Ident.Seed:
		fb.Relation = RelSameBuild
	default:
		ra, rb := bits.OnesCount32(a.VersionExt), bits.OnesCount32(b.VersionExt)
		switch {
		case rb < ra:
			fb.Relation = RelOlder
			in.warn("FLASHBOOT BACKUP IS OLDER: backup holds %s, flashboot holds %s: restore from backup would be a silent downgrade",
				fb.Backup, fb.Primary)
		case rb > ra:
			fb.Relation = RelNewer
			in.warn("flashboot backup is newer than flashboot: backup %s, flashboot %s: restore from backup would silently change flashboot", fb.Backup, fb.Primary)
		default:
			fb.Relation = RelDifferent
			in.warn("FLASHBOOT BACKUP DIFFERS: backup holds %s, flashboot holds %s: restore from backup would silently replace flashboot with another build",
				fb.Backup, fb.Primary)
		}
	}
}

// DiffRegion is the part of a flash diff inside one partition (or outside
// every partition: ID -1, Name "unpartitioned").
type DiffRegion struct {
	ID      int         `json:"id"` // partition id, -1 outside every partition
	Name    string      `json:"name"`
	Offset  uint32      `json:"offset"` // partition start (0 when unpartitioned)
	Sectors int         `json:"sectors"`
	Bytes   int         `json:"bytes"` // differing bytes
	First   uint32      `json:"first"` // flash offset of the first differing byte
	Ranges  []DiffRange `json:"ranges"`
}

// DiffRange is a run of changed sectors, trimmed to its first and last
// differing bytes: flash offsets [Start, End).
type DiffRange struct {
	Start uint32 `json:"start"`
	End   uint32 `json:"end"`
}

// Diff compares two 4 MiB flash images sector by sector and groups the
// changes by the partitions of table t, in flash order of their first
// differing byte. It returns no regions for identical images.
func Diff(a, b io.ReaderAt, t partition.Table) ([]DiffRegion, error) {
	layout := LayoutOf(t)
	var regions []*DiffRegion
	byKey := map[int64]*DiffRegion{}    // key: partition offset<<8|id, or -1 for unpartitioned
	lastSector := map[*DiffRegion]int{} // last sector counted per region
	sa, sb := make([]byte, flash.SectorSize), make([]byte, flash.SectorSize)
	for s := 0; s < flash.NumSectors; s++ {
		off := int64(s) * flash.SectorSize
		if err := readSector(a, sa, off); err != nil {
			return nil, err
		}
		if err := readSector(b, sb, off); err != nil {
			return nil, err
		}
		if bytes.Equal(sa, sb) {
			continue
		}
		for i := 0; i < flash.SectorSize; {
			if sa[i] == sb[i] {
				i++
				continue
			}
			addr := uint32(off) + uint32(i)
			key, id, name, start, limit := int64(-1), -1, "unpartitioned", uint32(0), uint32(off)+flash.SectorSize
			if e, ok := t.At(addr); ok {
				key, id, name, start = int64(e.Offset)<<8|int64(e.ID), int(e.ID), e.ID.Name(layout), e.Offset
				limit = min(limit, e.End())
			} else if next := nextStart(t, addr); next < limit {
				limit = next
			}
			r := byKey[key]
			if r == nil {
				r = &DiffRegion{ID: id, Name: name, Offset: start, First: addr}
				byKey[key] = r
				regions = append(regions, r)
				lastSector[r] = -2 // no sector yet (-1 would look adjacent to sector 0)
			}
			// Scan this region's piece of the sector.
			j, last := i, i
			for ; uint32(off)+uint32(j) < limit; j++ {
				if sa[j] != sb[j] {
					r.Bytes++
					last = j
				}
			}
			lastAddr := uint32(off) + uint32(last) + 1
			switch {
			case lastSector[r] == s:
				r.Ranges[len(r.Ranges)-1].End = lastAddr
			case lastSector[r] == s-1:
				r.Sectors++
				r.Ranges[len(r.Ranges)-1].End = lastAddr
			default:
				r.Sectors++
				r.Ranges = append(r.Ranges, DiffRange{Start: addr, End: lastAddr})
			}
			lastSector[r] = s
			i = j
		}
	}
	out := make([]DiffRegion, len(regions))
	for i, r := range regions {
		out[i] = *r
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].First < out[j].First })
	return out, nil
}

// nextStart returns the start of the first non-empty partition above addr,
// or flash.Size.
func nextStart(t partition.Table, addr uint32) uint32 {
	next := uint32(flash.Size)
	for _, e := range t.Entries {
		if e.Size != 0 && e.Offset > addr && e.Offset < next {
			next = e.Offset
		}
	}
	return next
}

func readSector(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("emulator: diff: read at offset %d: %w", off+int64(n), err)
}
