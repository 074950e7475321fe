package emulator

import (
	"bytes"
	"testing"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// TestABDevice runs the guide's AB flow on an AB device through the
// emulator's API: the run region, the 500 ms upg_reboot, and the verdicts
// upgraded and fell-back.
func TestABDevice(t *testing.T) {
	d, err := New(Config{Layout: partition.LayoutAB})
	if err != nil {
		t.Fatal(err)
	}
	app1, app2 := synth(t, image.KindApp, "app-v1", 16<<10), synth(t, image.KindApp, "app-v2", 16<<10)
	fb := synth(t, image.KindFlashboot, "fb-v1", 8<<10)
	d.Name("app-v1", app1)
	d.Name("app-v2", app2)
	for _, b := range []struct {
		id   partition.ID
		data []byte
	}{{partition.ImageA, app1}, {partition.Flashboot, fb}, {partition.FlashbootBackup, fb}} {
		if err := d.Burn(b.id, b.data); err != nil {
			t.Fatal(err)
		}
	}
	if r, ok := d.RunRegion(); ok {
		t.Errorf("RunRegion %v before power-on", r)
	}
	if st := d.PowerOn(); st != Running {
		t.Fatalf("power on: %v %s", st, d.Why())
	}
	if r, ok := d.RunRegion(); !ok || r != upg.RegionA || d.Running() != "app-v1" {
		t.Fatalf("region %v %v running %q", r, ok, d.Running())
	}
	upgrade := func(img []byte) {
		t.Helper()
		err, cut := d.Do(func(a *app.App) error {
			_, err := a.ABUpgrade(bytes.NewReader(img), uint32(len(img)), 4096)
			return err
		})
		if err != nil || cut {
			t.Fatalf("ab upgrade: %v cut=%v", err, cut)
		}
	}
	upgrade(app2)
	before := d.Now()
	d.Reboot()
	if r, _ := d.RunRegion(); r != upg.RegionB || d.Verdict("app-v1", "app-v2") != Upgraded {
		t.Errorf("after reboot: region %v, verdict %v", r, d.Verdict("app-v1", "app-v2"))
	}
	if el := d.Now() - before; el < resetDelay {
		t.Errorf("reboot took %v, want at least the SDK's %v", el, resetDelay)
	}

	// A corrupt image written to A: three failures, then back to B.
	bad := bytes.Clone(app1)
	bad[image.HeaderLen+1] ^= 1
	upgrade(bad)
	d.Reboot()
	if r, _ := d.RunRegion(); r != upg.RegionB || d.Verdict("app-v2", "app-v1") != FellBack {
		t.Errorf("after a bad image: region %v running %q verdict %v", r, d.Running(), d.Verdict("app-v2", "app-v1"))
	}
	// The next settle boots B directly: no fallback any more.
	d.Reset()
	if v := d.Verdict("app-v2", "app-v1"); v != KeptOld {
		t.Errorf("next settle: verdict %v, want kept-old", v)
	}

	// A compressed-layout device is not an AB build.
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c.Burn(partition.ImageA, app1)
	c.Burn(partition.Flashboot, fb)
	c.PowerOn()
	if _, ok := c.RunRegion(); ok || c.State() != Running {
		t.Errorf("compressed device: RunRegion ok=%v state %v", ok, c.State())
	}
}
