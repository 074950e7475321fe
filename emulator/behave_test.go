package emulator

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// rawDevice manufactures a device with table tab, burns app-v1 and
// fb-v1, boots, and stores and requests a package of raw (uncompressed)
// app-v2 and fb-v2, hash-only signed.
func rawDevice(t *testing.T, tab partition.Table, app2Size int) *Device {
	t.Helper()
	d, err := New(Config{Table: &tab})
	if err != nil {
		t.Fatal(err)
	}
	app1, app2 := synth(t, image.KindApp, "app-v1", 8<<10), synth(t, image.KindApp, "app-v2", app2Size)
	fb1, fb2 := synth(t, image.KindFlashboot, "fb-v1", 8<<10), synth(t, image.KindFlashboot, "fb-v2", 8<<10)
	for name, b := range map[string][]byte{"app-v1": app1, "app-v2": app2, "fb-v1": fb1, "fb-v2": fb2} {
		d.Name(name, b)
	}
	for _, b := range []struct {
		id   partition.ID
		data []byte
	}{{partition.ImageA, app1}, {partition.Flashboot, fb1}, {partition.FlashbootBackup, fb1}} {
		if err := d.Burn(b.id, b.data); err != nil {
			t.Fatal(err)
		}
	}
	if st := d.PowerOn(); st != Running {
		t.Fatalf("power on: %v %s", st, d.Why())
	}
	cfg := upg.DefaultConfig(upg.SignSHA256)
	cfg.Image(upg.SectionApplication).DecompressFlag = 0
	cfg.Image(upg.SectionFlashboot).DecompressFlag = 0
	pkg, err := upg.Pack(upg.PackOptions{Config: cfg, App: app2, Flashboot: fb2})
	if err != nil {
		t.Fatal(err)
	}
	if err, cut := d.Do(func(a *app.App) error { return a.Store(bytes.NewReader(pkg), uint32(len(pkg)), 4096) }); err != nil || cut {
		t.Fatalf("store: %v cut=%v", err, cut)
	}
	if err, cut := d.RequestUpgrade(true); err != nil || cut {
		t.Fatalf("request: %v %v", err, cut)
	}
	return d
}

// TestRawImageTooBigDestroysApp: docs/sdk-mapping.md §4.3 — the raw app image's task
// erases the whole of imageA before it finds the image does not fit, so
// the old app is gone after the first attempt: three attempts, then
// RETRY_ALL_FAILED, then an app that fails verification and try-fix-app
// re-applying the same package, which cannot fit either: brick.
func TestRawImageTooBigDestroysApp(t *testing.T) {
	tab := partition.Default(partition.LayoutCompress)
	for i, e := range tab.Entries {
		if e.ID == partition.ImageA {
			tab.Entries[i].Size = 0x8000 // 32 KiB: app-v1 fits, app-v2 (40 KiB) does not
		}
	}
	d := rawDevice(t, tab, 40<<10)
	var trace strings.Builder
	for _, e := range d.Trace() {
		trace.WriteString(e.Msg + "\n")
	}
	for _, want := range []string{
		"uapi_upg_start returned ERRCODE_FAIL",
		"app verification failed",
		"Try fota fix app.",
	} {
		if !strings.Contains(trace.String(), want) {
			t.Errorf("the trace never says %q", want)
		}
	}
	if v := d.Verdict("app-v1", "app-v2"); v != Brick {
		t.Errorf("verdict %s, want brick (state %v: %s)", v, d.State(), d.Why())
	}
}

// TestFalseSuccessVerdict: docs/sdk-mapping.md §3.7 (c), §4.2 step 1 — a device whose
// flag area records UPDATE_SUCCESS while its app partition holds the old
// app is false-success; with the package's app in place it is upgraded.
func TestFalseSuccessVerdict(t *testing.T) {
	d := rawDevice(t, partition.Default(partition.LayoutCompress), 16<<10)
	if v := d.Verdict("app-v1", "app-v2"); v != Upgraded {
		t.Fatalf("a good raw upgrade: verdict %s", v)
	}
	if _, ok := d.FalseSuccess(); ok {
		t.Fatal("FalseSuccess after a good upgrade")
	}
	// Put the old app back (as if the app image had never been written)
	// and keep the flag area's UPDATE_SUCCESS.
	app1 := synth(t, image.KindApp, "app-v1", 8<<10)
	if err := d.Burn(partition.ImageA, app1); err != nil {
		t.Fatal(err)
	}
	d.Reset()
	if d.Running() != "app-v1" {
		t.Fatalf("running %q", d.Running())
	}
	why, ok := d.FalseSuccess()
	if !ok || !strings.Contains(why, "imageA") {
		t.Fatalf("FalseSuccess = %q, %v: want the app image not installed", why, ok)
	}
	if v := d.Verdict("app-v1", "app-v2"); v != FalseSuccess {
		t.Errorf("verdict %s, want false-success", v)
	}
}
