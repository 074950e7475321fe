package partition_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
