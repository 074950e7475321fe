package partition_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
)

func TestParseJSONErrors(t *testing.T) {
	good := `{"Partition_Tbl":{"image_id":"0x4B87A54B","stru_ver":"0x00010000","version":"0x0",` +
		`"param_info":[["0x20","0x00030000","0x1000"],["21","270000","0X1000"]]}}`
	tbl, err := partition.ParseJSON(strings.NewReader(good), "t.json")
	if err != nil {
		t.Fatal(err)
	}
	want := partition.Table{ImageID: 0x4B87A54B, StructVersion: 0x10000, Entries: []partition.Entry{
		{ID: 0x20, Offset: 0x30000, Size: 0x1000}, {ID: 0x21, Offset: 0x270000, Size: 0x1000}}}
	if d := cmp.Diff(want, tbl); d != "" {
		t.Error(d)
	}
	for _, tc := range []struct{ name, doc, wantMsg string }{
		{"syntax", `{`, "my.json"},
		{"no table", `{}`, "no Partition_Tbl"},
		{"no image id", `{"Partition_Tbl":{"stru_ver":"0x1","version":"0"}}`, "Partition_Tbl.image_id missing"},
		{"bad hex", `{"Partition_Tbl":{"image_id":"0xZZ","stru_ver":"0x1","version":"0"}}`, "Partition_Tbl.image_id: bad 32-bit hex"},
		{"empty hex", `{"Partition_Tbl":{"image_id":"0x","stru_ver":"0x1","version":"0"}}`, "image_id"},
		{"short row", `{"Partition_Tbl":{"image_id":"1","stru_ver":"0x1","version":"0","param_info":[["0x20","0x0"]]}}`, "param_info[0]: 2 fields"},
		{"id too big", `{"Partition_Tbl":{"image_id":"1","stru_ver":"0x1","version":"0","param_info":[["0x120","0x0","0x0"]]}}`, "param_info[0][0]: bad 8-bit hex"},
		{"size too big", `{"Partition_Tbl":{"image_id":"1","stru_ver":"0x1","version":"0","param_info":[["0x20","0x0","0x100000000"]]}}`, "param_info[0][2]"},
		{"too many", `{"Partition_Tbl":{"image_id":"1","stru_ver":"0x1","version":"0","param_info":[` +
			strings.Repeat(`["1","0","0"],`, partition.MaxItems) + `["1","0","0"]]}}`, "at most 112"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := partition.ParseJSON(strings.NewReader(tc.doc), "my.json")
			if !errors.Is(err, partition.ErrJSON) {
				t.Fatalf("err = %v, want ErrJSON", err)
			}
			if !strings.Contains(err.Error(), "my.json") || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to name my.json and contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestParseJSONTooLarge(t *testing.T) {
	_, err := partition.ParseJSON(strings.NewReader(strings.Repeat(" ", 1<<20+1)), "big.json")
	if !errors.Is(err, partition.ErrJSON) {
		t.Fatalf("err = %v, want ErrJSON", err)
	}
}

// TestLoadJSONMatchesRealTable: the SDK's default json, packed, is byte for
// byte the table at 0x380 of the real params blob.
func TestLoadJSONMatchesRealTable(t *testing.T) {
	blob := testutil.ReadReference(t, "device/partition_params.bin")
	if len(blob) < partition.TableOffset+partition.TableLen {
		t.Fatalf("partition_params.bin is %d bytes", len(blob))
	}
	for _, name := range []string{"sdk/param_sector.json", "sdk/param_sector_compress.json"} {
		tbl, err := partition.LoadJSONFile(testutil.Reference(t, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := tbl.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if want := blob[partition.TableOffset : partition.TableOffset+partition.TableLen]; !bytes.Equal(got, want) {
			t.Errorf("%s packs to a table that differs from partition_params.bin at 0x380", name)
		}
	}
	// The AB json validates too (its bytes are not in the real blob).
	if _, err := partition.LoadJSONFile(testutil.Reference(t, "sdk/param_sector_double.json")); err != nil {
		t.Error(err)
	}
}

func TestLoadJSONCustom(t *testing.T) {
	tbl, err := partition.LoadJSONFile(filepath.Join("testdata", "param_sector_custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[partition.ID]partition.Entry{
		partition.ImageA:   {ID: 0x20, Offset: 0x30000, Size: 0x220000},
		partition.FotaData: {ID: 0x21, Offset: 0x250000, Size: 0x183000},
		0x30:               {ID: 0x30, Offset: 0x3D3000, Size: 0x28000},
		0x36:               {ID: 0x36, Offset: 0x3D3000},
	} {
		if got, err := tbl.Lookup(id); err != nil || got != want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v", id, got, err, want)
		}
	}
}

// customJSON is testdata/param_sector_custom.json with one param_info row
// (index i) replaced, or the image_id replaced when i < 0.
func customJSON(t *testing.T, i int, row string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "param_sector_custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	n := -1
	for k, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), `["`) {
			n++
			if n == i {
				comma := ","
				if !strings.HasSuffix(strings.TrimSpace(l), ",") {
					comma = ""
				}
				lines[k] = "         " + row + comma
			}
		}
		if i < 0 && strings.Contains(l, `"image_id"`) {
			lines[k] = `      "image_id" : "` + row + `",`
		}
	}
	return strings.Join(lines, "\n")
}

func TestLoadJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		doc       string
		want      error
		wantField string
	}{
		{"image id", customJSON(t, -1, "0x4B87A54C"), partition.ErrInit, "Partition_Tbl.image_id: "},
		{"overlap", customJSON(t, 10, `["0x30", "0x003D2000", "0x00029000"]`), partition.ErrOverlap, "Partition_Tbl.param_info[9] and [10]: "},
		{"misaligned", customJSON(t, 10, `["0x30", "0x003D3800", "0x00027000"]`), partition.ErrMisaligned, "Partition_Tbl.param_info[10]: "},
		{"size misaligned", customJSON(t, 8, `["0x20", "0x00030000", "0x0021F800"]`), partition.ErrMisaligned, "Partition_Tbl.param_info[8]: "},
		{"id collides", customJSON(t, 15, `["0x30", "0x003D3000", "0x00000000"]`), partition.ErrDuplicate, "Partition_Tbl.param_info[10] and [15]: "},
		{"fixed id replaced", customJSON(t, 4, `["0x37", "0x00008000", "0x00004000"]`), partition.ErrMissing, "Partition_Tbl.param_info: "},
		{"id out of range", customJSON(t, 15, `["0x22", "0x003D3000", "0x00000000"]`), partition.ErrUnknownID, "Partition_Tbl.param_info[15]: "},
		{"outside flash", customJSON(t, 10, `["0x30", "0x003FF000", "0x00002000"]`), partition.ErrOutsideFlash, "Partition_Tbl.param_info[10]: "},
		{"17 items", customJSON(t, 15, `["0x36", "0x003D3000", "0x00000000"], ["0x37", "0x003D3000", "0x00000000"]`), partition.ErrCount, "Partition_Tbl.param_info: wrong number of entries (17 items, want 16: the guide allows at most 16"},
		{"15 items", strings.Replace(customJSON(t, 14, `["0x34", "0x003D3000", "0x00000000"]`), `,
         ["0x36", "0x003D3000", "0x00000000"]`, "", 1), partition.ErrCount, "Partition_Tbl.param_info: wrong number of entries (15 items, want 16: uapi_partition_init refuses"},
		{"number not string", strings.Replace(customJSON(t, 0, `["0x00", "0x00002000", "0x00006000"]`), `"0x00002000"`, `8192`, 1), partition.ErrJSON, "field Partition_Tbl.param_info"},
		{"syntax", `{"Partition_Tbl": [`, partition.ErrJSON, "custom.json: offset "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := partition.LoadJSON(strings.NewReader(tc.doc), "custom.json")
			if !errors.Is(err, tc.want) || !errors.Is(err, partition.ErrJSON) {
				t.Fatalf("err = %v, want %v and ErrJSON", err, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, "custom.json") || !strings.Contains(msg, tc.wantField) || strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line naming custom.json and %q", msg, tc.wantField)
			}
		})
	}
}

func FuzzLoadJSON(f *testing.F) {
	for _, name := range []string{"param_sector_custom.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{"Partition_Tbl":{"image_id":"0x4B87A54B","stru_ver":"1","version":"0","param_info":[["1","2"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tbl partition.Table
		var err error
		if n := allocated(func() { tbl, err = partition.LoadJSON(bytes.NewReader(data), "f.json") }); n > 64*uint64(len(data))+maxAlloc {
			t.Fatalf("LoadJSON allocated %d bytes for %d input bytes", n, len(data))
		}
		if err != nil {
			if !errors.Is(err, partition.ErrJSON) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want a one-line ErrJSON", err)
			}
			return
		}
		if err := tbl.Validate(partition.FlashSize); err != nil {
			t.Fatalf("LoadJSON accepted a table Validate refuses: %v", err)
		}
		if _, err := tbl.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}
