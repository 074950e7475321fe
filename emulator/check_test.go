package emulator

import "testing"

func TestCheck(t *testing.T) {
	d, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Fatalf("fresh device: %v", err)
	}
	d.PowerOn() // nothing burned: ssb finds no flashboot
	if d.State() != NoBoot {
		t.Fatalf("state %v, want no-boot", d.State())
	}
	if err := d.Check(); err != nil {
		t.Fatalf("no-boot device: %v", err)
	}
	for name, broken := range map[string]func(*Device){
		"running without an app": func(d *Device) { d.state = Running },
		"stuck with an app name": func(d *Device) { d.state, d.appName = Stuck, "app-v1" },
		"flag write left open":   func(d *Device) { d.phaseAfterFlag = "store" },
	} {
		c := *d
		broken(&c)
		if err := c.Check(); err == nil {
			t.Errorf("%s: Check passed", name)
		}
	}
}
