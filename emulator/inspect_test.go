package emulator_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// synth builds a small hash-only synthetic image.
func synth(tb testing.TB, kind image.Kind, version string, ext uint32, seed uint64, size int) []byte {
	tb.Helper()
	b, err := image.Synthetic(image.Ident{Kind: kind, Version: version, VersionExt: ext, Seed: seed}, size, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// factory makes a device with the given images burned (nil: left erased).
func factory(tb testing.TB, l partition.Layout, fb, backup, app []byte) *emulator.Device {
	tb.Helper()
	d, err := emulator.New(emulator.Config{Layout: l})
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range []struct {
		id   partition.ID
		data []byte
	}{{partition.Flashboot, fb}, {partition.FlashbootBackup, backup}, {partition.ImageA, app}} {
		if b.data != nil {
			if err := d.Burn(b.id, b.data); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return d
}

func inspect(tb testing.TB, f *flash.Device) *emulator.Inspection {
	tb.Helper()
	in, err := emulator.Inspect(f)
	if err != nil {
		tb.Fatal(err)
	}
	return in
}

func part(tb testing.TB, in *emulator.Inspection, id partition.ID) *emulator.PartitionReport {
	tb.Helper()
	for i := range in.Partitions {
		if partition.ID(in.Partitions[i].ID) == id {
			return &in.Partitions[i]
		}
	}
	tb.Fatalf("no partition %s in the inspection", id)
	return nil
}

func hasWarning(in *emulator.Inspection, s string) bool {
	for _, w := range in.Warnings {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

var (
	fb1  = func(tb testing.TB) []byte { return synth(tb, image.KindFlashboot, "fb-1", 1, 1, 16<<10) }
	fb2  = func(tb testing.TB) []byte { return synth(tb, image.KindFlashboot, "fb-2", 3, 2, 16<<10) }
	app1 = func(tb testing.TB) []byte { return synth(tb, image.KindApp, "app-1", 1, 1, 64<<10) }
	app2 = func(tb testing.TB) []byte { return synth(tb, image.KindApp, "app-2", 3, 2, 64<<10) }
)

func TestInspectFactory(t *testing.T) {
	d := factory(t, partition.LayoutCompress, fb1(t), fb1(t), app1(t))
	in := inspect(t, d.Flash)

	if in.Layout != "compress" || !strings.HasPrefix(in.TableSource, "params blob") {
		t.Errorf("layout %q, table source %q", in.Layout, in.TableSource)
	}
	wantParams := emulator.ParamsReport{OK: true, RootKey: "erased", KeyArea: "hash-only ok", KeyAreaOK: true,
		Info: "hash-only ok", InfoOK: true, TableHashOK: true}
	if diff := cmp.Diff(wantParams, in.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	def := partition.Default(partition.LayoutCompress)
	if len(in.Partitions) != len(def.Entries) {
		t.Fatalf("%d partitions, want %d", len(in.Partitions), len(def.Entries))
	}
	for i, e := range def.Entries {
		p := in.Partitions[i]
		if partition.ID(p.ID) != e.ID || p.Offset != e.Offset || p.Size != e.Size || p.End != e.End() {
			t.Errorf("partition %d: %+v, want %+v", i, p, e)
		}
	}
	a := part(t, in, partition.ImageA)
	appBytes := app1(t)
	sum, codeSum := sha256.Sum256(appBytes), sha256.Sum256(appBytes[image.HeaderLen:])
	wantApp := &emulator.ImageReport{Kind: "app", KeyAreaID: image.AppKeyAreaID, CodeInfoID: image.AppCodeInfoID, IDsOK: true,
		VersionExt: 1, CodeLen: 64 << 10, Len: image.HeaderLen + 64<<10, Signing: "hash-only", BodyHashOK: true,
		SHA256: hex.EncodeToString(sum[:]), CodeHash: hex.EncodeToString(codeSum[:]),
		Ident: &emulator.IdentReport{Kind: "app", Version: "app-1", VersionExt: 1, Seed: 1}}
	if diff := cmp.Diff(wantApp, a.Image); diff != "" {
		t.Errorf("imageA (-want +got):\n%s", diff)
	}
	if a.Content != emulator.ContentImage || a.Used != uint32(image.HeaderLen+64<<10) {
		t.Errorf("imageA content %q used %d", a.Content, a.Used)
	}
	for id, want := range map[partition.ID]string{
		partition.SSB: emulator.ContentErased, partition.RootKey: emulator.ContentParams,
		partition.NVData: emulator.ContentErased, partition.Reserve1: emulator.ContentEmpty,
		partition.FotaData: emulator.ContentFota, partition.Flashboot: emulator.ContentImage,
	} {
		if got := part(t, in, id).Content; got != want {
			t.Errorf("%s: content %q, want %q", id, got, want)
		}
	}
	f := part(t, in, partition.FotaData)
	if f.Package == nil || f.Package.Content != emulator.ContentErased || f.Flag == nil || !f.Flag.Erased ||
		f.Flag.Status != "NONE" || f.Flag.UpgradeNeeded {
		t.Errorf("fota: %+v %+v", f.Package, f.Flag)
	}
	if in.Flashboot.Relation != emulator.RelIdentical || in.Flashboot.Primary != `flashboot "fb-1" version_ext 0x1` {
		t.Errorf("flashboot: %+v", in.Flashboot)
	}
	if len(in.Warnings) != 0 {
		t.Errorf("warnings on a good factory flash: %q", in.Warnings)
	}

	// The report is plain data: it survives a JSON round trip unchanged.
	js, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back emulator.Inspection
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	// Inspect is deterministic and does not write.
	before := d.Flash.Hash()
	if diff := cmp.Diff(in, inspect(t, d.Flash)); diff != "" {
		t.Errorf("second inspection differs:\n%s", diff)
	}
	if d.Flash.Hash() != before {
		t.Error("Inspect changed the flash")
	}
}

func TestInspectFlashbootCopies(t *testing.T) {
	other := synth(t, image.KindFlashboot, "fb-1b", 1, 9, 16<<10) // same version_ext, another build
	backupKind := synth(t, image.KindFlashbootBackup, "fb-1", 1, 1, 16<<10)
	// The flashboot code signed with the backup ids, as the SDK's
	// flashboot_backup_sign.bin is.
	sameCode, err := image.Build(image.BuildOptions{Kind: image.KindFlashbootBackup, VersionExt: 1,
		Code: image.SyntheticCode(image.Ident{Kind: image.KindFlashboot, Version: "fb-1", VersionExt: 1, Seed: 1}, 16<<10)})
	if err != nil {
		t.Fatal(err)
	}
	broken := fb1(t)
	broken[image.HeaderLen+100] ^= 1
	for _, tc := range []struct {
		name        string
		fb, backup  []byte
		rel         string
		warn        string
		primaryDesc string
	}{
		{"identical", fb1(t), fb1(t), emulator.RelIdentical, "", `flashboot "fb-1" version_ext 0x1`},
		{"backup older", fb2(t), fb1(t), emulator.RelOlder, "restore from backup would be a silent downgrade", `flashboot "fb-2" version_ext 0x3`},
		{"backup newer", fb1(t), fb2(t), emulator.RelNewer, "backup is newer", ""},
		{"backup different build", fb1(t), other, emulator.RelDifferent, "FLASHBOOT BACKUP DIFFERS", ""},
		{"same code signed as backup", fb1(t), sameCode, emulator.RelSameCode, "", ""},
		{"same build made as backup", fb1(t), backupKind, emulator.RelSameBuild, "", ""},
		{"older backup made as backup", fb2(t), backupKind, emulator.RelOlder, "silent downgrade", ""},
		{"no backup", fb1(t), nil, emulator.RelNoBackup, "could not be recovered", ""},
		{"backup broken", fb1(t), broken, emulator.RelNoBackup, "body hash MISMATCH", ""},
		{"primary erased", nil, fb1(t), emulator.RelPrimaryBroken, "ssb boots the backup", "erased"},
		{"primary is an app", synth(t, image.KindApp, "app-1", 1, 1, 4096), fb1(t), emulator.RelPrimaryBroken, "not the image for this partition", `app "app-1" version_ext 0x1, wrong image ids`},
		{"none", nil, nil, emulator.RelNone, "NO VALID FLASHBOOT", "erased"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := factory(t, partition.LayoutCompress, tc.fb, tc.backup, app1(t))
			in := inspect(t, d.Flash)
			if in.Flashboot.Relation != tc.rel {
				t.Errorf("relation %q, want %q (%+v)", in.Flashboot.Relation, tc.rel, in.Flashboot)
			}
			if tc.warn != "" && !hasWarning(in, tc.warn) {
				t.Errorf("no warning with %q: %q", tc.warn, in.Warnings)
			}
			if tc.warn == "" && len(in.Warnings) != 0 {
				t.Errorf("warnings: %q", in.Warnings)
			}
			if tc.primaryDesc != "" && in.Flashboot.Primary != tc.primaryDesc {
				t.Errorf("primary %q, want %q", in.Flashboot.Primary, tc.primaryDesc)
			}
		})
	}
}

// storePackage runs the app-side SDK calls (init, prepare, write, request)
// to leave a pending upgrade on the device's flash, and returns the package.
func storePackage(tb testing.TB, d *emulator.Device) []byte {
	tb.Helper()
	pkg, err := upg.Pack(upg.PackOptions{
		Config: upg.DefaultConfig(upg.SignSHA256), Pkt: []string{"app"}, Ver: "2.0.0",
		App: app2(tb), Flashboot: fb2(tb),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := writePackage(tb, d, pkg).RequestUpgrade(); err != nil {
		tb.Fatal(err)
	}
	return pkg
}

// writePackage stores pkg as the app does (init, prepare, write in chunks)
// and returns the library instance, before request_upgrade.
func writePackage(tb testing.TB, d *emulator.Device, pkg []byte) *upg.Upg {
	tb.Helper()
	u := upg.New(d.Flash, d.Table(), upg.Options{})
	if err := u.Init(); err != nil {
		tb.Fatal(err)
	}
	if err := u.Prepare(uint32(len(pkg))); err != nil {
		tb.Fatal(err)
	}
	for off := 0; off < len(pkg); off += 4096 { // chunks of at most upg.MaxWriteLen
		if err := u.WritePackageSync(uint32(off), pkg[off:min(off+4096, len(pkg))]); err != nil {
			tb.Fatal(err)
		}
	}
	return u
}

func TestInspectFota(t *testing.T) {
	d := factory(t, partition.LayoutCompress, fb1(t), fb1(t), app1(t))
	pkg := storePackage(t, d)
	in := inspect(t, d.Flash)
	f := part(t, in, partition.FotaData)
	p := f.Package
	if p.Content != "package" || p.Version != "2.0.0" || p.Signing != "hash-only" || !p.VerifyOK || p.Verify != "ok" ||
		p.ImageNum != 2 || p.Extent != uint32(len(pkg)) {
		t.Errorf("package %+v", p)
	}
	var got []string
	for _, im := range p.Images {
		s := fmt.Sprintf("%s 0x%08X lzma=%v new=%d ext=%d", im.Name, im.ID, im.Compressed, im.NewLen, im.VersionExt)
		if im.Ident != nil {
			s += fmt.Sprintf(" %s 0x%X", im.Ident.Version, im.Ident.VersionExt)
		}
		got = append(got, s)
	}
	want := []string{
		// The header's version_ext is fota.cfg's; the payload's is its own.
		fmt.Sprintf("application 0x%08X lzma=true new=%d ext=0 app-2 0x3", image.AppCodeInfoID, len(app2(t))),
		fmt.Sprintf("flashboot 0x%08X lzma=true new=%d ext=0 fb-2 0x3", image.FlashbootCodeInfoID, len(fb2(t))),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("package images (-want +got):\n%s", diff)
	}
	fl := f.Flag
	wantFlag := &emulator.FlagReport{
		HeadMagic: upg.FlagHeadMagic, HeadMagicOK: true, PackageLength: uint32(len(pkg)), FirmwareNum: 2,
		Firmware: []emulator.RetryReport{{0, "ff ff ff", "NOT_STARTED"}, {1, "ff ff ff", "NOT_STARTED"}},
		NV:       emulator.RetryReport{-1, "ff ff ff", "NOT_STARTED"}, VerChangeFlag: 0xFF, VerChange: "not reported",
		UpdateResult: 0xFFFFFFFF, ResultName: upg.Result(0xFFFFFFFF).String(),
		NVDataOffset: 0xFFFFFFFF, NVDataLen: 0xFFFFFFFF, NVHashOffset: 0xFFFFFFFF, NVHashLen: 0xFFFFFFFF,
		CompleteFlag: 0xFFFFFFFF, Complete: "pending", EndMagic: upg.FlagEndMagic, EndMagicOK: true,
		UpgradeNeeded: true, Status: "UPDATING",
	}
	if diff := cmp.Diff(wantFlag, fl); diff != "" {
		t.Errorf("flag (-want +got):\n%s", diff)
	}
	if len(in.Warnings) != 0 {
		t.Errorf("warnings: %q", in.Warnings)
	}

	// The flashboot marks image 0 started, consumes one attempt of image 1,
	// finishes NV, reports the result and finishes: every field decodes.
	e, _ := d.Table().Lookup(partition.FotaData)
	flagAt := e.End() - 0x1000
	flashtest.MustProgram(t, d.Flash, flagAt+16, []byte{0x0F, 0xFF, 0xFF, 0x00, 0x0F, 0xFF})
	flashtest.MustProgram(t, d.Flash, flagAt+76, []byte{0, 0, 0, 0x00})
	flashtest.MustProgram(t, d.Flash, flagAt+80, binary.LittleEndian.AppendUint32(nil, uint32(upg.ResultRetryAllFailed)))
	flashtest.MustProgram(t, d.Flash, flagAt+100, []byte{0, 0, 0, 0})
	fl = part(t, inspect(t, d.Flash), partition.FotaData).Flag
	got = nil
	for _, r := range append(fl.Firmware, fl.NV) {
		got = append(got, fmt.Sprintf("%d %s %s", r.Index, r.Bytes, r.Status))
	}
	if diff := cmp.Diff([]string{"0 0f ff ff STARTED", "1 00 0f ff STARTED", "-1 00 00 00 FINISHED"}, got); diff != "" {
		t.Errorf("retry bytes (-want +got):\n%s", diff)
	}
	if fl.Complete != "finished" || fl.VerChange != "reported" || fl.ResultName != "RETRY_ALL_FAILED" || fl.Status != "NONE" || fl.UpgradeNeeded {
		t.Errorf("finished flag: %+v", fl)
	}

	// A corrupt stored package with the upgrade still pending is flagged.
	d2 := factory(t, partition.LayoutCompress, fb1(t), fb1(t), app1(t))
	storePackage(t, d2)
	flashtest.MustProgram(t, d2.Flash, e.Offset+uint32(len(pkg))-20, []byte{0})
	in2 := inspect(t, d2.Flash)
	if p := part(t, in2, partition.FotaData).Package; p.VerifyOK || !strings.Contains(p.Verify, "(image 1): VERIFY_IMAGE_FAILED") {
		t.Errorf("corrupt package verify: %+v", p)
	}
	if !hasWarning(in2, "does not verify") {
		t.Errorf("no warning for a pending, corrupt package: %q", in2.Warnings)
	}
}

// TestInspectSDKPackage stores the SDK-made update.fwpkg as the app does
// and reads it back from flash.
func TestInspectSDKPackage(t *testing.T) {
	pkg := testutil.ReadReference(t, "sdk-made/update.fwpkg")
	d := factory(t, partition.LayoutCompress, fb1(t), fb1(t), app1(t))
	writePackage(t, d, pkg)
	p := part(t, inspect(t, d.Flash), partition.FotaData).Package
	var names []string
	for _, im := range p.Images {
		names = append(names, im.Name)
		if im.Ident != nil {
			t.Errorf("SDK image %s reported as synthetic: %+v", im.Name, im.Ident)
		}
	}
	if p.Version != "1.2.3" || p.Signing != "hash-only" || !p.VerifyOK || p.Extent != uint32(len(pkg)) ||
		cmp.Diff([]string{"application", "flashboot"}, names) != "" {
		t.Errorf("SDK package: %+v", p)
	}
}

func TestInspectAB(t *testing.T) {
	d := factory(t, partition.LayoutAB, fb1(t), fb1(t), app1(t))
	l, err := upg.ABLayoutOf(d.Table())
	if err != nil {
		t.Fatal(err)
	}
	in := inspect(t, d.Flash)
	b := part(t, in, partition.ImageB)
	if in.Layout != "ab" || b.Name != "imageB" || b.Content != emulator.ContentErased || b.Package != nil || b.Flag != nil {
		t.Errorf("AB imageB: layout %q %+v", in.Layout, b)
	}
	if c := b.ABConfig; c == nil || c.State != "erased" || c.Region != "A" || c.Offset != 0x3F1000 {
		t.Errorf("AB config: %+v", b.ABConfig)
	}

	flashtest.MustProgram(t, d.Flash, l.BAddr, app2(t)) // 0x211000 (docs/sdk-mapping.md §5)
	flashtest.MustProgram(t, d.Flash, 0x3F1000, []byte{0x6C, 0x6C, 0x74, 0x70, 1, 0, 0, 0})
	in = inspect(t, d.Flash)
	b = part(t, in, partition.ImageB)
	if b.Content != emulator.ContentImage || b.Image.Ident == nil || b.Image.Ident.Version != "app-2" {
		t.Errorf("imageB: %+v %+v", b, b.Image)
	}
	if c := b.ABConfig; c.State != "set" || c.Magic != upg.ABConfigMagic || c.RunRegion != 1 || c.Region != "B" {
		t.Errorf("AB config: %+v", c)
	}
	if len(in.Warnings) != 0 {
		t.Errorf("warnings: %q", in.Warnings)
	}

	flashtest.MustProgram(t, d.Flash, 0x3F1000, []byte{0})
	in = inspect(t, d.Flash)
	if c := part(t, in, partition.ImageB).ABConfig; c.State != "bad magic" || c.Region != "B" || !hasWarning(in, "returns region B and rewrites the page with region A") {
		t.Errorf("bad magic: %+v %q", c, in.Warnings)
	}
}

func TestInspectDamaged(t *testing.T) {
	in := inspect(t, flash.New())
	if !strings.HasPrefix(in.TableSource, "none readable") || in.Params.OK || !hasWarning(in, "ERRCODE_PARTITION_INIT_ERR") {
		t.Errorf("blank flash: source %q params %+v warnings %q", in.TableSource, in.Params, in.Warnings)
	}
	if c := part(t, in, partition.RootKey).Content; c != emulator.ContentErased {
		t.Errorf("blank root key partition: %q", c)
	}
	if in.Flashboot.Relation != emulator.RelNone {
		t.Errorf("blank flashboot relation %q", in.Flashboot.Relation)
	}

	d := factory(t, partition.LayoutCompress, fb1(t), fb1(t), app1(t))
	// Garbage over imageA's key area id; the params key area id broken
	// (the table at 0x380 still reads); a body byte of the backup flipped.
	flashtest.MustProgram(t, d.Flash, 0x30000, []byte{0x12, 0x34})
	flashtest.MustProgram(t, d.Flash, 0x80, []byte{0})
	flashtest.MustProgram(t, d.Flash, 0x10000+image.HeaderLen+5, []byte{0})
	in = inspect(t, d.Flash)
	a := part(t, in, partition.ImageA)
	if a.Content != emulator.ContentGarbage || a.Image != nil || !strings.Contains(a.Note, "offset 0 (0x0)") {
		t.Errorf("garbage imageA: %+v", a)
	}
	if !strings.HasPrefix(in.TableSource, "table at 0x380") || in.Params.OK || !strings.Contains(in.Params.Error, "offset 0x80") {
		t.Errorf("broken params: source %q, %+v", in.TableSource, in.Params)
	}
	if part(t, in, partition.RootKey).Content != emulator.ContentGarbage {
		t.Error("broken params blob not reported as garbage")
	}
	if bk := part(t, in, partition.FlashbootBackup); bk.Image == nil || bk.Image.BodyHashOK {
		t.Errorf("backup with a flipped body byte: %+v", bk.Image)
	}
	for _, w := range []string{"imageA holds no valid image", "params blob", "body hash MISMATCH"} {
		if !hasWarning(in, w) {
			t.Errorf("no warning %q in %q", w, in.Warnings)
		}
	}

	if _, err := emulator.Inspect(bytes.NewReader(make([]byte, 1000))); err == nil || !strings.Contains(err.Error(), "offset 1000") {
		t.Errorf("short flash: %v", err)
	}
}

func TestDiff(t *testing.T) {
	tab := partition.Default(partition.LayoutCompress)
	base := factory(t, partition.LayoutCompress, fb1(t), fb1(t), app1(t)).Flash.Bytes()
	type region struct {
		Name    string
		Sectors int
		Bytes   int
		First   uint32
		Ranges  [][2]uint32
	}
	for _, tc := range []struct {
		name  string
		edits map[uint32][]byte
		want  []region
	}{
		{"identical", nil, nil},
		{"one byte in imageA", map[uint32][]byte{0x30010: {0}},
			[]region{{"imageA", 1, 1, 0x30010, [][2]uint32{{0x30010, 0x30011}}}}},
		{"across a sector boundary", map[uint32][]byte{0x30FFF: {0, 0}},
			[]region{{"imageA", 2, 2, 0x30FFF, [][2]uint32{{0x30FFF, 0x31001}}}}},
		{"two runs", map[uint32][]byte{0x30000: {0}, 0x40000: {0}, 0x40010: {0}},
			[]region{{"imageA", 2, 3, 0x30000, [][2]uint32{{0x30000, 0x30001}, {0x40000, 0x40011}}}}},
		{"root key and the gap after it in sector 0", map[uint32][]byte{0x7FF: {0}, 0x800: {0, 0}, 0x3F2000: {0}},
			[]region{
				{"root-key", 1, 1, 0x7FF, [][2]uint32{{0x7FF, 0x800}}},
				{"unpartitioned", 1, 2, 0x800, [][2]uint32{{0x800, 0x802}}},
				{"fota", 1, 1, 0x3F2000, [][2]uint32{{0x3F2000, 0x3F2001}}},
			}},
		{"last byte of the flash", map[uint32][]byte{flash.Size - 1: {0}},
			[]region{{"nv", 1, 1, flash.Size - 1, [][2]uint32{{flash.Size - 1, flash.Size}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := append([]byte(nil), base...)
			for off, v := range tc.edits {
				for i := range v {
					b[int(off)+i] ^= 0xA5 ^ v[i]
				}
			}
			got, err := emulator.Diff(bytes.NewReader(base), bytes.NewReader(b), tab)
			if err != nil {
				t.Fatal(err)
			}
			var gotR []region
			total := 0
			for _, r := range got {
				g := region{Name: r.Name, Sectors: r.Sectors, Bytes: r.Bytes, First: r.First}
				for _, rg := range r.Ranges {
					g.Ranges = append(g.Ranges, [2]uint32{rg.Start, rg.End})
				}
				gotR = append(gotR, g)
				total += r.Bytes
			}
			if diff := cmp.Diff(tc.want, gotR); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Cross-check the byte count with an independent differ.
			n := 0
			for _, r := range flashtest.DiffRanges(base, b) {
				n += r.End - r.Off
			}
			if total != n {
				t.Errorf("diff counts %d bytes, flashtest.DiffRanges %d", total, n)
			}
		})
	}
	if _, err := emulator.Diff(bytes.NewReader(base), bytes.NewReader(base[:5000]), tab); err == nil || !strings.Contains(err.Error(), "offset 5000") {
		t.Errorf("short image: %v", err)
	}
}

// FuzzInspect overwrites the decoded areas of a factory flash, compress or
// AB (params, imageA's header, the fota package start, the flag area, the
// AB config page, region B) with fuzz input: Inspect must not panic, and always reports.
func FuzzInspect(f *testing.F) {
	d := factory(f, partition.LayoutCompress, fb1(f), fb1(f), app1(f))
	pkg := storePackage(f, d)
	base := d.Flash.Bytes()
	ab := factory(f, partition.LayoutAB, fb1(f), fb1(f), app1(f)).Flash.Bytes()
	f.Add(uint8(0), base[:0x780])
	f.Add(uint8(1), base[0x30000:0x30400])
	f.Add(uint8(2), pkg[:min(len(pkg), 0x1000)])
	f.Add(uint8(3), base[0x3F2000:0x3F2000+upg.FlagAreaLen])
	f.Add(uint8(0x84), []byte{0x6C, 0x6C, 0x74, 0x70, 1, 0, 0, 0}) // AB config page
	f.Add(uint8(0x85), app2(f)[:0x400])                            // AB region B
	targets := []uint32{0, 0x30000, 0x270000, 0x3F2000, 0x3F1000, 0x211000}
	// The input overwrites at most 4 KiB of one of two flashes, which are
	// restored after each run: copying 4 MiB per run (twice, with
	// Inspect's own read) made the target crawl at ~50 runs a second.
	// Runs of a fuzz worker are sequential, so sharing the buffers is safe.
	var saved [0x1000]byte
	f.Fuzz(func(t *testing.T, where uint8, data []byte) {
		b := base
		if where&0x80 != 0 { // the high bit selects the AB flash
			b = ab
		}
		at := targets[int(where&0x7F)%len(targets)]
		n := min(len(data), 0x1000)
		copy(saved[:n], b[at:])
		copy(b[at:], data[:n])
		defer copy(b[at:], saved[:n])
		in, err := emulator.InspectUnhashed(b)
		if err != nil || in == nil || len(in.Partitions) == 0 {
			t.Fatalf("Inspect: %v", err)
		}
		if _, err := json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	})
}

// Inspect reads what a factory-burned flash holds.
func ExampleInspect() {
	d, _ := emulator.New(emulator.Config{Layout: partition.LayoutCompress})
	app, _ := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "1.0.0", VersionExt: 1}, 4096, nil)
	d.Burn(partition.ImageA, app)

	in, err := emulator.Inspect(d.Flash)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.Layout, "layout,", in.TableSource)
	for _, p := range in.Partitions {
		if p.Image != nil {
			fmt.Printf("0x%02X %s at 0x%06X: %s\n", p.ID, p.Name, p.Offset, p.Image.Describe())
		}
	}
	fmt.Println("flashboot:", in.Flashboot.Relation)
	// Output:
	// compress layout, params blob at 0x0, table at 0x380
	// 0x20 imageA at 0x030000: app "1.0.0" version_ext 0x1
	// flashboot: none valid
}
