package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/nv"
)

func TestParseNV(t *testing.T) {
	src := `device layout=compress
image nv1 kind=nv version=1
nv-set 0x100=home-ssid 257=0x00ff
nv-set non-upgrade permanent 0x0102=Text
expect nv 0x100=home-ssid|none
expect nv 0x0101=0x00ff
expect nv-task upgraded|given-up
`
	s, err := Parse("t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	set := s.Commands[2].(*NVSetCmd)
	want := &NVSetCmd{line: line{3}, Keys: []NVValue{{0x100, []byte("home-ssid")}, {0x101, []byte{0, 0xFF}}}}
	if diff := cmp.Diff(want, set, cmp.AllowUnexported(NVSetCmd{})); diff != "" {
		t.Errorf("nv-set (-want +got):\n%s", diff)
	}
	if set2 := s.Commands[3].(*NVSetCmd); set2.Attr != nv.NonUpgrade|nv.Permanent || string(set2.Keys[0].Value) != "Text" {
		t.Errorf("nv-set: attributes %v, value %q", set2.Attr, set2.Keys[0].Value)
	}
	wantText := []string{
		"device layout=compress seed=0",
		"image nv1 kind=nv version=1",
		"nv-set 0x0100=home-ssid 0x0101=0x00ff",
		"nv-set non-upgrade permanent 0x0102=Text",
		"expect nv 0x100=home-ssid|none",
		"expect nv 0x0101=0x00ff",
		"expect nv-task upgraded|given-up",
	}
	if diff := cmp.Diff(strings.Join(wantText, "\n")+"\n", s.String()); diff != "" {
		t.Errorf("canonical form (-want +got):\n%s", diff)
	}
}

func TestParseNVErrors(t *testing.T) {
	const dev = "device layout=compress\n"
	for _, c := range []struct{ src, msg string }{
		{dev + "nv-set\n", "needs KEY=VALUE"},
		{dev + "nv-set sticky 1=a\n", `"sticky": want non-upgrade, permanent or KEY=VALUE`},
		{dev + "nv-set 0x10000=a\n", `key "0x10000": want a 16-bit key id`},
		{dev + "nv-set 1=0x\n", "want 0x and an even number of hex digits"},
		{dev + "nv-set 1=0xabc\n", "want 0x and an even number of hex digits"},
		{dev + "nv-set 1=a 0x1=b\n", "key 0x0001 given twice"},
		{dev + "nv-set 1=" + strings.Repeat("a", nv.MaxValueLen+1) + "\n", "at most 4060"},
		{"nv-set 1=a\n", "nv-set before the device command"},
		{dev + "expect nv 1=a 2=b\n", "nv takes one KEY=VALUE"},
		{dev + "expect nv x=a\n", `key "x"`},
		{dev + "expect nv 1=0xz\n", "want 0x and an even number"},
		{dev + "expect nv-task done\n", "want one of not-needed, upgraded"},
	} {
		_, err := Parse("t.scn", strings.NewReader(c.src))
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: %v, want a syntax error containing %q", c.src, err, c.msg)
		}
	}
}

func TestFormatNVValue(t *testing.T) {
	for v, want := range map[string]string{
		"home-ssid":    "home-ssid",
		"a b":          "0x612062",
		"0xab":         "0x30786162", // text starting 0x is written as hex
		"a|b":          "0x617c62",
		"\x00\x01":     "0x0001",
		"caf\u00e9":    "0x636166c3a9",
		"x=y#z":        "x=y#z",
		"nv-1.0.0":     "nv-1.0.0",
		"calib-1.0.0 ": "0x63616c69622d312e302e3020",
	} {
		got := formatNVValue([]byte(v))
		if got != want {
			t.Errorf("formatNVValue(%q) = %q, want %q", v, got, want)
		}
		back, err := parseNVValue(got)
		if err != nil || string(back) != v {
			t.Errorf("parseNVValue(%q) = %q, %v", got, back, err)
		}
	}
}
