package flashtest_test

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

func TestPattern(t *testing.T) {
	a, b := flashtest.Pattern(1, 1001), flashtest.Pattern(1, 1001)
	if !bytes.Equal(a, b) || len(a) != 1001 {
		t.Fatal("Pattern not deterministic")
	}
	if bytes.Equal(a, flashtest.Pattern(2, 1001)) {
		t.Fatal("Pattern ignores seed")
	}
	if !bytes.Equal(flashtest.Pattern(1, 10), a[:10]) {
		t.Fatal("Pattern prefix differs")
	}
}

func TestDiffRanges(t *testing.T) {
	tests := []struct {
		name string
		a, b []byte
		want []flashtest.Range
		desc string
	}{
		{"equal", []byte{1, 2}, []byte{1, 2}, nil, "equal"},
		{"two ranges", []byte{1, 2, 3, 4, 5}, []byte{0, 0, 3, 0, 5}, []flashtest.Range{{0, 2}, {3, 4}},
			"2 differing ranges: 0x000000..0x000002, 0x000003..0x000004"},
		{"length", []byte{1}, []byte{1, 2, 3}, []flashtest.Range{{1, 3}}, "1 differing ranges: 0x000001..0x000003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, flashtest.DiffRanges(tt.a, tt.b)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := flashtest.Describe(tt.a, tt.b); got != tt.desc {
				t.Errorf("Describe = %q, want %q", got, tt.desc)
			}
		})
	}
}

func TestRecord(t *testing.T) {
	d := flash.New()
	r := flashtest.Record(d)
	buf := []byte{1, 2, 3}
	flashtest.MustProgram(t, d, 0xFF, buf)
	buf[0] = 9 // recorded Data is a private copy
	flashtest.MustErase(t, d, 0, flash.SectorSize)
	if len(r.Points) != 3 {
		t.Fatalf("%d points, want 3", len(r.Points))
	}
	if diff := cmp.Diff([]byte{1}, r.Points[0].Op.Data); diff != "" {
		t.Errorf("op 0 data (-want +got):\n%s", diff)
	}
	for i, p := range r.Points {
		if p.Before.OpCount() != uint64(i) || p.Op.Index != uint64(i) {
			t.Errorf("point %d: snapshot at op %d, op %d", i, p.Before.OpCount(), p.Op.Index)
		}
	}
	e := flash.New()
	e.Restore(r.Points[2].Before) // before the erase: programmed bytes present
	b := make([]byte, 3)
	e.Read(0xFF, b)
	if !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Errorf("snapshot before erase holds %v", b)
	}
	flashtest.Check(t, d)
}
