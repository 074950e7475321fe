package upg

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
)

// storageFixture is a flash with the default table's fota partition, an
// initialised library and a small hash-only package.
type storageFixture struct {
	f   *flash.Device
	u   *Upg
	pkg []byte
	// fota partition
	fota partition.Entry
}

func newStorage(t *testing.T, o Options) *storageFixture {
	t.Helper()
	tab := partition.Default(partition.LayoutCompress)
	fota, err := tab.Lookup(partition.FotaData)
	if err != nil {
		t.Fatal(err)
	}
	app, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2", Seed: 2}, 9000, nil)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2", Seed: 2}, 3000, nil)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := Pack(PackOptions{Config: DefaultConfig(SignSHA256), App: app, Flashboot: boot})
	if err != nil {
		t.Fatal(err)
	}
	f := flash.New()
	return &storageFixture{f: f, u: New(f, tab, o), pkg: pkg, fota: fota}
}

func (s *storageFixture) store(t *testing.T) {
	t.Helper()
	if err := s.u.Prepare(uint32(len(s.pkg))); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(s.pkg); off += 4096 {
		end := min(off+4096, len(s.pkg))
		if err := s.u.WritePackageSync(uint32(off), s.pkg[off:end]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFlagAreaLayout(t *testing.T) {
	f := Flag{HeadMagic: FlagHeadMagic, PackageLength: 0x1234, FirmwareNum: 2, VerChangeFlag: 0xFF,
		UpdateResult: uint32(ResultRetryAllFailed), CompleteFlag: completeHalf, EndMagic: FlagEndMagic}
	f.FirmwareFlag[0] = [3]byte{0, 0x0F, 0xFF}
	f.NVFlag = [3]byte{0x0F, 0xFF, 0xFF}
	b, _ := f.MarshalBinary()
	if len(b) != FlagAreaLen || FlagAreaLen != 108 {
		t.Fatalf("flag area is %d bytes, want 108", len(b))
	}
	// Spot-check the SDK offsets (docs/sdk-mapping.md §3.3).
	for _, c := range []struct {
		off  int
		want []byte
	}{
		{0, []byte{0xAA, 0x55, 0xAA, 0x55}},
		{8, []byte{0x34, 0x12, 0, 0}},
		{12, []byte{2, 0, 0, 0}},
		{16, []byte{0, 0x0F, 0xFF}},
		{76, []byte{0x0F, 0xFF, 0xFF}},
		{79, []byte{0xFF}},
		{80, []byte{13, 0, 0, 0}},
		{100, []byte{0xFF, 0xFF, 0, 0}},
		{104, []byte{0x55, 0xAA, 0x55, 0xAA}},
	} {
		if got := b[c.off : c.off+len(c.want)]; !bytes.Equal(got, c.want) {
			t.Errorf("offset %d: % x, want % x", c.off, got, c.want)
		}
	}
	var g Flag
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, g); diff != "" {
		t.Fatal(diff)
	}
	if err := g.UnmarshalBinary(b[:107]); err == nil {
		t.Fatal("short flag area accepted")
	}
}

func TestRetryBytes(t *testing.T) {
	for _, c := range []struct {
		in   [3]byte
		want ImageStatus
	}{
		{[3]byte{0xFF, 0xFF, 0xFF}, ImageNotStarted},
		{[3]byte{0x0F, 0xFF, 0xFF}, ImageStarted},
		{[3]byte{0x00, 0xFF, 0xFF}, ImageRetry},
		{[3]byte{0x00, 0x0F, 0xFF}, ImageStarted},
		{[3]byte{0x00, 0x00, 0x0F}, ImageStarted},
		{[3]byte{0x00, 0x00, 0x00}, ImageFinished},
		{[3]byte{0x12, 0xFF, 0xFF}, ImageInvalid},
	} {
		if got := RetryStatus(c.in); got != c.want {
			t.Errorf("RetryStatus(% x) = %v, want %v", c.in, got, c.want)
		}
	}
	// Three attempts: start, fail, start, fail, start, fail → the last one.
	tr := [3]byte{0xFF, 0xFF, 0xFF}
	for i := 0; i < 3; i++ {
		var ok, last bool
		if tr, ok = retryStart(tr); !ok {
			t.Fatalf("attempt %d: start refused at % x", i, tr)
		}
		if tr, last, ok = retryFail(tr); !ok || last != (i == 2) {
			t.Fatalf("attempt %d: fail ok=%v last=%v at % x", i, ok, last, tr)
		}
	}
	if tr != [3]byte{} {
		t.Fatalf("after three failures % x", tr)
	}
}

// TestStorageArgumentChecks covers docs/sdk-mapping.md §3.6's argument checks in order.
func TestStorageArgumentChecks(t *testing.T) {
	s := newStorage(t, Options{})
	size := s.fota.Size - FlagTailLen
	for _, c := range []struct {
		name string
		call func() error
		want Errcode
	}{
		{"prepare before init", func() error { return s.u.Prepare(100) }, ErrcodeUpgNotInit},
		{"write before init", func() error { return s.u.WritePackageSync(0, []byte{1}) }, ErrcodeUpgNotInit},
		{"request before init", func() error { return s.u.RequestUpgrade() }, ErrcodeUpgNotInit},
		{"start before init", func() error { return s.u.Start() }, ErrcodeUpgNotInit},
		{"init", func() error { return s.u.Init() }, ErrcodeSucc},
		{"init twice", func() error { return s.u.Init() }, ErrcodeUpgAlreadyInit},
		{"prepare 0", func() error { return s.u.Prepare(0) }, ErrcodeUpgInvalidParameter},
		{"prepare too large", func() error { return s.u.Prepare(size + 1) }, ErrcodeUpgInvalidParameter},
		{"write nil", func() error { return s.u.WritePackageSync(0, nil) }, ErrcodeUpgNullPointer},
		{"write empty", func() error { return s.u.WritePackageSync(0, []byte{}) }, ErrcodeUpgInvalidBuffLen},
		{"write over 65535", func() error { return s.u.WritePackageSync(0, make([]byte, 65536)) }, ErrcodeUpgInvalidBuffLen},
		{"write unprepared", func() error { return s.u.WritePackageSync(0, []byte{1}) }, ErrcodeUpgNotPrepared},
		{"prepare", func() error { return s.u.Prepare(5000) }, ErrcodeSucc},
		{"write past package", func() error { return s.u.WritePackageSync(4999, []byte{1, 2}) }, ErrcodeUpgNoEnoughSpace},
		{"write at package end", func() error { return s.u.WritePackageSync(5000, []byte{1}) }, ErrcodeUpgNoEnoughSpace},
		{"write last byte", func() error { return s.u.WritePackageSync(4999, []byte{1}) }, ErrcodeSucc},
		{"out of order is fine without the file system", func() error { return s.u.WritePackageSync(100, []byte{1}) }, ErrcodeSucc},
		{"request with garbage stored", func() error { return s.u.RequestUpgrade() }, ErrcodeFail},
	} {
		if got := Code(c.call()); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got.String(), c.want.String())
		}
	}
	if got := s.u.StorageSize(); got != size {
		t.Errorf("StorageSize %d, want %d", got, size)
	}
	if got := New(s.f, partition.Table{}, Options{}); got.Init() != nil || got.StorageSize() != 0 {
		t.Errorf("no fota partition: StorageSize %d, want 0", got.StorageSize())
	}
}

func TestInOrderWritesOption(t *testing.T) {
	s := newStorage(t, Options{InOrderWrites: true})
	if err := s.u.Init(); err != nil {
		t.Fatal(err)
	}
	if err := s.u.Prepare(8192); err != nil {
		t.Fatal(err)
	}
	if err := s.u.WritePackageSync(0, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	for _, off := range []uint32{0, 2048} { // a rewrite, a gap
		if got := Code(s.u.WritePackageSync(off, make([]byte, 16))); got != ErrcodeUpgInvalidOffset {
			t.Errorf("offset %d: %s, want ERRCODE_UPG_INVALID_OFFSET", off, got.String())
		}
	}
	if err := s.u.WritePackageSync(1024, make([]byte, 16)); err != nil {
		t.Errorf("next chunk: %v", err)
	}
}

// TestPrepareKeepsBytesBeyondPackage checks upg_flash_erase's
// read–erase–write-back: bytes after package_len in its last sector survive.
func TestPrepareKeepsBytesBeyondPackage(t *testing.T) {
	s := newStorage(t, Options{})
	marker := []byte("KEEP")
	at := s.fota.Offset + 5000 + 10 // same sector as the package's end
	if err := s.f.Program(at, marker); err != nil {
		t.Fatal(err)
	}
	if err := s.f.Program(s.fota.Offset+100, []byte{0}); err != nil { // inside: erased
		t.Fatal(err)
	}
	s.u.Init()
	if err := s.u.Prepare(5000); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	s.f.ReadAt(got, int64(at))
	if !bytes.Equal(got, marker) {
		t.Fatalf("byte beyond the package: % x, want % x", got, marker)
	}
	b := []byte{0}
	s.f.ReadAt(b, int64(s.fota.Offset+100))
	if b[0] != 0xFF {
		t.Fatalf("byte inside the package not erased: %x", b[0])
	}
	f, _ := s.u.ReadFlag()
	if f.HeadMagic != FlagHeadMagic || f.PackageLength != 5000 || f.EndMagic != 0xFFFFFFFF || f.CompleteFlag != completePending {
		t.Fatalf("flag after prepare: %+v", f)
	}
}

// TestStatusReportedOnce checks ver_change_flag: a finished upgrade's
// status is reported by the first Init only.
func TestStatusReportedOnce(t *testing.T) {
	s := newStorage(t, Options{})
	s.u.Init()
	s.store(t)
	if err := s.u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	if s.u.Status() != StatusNone {
		t.Fatalf("status before the upgrade: %v", s.u.Status())
	}
	fb := New(s.f, partition.Default(partition.LayoutCompress), Options{})
	fb.Init()
	if fb.Status() != StatusUpdating {
		t.Fatalf("flashboot sees %v, want UPDATING", fb.Status())
	}
	if err := fb.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	first := New(s.f, partition.Default(partition.LayoutCompress), Options{})
	first.Init()
	second := New(s.f, partition.Default(partition.LayoutCompress), Options{})
	second.Init()
	if first.Status() != StatusSucc || second.Status() != StatusNone {
		t.Fatalf("statuses %v then %v, want SUCC then NONE", first.Status(), second.Status())
	}
	if r, last, err := second.Result(); err != nil || r != ResultUpdateSuccess || last != 0xFFFFFFFF {
		t.Fatalf("Result = %v, %#x, %v", r, last, err)
	}
	// The package stays; Start again says there is nothing to do.
	if got := Code(second.Start()); got != ErrcodeUpgNotNeedToUpdate {
		t.Fatalf("second Start: %s", got.String())
	}
}

// TestStartBadSectorRetries: a bad sector in the target partition fails the
// erase on every attempt; the third consumed attempt ends RETRY_ALL_FAILED.
func TestStartBadSectorRetries(t *testing.T) {
	s := newStorage(t, Options{})
	s.u.Init()
	s.store(t)
	if err := s.u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	app, _ := partition.Default(partition.LayoutCompress).Lookup(partition.ImageA)
	s.f.SetBadSector(app.Offset+0x10000, true)
	// The erase times out (the SFC driver's only failure, docs/sdk-mapping.md §3.5) and
	// upg_flash_erase passes the driver's code up unchanged; the third
	// failure also returns the task's own error (docs/sdk-mapping.md §3.3, §4.2:
	// upg_perform_upgrade_task returns ret before the status write's).
	want := []struct {
		code  Errcode
		bytes [3]byte
	}{
		{ErrcodeSfcFlashTimeoutWaitReady, [3]byte{0, 0xFF, 0xFF}},
		{ErrcodeSfcFlashTimeoutWaitReady, [3]byte{0, 0, 0xFF}},
		{ErrcodeSfcFlashTimeoutWaitReady, [3]byte{0, 0, 0}},
	}
	for i, w := range want {
		u := New(s.f, partition.Default(partition.LayoutCompress), Options{})
		u.Init()
		if got := Code(u.Start()); got != w.code {
			t.Fatalf("attempt %d: %s, want %s", i+1, got.String(), w.code.String())
		}
		f, _ := u.ReadFlag()
		if f.FirmwareFlag[0] != w.bytes {
			t.Fatalf("attempt %d: retry bytes % x, want % x", i+1, f.FirmwareFlag[0], w.bytes)
		}
	}
	f, _ := s.u.ReadFlag()
	if f.CompleteFlag != 0 || Result(f.UpdateResult) != ResultRetryAllFailed || f.UpgradeNeeded() {
		t.Fatalf("after three attempts: complete %#x result %v", f.CompleteFlag, Result(f.UpdateResult))
	}
}

// TestStartVerifyFailureIsDirect: a package that fails verification on
// first entry ends the upgrade at once, no retry consumed.
func TestStartVerifyFailureIsDirect(t *testing.T) {
	s := newStorage(t, Options{})
	s.u.Init()
	s.store(t)
	if err := s.u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	// Damage the hash table (offset 0x200 of the package) in flash.
	if err := s.f.Program(s.fota.Offset+0x200, []byte{0}); err != nil {
		t.Fatal(err)
	}
	u := New(s.f, partition.Default(partition.LayoutCompress), Options{})
	u.Init()
	err := u.Start()
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Result != ResultVerifyHashTableFailed {
		t.Fatalf("Start: %v", err)
	}
	f, _ := u.ReadFlag()
	if f.FirmwareFlag[0] != [3]byte{0xFF, 0xFF, 0xFF} || f.CompleteFlag != 0 || Result(f.UpdateResult) != ResultVerifyHashTableFailed {
		t.Fatalf("flag: retry % x complete %#x result %v", f.FirmwareFlag[0], f.CompleteFlag, Result(f.UpdateResult))
	}
}

// TestThirdAttemptSucceeds: the SDK's RETRY_ALL_FAILED check fires when the
// third retry byte changes, on success as on failure; update_result is
// written before complete_flag, and each retry transition programs only the
// byte it changes.
func TestThirdAttemptSucceeds(t *testing.T) {
	var writes []string
	s := newStorage(t, Options{Hooks: Hooks{FlagWrite: func(field string, v []byte) {
		writes = append(writes, fmt.Sprintf("%s=% x", field, v))
	}}})
	s.u.Init()
	s.store(t)
	if err := s.u.RequestUpgrade(); err != nil {
		t.Fatal(err)
	}
	addr := s.fota.End() - 0x1000 + flagOffFirmwareFlag
	if err := s.f.Program(addr, []byte{0, 0}); err != nil { // two attempts consumed
		t.Fatal(err)
	}
	writes = nil
	u := New(s.f, partition.Default(partition.LayoutCompress), s.u.opt)
	u.Init()
	if got := Code(u.Start()); got != ErrcodeUpgRetryAllFail {
		t.Fatalf("Start: %s, want ERRCODE_UPG_RETRY_ALL_FAIL", got.String())
	}
	want := []string{
		"firmware_flag[0][2]=0f",    // STARTED: one byte
		"firmware_flag[0][2]=00",    // FINISHED from the third byte on
		"update_result=0d 00 00 00", // RETRY_ALL_FAILED, then
		"complete_flag=00 00 00 00",
	}
	if diff := cmp.Diff(want, writes); diff != "" {
		t.Fatalf("flag writes (-want +got):\n%s", diff)
	}
	f, _ := u.ReadFlag()
	if f.FirmwareFlag[0] != [3]byte{} || f.FirmwareFlag[1] != [3]byte{0xFF, 0xFF, 0xFF} {
		t.Fatalf("retry bytes % x / % x: the flashboot image must not be processed", f.FirmwareFlag[0], f.FirmwareFlag[1])
	}
}

// TestReadPackageLength: uapi_upg_read_package checks its length through a
// 16-bit cast (0 and multiples of 0x10000 fail), reads with the full
// length, and clamps at the end of the fota partition.
func TestReadPackageLength(t *testing.T) {
	s := newStorage(t, Options{})
	if _, err := s.u.ReadPackage(0, make([]byte, 16)); !errors.Is(err, ErrcodeUpgNotInit) {
		t.Fatalf("before init: %v", err)
	}
	if err := s.u.Init(); err != nil {
		t.Fatal(err)
	}
	s.store(t)
	for _, tc := range []struct {
		name string
		off  uint32
		buf  []byte
		n    int
		want error
	}{
		{"nil", 0, nil, 0, ErrcodeUpgNullPointer},
		{"zero", 0, []byte{}, 0, ErrcodeUpgInvalidBuffLen},
		{"0x10000", 0, make([]byte, 0x10000), 0, ErrcodeUpgInvalidBuffLen},
		{"0x20000", 0, make([]byte, 0x20000), 0, ErrcodeUpgInvalidBuffLen},
		{"0x10001 reads all", 0, make([]byte, 0x10001), 0x10001, nil},
		{"clamped", s.fota.Size - 8, make([]byte, 100), 8, nil},
		{"past the partition", s.fota.Size, make([]byte, 100), 0, ErrcodeUpgInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.u.ReadPackage(tc.off, tc.buf)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) || n != tc.n {
				t.Fatalf("ReadPackage = %d, %v; want %d, %v", n, err, tc.n, tc.want)
			}
			if err == nil && tc.off == 0 && !bytes.Equal(tc.buf[:len(s.pkg)], s.pkg) {
				t.Error("the bytes read are not the package")
			}
		})
	}
	// upg_read_fota_pkg_data (the NV task's read) has no 16-bit check.
	if n, err := s.u.ReadFotaPkgData(0, make([]byte, 0x10000)); err != nil || n != 0x10000 {
		t.Errorf("ReadFotaPkgData(0x10000) = %d, %v", n, err)
	}
}
