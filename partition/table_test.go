package partition_test

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
)

// TestDefaultMatchesSDKJSON checks the hard-coded tables against the SDK's
// param_sector*.json files.
func TestDefaultMatchesSDKJSON(t *testing.T) {
	for _, tc := range []struct {
		file   string
		layout partition.Layout
	}{
		{"sdk/param_sector.json", partition.LayoutCompress},
		{"sdk/param_sector_compress.json", partition.LayoutCompress},
		{"sdk/param_sector_double.json", partition.LayoutAB},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(testutil.Reference(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := partition.ParseJSON(f, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(partition.Default(tc.layout), got); d != "" {
				t.Errorf("Default(%s) differs from %s (-default +json):\n%s", tc.layout, tc.file, d)
			}
		})
	}
}

func TestDefaultValid(t *testing.T) {
	for _, l := range []partition.Layout{partition.LayoutCompress, partition.LayoutAB} {
		if err := partition.Default(l).Validate(partition.FlashSize); err != nil {
			t.Errorf("Default(%s).Validate: %v", l, err)
		}
	}
	if got := partition.Default(partition.Layout(9)); len(got.Entries) != 0 {
		t.Errorf("Default(unknown) has %d entries, want 0", len(got.Entries))
	}
}

// TestDefaultFresh checks Default returns a table the caller may modify.
func TestDefaultFresh(t *testing.T) {
	a := partition.Default(partition.LayoutCompress)
	a.Entries[0].Size = 1
	if b := partition.Default(partition.LayoutCompress); b.Entries[0].Size != 0x6000 {
		t.Fatal("Default shares its entries between calls")
	}
}

func TestLookup(t *testing.T) {
	tbl := partition.Default(partition.LayoutCompress)
	for _, tc := range []struct {
		id   partition.ID
		want partition.Entry
	}{
		{partition.FotaData, partition.Entry{ID: 0x21, Offset: 0x270000, Size: 0x183000}},
		{partition.ImageA, partition.Entry{ID: 0x20, Offset: 0x030000, Size: 0x240000}},
		{partition.RootKey, partition.Entry{ID: 0x03, Offset: 0, Size: 0x800}},
		{partition.Reserve5, partition.Entry{ID: 0x35, Offset: 0x3F3000, Size: 0}},
	} {
		got, err := tbl.Lookup(tc.id)
		if err != nil {
			t.Fatalf("Lookup(%s): %v", tc.id, err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("Lookup(%s) (-want +got):\n%s", tc.id, d)
		}
	}
	_, err := tbl.Lookup(0x22)
	if !errors.Is(err, partition.ErrNotFound) {
		t.Fatalf("Lookup(0x22) = %v, want ErrNotFound", err)
	}
	if c := partition.Code(err); c != 0x80003003 {
		t.Errorf("Code(not found) = %#x, want 0x80003003", c)
	}
	if partition.CodeInit != 0x80003000 {
		t.Errorf("CodeInit = %#x", partition.CodeInit)
	}
}

func TestEntryEnd(t *testing.T) {
	for _, tc := range []struct {
		e    partition.Entry
		want uint32
	}{
		{partition.Entry{Offset: 0x270000, Size: 0x183000}, 0x3F3000},
		{partition.Entry{Offset: 0x3F3000}, 0x3F3000},
		{partition.Entry{Offset: 0xFFFFF000, Size: 0x2000}, 0xFFFFFFFF},
	} {
		if got := tc.e.End(); got != tc.want {
			t.Errorf("%+v.End() = %#x, want %#x", tc.e, got, tc.want)
		}
	}
}

// mutate returns a copy of the default compress table with f applied.
func mutate(f func(t *partition.Table)) partition.Table {
	t := partition.Default(partition.LayoutCompress)
	f(&t)
	return t
}

func set(t *partition.Table, id partition.ID, off, size uint32) {
	for i := range t.Entries {
		if t.Entries[i].ID == id {
			t.Entries[i].Offset, t.Entries[i].Size = off, size
			return
		}
	}
	panic("no such id")
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		table  partition.Table
		flash  uint32
		want   error
		wantID partition.ID
	}{
		{"ab ok", partition.Default(partition.LayoutAB), partition.FlashSize, nil, 0},
		{"rsv moved anywhere", mutate(func(t *partition.Table) { set(t, partition.Reserve3, 0x100000, 0) }), partition.FlashSize, nil, 0},
		{"rsv empty at flash end", mutate(func(t *partition.Table) { set(t, partition.Reserve3, 0x400000, 0) }), partition.FlashSize, nil, 0},
		{"15 entries", mutate(func(t *partition.Table) { t.Entries = t.Entries[:15] }), partition.FlashSize, partition.ErrCount, 0},
		{"17 entries", mutate(func(t *partition.Table) {
			t.Entries = append(t.Entries, partition.Entry{ID: 0x36, Offset: 0x3F3000})
		}), partition.FlashSize, partition.ErrCount, 0},
		{"no entries", partition.Table{}, partition.FlashSize, partition.ErrCount, 0},
		{"customer id 0x36 for rsv5", mutate(func(t *partition.Table) { t.Entries[15].ID = 0x36 }), partition.FlashSize, nil, 0},
		{"customer id 0x3f for rsv0", mutate(func(t *partition.Table) { t.Entries[10].ID = 0x3F }), partition.FlashSize, nil, 0},
		{"firmware id 0x22", mutate(func(t *partition.Table) { t.Entries[15].ID = 0x22 }), partition.FlashSize, partition.ErrUnknownID, 0x22},
		{"id 0x40", mutate(func(t *partition.Table) { t.Entries[15].ID = 0x40 }), partition.FlashSize, partition.ErrUnknownID, 0x40},
		{"fixed id replaced", mutate(func(t *partition.Table) { t.Entries[4].ID = 0x36 }), partition.FlashSize, partition.ErrMissing, partition.CustomerFactory},
		{"duplicate id", mutate(func(t *partition.Table) { t.Entries[15].ID = partition.Reserve4 }), partition.FlashSize, partition.ErrDuplicate, partition.Reserve4},
		{"misaligned offset", mutate(func(t *partition.Table) { set(t, partition.FotaData, 0x270800, 0x182800) }), partition.FlashSize, partition.ErrMisaligned, partition.FotaData},
		{"misaligned size", mutate(func(t *partition.Table) { set(t, partition.FotaData, 0x270000, 0x182800) }), partition.FlashSize, partition.ErrMisaligned, partition.FotaData},
		{"root key size unaligned ok", mutate(func(t *partition.Table) { set(t, partition.RootKey, 0, 0x780) }), partition.FlashSize, nil, 0},
		{"root key offset misaligned", mutate(func(t *partition.Table) { set(t, partition.RootKey, 0x800, 0x800) }), partition.FlashSize, partition.ErrMisaligned, partition.RootKey},
		{"root key moved", mutate(func(t *partition.Table) { set(t, partition.RootKey, 0x1000, 0x800) }), partition.FlashSize, partition.ErrParamsPlacement, partition.RootKey},
		{"root key too small", mutate(func(t *partition.Table) { set(t, partition.RootKey, 0, 0x400) }), partition.FlashSize, partition.ErrParamsPlacement, partition.RootKey},
		{"past flash end", mutate(func(t *partition.Table) { set(t, partition.NVData, 0x3FC000, 0x5000) }), partition.FlashSize, partition.ErrOutsideFlash, partition.NVData},
		{"empty past flash end", mutate(func(t *partition.Table) { set(t, partition.Reserve2, 0x401000, 0) }), partition.FlashSize, partition.ErrOutsideFlash, partition.Reserve2},
		{"2 MiB flash", partition.Default(partition.LayoutCompress), 0x200000, partition.ErrOutsideFlash, partition.NVData},
		{"overlap", mutate(func(t *partition.Table) { set(t, partition.FotaData, 0x270000, 0x184000) }), partition.FlashSize, partition.ErrOverlap, partition.FotaData},
		{"overlap contained", mutate(func(t *partition.Table) { set(t, partition.Reserve1, 0x100000, 0x1000) }), partition.FlashSize, partition.ErrOverlap, partition.ImageA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.table.Validate(tc.flash)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
			if err == nil {
				return
			}
			var ee *partition.EntryError
			if !errors.As(err, &ee) {
				t.Fatalf("error %T is not an *EntryError", err)
			}
			if tc.want != partition.ErrCount && ee.Entry.ID != tc.wantID {
				t.Errorf("EntryError.Entry.ID = %s, want %s (%v)", ee.Entry.ID, tc.wantID, err)
			}
			for k, i := range ee.Items {
				want := ee.Entry
				if k == 1 {
					want = ee.Other
				}
				if i < 0 || i >= len(tc.table.Entries) || tc.table.Entries[i] != want {
					t.Errorf("EntryError.Items[%d] = %d does not point at %+v", k, i, want)
				}
			}
			if len(ee.Items) == 0 && tc.want != partition.ErrCount && tc.want != partition.ErrMissing {
				t.Errorf("EntryError.Items empty for %v", err)
			}
		})
	}
}

func TestValidateOverlapNamesBoth(t *testing.T) {
	err := mutate(func(t *partition.Table) { set(t, partition.ImageA, 0x030000, 0x241000) }).Validate(partition.FlashSize)
	const want = "partition: imageA (0x20) [0x030000,+0x241000) and fota (0x21) [0x270000,+0x183000): partitions overlap"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}

func TestWithCustom(t *testing.T) {
	tbl := partition.Default(partition.LayoutCompress)
	// Split rsv0 (32 KiB) into rsv0 16 KiB + rsv1 16 KiB, as the FAQ's
	// "add a partition" flow needs.
	t1, err := tbl.WithCustom(partition.Reserve0, 0x3F3000, 0x4000)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := t1.WithCustom(partition.Reserve1, 0x3F7000, 0x4000)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := t2.Lookup(partition.Hilink)
	if d := cmp.Diff(partition.Entry{ID: 0x31, Offset: 0x3F7000, Size: 0x4000}, got); d != "" {
		t.Error(d)
	}
	if e, _ := tbl.Lookup(partition.Reserve0); e.Size != 0x8000 {
		t.Error("WithCustom modified its receiver")
	}
	if _, err := t1.WithCustom(partition.Reserve1, 0x3F6000, 0x4000); !errors.Is(err, partition.ErrOverlap) {
		t.Errorf("overlapping custom partition: %v, want ErrOverlap", err)
	}
	if _, err := tbl.WithCustom(partition.FotaData, 0x270000, 0x100000); !errors.Is(err, partition.ErrNotCustom) {
		t.Errorf("WithCustom(fota): %v, want ErrNotCustom", err)
	}
	// Cutting space out of fota data for a bigger rsv0 goes through With.
	t3, err := tbl.With(partition.FotaData, 0x270000, 0x17B000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := t3.WithCustom(partition.Reserve0, 0x3EB000, 0x10000); err != nil {
		t.Errorf("grow rsv0 after shrinking fota: %v", err)
	}
}

func TestCountMessage(t *testing.T) {
	err := partition.Table{}.Validate(partition.FlashSize)
	if want := "partition: wrong number of entries (0 entries, want 16)"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestAt(t *testing.T) {
	tbl := partition.Default(partition.LayoutCompress)
	for _, tc := range []struct {
		addr uint32
		want partition.ID
		ok   bool
	}{
		{0x0, partition.RootKey, true},
		{0x7FF, partition.RootKey, true},
		{0x800, 0, false}, // between the params blob and ssb
		{0x3F2FFF, partition.FotaData, true},
		{0x3F3000, partition.Reserve0, true}, // not the empty rsv1..rsv5 at the same offset
		{0x3FFFFF, partition.NVData, true},
		{0x400000, 0, false},
	} {
		e, ok := tbl.At(tc.addr)
		if ok != tc.ok || (ok && e.ID != tc.want) {
			t.Errorf("At(%#x) = %v %v, want %v %v", tc.addr, e.ID, ok, tc.want, tc.ok)
		}
	}
}

func TestIDNames(t *testing.T) {
	want := []string{"ssb", "flashboot", "flashboot-backup", "root-key", "customer-factory", "nv-backup", "nv", "crash-info",
		"imageA", "fota", "rsv0", "rsv1", "rsv2", "rsv3", "rsv4", "rsv5"}
	for i, id := range partition.KnownIDs {
		if got := id.String(); got != want[i] {
			t.Errorf("ID(0x%02x).String() = %q, want %q", uint8(id), got, want[i])
		}
		back, err := partition.ParseID(want[i])
		if err != nil || back != id {
			t.Errorf("ParseID(%q) = %v, %v", want[i], back, err)
		}
	}
	if got := partition.ImageB.Name(partition.LayoutAB); got != "imageB" {
		t.Errorf("ImageB.Name(ab) = %q", got)
	}
	if got := partition.ImageB.Name(partition.LayoutCompress); got != "fota" {
		t.Errorf("ImageB.Name(compress) = %q", got)
	}
	if got := partition.ID(0x7F).String(); got != "0x7f" {
		t.Errorf("unknown id String = %q", got)
	}
	for s, want := range map[string]partition.ID{"imageB": 0x21, "hilink": 0x31, "0x22": 0x22, "48": 0x30} {
		if got, err := partition.ParseID(s); err != nil || got != want {
			t.Errorf("ParseID(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := partition.ParseID("bogus"); err == nil {
		t.Error("ParseID(bogus) succeeded")
	}
}

func TestLayout(t *testing.T) {
	for _, l := range []partition.Layout{partition.LayoutCompress, partition.LayoutAB} {
		got, err := partition.ParseLayout(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLayout(%q) = %v, %v", l.String(), got, err)
		}
	}
	if _, err := partition.ParseLayout("double"); err == nil {
		t.Error("ParseLayout(double) succeeded")
	}
}
