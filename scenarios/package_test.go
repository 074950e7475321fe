package scenarios

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/upg"
)

// TestPackageSettings packs with the settings that reach what
// build_upg_pkg.py can make, stores and applies the packages, and checks
// their bytes.
func TestPackageSettings(t *testing.T) {
	long := strings.Repeat("L", upg.UserAreaLen)
	src := `device layout=compress seed=5
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image app-v3 kind=app version=3 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image fb-v2 kind=flashboot version=2 size=8K
package given images=fb-v2,app-v2 order=given sign=sha256 ver=` + long + ` hardware-id=77
package noboot images=app-v3 add-flashboot=off sign=sha256 ver=版本2.0β
burn fb-v1 app-v1
power-on
store given
request-upgrade
expect running app-v2
expect verdict upgraded
store noboot
request-upgrade
expect running app-v3
expect verdict upgraded
`
	s, err := Parse("t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(s, Options{})
	if rep, err := r.Run(); err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}
	read := func(name string) *upg.Package {
		t.Helper()
		b := r.packages[name].data
		p, err := upg.ReadPackage(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ids := func(p *upg.Package) []uint32 {
		var ids []uint32
		for _, h := range p.Headers {
			ids = append(ids, h.ImageID)
		}
		return ids
	}
	g := read("given")
	if d := cmp.Diff([]uint32{upg.ImageIDFlashboot, upg.ImageIDApp}, ids(g)); d != "" {
		t.Errorf("order=given: image order (-want +got)\n%s", d)
	}
	if g.Version() != long || g.Info.HardwareID != 77 {
		t.Errorf("order=given: version %q, hardware_id %d", g.Version(), g.Info.HardwareID)
	}
	if r.packages["given"].app != "app-v2" {
		t.Errorf("order=given: the package's app is %q, want app-v2", r.packages["given"].app)
	}
	n := read("noboot")
	if d := cmp.Diff([]uint32{upg.ImageIDApp}, ids(n)); d != "" {
		t.Errorf("add-flashboot=off: images (-want +got)\n%s", d)
	}
	if n.Info.User != upg.UserArea("版本2.0β") || n.Version() != "版本" {
		t.Errorf("non-ASCII ver: user area %q", bytes.TrimRight(n.Info.User[:], "\x00"))
	}
}

// TestPackageExtraSections packs images under res_index, res_data and a
// custom section of config=.
func TestPackageExtraSections(t *testing.T) {
	cfgText := `[FOTA_KEY_AREA]
ImageId=0xCB8D154E
StructVersion=0x00010000
KeyOwnerId=0
KeyId=0
KeyAlg=0x2A13C867
KeyVersion=0x0
KeyVersionMask=0x0
Msid=0x0
MsidMask=0x0

[FOTA_INFO_AREA]
ImageId=0xCB8D154E
StructVersion=0x00010000
Version=0x0
VersionMask=0x0
Msid=0x0
MsidMask=0x0
HardwareID=0
`
	section := func(name string, id uint32, flag uint32) string {
		return "\n[" + name + "]\nHeaderMagic=0x464F5451\nImageId=" + hex32(id) + "\nDecompressFlag=" + hex32(flag) +
			"\nReRncFlag=0x0\nRootKeyType=0x0\nversion_ext=0x0\nversion_mask=0x0\n"
	}
	cfgText += section("application", upg.ImageIDApp, upg.FlagLZMA) + section("flashboot", upg.ImageIDFlashboot, upg.FlagLZMA) +
		section("res_index", upg.ImageIDResIndex, 0) + section("res_data", upg.ImageIDResData, upg.FlagLZMA) + section("my_blob", 0x12345678, 0)
	dir := t.TempDir()
	cfgPath := dir + "/extra.cfg"
	if err := writeFile(cfgPath, cfgText); err != nil {
		t.Fatal(err)
	}
	src := `device layout=compress seed=5
image app-v1 kind=app version=1 size=16K
image app-v2 kind=app version=2 size=16K
image fb-v1 kind=flashboot version=1 size=8K
image idx kind=nv version=1 size=4K
image data kind=nv version=2 size=8K
image blob kind=nv version=3 size=4K
package res images=data,app-v2,blob,idx order=given sections=data:res_data,blob:my_blob,idx:res_index config=` + cfgPath + `
burn fb-v1 app-v1
power-on
store res
expect error ERRCODE_SUCC
`
	s, err := Parse(dir+"/t.scn", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(s, Options{})
	if rep, err := r.Run(); err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}
	b := r.packages["res"].data
	p, err := upg.ReadPackage(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range p.Headers {
		got = append(got, upg.ImageName(h.ImageID))
	}
	if d := cmp.Diff([]string{"res_data", "application", "0x12345678", "res_index"}, got); d != "" {
		t.Errorf("images (-want +got)\n%s", d)
	}
	if !p.Headers[0].Compressed() || p.Headers[3].Compressed() {
		t.Errorf("DecompressFlag not taken from the sections: %+v", p.Headers)
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

// TestPackagedAppReadsOnlyTheHead: a package file= is named from its app's
// signed header alone, without decompressing the app (flashboot does that
// when it applies the package). Damage after the header does not change
// the answer; damage in the header does.
func TestPackagedAppReadsOnlyTheHead(t *testing.T) {
	s, err := Parse("t.scn", strings.NewReader(smallUpgrade))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(s, Options{})
	if rep, err := r.Run(); err != nil {
		t.Fatalf("%v\n%s", err, golden(rep))
	}
	good := r.packages["up"].data
	if got := r.packagedApp(good); got != "app-v2" {
		t.Fatalf("packagedApp = %q, want app-v2", got)
	}
	p, err := upg.ReadPackage(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	h := p.Headers[p.ImageIndex(upg.ImageIDApp)]
	if !h.Compressed() {
		t.Fatal("the app is not compressed")
	}
	// The stream's tail: a full decode would fail.
	tail := bytes.Clone(good)
	end := int(h.ImageOffset + h.ImageLen)
	for i := end - 64; i < end; i++ {
		tail[i] ^= 0xA5
	}
	if got := r.packagedApp(tail); got != "app-v2" {
		t.Errorf("damage at the end of the app payload: packagedApp = %q, want app-v2", got)
	}
	// The first stream bytes hold the image header.
	head := bytes.Clone(good)
	head[h.ImageOffset+upg.LZMAHeaderLen+8] ^= 0xFF
	if got := r.packagedApp(head); got == "app-v2" {
		t.Errorf("damage in the app header: still named app-v2")
	}
}
