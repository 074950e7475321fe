package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/partition"
)

func parseString(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Parse("t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestParseCommands(t *testing.T) {
	src := `# a header comment
device layout=compress seed=7   # trailing comment
image app-v1 kind=app version=1.0 size=64K
image app-v2 kind=app version=2.0 size=0x20000 version_ext=0x1 seed=9
image fb-v2 kind=flashboot version=2
image nv kind=nv version=1 size=8KiB
image real file=app_v1-sign.bin
image real-nv file=nv.bin kind=nv
burn app-v1 real
package pkg images=app-v2,fb-v2,nv compress=app-v2 ver=1.2.3 sign=sha256
package up file=update.fwpkg
package raw images=app-v2,fb-v2 compress=none config=fota.cfg

power-on
user-verify reject code=ERRCODE_UPG_CHECK_FOTA_ERROR
store pkg chunk=1024
request-upgrade reset=false
cut op=3 tear=prefix:16
cut op=1 tear=bits
cut op=0x10
reset
fault bad-sector part=imageA off=0x1000
fault bad-sector addr=0x5000 mode=timeout
fault bad-sector addr=0x6000 mode=stuck
fault bitflip addr=0x3c0000 bit=7
fault program-fail op=0x10
fault timeout op=3
sweep-begin
sweep-end
expect running app-v1|none
expect verdict upgraded|kept-old
expect result RETRY_ALL_FAILED
expect error ERRCODE_SUCC
expect retries app-v2=0|finished
expect retries flashboot=3
expect state off
`
	s := parseString(t, src)
	want := []string{
		"device layout=compress seed=7",
		"image app-v1 kind=app version=1.0 size=65536",
		"image app-v2 kind=app version=2.0 size=131072 version_ext=0x1 seed=9",
		"image fb-v2 kind=flashboot version=2",
		"image nv kind=nv version=1 size=8192",
		"image real file=app_v1-sign.bin",
		"image real-nv file=nv.bin kind=nv",
		"burn app-v1 real",
		"package pkg images=app-v2,fb-v2,nv compress=app-v2 ver=1.2.3 sign=sha256",
		"package up file=update.fwpkg",
		"package raw images=app-v2,fb-v2 compress=none config=fota.cfg",
		"power-on",
		"user-verify reject code=ERRCODE_UPG_CHECK_FOTA_ERROR",
		"store pkg chunk=1024",
		"request-upgrade reset=false",
		"cut op=3 tear=prefix:16",
		"cut op=1 tear=bits",
		"cut op=16 tear=before",
		"reset",
		"fault bad-sector part=imageA off=0x1000",
		"fault bad-sector addr=0x5000 mode=timeout",
		"fault bad-sector addr=0x6000 mode=stuck",
		"fault bitflip addr=0x3c0000 bit=7",
		"fault program-fail op=16",
		"fault timeout op=3",
		"sweep-begin",
		"sweep-end",
		"expect running app-v1|none",
		"expect verdict upgraded|kept-old",
		"expect result RETRY_ALL_FAILED",
		"expect error ERRCODE_SUCC",
		"expect retries app-v2=0|finished",
		"expect retries flashboot=3",
		"expect state off",
	}
	var got []string
	for _, c := range s.Commands {
		got = append(got, c.String())
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("commands (-want +got):\n%s", d)
	}
	lines := []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14}
	for i, l := range lines {
		if s.Commands[i].LineNo() != l {
			t.Errorf("command %d (%s): line %d, want %d", i, s.Commands[i], s.Commands[i].LineNo(), l)
		}
	}

	// Typed fields.
	dev := s.Commands[0].(*DeviceCmd)
	if dev.Layout != partition.LayoutCompress || dev.Seed != 7 || dev.RootKey != "" || dev.SecureBoot {
		t.Errorf("device = %+v", dev)
	}
	cut := s.Commands[16].(*CutCmd)
	if cut.Tear.Kind != flash.TearBits || !cut.SeedFromScenario {
		t.Errorf("cut bits = %+v", cut)
	}
	if c := s.Commands[17].(*CutCmd); c.Op != 16 || c.Tear.Kind != flash.TearBefore {
		t.Errorf("cut op=0x10 = %+v", c)
	}
	f := s.Commands[19].(*FaultCmd)
	if !f.InPart || f.Part != partition.ImageA || f.Addr != 0x1000 {
		t.Errorf("fault = %+v", f)
	}
	ru := s.Commands[14].(*RequestUpgradeCmd)
	if ru.Reset {
		t.Errorf("request-upgrade reset=false parsed as %+v", ru)
	}
	raw := s.Commands[10].(*PackageCmd)
	if !raw.CompressSet || len(raw.Compress) != 0 {
		t.Errorf("compress=none = %+v", raw)
	}

	// The canonical form parses back to the same commands.
	s2 := parseString(t, s.String())
	if s2.String() != s.String() {
		t.Errorf("round trip:\n%s\nvs\n%s", s.String(), s2.String())
	}
}

func TestParseDefaults(t *testing.T) {
	s := parseString(t, "device layout=ab secure-boot=on root-key=none in-order-writes=true boot-budget=8\nrequest-upgrade\n")
	d := s.Commands[0].(*DeviceCmd)
	want := &DeviceCmd{line: line{1}, Layout: partition.LayoutAB, RootKey: "none", SecureBoot: true, InOrderWrites: true, BootBudget: 8}
	if diff := cmp.Diff(want, d, cmp.AllowUnexported(DeviceCmd{})); diff != "" {
		t.Errorf("device (-want +got):\n%s", diff)
	}
	if !s.Commands[1].(*RequestUpgradeCmd).Reset {
		t.Errorf("request-upgrade defaults to reset=true")
	}
}

func TestParseErrors(t *testing.T) {
	const dev = "device layout=compress\n"
	const img = dev + "image a kind=app version=1\nimage f kind=flashboot version=1\n"
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown command", dev + "frobnicate\n", 2, `unknown command "frobnicate"`},
		{"unknown key", dev + "power-on now=1\n", 2, `power-on: unknown key "now"`},
		{"positional on power-on", dev + "power-on now\n", 2, `power-on: unexpected argument "now"`},
		{"duplicate key", "device layout=ab layout=ab\n", 1, `device: layout= given twice`},
		{"no key", "device =ab\n", 1, `has no key`},
		{"missing layout", "device seed=1\n", 1, `device: layout= is required`},
		{"bad layout", "device layout=xyz\n", 1, `layout="xyz"`},
		{"bad seed", "device layout=ab seed=-1\n", 1, `seed="-1" is not an unsigned 64-bit number`},
		{"bad bool", "device layout=ab secure-boot=maybe\n", 1, `want on|off`},
		{"second device", dev + dev, 2, `a second device (the first is on line 1)`},
		{"before device", "power-on\n", 1, `power-on before the device command`},
		{"image no name", "image\n", 1, `image: needs a NAME`},
		{"image bad name", "image a,b kind=app version=1\n", 1, `bad name "a,b"`},
		{"image no kind", "image a version=1\n", 1, `kind= is required`},
		{"image bad kind", "image a kind=ssb version=1\n", 1, `kind="ssb"`},
		{"image no version", "image a kind=app\n", 1, `version= is required`},
		{"image long version", "image a kind=app version=" + strings.Repeat("v", 32) + "\n", 1, `longer than 31 bytes`},
		{"image size small", "image a kind=app version=1 size=10\n", 1, `size="10"`},
		{"image size huge", "image a kind=app version=1 size=5M\n", 1, `size="5M"`},
		{"image file and size", "image a file=x.bin size=10\n", 1, `unknown key "size"`},
		{"image redeclared", img + "image a kind=app version=2\n", 4, `"a" is already declared on line 2`},
		{"image empty value", "image a kind=app version=\n", 1, `version= is empty`},
		{"burn unknown", img + "burn b\n", 4, `unknown image "b"`},
		{"burn nothing", img + "burn\n", 4, `burn: needs 1 argument(s), got 0`},
		{"package unknown image", img + "package p images=a,b\n", 4, `unknown image "b"`},
		{"package no flashboot", img + "package p images=a\n", 4, `needs a flashboot image`},
		{"package two apps", img + "image a2 kind=app version=2\npackage p images=a,f,a2\n", 5, `"a" and "a2" are both app images`},
		{"package nv alone", img + "image n kind=nv version=1\npackage p images=f,n\n", 5, `NV image needs an app image`},
		{"package twice", img + "package p images=a,a\n", 4, `image "a" listed twice`},
		{"package backup", dev + "image b kind=flashboot-backup version=1\npackage p images=b\n", 3, `cannot go into a package`},
		{"package compress other", img + "package p images=a,f compress=c\n", 4, `compress: "c" is not one of images=`},
		{"package compress nv", img + "image n kind=nv version=1\npackage p images=a,f,n compress=n\n", 5, `NV image`},
		{"package long ver", img + "package p images=a,f ver=12345678901234567\n", 4, `longer than 16 characters`},
		{"package bad sign", img + "package p images=a,f sign=rsa\n", 4, `sign="rsa"`},
		{"package name clash", img + "package a images=a,f\n", 4, `"a" is already declared on line 2`},
		{"store unknown", img + "store p\n", 4, `unknown package "p"`},
		{"store chunk 0", img + "package p images=a,f\nstore p chunk=0\n", 5, `chunk=0: want 1..65535`},
		{"store chunk big", img + "package p images=a,f\nstore p chunk=65536\n", 5, `chunk=65536`},
		{"cut op 0", dev + "cut op=0\n", 2, `op="0"`},
		{"cut no op", dev + "cut\n", 2, `op= is required`},
		{"cut bad tear", dev + "cut op=1 tear=half\n", 2, `tear="half"`},
		{"fault kind", dev + "fault melt addr=0\n", 2, `unknown fault "melt"`},
		{"fault nowhere", dev + "fault bad-sector\n", 2, `needs addr=A or part=P`},
		{"fault both", dev + "fault bad-sector addr=0 part=fota\n", 2, `not both`},
		{"fault beyond", dev + "fault bad-sector addr=0x400000\n", 2, `beyond`},
		{"fault bad part", dev + "fault bad-sector part=attic\n", 2, `part="attic"`},
		{"fault bit", dev + "fault bitflip addr=0 bit=8\n", 2, `bit=8: want 0..7`},
		{"fault bit on bad-sector", dev + "fault bad-sector addr=0 bit=1\n", 2, `unknown key "bit"`},
		{"program-fail no op", dev + "fault program-fail\n", 2, `op= is required`},
		{"bad-sector mode", dev + "fault bad-sector addr=0 mode=melt\n", 2, `mode="melt": want stuck or timeout`},
		{"mode on bitflip", dev + "fault bitflip addr=0 mode=timeout\n", 2, `unknown key "mode"`},
		{"timeout no op", dev + "fault timeout\n", 2, `op= is required`},
		{"timeout addr", dev + "fault timeout op=1 addr=0\n", 2, `unknown key "addr"`},
		{"program-fail op 0", dev + "fault program-fail op=0\n", 2, `op="0": want a flash operation number ≥ 1`},
		{"program-fail addr", dev + "fault program-fail op=1 addr=0\n", 2, `unknown key "addr"`},
		{"user-verify", dev + "user-verify maybe\n", 2, `needs accept, reject or off`},
		{"user-verify code", dev + "user-verify reject code=ERRCODE_SUCC\n", 2, `code="ERRCODE_SUCC"`},
		{"user-verify accept code", dev + "user-verify accept code=ERRCODE_FAIL\n", 2, `unknown key "code"`},
		{"expect nothing", dev + "expect\n", 2, `needs what to check`},
		{"expect what", dev + "expect weather sunny\n", 2, `unknown expectation`},
		{"expect verdict", dev + "expect verdict fine\n", 2, `verdict "fine": want one of upgraded`},
		{"expect result", dev + "expect result retry_all_failed\n", 2, `result "retry_all_failed"`},
		{"expect error", dev + "expect error ERRCODE_NOPE\n", 2, `error "ERRCODE_NOPE"`},
		{"expect state", dev + "expect state asleep\n", 2, `state "asleep"`},
		{"expect two values", dev + "expect state off running\n", 2, `unexpected argument "running"`},
		{"expect retries unknown", dev + "expect retries foo=1\n", 2, `"foo" is neither a declared image`},
		{"expect retries 4", dev + "expect retries app=4\n", 2, `want 0..3 consumed attempts`},
		{"expect retries two", dev + "expect retries app=1 flashboot=1\n", 2, `retries takes one NAME=N`},
		{"sweep end first", dev + "sweep-end\n", 2, `sweep-end without sweep-begin`},
		{"sweep nested", dev + "sweep-begin\nsweep-begin\n", 3, `nested sweep`},
		{"sweep twice", dev + "sweep-begin\nsweep-end\nsweep-begin\n", 4, `a second sweep`},
		{"sweep open", dev + "sweep-begin\npower-on\n", 2, `sweep-begin without sweep-end`},
		{"long line", dev + "# " + strings.Repeat("x", MaxLineLen) + "\n", 2, `longer than 4096 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.scn", strings.NewReader(tt.src))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("errors.Is(err, ErrSyntax) = false")
			}
			if se.File != "t.scn" || se.Line != tt.line {
				t.Errorf("at %s:%d, want t.scn:%d (%v)", se.File, se.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "t.scn:") {
				t.Errorf("err = %q does not start with FILE:LINE", err)
			}
		})
	}
}

func TestParseTooLong(t *testing.T) {
	_, err := Parse("big.scn", strings.NewReader(strings.Repeat("\n", MaxFileLen+1)))
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("err = %v", err)
	}
}

// TestFaultPartName: a fault names partition 0x21 as the device's table
// does, whichever name the script used.
func TestFaultPartName(t *testing.T) {
	for _, tc := range []struct{ layout, part, want string }{
		{"ab", "fota", "fault bitflip part=imageB off=0x10 bit=3"},
		{"ab", "imageB", "fault bitflip part=imageB off=0x10 bit=3"},
		{"compress", "imageB", "fault bitflip part=fota off=0x10 bit=3"},
		{"hilink", "0x21", "fault bitflip part=fota off=0x10 bit=3"},
		{"ab", "imageA", "fault bitflip part=imageA off=0x10 bit=3"},
	} {
		s := parseString(t, "device layout="+tc.layout+"\nfault bitflip part="+tc.part+" off=0x10 bit=3\n")
		if got := s.Commands[1].String(); got != tc.want {
			t.Errorf("%s, part=%s: %q, want %q", tc.layout, tc.part, got, tc.want)
		}
	}
}
