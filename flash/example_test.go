package flash_test

import (
	"bytes"
	"fmt"

	"github.com/ws63emu/ws63emu/flash"
)

// A power-cut sweep without replay: snapshot the device in the hook before
// every op, then for each op restore its snapshot and tear it.
func Example_sweep() {
	type point struct {
		before *flash.Snapshot
		op     flash.Op
	}
	d := flash.New()
	var points []point
	d.SetHook(func(op flash.Op) {
		op.Data = append([]byte(nil), op.Data...) // Data is only valid during the call
		points = append(points, point{d.Snapshot(), op})
	})
	d.SetPhase("write")
	d.Erase(0x1000)
	d.Program(0x10F0, []byte("hello, flash: 32 bytes of data.."))
	d.SetHook(nil)

	for _, p := range points {
		d.Restore(p.before)
		d.ApplyTorn(p.op, flash.Tear{Kind: flash.TearPrefix, K: 4})
		d.PowerOn()
		b := make([]byte, 20)
		d.Read(0x10F0, b)
		fmt.Printf("%v, prefix:4 -> %s\n", p.op, bytes.ReplaceAll(b, []byte{0xFF}, []byte("."))) // . = erased
	}
	// Output:
	// op 0 erase 0x001000+4096 (write), prefix:4 -> ....................
	// op 1 program 0x0010f0+16 (write), prefix:4 -> hell................
	// op 2 program 0x001100+16 (write), prefix:4 -> hello, flash: 32 byt
}
