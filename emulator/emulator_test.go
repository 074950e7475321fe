package emulator

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// seeded is a deterministic byte stream for test keys.
type seeded struct {
	seed string
	n    int
}

func (s *seeded) Read(p []byte) (int, error) {
	for i := range p {
		if s.n%32 == 0 {
			// refill
		}
		h := sha256.Sum256([]byte(s.seed + string(rune(s.n/32))))
		p[i] = h[s.n%32]
		s.n++
	}
	return len(p), nil
}

func key(t testing.TB, seed string) *image.PrivateKey {
	k, err := image.GenerateKey(&seeded{seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func synth(t testing.TB, kind image.Kind, ver string, size int) []byte {
	b, err := image.Synthetic(image.Ident{Kind: kind, Version: ver, Seed: uint64(len(ver)) * 7}, size, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUpgradeEndToEnd(t *testing.T) {
	root, sub := key(t, "root"), key(t, "sub")
	d, err := New(Config{RootKey: root})
	if err != nil {
		t.Fatal(err)
	}
	app1, app2 := synth(t, image.KindApp, "app-v1", 256<<10), synth(t, image.KindApp, "app-v2", 300<<10)
	fb1, fb2 := synth(t, image.KindFlashboot, "fb-v1", 60<<10), synth(t, image.KindFlashboot, "fb-v2", 60<<10)
	d.Name("app-v1", app1)
	d.Name("app-v2", app2)
	d.Name("fb-v1", fb1)
	d.Name("fb-v2", fb2)
	for _, b := range []struct {
		id   partition.ID
		data []byte
	}{{partition.ImageA, app1}, {partition.Flashboot, fb1}, {partition.FlashbootBackup, fb1}} {
		if err := d.Burn(b.id, b.data); err != nil {
			t.Fatal(err)
		}
	}
	if st := d.PowerOn(); st != Running || d.Running() != "app-v1" {
		t.Fatalf("power on: %v %q %s", st, d.Running(), d.Why())
	}
	pkg, err := upg.Pack(upg.PackOptions{Pkt: []string{"app", "boot"}, App: app2, Flashboot: fb2, RootKey: root, SubKey: sub, Ver: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	err, cut := d.Do(func(a *app.App) error { return a.Store(bytes.NewReader(pkg), uint32(len(pkg)), 4096) })
	if err != nil || cut {
		t.Fatalf("store: %v cut=%v", err, cut)
	}
	if err, cut := d.RequestUpgrade(true); err != nil || cut {
		t.Fatalf("request: %v %v", err, cut)
	}
	for _, e := range d.Trace() {
		if e.Kind != KindUART || testing.Verbose() {
			t.Log(e)
		}
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if v := d.Verdict("app-v1", "app-v2"); v != Upgraded {
		t.Fatalf("verdict %s, running %q (%s)", v, d.Running(), d.Why())
	}
}
