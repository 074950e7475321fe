package emulator

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/nv"
	"github.com/ws63emu/ws63emu/partition"
)

func TestNVLost(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := nv.Synthetic([]nv.Key{{ID: 0x7001, Value: []byte("home-ssid")}, {ID: 0x7002, Value: []byte("secret")}})
	if err != nil {
		t.Fatal(err)
	}
	if lost, why := d.NVLost(); lost {
		t.Fatalf("nothing registered, yet lost: %s", why)
	}
	d.ExpectNVKeys(map[uint16][]byte{0x7001: []byte("home-ssid")})
	if lost, _ := d.NVLost(); !lost {
		t.Error("a registered key on a blank NV partition is not lost")
	}
	if err := d.Burn(partition.NVData, img); err != nil {
		t.Fatal(err)
	}
	if lost, why := d.NVLost(); lost {
		t.Fatalf("intact store lost: %s", why)
	}
	// A device resumed after a cut keeps the registrations; registering
	// more on the original does not change the fork's.
	f := flash.New()
	f.Restore(d.Flash.Snapshot())
	fork := d.AfterCut(f, nil, d.Boots(), d.Clock())
	fork.Flash.PowerOn()
	d.ExpectNVKeys(map[uint16][]byte{0x7002: []byte("changed")})
	if lost, why := d.NVLost(); !lost || why != `key 0x7002 = "secret", the user wrote "changed"` {
		t.Errorf("NVLost = %v, %q", lost, why)
	}
	if lost, why := fork.NVLost(); lost {
		t.Errorf("fork: lost %s", why)
	}
	// A bit flip in the registered key's value: its CRC fails, the key is gone.
	e, _ := d.Table().Lookup(partition.NVData)
	if err := fork.Flash.FlipBit(e.Offset+nv.PageHeaderLen+nv.KeyHeaderLen+2, 1); err != nil {
		t.Fatal(err)
	}
	if lost, why := fork.NVLost(); !lost || why != "key 0x7001 missing" {
		t.Errorf("after a bit flip: %v, %q", lost, why)
	}
}

// TestInspectNVReference decodes the real NV stores as `flash inspect`
// shows them: nv.bin in the NV data partition, nv_factory.bin in the NV
// backup partition.
func TestInspectNVReference(t *testing.T) {
	for _, c := range []struct {
		file  string
		part  partition.ID
		store uint16
	}{{"device/nv.bin", partition.NVData, nv.StoreApp}, {"device/nv_factory.bin", partition.NVBackup, nv.StoreBackup}} {
		b := testutil.ReadReference(t, c.file)
		part := append(b, bytes.Repeat([]byte{0xFF}, 0x4000-len(b))...)
		r, err := InspectNV(part, c.part)
		if err != nil {
			t.Fatal(err)
		}
		if r.Store != c.store || len(r.Keys) != 97 || r.Valid != 97 || r.Invalid != 0 || r.Corrupt != 0 {
			t.Errorf("%s: store 0x%04x, %d keys, %d/%d/%d valid/invalid/corrupt", c.file, r.Store, len(r.Keys), r.Valid, r.Invalid, r.Corrupt)
		}
		if r.Free != 4+(0x1000-0x280) {
			t.Errorf("%s: %d bytes free, want %d", c.file, r.Free, 4+(0x1000-0x280))
		}
		states := []string{}
		for _, p := range r.Pages {
			states = append(states, p.State)
		}
		if diff := cmp.Diff([]string{"live", "live", "no header", "no header"}, states); diff != "" {
			t.Errorf("%s: pages (-want +got):\n%s", c.file, diff)
		}
		if k := r.Keys[2]; k.ID != 0x0003 || k.Attr != "permanent" || k.Value != "0x01" {
			t.Errorf("%s: third key %+v", c.file, k)
		}
	}
}
