package emulator

import (
	"testing"

	"github.com/ws63emu/ws63emu/partition"
)

func TestBuiltAB(t *testing.T) {
	for _, tc := range []struct {
		layout        partition.Layout
		fb, app       Scheme
		wantFB, wantA bool
	}{
		{partition.LayoutCompress, SchemeLayout, SchemeLayout, false, false},
		{partition.LayoutAB, SchemeLayout, SchemeLayout, true, true},
		{partition.LayoutAB, SchemeCompress, SchemeLayout, false, true},
		{partition.LayoutAB, SchemeLayout, SchemeCompress, true, false},
		{partition.LayoutCompress, SchemeLayout, SchemeAB, false, true},
		{partition.LayoutCompress, SchemeAB, SchemeAB, true, true},
	} {
		d, err := New(Config{Layout: tc.layout, FlashbootScheme: tc.fb, AppScheme: tc.app})
		if err != nil {
			t.Fatal(err)
		}
		if d.BuiltAB(ProgFlashboot) != tc.wantFB || d.BuiltAB(ProgApp) != tc.wantA {
			t.Errorf("%s fb=%s app=%s: BuiltAB = %v/%v, want %v/%v", tc.layout, tc.fb, tc.app,
				d.BuiltAB(ProgFlashboot), d.BuiltAB(ProgApp), tc.wantFB, tc.wantA)
		}
		if got := d.upgOptions(ProgApp).AB; got != tc.wantA {
			t.Errorf("app library AB = %v, want %v", got, tc.wantA)
		}
		if got := d.upgOptions(ProgFlashboot).AB; got != tc.wantFB {
			t.Errorf("flashboot library AB = %v, want %v", got, tc.wantFB)
		}
	}
	for _, s := range []string{"ab", "compress"} {
		if v, err := ParseScheme(s); err != nil || v.String() != s {
			t.Errorf("ParseScheme(%q) = %v, %v", s, v, err)
		}
	}
	if _, err := ParseScheme("layout"); err == nil {
		t.Error("ParseScheme(layout) succeeded")
	}
}
