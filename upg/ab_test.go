package upg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
)

// Spec §5 with param_sector_double.json, typed in from the spec.
var specAB = ABLayout{AAddr: 0x030000, ASize: 0x1E1000, BAddr: 0x211000, BSize: 0x1E0000, Config: 0x3F1000}

func TestABConfigRecordSize(t *testing.T) {
	c := ABConfig{CheckNum: ABConfigMagic, RunRegion: 1}
	b, _ := c.MarshalBinary()
	if len(b) != ABConfigLen || ABConfigLen != 8 {
		t.Fatalf("encoded %d bytes, ABConfigLen %d, want 8", len(b), ABConfigLen)
	}
	// check_num at 0, run_region at 4, little-endian (upg_ab_config_t).
	if want := []byte{0x6C, 0x6C, 0x74, 0x70, 1, 0, 0, 0}; !bytes.Equal(b, want) {
		t.Errorf("encoded % x, want % x", b, want)
	}
	var d ABConfig
	if err := d.UnmarshalBinary(b); err != nil || d != c {
		t.Errorf("round trip: %+v, %v", d, err)
	}
	if err := d.UnmarshalBinary(b[:7]); !errors.Is(err, ErrRecordSize) {
		t.Errorf("7 bytes: %v, want ErrRecordSize", err)
	}
	if ABConfigPageLen != 0x1000 || ABConfigMagic != 0x70746C6C {
		t.Errorf("constants differ from docs/sdk-mapping.md §5")
	}
}

func TestABLayout(t *testing.T) {
	ab := partition.Default(partition.LayoutAB)
	without := func(id partition.ID) partition.Table {
		t := ab.Clone()
		for i := range t.Entries {
			if t.Entries[i].ID == id {
				t.Entries = append(t.Entries[:i], t.Entries[i+1:]...)
				break
			}
		}
		return t
	}
	sized := func(aOff, aSize, bOff, bSize uint32) partition.Table {
		t := ab.Clone()
		for i := range t.Entries {
			switch t.Entries[i].ID {
			case partition.ImageA:
				t.Entries[i].Offset, t.Entries[i].Size = aOff, aSize
			case partition.ImageB:
				t.Entries[i].Offset, t.Entries[i].Size = bOff, bSize
			}
		}
		return t
	}
	cases := []struct {
		name string
		t    partition.Table
		want ABLayout
		err  error
	}{
		{"param_sector_double", ab, specAB, nil},
		// The compressed table: the same arithmetic puts region B inside
		// imageA and the config page on the flag area (0x270000+0x183000−0x1000).
		{"compress table", partition.Default(partition.LayoutCompress),
			ABLayout{AAddr: 0x030000, ASize: 0x1E1000, BAddr: 0x211000, BSize: 0x1E1000, Config: 0x3F2000}, nil},
		// (0x4000+0x4000−0x1000)/2 = 0x3800 rounds up to 0x4000; B gets 0x3000.
		{"rounding", sized(0x100000, 0x4000, 0x104000, 0x4000),
			ABLayout{AAddr: 0x100000, ASize: 0x4000, BAddr: 0x104000, BSize: 0x3000, Config: 0x107000}, nil},
		{"even split", sized(0x100000, 0x3000, 0x103000, 0x4000),
			ABLayout{AAddr: 0x100000, ASize: 0x3000, BAddr: 0x103000, BSize: 0x3000, Config: 0x106000}, nil},
		{"no 0x20", without(partition.ImageA), ABLayout{}, ErrABLayout},
		{"no 0x21", without(partition.ImageB), ABLayout{}, ErrABLayout},
		{"too small", sized(0x100000, 0x1000, 0x101000, 0x1000), ABLayout{}, ErrABLayout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ABLayoutOf(tc.t)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("layout (-want +got):\n%s", diff)
			}
		})
	}
	if got := specAB.MaxImage(); got != 0x1E0000 {
		t.Errorf("MaxImage 0x%x, want 0x1E0000 (region B)", got)
	}
}

func TestABLayoutReferenceJSON(t *testing.T) {
	f, err := os.Open(testutil.Reference(t, "sdk/param_sector_double.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := partition.ParseJSON(f, "param_sector_double.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ABLayoutOf(tab)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(specAB, got); diff != "" {
		t.Errorf("layout of the SDK's AB table (-spec +got):\n%s", diff)
	}
}

func TestRegionNames(t *testing.T) {
	for _, tc := range []struct {
		r     Region
		s     string
		other Region
	}{{RegionA, "A", RegionB}, {RegionB, "B", RegionA}, {Region(2), "Region(2)", RegionB}} {
		if tc.r.String() != tc.s || tc.r.Other() != tc.other || tc.r.Valid() != (tc.r < 2) {
			t.Errorf("%d: %q other %v valid %v", uint32(tc.r), tc.r, tc.r.Other(), tc.r.Valid())
		}
		if tc.r.Valid() {
			if p, err := ParseRegion(tc.s); err != nil || p != tc.r {
				t.Errorf("ParseRegion(%q) = %v, %v", tc.s, p, err)
			}
		}
	}
	if _, err := ParseRegion("C"); err == nil {
		t.Error("ParseRegion(C) accepted")
	}
}

// abDevice is a blank flash with the AB table and an AB-build library.
func abDevice(t *testing.T, o Options) (*flash.Device, *Upg) {
	t.Helper()
	f := flash.New()
	o.AB = true
	u := New(f, partition.Default(partition.LayoutAB), o)
	if err := u.Init(); err != nil {
		t.Fatal(err)
	}
	return f, u
}

func putConfig(t *testing.T, f *flash.Device, c ABConfig) {
	t.Helper()
	b, _ := c.MarshalBinary()
	if err := f.EraseRange(specAB.Config, ABConfigPageLen); err != nil {
		t.Fatal(err)
	}
	if err := f.Program(specAB.Config, b); err != nil {
		t.Fatal(err)
	}
}

func readPage(t *testing.T, f *flash.Device) (ABConfig, []byte) {
	t.Helper()
	page := make([]byte, ABConfigPageLen)
	if _, err := f.ReadAt(page, int64(specAB.Config)); err != nil {
		t.Fatal(err)
	}
	var c ABConfig
	c.UnmarshalBinary(page[:ABConfigLen])
	return c, page
}

func TestABConfigReadRepair(t *testing.T) {
	erased := ABConfig{CheckNum: 0xFFFFFFFF, RunRegion: 0xFFFFFFFF}
	cases := []struct {
		name     string
		page     *ABConfig // nil: the page stays erased (a factory-new device)
		run      Region    // what RunRegion returns
		ops      uint64    // flash ops it issued
		after    ABConfig  // the page afterwards
		nextRun  Region    // what a second RunRegion returns
		nextOps  uint64
		pageTail bool // the rest of the page must be erased afterwards
	}{
		// Erased page: repaired to {magic, A} (erase + one program op).
		{"factory new", nil, RegionA, 2, ABConfig{ABConfigMagic, 0}, RegionA, 0, true},
		{"valid A", &ABConfig{ABConfigMagic, 0}, RegionA, 0, ABConfig{ABConfigMagic, 0}, RegionA, 0, true},
		{"valid B", &ABConfig{ABConfigMagic, 1}, RegionB, 0, ABConfig{ABConfigMagic, 1}, RegionB, 0, true},
		// A valid page with a bad run_region: no repair, A.
		{"invalid run region", &ABConfig{ABConfigMagic, 7}, RegionA, 0, ABConfig{ABConfigMagic, 7}, RegionA, 0, true},
		// Bad magic: repaired to {magic, A}, but the SDK returns the
		// run_region it read before the repair — B once, then A.
		{"bad magic says B", &ABConfig{ABConfigMagic ^ 1, 1}, RegionB, 2, ABConfig{ABConfigMagic, 0}, RegionA, 0, true},
		{"erased", &erased, RegionA, 2, ABConfig{ABConfigMagic, 0}, RegionA, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, u := abDevice(t, Options{})
			if tc.page != nil {
				putConfig(t, f, *tc.page)
			}
			before := f.OpCount()
			if got := u.RunRegion(); got != tc.run {
				t.Errorf("RunRegion %v, want %v", got, tc.run)
			}
			if got := f.OpCount() - before; got != tc.ops {
				t.Errorf("RunRegion issued %d flash ops, want %d", got, tc.ops)
			}
			c, page := readPage(t, f)
			if diff := cmp.Diff(tc.after, c); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			if tc.pageTail && !allFF(page[ABConfigLen:]) {
				t.Errorf("the rest of the config page is not erased")
			}
			before = f.OpCount()
			if got := u.RunRegion(); got != tc.nextRun {
				t.Errorf("second RunRegion %v, want %v", got, tc.nextRun)
			}
			if got := f.OpCount() - before; got != tc.nextOps {
				t.Errorf("second RunRegion issued %d ops, want %d", got, tc.nextOps)
			}
			if got := u.UpgRegion(); got != tc.nextRun.Other() {
				t.Errorf("UpgRegion %v, want %v", got, tc.nextRun.Other())
			}
			// ReadABConfig is a plain read.
			before = f.OpCount()
			if rc, err := ReadABConfig(f, partition.Default(partition.LayoutAB)); err != nil || rc != c || f.OpCount() != before {
				t.Errorf("ReadABConfig = %+v, %v (%d ops)", rc, err, f.OpCount()-before)
			}
		})
	}
}

func TestABConfigRepairFails(t *testing.T) {
	f, u := abDevice(t, Options{})
	putConfig(t, f, ABConfig{0x12345678, 1})
	f.SetBadSector(specAB.Config, true)
	// upg_get_ab_config fails (one repair attempt, no retries), and
	// upg_get_run_region falls back to A.
	before := f.OpCount()
	if got := u.RunRegion(); got != RegionA {
		t.Errorf("RunRegion %v, want A", got)
	}
	if got := f.OpCount() - before; got != 2 {
		t.Errorf("repair issued %d ops, want 2 (one attempt)", got)
	}
	if err := u.SetRunRegion(RegionB); Code(err) != ErrcodeFail {
		t.Errorf("SetRunRegion after a failed repair: %v, want ERRCODE_FAIL", err)
	}
}

func TestABConfigWriteRetries(t *testing.T) {
	cases := []struct {
		name    string
		fault   func(f *flash.Device)
		err     error
		ops     uint64
		wantRun Region
	}{
		{"clean", func(*flash.Device) {}, nil, 2, RegionB},
		// The first attempt's program fails; the second attempt succeeds.
		{"one failure", func(f *flash.Device) { f.FailProgramAt(f.OpCount() + 1) }, nil, 4, RegionB},
		{"two failures", func(f *flash.Device) {
			f.FailProgramAt(f.OpCount() + 1)
			f.FailProgramAt(f.OpCount() + 3)
		}, nil, 6, RegionB},
		// Three attempts, each erase and program failing: FLASH_WRITE_ERROR.
		{"bad sector", func(f *flash.Device) { f.SetBadSector(specAB.Config, true) }, ErrABConfigWrite, 6, RegionA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, u := abDevice(t, Options{})
			putConfig(t, f, ABConfig{ABConfigMagic, 0})
			tc.fault(f)
			before := f.OpCount()
			err := u.SetRunRegion(RegionB)
			if !errors.Is(err, tc.err) {
				t.Fatalf("SetRunRegion: %v, want %v", err, tc.err)
			}
			if tc.err != nil && Code(err) != ErrcodeUpgFlashWriteError {
				t.Errorf("code %v, want ERRCODE_UPG_FLASH_WRITE_ERROR", Code(err))
			}
			if got := f.OpCount() - before; got != tc.ops {
				t.Errorf("%d flash ops, want %d", got, tc.ops)
			}
			f.ClearFaults()
			if got, _ := readPage(t, f); got.Region() != tc.wantRun {
				t.Errorf("page says %v, want %v", got.Region(), tc.wantRun)
			}
		})
	}
}

func TestSetRunRegion(t *testing.T) {
	t.Run("same region", func(t *testing.T) {
		f, u := abDevice(t, Options{})
		putConfig(t, f, ABConfig{ABConfigMagic, 1})
		before := f.OpCount()
		err := u.SetRunRegion(RegionB)
		if !errors.Is(err, ErrABSameRegion) || Code(err) != ErrcodeInvalidParam {
			t.Errorf("SetRunRegion(B) while B runs: %v (%v), want ERRCODE_INVALID_PARAM", err, Code(err))
		}
		if f.OpCount() != before {
			t.Errorf("the refused call wrote flash")
		}
	})
	t.Run("switch and back", func(t *testing.T) {
		f, u := abDevice(t, Options{})
		u.RunRegion() // flashboot's first boot repairs the erased page
		for _, r := range []Region{RegionB, RegionA, RegionB} {
			if err := u.SetRunRegion(r); err != nil {
				t.Fatalf("SetRunRegion(%v): %v", r, err)
			}
			if c, _ := readPage(t, f); c != (ABConfig{ABConfigMagic, uint32(r)}) || u.RunRegion() != r {
				t.Errorf("after SetRunRegion(%v): page %+v", r, c)
			}
		}
	})
	t.Run("invalid region is stored", func(t *testing.T) {
		f, u := abDevice(t, Options{})
		putConfig(t, f, ABConfig{ABConfigMagic, 0})
		if err := u.SetRunRegion(Region(5)); err != nil {
			t.Fatal(err)
		}
		if c, _ := readPage(t, f); c.RunRegion != 5 || u.RunRegion() != RegionA {
			t.Errorf("page %+v, RunRegion %v; want 5 stored, read as A", c, u.RunRegion())
		}
	})
	t.Run("stale check_num", func(t *testing.T) {
		// A bad page: SetRunRegion repairs it, then writes the record as
		// read — with the bad check_num — so the next read repairs again.
		f, u := abDevice(t, Options{})
		putConfig(t, f, ABConfig{0xDEADBEEF, 0})
		if err := u.SetRunRegion(RegionB); err != nil {
			t.Fatal(err)
		}
		if c, _ := readPage(t, f); c != (ABConfig{0xDEADBEEF, 1}) {
			t.Errorf("page %+v, want {0xDEADBEEF 1}", c)
		}
		if got := u.RunRegion(); got != RegionB {
			t.Errorf("first read %v, want B (read before the repair)", got)
		}
		if got := u.RunRegion(); got != RegionA {
			t.Errorf("second read %v, want A (the repaired page)", got)
		}
	})
}

func TestABImageReadWrite(t *testing.T) {
	cases := []struct {
		name string
		r    Region
		off  uint32
		n    int
		err  error
	}{
		{"start of B", RegionB, 0, 256, nil},
		{"end of B", RegionB, specAB.BSize - 16, 16, nil},
		{"past end of B", RegionB, specAB.BSize - 16, 17, ErrABBounds},
		{"end of A", RegionA, specAB.ASize - 8, 8, nil},
		{"A is larger than B", RegionB, specAB.ASize - 8, 8, ErrABBounds},
		{"offset wraps in 32 bits", RegionB, 0xFFFFFFF0, 0x20, ErrABBounds},
		{"invalid region", Region(2), 0, 4, ErrABBounds},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, u := abDevice(t, Options{})
			data := bytes.Repeat([]byte{0xA5}, tc.n)
			before := f.OpCount()
			err := u.ABImageWrite(tc.r, tc.off, data)
			if !errors.Is(err, tc.err) {
				t.Fatalf("write: %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				if Code(err) != ErrcodeInvalidParam || f.OpCount() != before {
					t.Errorf("refused write: code %v, %d ops", Code(err), f.OpCount()-before)
				}
				if err := u.ABImageRead(tc.r, tc.off, make([]byte, tc.n)); !errors.Is(err, ErrABBounds) {
					t.Errorf("read: %v, want ErrABBounds", err)
				}
				return
			}
			got := make([]byte, tc.n)
			if err := u.ABImageRead(tc.r, tc.off, got); err != nil || !bytes.Equal(got, data) {
				t.Errorf("read back: %v % x", err, got[:min(8, len(got))])
			}
			addr, _, _ := specAB.Region(tc.r)
			raw := make([]byte, tc.n)
			f.ReadAt(raw, int64(addr+tc.off))
			if !bytes.Equal(raw, data) {
				t.Errorf("flash at 0x%x differs", addr+tc.off)
			}
		})
	}
	t.Run("no erase", func(t *testing.T) {
		_, u := abDevice(t, Options{})
		u.ABImageWrite(RegionB, 0x100, []byte{0xF0})
		u.ABImageWrite(RegionB, 0x100, []byte{0x0F})
		b := make([]byte, 1)
		u.ABImageRead(RegionB, 0x100, b)
		if b[0] != 0x00 {
			t.Errorf("rewrite gave 0x%02x, want 0x00 (programmed into unerased flash)", b[0])
		}
	})
}

// fillRegions programs a marker at the start and end of both regions.
func fillRegions(t *testing.T, f *flash.Device) {
	t.Helper()
	for _, r := range []Region{RegionA, RegionB} {
		addr, size, _ := specAB.Region(r)
		for _, at := range []uint32{addr, addr + size - 4} {
			if err := f.Program(at, []byte{0, 1, 2, 3}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func regionErased(f *flash.Device, r Region) bool {
	addr, size, _ := specAB.Region(r)
	b := make([]byte, size)
	f.ReadAt(b, int64(addr))
	return allFF(b)
}

func TestABStart(t *testing.T) {
	cases := []struct {
		name     string
		bug      bool
		uninit   bool // the library was not initialised before
		run      Region
		arg      Region
		err      error
		code     Errcode
		erased   Region // the region erased, when err is nil
		regionOp uint64 // erase ops expected (the greedy block erases of the erased region)
	}{
		{"A runs, start B", false, false, RegionA, RegionB, nil, ErrcodeSucc, RegionB, blockErases(specAB.BAddr, specAB.BSize)},
		// The argument is only checked: the upgrade region is erased.
		{"A runs, start A", false, false, RegionA, RegionA, nil, ErrcodeSucc, RegionB, blockErases(specAB.BAddr, specAB.BSize)},
		{"B runs, start A", false, false, RegionB, RegionA, nil, ErrcodeSucc, RegionA, blockErases(specAB.AAddr, specAB.ASize)},
		{"not initialised", false, true, RegionA, RegionB, nil, ErrcodeSucc, RegionB, blockErases(specAB.BAddr, specAB.BSize)},
		{"invalid region", false, false, RegionA, Region(2), ErrABStartRegion, ErrcodeInvalidParam, 0, 0},
		// The shipped SDK: A and B refused, other values go on.
		{"sdk bug: A", true, false, RegionB, RegionA, ErrABStartRegion, ErrcodeInvalidParam, 0, 0},
		{"sdk bug: B", true, false, RegionA, RegionB, ErrABStartRegion, ErrcodeInvalidParam, 0, 0},
		{"sdk bug: 2, already initialised", true, false, RegionA, Region(2), ErrcodeFail, ErrcodeFail, 0, 0},
		{"sdk bug: 2, not initialised", true, true, RegionA, Region(2), nil, ErrcodeSucc, RegionB, blockErases(specAB.BAddr, specAB.BSize)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := flash.New()
			u := New(f, partition.Default(partition.LayoutAB), Options{AB: true, ABStartSDKBug: tc.bug})
			if !tc.uninit {
				if err := u.Init(); err != nil {
					t.Fatal(err)
				}
			}
			putConfig(t, f, ABConfig{ABConfigMagic, uint32(tc.run)})
			fillRegions(t, f)
			before := f.OpCount()
			err := u.ABStart(tc.arg)
			if !errors.Is(err, tc.err) || Code(err) != tc.code {
				t.Fatalf("ABStart(%v): %v (%v), want %v (%v)", tc.arg, err, Code(err), tc.err, tc.code)
			}
			if got := f.OpCount() - before; got != tc.regionOp {
				t.Errorf("%d flash ops, want %d", got, tc.regionOp)
			}
			if tc.err != nil {
				return
			}
			if !regionErased(f, tc.erased) {
				t.Errorf("region %v not erased", tc.erased)
			}
			if regionErased(f, tc.erased.Other()) {
				t.Errorf("region %v (running) erased too", tc.erased.Other())
			}
			if c, _ := readPage(t, f); c.Region() != tc.run {
				t.Errorf("config page changed: %+v", c)
			}
		})
	}
}

func TestRegionEraseAlignment(t *testing.T) {
	tab := partition.Default(partition.LayoutAB).Clone()
	for i := range tab.Entries {
		if tab.Entries[i].ID == partition.ImageA {
			tab.Entries[i].Offset = 0x030800
		}
	}
	u := New(flash.New(), tab, Options{AB: true})
	if err := u.RegionErase(RegionA); !errors.Is(err, ErrABAlign) || Code(err) != ErrcodeInvalidParam {
		t.Errorf("RegionErase on 0x030800: %v", err)
	}
}

func TestABWithoutLayout(t *testing.T) {
	tab := partition.Default(partition.LayoutAB).Clone()
	tab.Entries = tab.Entries[:0]
	f := flash.New()
	u := New(f, tab, Options{AB: true})
	if u.RegionAddr(RegionA) != 0 || u.RegionSize(RegionB) != 0 {
		t.Error("region address or size without partitions")
	}
	if got := u.RunRegion(); got != RegionA {
		t.Errorf("RunRegion %v, want A", got)
	}
	if err := u.ABImageWrite(RegionB, 0, []byte{1}); !errors.Is(err, ErrABBounds) {
		t.Errorf("write: %v", err)
	}
	if err := u.SetRunRegion(RegionB); Code(err) != ErrcodeFail {
		t.Errorf("SetRunRegion: %v", err)
	}
	if _, err := ReadABConfig(f, tab); !errors.Is(err, ErrABLayout) {
		t.Errorf("ReadABConfig: %v", err)
	}
	if f.OpCount() != 0 {
		t.Errorf("%d flash ops", f.OpCount())
	}
}

// TestABGuideFlow runs the guide's example (AB面升级 / 开发实例) twice on
// the library: A → B, then B → A.
func TestABGuideFlow(t *testing.T) {
	f, u := abDevice(t, Options{})
	for i, want := range []Region{RegionB, RegionA} {
		img := make([]byte, 10000)
		binary.LittleEndian.PutUint32(img, uint32(i+1))
		r := u.UpgRegion()
		if r != want {
			t.Fatalf("upgrade %d: UpgRegion %v, want %v", i, r, want)
		}
		if err := u.ABStart(r); err != nil {
			t.Fatal(err)
		}
		for off := 0; off < len(img); off += 0x1000 {
			if err := u.ABImageWrite(r, uint32(off), img[off:min(off+0x1000, len(img))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := u.SetRunRegion(r); err != nil {
			t.Fatal(err)
		}
		if u.RunRegion() != r {
			t.Fatalf("run region %v after the switch", u.RunRegion())
		}
		got := make([]byte, len(img))
		addr, _, _ := specAB.Region(r)
		f.ReadAt(got, int64(addr))
		if !bytes.Equal(got, img) {
			t.Errorf("upgrade %d: region %v does not hold the image", i, r)
		}
	}
}

func FuzzABConfig(f *testing.F) {
	f.Add([]byte{0x6C, 0x6C, 0x74, 0x70, 1, 0, 0, 0})
	f.Add(bytes.Repeat([]byte{0xFF}, 8))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c ABConfig
		if err := c.UnmarshalBinary(b); err != nil {
			if len(b) == ABConfigLen {
				t.Fatalf("8 bytes refused: %v", err)
			}
			return
		}
		out, _ := c.MarshalBinary()
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip % x → % x", b, out)
		}
		if r := c.Region(); !r.Valid() {
			t.Fatalf("Region() = %v", r)
		}
	})
}

// blockErases is the number of block erases the SFC driver's greedy plan
// issues for [addr, addr+size).
func blockErases(addr, size uint32) uint64 {
	n := uint64(0)
	for size > 0 {
		b := flash.GreedyBlock(addr, size)
		addr, size, n = addr+b, size-b, n+1
	}
	return n
}
