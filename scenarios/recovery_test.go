package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/emulator"
)

// TestParseModels parses the recovery-path settings and checks that the
// canonical text reads back to the same script.
func TestParseModels(t *testing.T) {
	src := `device layout=hilink sdk=1.10.101 flash-encryption=on rollback-burn=on image-map=hilink:none,0x5A87A52E:0x32,app:imageA seed=3
image a kind=app version=1 sdk=1.10.103 encrypted=on
image f kind=flashboot version=1 sdk=1.10.105
image h kind=hilink version=1 size=8K
image r file=x.bin sdk=1.10.101
package p images=a,h,f encrypt=on sign=sha256-ecc
expect efuse app-version=0x3|7
expect partition hilink=h|erased|other
expect partition flashboot=f(backup)
expect partition imageA=a(encrypted)
`
	s := parseString(t, src)
	var got []string
	for _, c := range s.Commands {
		got = append(got, c.String())
	}
	want := []string{
		"device layout=hilink seed=3 sdk=1.10.101 flash-encryption=on rollback-burn=on image-map=hilink:none,0x5a87a52e:0x32,app:0x20",
		"image a kind=app version=1 sdk=1.10.103 encrypted=on",
		"image f kind=flashboot version=1 sdk=1.10.105",
		"image h kind=hilink version=1 size=8192",
		"image r file=x.bin sdk=1.10.101",
		"package p images=a,h,f sign=sha256-ecc encrypt=on",
		"expect efuse app-version=0x3|7",
		"expect partition hilink=h|erased|other",
		"expect partition flashboot=f(backup)",
		"expect partition imageA=a(encrypted)",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("canonical text (-want +got):\n%s", d)
	}
	if s2 := parseString(t, s.String()); s2.String() != s.String() {
		t.Errorf("round trip:\n%s\nvs\n%s", s.String(), s2.String())
	}
	d := s.Commands[0].(*DeviceCmd)
	if !d.Hilink || d.SDK != "1.10.101" || !d.FlashEncryption || !d.RollbackBurn || len(d.ImageMap) != 3 || !d.ImageMap[0].None {
		t.Errorf("device models %+v", d.DeviceModels)
	}
}

func TestParseModelsErrors(t *testing.T) {
	const dev = "device layout=compress\n"
	for _, tc := range []struct{ name, src, msg string }{
		{"bad sdk", "device layout=compress sdk=1.10\n", `sdk="1.10"`},
		{"image-map item", "device layout=compress image-map=hilink\n", `want ID:PART`},
		{"image-map id", "device layout=compress image-map=foo:0x31\n", `is not app, flashboot, hilink or a number`},
		{"image-map part", "device layout=compress image-map=hilink:nowhere\n", `image-map item "hilink:nowhere"`},
		{"image-map twice", "device layout=compress image-map=hilink:0x31,0x5A87A52D:0x32\n", `given twice`},
		{"image-map nv", "device layout=compress image-map=0xCB9E063C:0x10\n", `NV image has no partition`},
		{"encrypted flashboot", dev + "image f kind=flashboot version=1 encrypted=on\n", `synthetic app images only`},
		{"encrypt bad", dev + "image a kind=app version=1\nimage f kind=flashboot version=1\npackage p images=a,f encrypt=yes\n", `encrypt="yes"`},
		{"efuse field", dev + "expect efuse root-key-hash=0\n", `at most 32 bits`},
		{"efuse value", dev + "expect efuse app-version=x\n", `want a number`},
		{"efuse form", dev + "expect efuse app-version\n", `takes one KEY=VALUE`},
		{"partition name", dev + "expect partition hilink=nothing\n", `want a declared image name`},
		{"partition id", dev + "expect partition nope=erased\n", `partition "nope"`},
	} {
		_, err := Parse("t.scn", strings.NewReader(tc.src))
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want a syntax error containing %q", tc.name, err, tc.msg)
		}
	}
}

// TestRunJSONBootState: the report's trace (ws63emu run --json) carries
// the boot state on every boot event.
func TestRunJSONBootState(t *testing.T) {
	rep, err := runString(t, `device layout=compress rollback-burn=on seed=5
image a kind=app version=1 size=16K version_ext=0x3
image f kind=flashboot version=1 size=8K version_ext=0x1
burn f a
power-on
reset
expect efuse app-version=0x3
expect efuse flashboot-version=1
`)
	if err != nil {
		t.Fatal(err)
	}
	var states []emulator.BootState
	for _, e := range rep.Trace {
		if e.State != nil {
			states = append(states, *e.State)
		}
	}
	want := []emulator.BootState{{}, {EfuseApp: 0x3, EfuseFlashboot: 0x1}}
	if d := cmp.Diff(want, states); d != "" {
		t.Errorf("boot states (-want +got):\n%s", d)
	}
}
