package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/cliio"
	"github.com/ws63emu/ws63emu/partition"
)

func init() {
	register("flash", "make a factory-burned device flash, inspect, dump or diff flash files", runFlash)
}

func flashUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ws63emu flash new [--layout compress|ab] [--params param_sector.json] [--root-key PEM] [--secure-boot] [--app FILE] [--flashboot FILE]")
	fmt.Fprintln(w, "                         [--flashboot-backup FILE] [--nv FILE] [--efuse-out FILE] -o FLASH.bin")
	fmt.Fprintln(w, "       ws63emu flash inspect FLASH.bin [--json]")
	fmt.Fprintln(w, "       ws63emu flash dump FLASH.bin --partition ID|NAME -o FILE")
	fmt.Fprintln(w, "       ws63emu flash diff A.bin B.bin [--json]     (exit 0 identical, 1 different)")
}

func runFlash(args []string, stdout, stderr io.Writer) error {
	return dispatch("flash", flashUsage, []subcommand{
		{"new", runFlashNew},
		{"inspect", runFlashInspect},
		{"dump", runFlashDump},
		{"diff", runFlashDiff},
	}, args, stdout, stderr)
}

// flashInput is one file to burn at the factory.
type flashInput struct {
	flag  string       // the option that named it, for messages
	path  string       // the file
	id    partition.ID // where it goes
	kinds []image.Kind // image kinds accepted; nil: raw data (NV)
	data  []byte
	desc  string // what it is, for the summary
}

// readFlashInput reads and checks one input: a signed image of an accepted
// kind (parsed as ssb/flashboot would, body hash included) that fits its
// partition, or raw data that fits. Errors are one line naming the file and,
// for a bad image, the offset.
func readFlashInput(in *flashInput, t partition.Table, l partition.Layout) error {
	e, err := t.Lookup(in.id)
	if err != nil {
		return fmt.Errorf("flash new: %s %s: %w", in.flag, in.path, err)
	}
	name := in.id.Name(l)
	if in.kinds == nil {
		b, err := cliio.ReadFile(in.path, cliio.ImageLimit, "flash data")
		if err != nil {
			return fmt.Errorf("flash new: %s: %w", in.flag, err)
		}
		if len(b) == 0 {
			return fmt.Errorf("flash new: %s %s: offset 0: empty file", in.flag, in.path)
		}
		if uint64(len(b)) > uint64(e.Size) {
			return fmt.Errorf("flash new: %s %s: offset %d (0x%x): file is %d bytes, partition %s holds 0x%x",
				in.flag, in.path, e.Size, e.Size, len(b), name, e.Size)
		}
		in.data, in.desc = b, fmt.Sprintf("%d bytes", len(b))
		return nil
	}
	im, err := image.ReadFile(in.path)
	if err != nil {
		// Body hash mismatches included: the burn tool would burn it, but
		// no boot accepts it, so it is not a valid image for the slot.
		return fmt.Errorf("flash new: %s: %w", in.flag, err)
	}
	ok := false
	for _, k := range in.kinds {
		ok = ok || k == im.Kind
	}
	if !ok {
		want := make([]string, len(in.kinds))
		for i, k := range in.kinds {
			want[i] = k.String()
		}
		return fmt.Errorf("flash new: %s %s: offset 0 (0x0): key area image id 0x%08X is a %s image, partition %s takes %s",
			in.flag, in.path, im.Key.ImageID, im.Kind, name, strings.Join(want, " or "))
	}
	if _, info := im.Kind.IDs(); im.Info.ImageID != info {
		return fmt.Errorf("flash new: %s %s: offset %d (0x%x): code info image id 0x%08X, a %s image has 0x%08X",
			in.flag, in.path, image.OffInfoImageID, image.OffInfoImageID, im.Info.ImageID, im.Kind, info)
	}
	b, err := cliio.ReadFile(in.path, cliio.ImageLimit, "an image")
	if err != nil {
		return fmt.Errorf("flash new: %s: %w", in.flag, err)
	}
	if uint64(len(b)) > uint64(e.Size) {
		return fmt.Errorf("flash new: %s %s: offset %d (0x%x): image file is %d bytes, partition %s holds 0x%x",
			in.flag, in.path, e.Size, e.Size, len(b), name, e.Size)
	}
	in.data = b
	in.desc = im.Kind.String()
	if id, ok := im.Ident(); ok {
		in.desc += fmt.Sprintf(" %q", id.Version)
	}
	in.desc += fmt.Sprintf(" version_ext 0x%X, %d bytes", im.Info.VersionExt, len(b))
	return nil
}

func runFlashNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flash new", stderr)
	layoutS := fs.String("layout", "compress", "partition layout: compress (default, param_sector.json) or ab (param_sector_double.json)")
	paramsJSON := fs.String("params", "", "build the partition table from the SDK's param_sector json (custom partitions 0x30..0x3F); the layout defaults to what the table is (ab when 0x20 and 0x21 are equal halves)")
	rootKey := fs.String("root-key", "", "PEM root key: fills the root key area at 0x0, signs the params with ECDSA, its hash goes to efuse (default: hash-only params, root key area erased, as the SDK's blob)")
	secure := fs.Bool("secure-boot", false, "burn efuse secure-verify (the efuse is not in FLASH.bin: keep it with --efuse-out)")
	app := fs.String("app", "", "signed app image for partition 0x20 (imageA)")
	fb := fs.String("flashboot", "", "signed flashboot image for partition 0x01; the same bytes also go to the backup partition 0x02, as the burn tool leaves a new device")
	fbBackup := fs.String("flashboot-backup", "", "burn this image into the backup partition 0x02 instead of the --flashboot bytes")
	nv := fs.String("nv", "", "NV data for partition 0x10 (raw, at most 16 KiB)")
	efuseOut := fs.String("efuse-out", "", "also write the 256-byte efuse bank (root key hash, secure verify) to this file")
	out := fs.StringP("output", "o", "", "write the 4 MiB flash to this file (required; - for standard output)")
	fs.Usage = func() { flashUsage(stderr); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("flash new: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("flash new: -o FLASH.bin is required")
	}
	files := cliio.New(stdout)
	for _, in := range [][2]string{{"--root-key", *rootKey}, {"--app", *app}, {"--flashboot", *fb},
		{"--flashboot-backup", *fbBackup}, {"--nv", *nv}} {
		files.Input(in[0], in[1])
	}
	files.Output("--efuse-out", *efuseOut)
	files.Output("-o", *out)
	if err := files.Check(); err != nil {
		return fmt.Errorf("flash new: %w", err)
	}
	if files.ToStdout() {
		stdout = stderr // the summary must not mix with the data
	}
	layout, err := partition.ParseLayout(*layoutS)
	if err != nil {
		return fmt.Errorf("flash new: --layout: %w", err)
	}
	table := partition.Default(layout)
	if *paramsJSON != "" {
		if table, err = partition.LoadJSONFile(*paramsJSON); err != nil {
			return fmt.Errorf("flash new: --params: %w", err)
		}
		if !fs.Changed("layout") {
			layout = emulator.LayoutOf(table)
		}
	}
	cfg := emulator.Config{Layout: layout, Table: &table, SecureBoot: *secure}
	if *rootKey != "" {
		if cfg.RootKey, err = image.LoadPrivateKey(*rootKey); err != nil {
			return fmt.Errorf("flash new: --root-key: %w", err)
		}
	}

	// Check every input before making anything.
	var inputs []*flashInput
	if *fb != "" {
		inputs = append(inputs, &flashInput{flag: "--flashboot", path: *fb, id: partition.Flashboot, kinds: []image.Kind{image.KindFlashboot}})
	}
	switch {
	case *fbBackup != "":
		inputs = append(inputs, &flashInput{flag: "--flashboot-backup", path: *fbBackup, id: partition.FlashbootBackup,
			kinds: []image.Kind{image.KindFlashboot, image.KindFlashbootBackup}})
	case *fb != "":
		inputs = append(inputs, &flashInput{flag: "--flashboot", path: *fb, id: partition.FlashbootBackup, kinds: []image.Kind{image.KindFlashboot}})
	}
	if *app != "" {
		inputs = append(inputs, &flashInput{flag: "--app", path: *app, id: partition.ImageA, kinds: []image.Kind{image.KindApp}})
	}
	if *nv != "" {
		inputs = append(inputs, &flashInput{flag: "--nv", path: *nv, id: partition.NVData})
	}
	for _, in := range inputs {
		if err := readFlashInput(in, table, layout); err != nil {
			return err
		}
	}

	d, err := emulator.New(cfg)
	if err != nil {
		return fmt.Errorf("flash new: %w", err)
	}
	for _, in := range inputs {
		if err := d.Burn(in.id, in.data); err != nil {
			return fmt.Errorf("flash new: %s %s: %w", in.flag, in.path, err)
		}
	}
	if *efuseOut != "" {
		eb, err := d.Efuse.MarshalBinary()
		if err != nil {
			return err
		}
		files.Stage(*efuseOut, eb, 0o644)
	}
	files.Stage(*out, d.Flash.Bytes(), 0o644)
	if err := files.Commit(); err != nil { // both outputs or neither
		return fmt.Errorf("flash new: %w", err)
	}

	params := "hash-only params (root key area erased), as the SDK's blob"
	if cfg.RootKey != nil {
		xy := cfg.RootKey.XY()
		params = fmt.Sprintf("ECDSA-signed params, root key %x…", xy[:8])
	}
	if *paramsJSON != "" {
		params += ", partition table from " + *paramsJSON
	}
	fmt.Fprintf(stdout, "wrote %s: %s layout, %s\n", *out, layout, params)
	for _, in := range inputs {
		e, _ := table.Lookup(in.id)
		fmt.Fprintf(stdout, "  0x%02X %-16s 0x%06X  %s  (%s)\n", uint8(in.id), in.id.Name(layout), e.Offset, in.desc, in.path)
	}
	if *efuseOut != "" {
		fmt.Fprintf(stdout, "wrote %s: efuse (secure verify %v, root key hash %s)\n", *efuseOut, *secure, burnedOrBlank(cfg.RootKey != nil))
	} else if *secure || cfg.RootKey != nil {
		fmt.Fprintln(stdout, "note: the efuse (root key hash, secure verify) is not part of the flash file; --efuse-out keeps it")
	}
	if *secure && cfg.RootKey == nil {
		fmt.Fprintln(stderr, "flash new: warning: --secure-boot without --root-key: ssb cannot verify anything with an erased root key area")
	}
	return nil
}

func burnedOrBlank(b bool) string {
	if b {
		return "burned"
	}
	return "blank"
}

func runFlashInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flash inspect", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() { flashUsage(stderr); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("flash inspect: want exactly one FLASH.bin")
	}
	path := fs.Arg(0)
	dev, err := flash.Load(path)
	if err != nil {
		return err
	}
	in, err := emulator.Inspect(dev)
	if err != nil {
		return fmt.Errorf("flash inspect: %s: %w", path, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			File string `json:"file"`
			*emulator.Inspection
		}{path, in}); err != nil {
			return err
		}
	} else {
		writeInspection(stdout, path, in)
	}
	if bad := inspectionFailures(in); len(bad) > 0 {
		return failed("flash inspect: %s: %d check(s) failed: %s", path, len(bad), strings.Join(bad, "; "))
	}
	return nil
}

// inspectionFailures lists what flash inspect checked and found broken:
// the params blob, an image's ids or body hash, a stored package that does
// not verify, garbage in a partition, corrupt NV keys. Warnings (a backup
// flashboot older than the primary) are not failures.
func inspectionFailures(in *emulator.Inspection) []string {
	var bad []string
	pr := in.Params
	switch {
	case !pr.OK:
		bad = append(bad, "params unreadable")
	default:
		if !pr.KeyAreaOK {
			bad = append(bad, "params key area "+pr.KeyArea)
		}
		if !pr.InfoOK {
			bad = append(bad, "params info "+pr.Info)
		}
		if !pr.TableHashOK {
			bad = append(bad, "partition table hash FAILED")
		}
	}
	for i := range in.Partitions {
		p := &in.Partitions[i]
		switch {
		case p.Image != nil && !p.Image.IDsOK:
			bad = append(bad, p.Name+": wrong image for this partition")
		case p.Image != nil && !p.Image.BodyHashOK:
			bad = append(bad, p.Name+": body hash MISMATCH")
		case p.Package != nil && p.Package.Content == "package" && !p.Package.VerifyOK:
			bad = append(bad, p.Name+": stored package does not verify")
		case p.Package != nil && p.Package.Content != "package" && p.Package.Content != emulator.ContentErased:
			bad = append(bad, p.Name+": package area holds garbage")
		case p.Content == emulator.ContentGarbage:
			bad = append(bad, p.Name+": garbage")
		case p.NV != nil && p.NV.Corrupt > 0:
			bad = append(bad, fmt.Sprintf("%s: %d corrupt NV key instances", p.Name, p.NV.Corrupt))
		}
	}
	return bad
}

// partitionSummary is one line of content for the table.
func partitionSummary(p *emulator.PartitionReport) string {
	switch {
	case p.Image != nil:
		s := p.Image.Describe()
		if !p.Image.BodyHashOK {
			s += ", body hash MISMATCH"
		}
		if !p.Image.IDsOK {
			s += ", WRONG IMAGE FOR THIS PARTITION"
		}
		return s
	case p.Package != nil:
		s := "package " + p.Package.Content
		if p.Package.Content == "package" {
			s = fmt.Sprintf("package %q (%d images, verify %s)", p.Package.Version, len(p.Package.Images), okWord(p.Package.VerifyOK))
		}
		if f := p.Flag; f != nil {
			if f.Erased {
				s += "; flag area erased"
			} else {
				s += fmt.Sprintf("; flag: complete %s, status %s", f.Complete, f.Status)
			}
		}
		return s
	case p.NV != nil:
		return nvSummary(p.NV) // cmd_flash_nv.go
	case p.Content == emulator.ContentData:
		return fmt.Sprintf("data (%d bytes used)", p.Used)
	case p.Content == emulator.ContentGarbage:
		return "GARBAGE: " + p.Note
	}
	return p.Content
}

// magicWord says whether a flag-area magic is right, unwritten or wrong.
func magicWord(v uint32, ok bool) string {
	switch {
	case ok:
		return "ok"
	case v == 0xFFFFFFFF:
		return "not written"
	}
	return "WRONG"
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

func writeInspection(w io.Writer, path string, in *emulator.Inspection) {
	fmt.Fprintf(w, "%s: 4 MiB flash, sha256 %s\n", path, in.SHA256)
	fmt.Fprintf(w, "table       %s, %s layout\n", in.TableSource, in.Layout)
	pr := in.Params
	if pr.OK {
		root := "root key area erased"
		if pr.RootKey != "erased" {
			root = "root key " + pr.RootKey[:16] + "…, efuse hash " + pr.RootKeyHash[:16] + "…"
		}
		fmt.Fprintf(w, "params      %s; key area %s; params info %s; table hash %s\n", root, pr.KeyArea, pr.Info, okWord(pr.TableHashOK))
	} else {
		fmt.Fprintf(w, "params      UNREADABLE: %s\n", pr.Error)
	}

	fmt.Fprintln(w, "\n  id    name              offset    size      end       content")
	for i := range in.Partitions {
		p := &in.Partitions[i]
		fmt.Fprintf(w, "  0x%02X  %-16s  0x%06X  0x%06X  0x%06X  %s\n", p.ID, p.Name, p.Offset, p.Size, p.End, partitionSummary(p))
	}

	for i := range in.Partitions {
		p := &in.Partitions[i]
		if p.Image == nil {
			continue
		}
		im := p.Image
		fmt.Fprintf(w, "\n%s (0x%02X): %s image, %d bytes\n", p.Name, p.ID, im.Kind, im.Len)
		ids := "ids ok"
		if !im.IDsOK {
			ids = "ids WRONG for this partition"
		}
		fmt.Fprintf(w, "  key area id   0x%08X   code info id 0x%08X   (%s)\n", im.KeyAreaID, im.CodeInfoID, ids)
		fmt.Fprintf(w, "  version_ext   0x%08X   code_area_len 0x%X   signing %s\n", im.VersionExt, im.CodeLen, im.Signing)
		if im.Ident != nil {
			fmt.Fprintf(w, "  ident         synthetic %s %q version_ext 0x%X seed %d\n", im.Ident.Kind, im.Ident.Version, im.Ident.VersionExt, im.Ident.Seed)
		} else {
			fmt.Fprintln(w, "  ident         none (not a ws63emu synthetic build)")
		}
		body := "ok"
		if !im.BodyHashOK {
			body = "MISMATCH"
		}
		fmt.Fprintf(w, "  body hash     %s\n", body)
	}

	fb := in.Flashboot
	fmt.Fprintf(w, "\nflashboot   primary (0x01): %s\n", fb.Primary)
	fmt.Fprintf(w, "            backup  (0x02): %s\n", fb.Backup)
	fmt.Fprintf(w, "            relation: %s\n", fb.Relation)

	for i := range in.Partitions {
		p := &in.Partitions[i]
		if p.Package != nil {
			writePackage(w, p)
		}
		if p.Flag != nil {
			writeFlag(w, p)
		}
		if p.NV != nil {
			writeNV(w, p) // cmd_flash_nv.go
		}
		if c := p.ABConfig; c != nil {
			fmt.Fprintf(w, "\n%s (0x%02X) AB config page at 0x%06X: %s", p.Name, p.ID, c.Offset, c.State)
			if c.State != "erased" {
				fmt.Fprintf(w, ", check_num 0x%08X, run_region %d", c.Magic, c.RunRegion)
			}
			fmt.Fprintf(w, " → runs region %s\n", c.Region)
		}
	}

	if len(in.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings")
		for _, s := range in.Warnings {
			fmt.Fprintf(w, "  !! %s\n", s)
		}
	}
}

func writePackage(w io.Writer, p *emulator.PartitionReport) {
	pk := p.Package
	fmt.Fprintf(w, "\n%s (0x%02X) package area 0x%06X..0x%06X: ", p.Name, p.ID, p.Offset, p.Offset+pk.Area)
	switch pk.Content {
	case "package":
	case emulator.ContentErased:
		fmt.Fprintln(w, "erased (no package stored)")
		return
	default:
		fmt.Fprintf(w, "GARBAGE: %s\n", pk.Error)
		return
	}
	fmt.Fprintf(w, "package %q, %s, %d images, %d bytes; verify %s\n", pk.Version, pk.Signing, pk.ImageNum, pk.Extent, pk.Verify)
	for i, im := range pk.Images {
		form := "raw"
		if im.Compressed {
			form = "lzma"
		}
		fmt.Fprintf(w, "  %d %-11s 0x%08X offset 0x%X, %d bytes %s → %d bytes, version_ext 0x%X", i, im.Name, im.ID, im.Offset, im.Len, form, im.NewLen, im.VersionExt)
		if im.Ident != nil {
			fmt.Fprintf(w, ", %s %q", im.Ident.Kind, im.Ident.Version)
		}
		fmt.Fprintln(w)
	}
}

func writeFlag(w io.Writer, p *emulator.PartitionReport) {
	f := p.Flag
	fmt.Fprintf(w, "\n%s (0x%02X) flag area at 0x%06X", p.Name, p.ID, p.End-0x1000)
	if f.Erased {
		fmt.Fprintln(w, ": erased (no upgrade prepared); status NONE")
		return
	}
	fmt.Fprintln(w)
	q := func(name, val string) { fmt.Fprintf(w, "  %-20s %s\n", name, val) }
	q("head_magic", fmt.Sprintf("0x%08X %s", f.HeadMagic, magicWord(f.HeadMagic, f.HeadMagicOK)))
	q("head_before_offset", fmt.Sprintf("0x%X", f.BeforeOffset))
	q("package_length", fmt.Sprint(f.PackageLength))
	if f.FirmwareNum == 0xFFFFFFFF {
		q("firmware_num", "0xFFFFFFFF (not written: request_upgrade writes it)")
	} else {
		q("firmware_num", fmt.Sprint(f.FirmwareNum))
	}
	for _, r := range f.Firmware {
		q(fmt.Sprintf("firmware_flag[%d]", r.Index), r.Bytes+"  "+r.Status)
	}
	q("nv_flag", f.NV.Bytes+"  "+f.NV.Status)
	q("ver_change_flag", fmt.Sprintf("0x%02X (%s)", f.VerChangeFlag, f.VerChange))
	result := f.ResultName
	if f.UpdateResult == 0xFFFFFFFF {
		result = "(erased: no result recorded)"
	}
	q("update_result", fmt.Sprintf("0x%08X %s", f.UpdateResult, result))
	q("nv_data_offset", fmt.Sprintf("0x%X", f.NVDataOffset))
	q("nv_data_len", fmt.Sprintf("0x%X", f.NVDataLen))
	q("nv_hash_offset", fmt.Sprintf("0x%X", f.NVHashOffset))
	q("nv_hash_len", fmt.Sprintf("0x%X", f.NVHashLen))
	q("complete_flag", fmt.Sprintf("0x%08X (%s)", f.CompleteFlag, f.Complete))
	q("head_end_magic", fmt.Sprintf("0x%08X %s", f.EndMagic, magicWord(f.EndMagic, f.EndMagicOK)))
	q("upgrade needed", fmt.Sprint(f.UpgradeNeeded))
	q("status", f.Status+" (as uapi_upg_init computes it)")
}

// flashTable returns the partition table of the first device that has a
// readable one, or the default compress table.
func flashTable(devs ...*flash.Device) (partition.Table, string) {
	for _, d := range devs {
		if t, err := partition.ParseFlash(d); err == nil {
			return t, ""
		}
	}
	return partition.Default(partition.LayoutCompress), "no readable partition table: grouping by the SDK default compress table"
}

func runFlashDump(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flash dump", stderr)
	part := fs.StringP("partition", "p", "", "partition id (0x20) or name (imageA, fota, imageB, flashboot, nv, …) (required)")
	out := fs.StringP("output", "o", "", "write the partition's bytes to this file (required; - for standard output)")
	fs.Usage = func() { flashUsage(stderr); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("flash dump: want exactly one FLASH.bin")
	}
	if *part == "" || *out == "" {
		return errors.New("flash dump: --partition and -o FILE are required")
	}
	path := fs.Arg(0)
	files := cliio.New(stdout)
	files.Input("", path)
	files.Output("-o", *out)
	if err := files.Check(); err != nil {
		return fmt.Errorf("flash dump: %w", err)
	}
	if files.ToStdout() {
		stdout = stderr // the summary must not mix with the data
	}
	id, err := partition.ParseID(*part)
	if err != nil {
		return fmt.Errorf("flash dump: --partition: %w", err)
	}
	dev, err := flash.Load(path)
	if err != nil {
		return err
	}
	t, err := partition.ParseFlash(dev)
	if err != nil {
		return fmt.Errorf("flash dump: %s: no partition table at 0x%X: %w", path, partition.TableOffset, err)
	}
	e, err := t.Lookup(id)
	if err != nil {
		return fmt.Errorf("flash dump: %s: %w", path, err)
	}
	name := id.Name(emulator.LayoutOf(t))
	if e.Size == 0 {
		return fmt.Errorf("flash dump: %s: partition %s (0x%02X) is empty", path, name, uint8(id))
	}
	if uint64(e.Offset)+uint64(e.Size) > flash.Size {
		return fmt.Errorf("flash dump: %s: offset 0x%X: partition %s (0x%02X) runs past the flash", path, e.Offset, name, uint8(id))
	}
	b := make([]byte, e.Size)
	if err := dev.Read(e.Offset, b); err != nil {
		return fmt.Errorf("flash dump: %s: %w", path, err)
	}
	if err := files.Write(*out, b, 0o644); err != nil {
		return fmt.Errorf("flash dump: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %s (0x%02X) 0x%06X..0x%06X, %d bytes\n", *out, name, uint8(id), e.Offset, e.End(), e.Size)
	return nil
}

func runFlashDiff(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("flash diff", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() { flashUsage(stderr); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return errors.New("flash diff: want two flash files A.bin B.bin")
	}
	pa, pb := fs.Arg(0), fs.Arg(1)
	a, err := flash.Load(pa)
	if err != nil {
		return err
	}
	b, err := flash.Load(pb)
	if err != nil {
		return err
	}
	t, note := flashTable(a, b)
	regions, err := emulator.Diff(a, b, t)
	if err != nil {
		return fmt.Errorf("flash diff: %w", err)
	}
	sectors := map[uint32]bool{}
	for _, r := range regions {
		for _, rg := range r.Ranges {
			for s := rg.Start / flash.SectorSize; s <= (rg.End-1)/flash.SectorSize; s++ {
				sectors[s] = true
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if regions == nil {
			regions = []emulator.DiffRegion{}
		}
		if err := enc.Encode(struct {
			A       string                `json:"a"`
			B       string                `json:"b"`
			Sectors int                   `json:"sectors"`
			Regions []emulator.DiffRegion `json:"regions"`
		}{pa, pb, len(sectors), regions}); err != nil {
			return err
		}
	} else {
		if note != "" {
			fmt.Fprintln(stdout, note)
		}
		if len(regions) == 0 {
			fmt.Fprintf(stdout, "%s and %s are identical\n", pa, pb)
		} else {
			fmt.Fprintf(stdout, "%s and %s differ in %d sectors:\n", pa, pb, len(sectors))
		}
		for _, r := range regions {
			label := r.Name
			rel := fmt.Sprintf("0x%06X", r.First)
			if r.ID >= 0 {
				label = fmt.Sprintf("%s (0x%02X)", r.Name, r.ID)
				rel = fmt.Sprintf("0x%06X (%s+0x%X)", r.First, r.Name, r.First-r.Offset)
			}
			fmt.Fprintf(stdout, "  %-22s %4d sectors, %7d bytes differ, first at %s\n", label, r.Sectors, r.Bytes, rel)
			for _, rg := range r.Ranges {
				fmt.Fprintf(stdout, "      0x%06X..0x%06X (%d bytes)\n", rg.Start, rg.End, rg.End-rg.Start)
			}
		}
	}
	if len(regions) > 0 {
		names := make([]string, len(regions))
		for i, r := range regions {
			names[i] = r.Name
		}
		return failed("flash diff: %s and %s differ in %d sectors (%s)", pa, pb, len(sectors), strings.Join(names, ", "))
	}
	return nil
}
