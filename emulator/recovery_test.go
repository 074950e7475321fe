package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

func synthExt(t testing.TB, kind image.Kind, ver string, ext uint32) []byte {
	b, err := image.Synthetic(image.Ident{Kind: kind, Version: ver, VersionExt: ext, Seed: 5}, 8192, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBootStateInTrace checks that every boot event carries the retention
// register and the efuse anti-rollback words, in the message and in JSON.
func TestBootStateInTrace(t *testing.T) {
	d, err := New(Config{Models: Models{RollbackBurn: true}}) // the burning model, off by default
	if err != nil {
		t.Fatal(err)
	}
	d.Efuse.BurnU32(efuse.AppVersion, 0x3)
	d.Burn(partition.Flashboot, synthExt(t, image.KindFlashboot, "fb", 1))
	d.Burn(partition.FlashbootBackup, synthExt(t, image.KindFlashboot, "fb", 1))
	d.Burn(partition.ImageA, synthExt(t, image.KindApp, "app", 0x7))
	if st := d.PowerOn(); st != Running {
		t.Fatalf("power on: %v %s", st, d.Why())
	}
	var boots []Event
	for _, e := range d.Trace() {
		if e.Kind == KindBoot && strings.HasPrefix(e.Msg, "boot #") {
			boots = append(boots, e)
		}
	}
	if len(boots) != 1 || boots[0].State == nil {
		t.Fatalf("boot events %+v", boots)
	}
	want := BootState{EfuseApp: 0x3}
	if *boots[0].State != want || !strings.Contains(boots[0].Msg, "[0x40000008=0x00000000] efuse app-version=0x00000003 flashboot-version=0x00") {
		t.Errorf("boot state %+v, msg %q", *boots[0].State, boots[0].Msg)
	}
	js, _ := json.Marshal(boots[0])
	if !strings.Contains(string(js), `"state":{"reg_0x40000008":0,"fix_count":0,"reset_count":0,"efuse_app_version":3,"efuse_flashboot_version":0}`) {
		t.Errorf("json %s", js)
	}
	// The model burned forward: ssb the flashboot word, flashboot the app's.
	if v, _ := d.Efuse.ReadU32(efuse.AppVersion); v != 0x7 {
		t.Errorf("efuse app-version 0x%x, want 0x7", v)
	}
	if v, _ := d.Efuse.ReadU32(efuse.FlashbootVersion); v != 0x1 {
		t.Errorf("efuse flashboot-version 0x%x, want 0x1", v)
	}
	for _, e := range d.Trace() {
		if e.State != nil && !strings.HasPrefix(e.Msg, "boot #") {
			t.Errorf("a non-boot event carries a state: %v", e)
		}
	}
}

// TestRollbackVerdict: with secure boot off the anti-rollback check is
// skipped, so a downgrade boots; the verdict says rollback.
func TestRollbackVerdict(t *testing.T) {
	for _, noBurn := range []bool{false, true} {
		d, err := New(Config{Models: Models{RollbackBurn: !noBurn}})
		if err != nil {
			t.Fatal(err)
		}
		fb := synthExt(t, image.KindFlashboot, "fb", 0)
		d.Burn(partition.Flashboot, fb)
		d.Burn(partition.FlashbootBackup, fb)
		v3, v1 := synthExt(t, image.KindApp, "v3", 0x7), synthExt(t, image.KindApp, "v1", 0x1)
		d.Name("v3", v3)
		d.Name("v1", v1)
		d.Burn(partition.ImageA, v3)
		d.PowerOn()
		if v := d.Verdict("v3", ""); v != KeptOld {
			t.Fatalf("noBurn=%v: verdict %v before the downgrade", noBurn, v)
		}
		pkg, err := upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(upg.SignSHA256), App: v1, Flashboot: fb})
		if err != nil {
			t.Fatal(err)
		}
		if err, _ := d.Do(func(a *app.App) error { return a.Store(bytes.NewReader(pkg), uint32(len(pkg)), 0) }); err != nil {
			t.Fatal(err)
		}
		if err, _ := d.RequestUpgrade(true); err != nil {
			t.Fatal(err)
		}
		if d.Running() != "v1" {
			t.Fatalf("noBurn=%v: running %q", noBurn, d.Running())
		}
		if v := d.Verdict("v3", "v1"); v != Rollback {
			t.Errorf("noBurn=%v: verdict %v, want rollback", noBurn, v)
		}
	}
}

func TestModelsValidate(t *testing.T) {
	if _, err := New(Config{Models: Models{SDK: "1.10"}}); !errors.Is(err, upg.ErrSDKVersion) {
		t.Errorf("bad SDK: %v", err)
	}
	k := [upg.FlashKeyLen]byte{1, 2}
	d, err := New(Config{Models: Models{FlashKey: &k, SDK: "1.10.101"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Efuse.Read(efuse.AESKey); !bytes.Equal(got, k[:]) {
		t.Errorf("efuse aes-key %x", got)
	}
	if p := d.verifyPolicy(ProgApp); p != upg.PolicyKeyAlg {
		t.Errorf("policy of an SDK 1.10.101 device: %v", p)
	}
}
