package upg

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
)

// requested stores pkg through a library over table tab and requests the
// upgrade; it returns the flash.
func requested(t *testing.T, tab partition.Table, pkg []byte) *flash.Device {
	t.Helper()
	f := flash.New()
	u := New(f, tab, Options{})
	if err := u.Init(); err != nil {
		t.Fatal(err)
	}
	if err := u.Prepare(uint32(len(pkg))); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(pkg); off += 4096 {
		if err := u.WritePackageSync(uint32(off), pkg[off:min(off+4096, len(pkg))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	return f
}

// rawPackage is a hash-only package of raw (uncompressed) images.
func rawPackage(t *testing.T, appSize int) []byte {
	t.Helper()
	app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2", Seed: 2}, appSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2", Seed: 2}, 3000, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig(SignSHA256)
	cfg.Image(SectionApplication).DecompressFlag = 0
	cfg.Image(SectionFlashboot).DecompressFlag = 0
	pkg, err := Pack(PackOptions{Config: cfg, App: app, Flashboot: boot})
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// TestRawImageTooBigErasesFirst: docs/sdk-mapping.md §4.3 — the whole target partition is
// erased before the size check, so a raw image larger than its partition
// fails each attempt (ERRCODE_FAIL) after destroying the old contents.
func TestRawImageTooBigErasesFirst(t *testing.T) {
	tab := partition.Default(partition.LayoutCompress)
	var app partition.Entry
	for i, e := range tab.Entries {
		if e.ID == partition.ImageA {
			tab.Entries[i].Size = 0x2000 // 8 KiB: smaller than the app
			app = tab.Entries[i]
		}
	}
	f := requested(t, tab, rawPackage(t, 9000))
	flashtest.MustProgram(t, f, app.Offset, []byte("the old app")) // the factory app's first bytes
	for attempt := 1; attempt <= 3; attempt++ {
		fb := New(f, tab, Options{})
		fb.Init()
		if got := Code(fb.Start()); got != ErrcodeFail {
			t.Fatalf("attempt %d: %s, want ERRCODE_FAIL", attempt, got.String())
		}
		got := make([]byte, app.Size)
		f.ReadAt(got, int64(app.Offset))
		if !bytes.Equal(got, bytes.Repeat([]byte{0xFF}, int(app.Size))) {
			t.Fatalf("attempt %d: imageA is not erased: the size was checked before the erase", attempt)
		}
	}
	fl, _ := New(f, tab, Options{}).ReadFlag()
	if fl.CompleteFlag != 0 || Result(fl.UpdateResult) != ResultRetryAllFailed {
		t.Fatalf("after three attempts: complete %#x result %v", fl.CompleteFlag, Result(fl.UpdateResult))
	}
}

// TestRawImageCopiesImageLen: docs/sdk-mapping.md §4.3 — exactly image_len bytes are
// copied, not re-aligned, and nothing is re-encrypted (§4.8).
func TestRawImageCopiesImageLen(t *testing.T) {
	tab := partition.Default(partition.LayoutCompress)
	pkg := rawPackage(t, 9000)
	p, err := ReadPackage(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	f := requested(t, tab, pkg)
	fb := New(f, tab, Options{EncryptChunk: func(ImageHeader, uint32, []byte) error {
		return errors.New("the full image task must not call EncryptChunk")
	}})
	fb.Init()
	if err := fb.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	e, _ := tab.Lookup(partition.ImageA)
	h := p.Headers[0]
	got := make([]byte, h.ImageLen+16)
	f.ReadAt(got, int64(e.Offset))
	want := pkg[h.ImageOffset : h.ImageOffset+h.ImageLen]
	if !bytes.Equal(got[:h.ImageLen], want) || !bytes.Equal(got[h.ImageLen:], bytes.Repeat([]byte{0xFF}, 16)) {
		t.Fatal("imageA is not image_len bytes of package data followed by erased flash")
	}
}

// TestStartBeforeInitRecordsSuccess: docs/sdk-mapping.md §4.2 step 1 — uapi_upg_start
// before uapi_upg_init still runs the direct finish; the RAM temporary
// result is still UPDATE_SUCCESS, so a pending upgrade is cancelled and
// recorded as a success.
func TestStartBeforeInitRecordsSuccess(t *testing.T) {
	s := newStorage(t, Options{})
	s.u.Init()
	s.store(t)
	if err := s.u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	fresh := New(s.f, partition.Default(partition.LayoutCompress), Options{})
	if got := Code(fresh.Start()); got != ErrcodeUpgNotInit {
		t.Fatalf("Start before Init: %s, want ERRCODE_UPG_NOT_INIT", got.String())
	}
	f, _ := fresh.ReadFlag()
	if f.CompleteFlag != 0 || Result(f.UpdateResult) != ResultUpdateSuccess || f.UpgradeNeeded() {
		t.Fatalf("complete %#x result %v: want the upgrade cancelled as UPDATE_SUCCESS", f.CompleteFlag, Result(f.UpdateResult))
	}
	if f.FirmwareFlag[0] != [3]byte{0xFF, 0xFF, 0xFF} {
		t.Fatalf("retry bytes % x: no image was processed", f.FirmwareFlag[0])
	}
}

// TestReadPackageLengthCast: docs/sdk-mapping.md §3.6 — the length goes through a 16-bit
// cast (0 and multiples of 0x10000 are INVALID_BUFF_LEN) and the offset is
// checked against the whole fota partition, flag tail included.
func TestReadPackageLengthCast(t *testing.T) {
	s := newStorage(t, Options{})
	s.u.Init()
	for _, c := range []struct {
		name string
		off  uint32
		n    int
		want Errcode
		got  int
	}{
		{"empty", 0, 0, ErrcodeUpgInvalidBuffLen, 0},
		{"64 KiB", 0, 0x10000, ErrcodeUpgInvalidBuffLen, 0},
		{"128 KiB", 0, 0x20000, ErrcodeUpgInvalidBuffLen, 0},
		{"64 KiB + 1", 0, 0x10001, ErrcodeSucc, 0x10001},
		{"in the flag tail", s.fota.Size - 16, 16, ErrcodeSucc, 16},
		{"clamped at the partition end", s.fota.Size - 4, 16, ErrcodeSucc, 4},
		{"at the partition end", s.fota.Size, 1, ErrcodeUpgInvalidParameter, 0},
	} {
		n, err := s.u.ReadPackage(c.off, make([]byte, c.n))
		if got := Code(err); got != c.want || n != c.got {
			t.Errorf("%s: %d bytes, %s; want %d, %s", c.name, n, got.String(), c.got, c.want.String())
		}
	}
}

// TestNVRecordResultIsStartResult: docs/sdk-mapping.md §4.2 step 5 — the NV entry's result
// does not stop the loop, and, the packer putting NV last, it is what
// uapi_upg_start returns: here its flag write times out (the driver's
// code), and the upgrade stays pending.
func TestNVRecordResultIsStartResult(t *testing.T) {
	app, boot, nvImg, _, _ := fixtureInputs(t)
	pkg, err := Pack(PackOptions{Config: DefaultConfig(SignSHA256), Pkt: []string{PktApp, PktBoot, PktNV}, App: app, Flashboot: boot, NV: nvImg})
	if err != nil {
		t.Fatal(err)
	}
	tab := partition.Default(partition.LayoutCompress)
	f := requested(t, tab, pkg)
	fota, _ := tab.Lookup(partition.FotaData)
	nvRec := fota.End() - flagPageOffset + flagOffNVDataOffset
	timed := false
	f.SetHook(func(op flash.Op) {
		if op.Kind == flash.OpProgram && op.Addr == nvRec && !timed {
			timed = true
			f.TimeoutAt(op.Index)
		}
	})
	fb := New(f, tab, Options{})
	fb.Init()
	if got := Code(fb.Start()); got != ErrcodeSfcFlashTimeoutWaitReady {
		t.Fatalf("Start: %s, want the NV record write's ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY", got.String())
	}
	f.SetHook(nil)
	fl, _ := fb.ReadFlag()
	if fl.FirmwareFlag[0] != [3]byte{} || fl.FirmwareFlag[1] != [3]byte{} || !fl.UpgradeNeeded() {
		t.Fatalf("retry bytes % x / % x, complete %#x: want both images done and the upgrade pending", fl.FirmwareFlag[0], fl.FirmwareFlag[1], fl.CompleteFlag)
	}
}

// TestNVEntryDoesNotStopLoop: docs/sdk-mapping.md §4.2 step 5 — upg_perform_nv_task's
// result does not stop the image loop. A package whose hash table has the
// NV entry before the flashboot image (the packer puts NV last; the table
// is reordered and re-signed here) and whose NV record write times out
// still gets its flashboot image applied, and the later image's result is
// what uapi_upg_start returns.
func TestNVEntryDoesNotStopLoop(t *testing.T) {
	app, boot, nvImg, _, _ := fixtureInputs(t)
	pkg, err := Pack(PackOptions{Config: DefaultConfig(SignSHA256), Pkt: []string{PktApp, PktBoot, PktNV}, App: app, Flashboot: boot, NV: nvImg})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadPackage(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 3 || p.Nodes[1].ImageID != ImageIDFlashboot || p.Nodes[2].ImageID != ImageIDNV {
		t.Fatalf("package order %x", []uint32{p.Nodes[0].ImageID, p.Nodes[1].ImageID, p.Nodes[2].ImageID})
	}
	// Swap hash-table entries 1 and 2 (44 bytes each at 0x200), then
	// refresh the table hash in the info area and the hash-only signatures.
	const node = 44
	tab := pkg[0x200 : 0x200+p.Info.HashTableLen]
	var tmp [node]byte
	copy(tmp[:], tab[node:2*node])
	copy(tab[node:2*node], tab[2*node:3*node])
	copy(tab[2*node:3*node], tmp[:])
	sum := sha256.Sum256(tab)
	copy(pkg[KeyAreaLen+40:KeyAreaLen+72], sum[:])
	if err := SignPackage(pkg, nil, nil); err != nil {
		t.Fatal(err)
	}
	tabl := partition.Default(partition.LayoutCompress)
	f := requested(t, tabl, pkg)
	fota, _ := tabl.Lookup(partition.FotaData)
	nvRec := fota.End() - flagPageOffset + flagOffNVDataOffset
	f.SetHook(func(op flash.Op) {
		if op.Kind == flash.OpProgram && op.Addr == nvRec {
			f.TimeoutAt(op.Index)
		}
	})
	fb := New(f, tabl, Options{})
	fb.Init()
	if err := fb.Start(); err != nil {
		t.Fatalf("Start: %v, want the flashboot image's success", err)
	}
	f.SetHook(nil)
	fl, _ := fb.ReadFlag()
	if fl.FirmwareFlag[0] != [3]byte{} || fl.FirmwareFlag[1] != [3]byte{} {
		t.Fatalf("retry bytes % x / % x: the image after the NV entry was not applied", fl.FirmwareFlag[0], fl.FirmwareFlag[1])
	}
	// NV not recorded (nv_flag not STARTED): not complete, marked half.
	if fl.NVFlag != [3]byte{0xFF, 0xFF, 0xFF} || fl.CompleteFlag != completeHalf {
		t.Fatalf("nv_flag % x, complete_flag %#x: want FF FF FF and 0xFFFF", fl.NVFlag, fl.CompleteFlag)
	}
}
