package upg

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What the SDK packer (build_upg_pkg.py) can make beyond the wrapper
// build_ws63_update.py's defaults: one test per item.

// extraSectionsCfg is the SDK's hash-only config with res_index, res_data
// and a custom section added, as a user's fota.cfg would add them.
const extraSectionsCfg = minimalCfg + `
[flashboot]
HeaderMagic=0x464F5451
ImageId=0x4B1E3C2D
DecompressFlag=0x3C7896E1
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x00000000
version_mask=0x00000000

[res_index]
HeaderMagic=0x464F5451
ImageId=0xCB9E0826
DecompressFlag=0x0
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x0
version_mask=0x0

[res_data]
HeaderMagic=0x464F5451
ImageId=0xCB9E0832
DecompressFlag=0x3C7896E1
ReRncFlag=0x0
RootKeyType=0x0
version_ext=0x0
version_mask=0x0

[my_blob]
HeaderMagic=0x464F5451
ImageId=0x12345678
DecompressFlag=0x0
ReRncFlag=0x0
RootKeyType=0x1
version_ext=0x5
version_mask=0x7
`

func packRead(t *testing.T, o PackOptions) *Package {
	t.Helper()
	b, err := Pack(o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadPackage(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&Verifier{}).VerifyFile(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("the package does not verify: %v", err)
	}
	return p
}

func imageIDs(p *Package) []uint32 {
	var ids []uint32
	for _, h := range p.Headers {
		ids = append(ids, h.ImageID)
	}
	return ids
}

func TestPackNoFlashboot(t *testing.T) {
	app := readTestdata(t, "app.bin")
	p := packRead(t, PackOptions{Config: DefaultConfig(SignSHA256), App: app, NoFlashboot: true})
	if diff := cmp.Diff([]uint32{ImageIDApp}, imageIDs(p)); diff != "" {
		t.Errorf("NoFlashboot: (-want +got)\n%s", diff)
	}
	// boot named in Pkt is still packed.
	p = packRead(t, PackOptions{Config: DefaultConfig(SignSHA256), Pkt: []string{"app", "boot"}, App: app,
		Flashboot: readTestdata(t, "flashboot.bin"), NoFlashboot: true})
	if diff := cmp.Diff([]uint32{ImageIDApp, ImageIDFlashboot}, imageIDs(p)); diff != "" {
		t.Errorf("NoFlashboot with boot in Pkt: (-want +got)\n%s", diff)
	}
	// The wrapper's default still adds it.
	if _, err := Pack(PackOptions{Config: DefaultConfig(SignSHA256), App: app}); !errors.Is(err, ErrPkt) {
		t.Errorf("without NoFlashboot and without a flashboot input: %v, want ErrPkt", err)
	}
}

func TestPackLongVersion(t *testing.T) {
	app := readTestdata(t, "app.bin")
	base := PackOptions{Config: DefaultConfig(SignSHA256), App: app, NoFlashboot: true}
	long := strings.Repeat("v", UserAreaLen)
	o := base
	o.Ver = long
	if _, err := Pack(o); !errors.Is(err, ErrVersionTooLong) {
		t.Errorf("112 characters without LongVer: %v, want ErrVersionTooLong", err)
	}
	o.LongVer = true
	p := packRead(t, o)
	if p.Version() != long {
		t.Errorf("LongVer: version %q, want %q", p.Version(), long)
	}
	o.Ver = long + "v"
	if _, err := Pack(o); !errors.Is(err, ErrVersionTooLong) {
		t.Errorf("113 characters with LongVer: %v, want ErrVersionTooLong", err)
	}
	// Images (the packer itself) allows the user area's length too.
	p = packRead(t, PackOptions{Config: DefaultConfig(SignSHA256), Images: []PackImage{{SectionApplication, app}}, Ver: long})
	if p.Version() != long {
		t.Errorf("Images: version %q", p.Version())
	}
}

func TestPackImageOrderAndSections(t *testing.T) {
	cfg, err := parseCfgText(extraSectionsCfg)
	if err != nil {
		t.Fatal(err)
	}
	app, boot := readTestdata(t, "app.bin"), readTestdata(t, "flashboot.bin")
	idx := bytes.Repeat([]byte("index "), 100)
	data := bytes.Repeat([]byte("resource data "), 500)
	blob := []byte("a custom section's bytes")
	o := PackOptions{Config: cfg, AnyVersionExt: true, Images: []PackImage{
		{"my_blob", blob}, {SectionFlashboot, boot}, {SectionResData, data}, {SectionApplication, app}, {SectionResIndex, idx},
	}}
	p := packRead(t, o)
	if diff := cmp.Diff([]uint32{0x12345678, ImageIDFlashboot, ImageIDResData, ImageIDApp, ImageIDResIndex}, imageIDs(p)); diff != "" {
		t.Errorf("image order: (-want +got)\n%s", diff)
	}
	b, _ := Pack(o)
	for i, in := range o.Images {
		h := p.Headers[i]
		ic := cfg.Image(in.Section)
		if h.DecompressFlag != ic.DecompressFlag || h.RootKeyType != ic.RootKeyType || h.VersionExt != ic.VersionExt || h.VersionMask != ic.VersionMask {
			t.Errorf("[%s] header %+v does not carry the section's fields %+v", in.Section, h, ic)
		}
		stored := b[h.ImageOffset : h.ImageOffset+h.ImageLen]
		if h.Compressed() {
			got, err := decodeAll(t, stored, h.NewImageLen)
			if err != nil || !bytes.Equal(got, in.Data) {
				t.Errorf("[%s] does not decode to its input: %v", in.Section, err)
			}
		} else if !bytes.Equal(stored[:len(in.Data)], in.Data) {
			t.Errorf("[%s] stored data differs from its input", in.Section)
		}
	}

	for _, tc := range []struct {
		name   string
		images []PackImage
		want   error
	}{
		{"res_data without res_index", []PackImage{{SectionApplication, app}, {SectionResData, data}}, ErrResDataWithoutIndex},
		{"nv without application", []PackImage{{SectionFlashboot, boot}, {SectionNV, blob}}, ErrNVWithoutApp},
		{"section not in the config", []PackImage{{"other", blob}}, ErrPkt},
		{"section twice", []PackImage{{SectionApplication, app}, {SectionApplication, app}}, ErrImageID},
		{"empty input", []PackImage{{SectionApplication, nil}}, ErrPkt},
		{"empty list", []PackImage{}, ErrPkt},
	} {
		o := PackOptions{Config: cfg, AnyVersionExt: true, Images: tc.images}
		if _, err := Pack(o); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	o = PackOptions{Config: cfg, Images: []PackImage{{SectionApplication, app}}, Pkt: []string{"app"}}
	if _, err := Pack(o); !errors.Is(err, ErrPkt) {
		t.Errorf("Images with Pkt: %v, want ErrPkt", err)
	}
}

func TestPackAnyVersionExt(t *testing.T) {
	cfg := DefaultConfig(SignSHA256)
	cfg.Image(SectionApplication).VersionExt = 0x5
	o := PackOptions{Config: cfg, App: readTestdata(t, "app.bin"), NoFlashboot: true}
	if _, err := Pack(o); !errors.Is(err, ErrVersionExt) {
		t.Errorf("version_ext 0x5: %v, want ErrVersionExt", err)
	}
	o.AnyVersionExt = true
	if p := packRead(t, o); p.Headers[0].VersionExt != 0x5 {
		t.Errorf("AnyVersionExt: version_ext 0x%X, want 0x5 as given", p.Headers[0].VersionExt)
	}
}

func TestPackHardwareID(t *testing.T) {
	cfg := DefaultConfig(SignSHA256)
	cfg.InfoArea.HardwareID = 7
	o := PackOptions{Config: cfg, App: readTestdata(t, "app.bin"), NoFlashboot: true}
	if p := packRead(t, o); p.Info.HardwareID != 7 {
		t.Errorf("config HardwareID: %d, want 7", p.Info.HardwareID)
	}
	id := uint32(0xDEADBEEF)
	o.HardwareID = &id
	if p := packRead(t, o); p.Info.HardwareID != id {
		t.Errorf("HardwareID override: 0x%X, want 0x%X", p.Info.HardwareID, id)
	}
}

// TestPackNonASCIIVersion: the SDK writes as many bytes of the version as
// it has characters.
func TestPackNonASCIIVersion(t *testing.T) {
	for _, tc := range []struct {
		ver  string
		want string
	}{
		{"1.2.3", "1.2.3"},
		{"版本2.0β", "版本"}, // 6 characters, 11 bytes: the first 6 bytes
		{"é", "\xc3"},
		{strings.Repeat("é", 9), strings.Repeat("é", 4) + "\xc3"},
		{"", ""},
	} {
		var want [UserAreaLen]byte
		copy(want[:], tc.want)
		if got := UserArea(tc.ver); got != want {
			t.Errorf("UserArea(%q) = %q, want %q", tc.ver, bytes.TrimRight(got[:], "\x00"), tc.want)
		}
		p := packRead(t, PackOptions{Config: DefaultConfig(SignSHA256), App: readTestdata(t, "app.bin"), NoFlashboot: true, Ver: tc.ver})
		if p.Info.User != want {
			t.Errorf("Pack(Ver %q): user area %q, want %q", tc.ver, bytes.TrimRight(p.Info.User[:], "\x00"), tc.want)
		}
	}
	// The limit counts characters: 16 é (32 bytes) pass the wrapper's rule, 17 do not.
	o := PackOptions{Config: DefaultConfig(SignSHA256), App: readTestdata(t, "app.bin"), NoFlashboot: true, Ver: strings.Repeat("é", 16)}
	if _, err := Pack(o); err != nil {
		t.Errorf("16 é: %v", err)
	}
	o.Ver += "é"
	if _, err := Pack(o); !errors.Is(err, ErrVersionTooLong) {
		t.Errorf("17 é: %v, want ErrVersionTooLong", err)
	}
}
