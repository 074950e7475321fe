package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/partition"
)

// TestParamsJSONErrors: a bad param_sector json stops the script at the
// device line with one line naming the file and the JSON field.
func TestParamsJSONErrors(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "param_sector_custom.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, json, field string
		want              error
	}{
		{"overlap", strings.Replace(string(good), `"0x003D3000", "0x00008000"`, `"0x003D2000", "0x00008000"`, 1), "Partition_Tbl.param_info[9] and [10]", partition.ErrOverlap},
		{"misaligned", strings.Replace(string(good), `"0x003DB000", "0x00020000"`, `"0x003DB800", "0x00020000"`, 1), "Partition_Tbl.param_info[15]", partition.ErrMisaligned},
		{"id collides", strings.Replace(string(good), `["0x36"`, `["0x30"`, 1), "Partition_Tbl.param_info[10] and [15]", partition.ErrDuplicate},
		{"image id", strings.Replace(string(good), `"0x4B87A54B"`, `"0x4B87A54C"`, 1), "Partition_Tbl.image_id", partition.ErrInit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.json"), []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Parse(filepath.Join(dir, "t.scn"), strings.NewReader("device layout=compress params=p.json\npower-on\n"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(s, Options{})
			var ce *CommandError
			if !errors.As(err, &ce) || ce.Line != 1 || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want a *CommandError on line 1 wrapping %v", err, tc.want)
			}
			if msg := err.Error(); !strings.Contains(msg, "p.json") || !strings.Contains(msg, tc.field) || strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line naming p.json and %s", msg, tc.field)
			}
		})
	}
}

func TestBuildSettingsParse(t *testing.T) {
	for _, tc := range []struct{ src, msg string }{
		{"device layout=compress\nimage a kind=app version=1\nab-upgrade a\n", "the app is not built for AB"},
		{"device layout=ab app-scheme=compress\nimage a kind=app version=1\nab-upgrade a\n", "the app is not built for AB"},
		{"device layout=hilink params=x.json\n", "params= and layout=hilink"},
		{"device layout=compress flash=f.bin params=x.json\n", "params= and flash="},
		{"device layout=compress app-scheme=both\n", `app-scheme="both"`},
		{"device layout=compress\nimage a kind=app version=1\nimage b kind=app version=1\nburn a b part=rsv0\n", "part= burns one image"},
		{"device layout=compress\nimage a kind=app version=1\nburn a part=nowhere\n", `part="nowhere"`},
		{"device layout=compress\nimage a kind=app version=1\nab-read a region=B\n", "no upg_ab_image_read"},
		{"device layout=ab\nimage a kind=app version=1\nab-read a region=C\n", `region="C"`},
		{"device layout=ab\nimage a kind=app version=1\nab-read b region=A\n", `unknown image "b"`},
		{"device layout=ab\nexpect result-index -1\n", "unsigned 32-bit"},
	} {
		_, err := Parse("t.scn", strings.NewReader(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.src, err, tc.msg)
		}
	}
	// The mismatch, said so, parses, and round-trips through String.
	src := "device layout=compress seed=0 app-scheme=ab flashboot-scheme=compress\nimage a kind=app version=1\nab-upgrade a\n"
	s, err := Parse("t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("t.scn", strings.NewReader(s.String()))
	if err != nil || back.String() != s.String() {
		t.Errorf("round trip: %v\n%s\nvs\n%s", err, s, back)
	}
}

// TestPackageConfigRefused: a fota.cfg asking for what the SDK documents
// as impossible stops the script at the package's first use, naming the
// config's line.
func TestPackageConfigRefused(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "fota_encrypted_app.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"encrypted flashboot", "ImageId=0x4B1E3C2D\nDecompressFlag=0x3C7896E1\nReRncFlag=0x0", "ImageId=0x4B1E3C2D\nDecompressFlag=0x3C7896E1\nReRncFlag=0x3C7896E1",
			"c.cfg:35: [flashboot] ReRncFlag = 0x3C7896E1: only the application image can be encrypted"},
		{"RSA suite", "\nSignSuite=1\n", "\nSignSuite=30\n", "c.cfg:7: SignSuite = 30 (RSA 4096) is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := strings.Replace(string(good), tc.from, tc.to, 1)
			if bad == string(good) {
				t.Fatal("the replacement did not apply")
			}
			if err := os.WriteFile(filepath.Join(dir, "c.cfg"), []byte(bad), 0o644); err != nil {
				t.Fatal(err)
			}
			src := "device layout=compress\nimage a kind=app version=1 size=4K\nimage f kind=flashboot version=1 size=4K\npackage p images=a,f config=c.cfg\nburn f a\npower-on\nstore p\n"
			s, err := Parse(filepath.Join(dir, "t.scn"), strings.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(s, Options{})
			var ce *CommandError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a *CommandError containing %q", err, tc.want)
			}
		})
	}
}

// TestSweepCustomTable: a power-cut sweep over a store and the upgrade on
// a table from json: every point ends with the old or the new app, and
// the customer partition is never touched.
func TestSweepCustomTable(t *testing.T) {
	src := `device layout=compress params=param_sector_custom.json seed=16
image app-v1 kind=app version=1 size=8K
image app-v2 kind=app version=2 size=8K
image fb-v1 kind=flashboot version=1 size=4K
image fb-v2 kind=flashboot version=2 size=4K
image calib kind=hilink version=calib size=4K
burn fb-v1 app-v1
burn calib part=rsv0
package pkg images=app-v2,fb-v2 sign=sha256
power-on
sweep-begin
store pkg chunk=0x800
request-upgrade
sweep-end
expect running app-v1|app-v2
expect partition rsv0=calib
`
	s, err := Parse(filepath.Join("testdata", "sweep-custom.scn"), strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(s, SweepOptions{Stride: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() || rep.Ops < 50 {
		t.Errorf("sweep: passed %v over %d ops; failed: %v", rep.Passed(), rep.Ops, rep.Failed())
	}
}
