package emulator

import (
	"reflect"
	"slices"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
)

// survivingFields are the Device fields a power cut keeps (or that the
// emulator keeps as an observer); with volatileFields they must name
// every field, so that adding one forces a decision about power cuts.
var survivingFields = []string{"cfg", "Flash", "Efuse", "boot", "cpu", "extra", "names", "userVerify", "log", "hist"}

func TestCheckpointFields(t *testing.T) {
	typ := reflect.TypeOf(Device{})
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if !slices.Contains(volatileFields, name) && !slices.Contains(survivingFields, name) {
			t.Errorf("Device.%s is neither in volatileFields (fork.go: cleared by a power cut) nor in survivingFields (kept by Checkpoint): classify it", name)
		}
	}
	for _, n := range append(slices.Clone(volatileFields), survivingFields...) {
		if _, ok := typ.FieldByName(n); !ok {
			t.Errorf("%s is listed but Device has no such field", n)
		}
	}
}

// TestCheckpointResume: a device cut at an operation and one resumed from
// a checkpoint and snapshot taken just before it, torn the same way, boot
// to the same state, flash, clock and trace.
func TestCheckpointResume(t *testing.T) {
	build := func() *Device {
		d, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		app1 := synth(t, image.KindApp, "app-v1", 16<<10)
		fb1 := synth(t, image.KindFlashboot, "fb-v1", 8<<10)
		d.Name("app-v1", app1)
		for _, b := range []struct {
			id   partition.ID
			data []byte
		}{{partition.ImageA, app1}, {partition.Flashboot, fb1}, {partition.FlashbootBackup, fb1}} {
			if err := d.Burn(b.id, b.data); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	tear := flash.Tear{Kind: flash.TearPrefix, K: 100}
	// Break the primary flashboot so that the next boot runs the backup,
	// whose recovery copies itself over the primary: cut in that copy.
	cutDev := build()
	cutDev.PowerOn()
	if err := cutDev.Flash.EraseRange(0x20000, 0x1000); err != nil { // break the primary flashboot
		t.Fatal(err)
	}
	target := cutDev.Flash.OpCount() + 5 // inside recovery's copy
	var cp *Checkpoint
	var snap *flash.Snapshot
	var op flash.Op
	cutDev.Flash.SetHook(func(o flash.Op) {
		if o.Index == target {
			cp, snap, op = cutDev.Checkpoint(), cutDev.Flash.Snapshot(), o
			op.Data = slices.Clone(o.Data)
			cutDev.Flash.CutAt(o.Index, tear)
		}
	})
	cutDev.Reset()
	cutDev.Flash.SetHook(nil)
	if cutDev.State() != Off || cp == nil {
		t.Fatalf("the cut did not fire: state %v", cutDev.State())
	}
	f := flash.New()
	f.Restore(snap)
	f.ApplyTorn(op, tear)
	res := cp.Resume(f, cutDev.Efuse.Clone())
	if res.Boots() != cutDev.Boots() || res.Now() != cutDev.Now() || res.Flash.Hash() != cutDev.Flash.Hash() {
		t.Fatalf("after the cut: boots %d/%d, now %v/%v, same flash %v", res.Boots(), cutDev.Boots(), res.Now(), cutDev.Now(),
			res.Flash.Hash() == cutDev.Flash.Hash())
	}
	n := len(cutDev.Trace())
	cutDev.PowerOn()
	res.PowerOn()
	if cutDev.State() != res.State() || cutDev.Running() != res.Running() || cutDev.Now() != res.Now() || cutDev.Flash.Hash() != res.Flash.Hash() {
		t.Fatalf("after power-on: %v %q %v vs resumed %v %q %v", cutDev.State(), cutDev.Running(), cutDev.Now(), res.State(), res.Running(), res.Now())
	}
	a, b := cutDev.Trace()[n-1:], res.Trace()
	if len(a) != len(b) {
		t.Fatalf("trace after the cut: %d events, resumed %d", len(a), len(b))
	}
	for i := range a {
		a[i].Seq, b[i].Seq = 0, 0
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("event %d: %v, resumed %v", i, a[i], b[i])
		}
	}
}
