package flash

// Peek copies len(p) bytes at addr into p as the array holds them now. Like
// Bytes it is not a device read: it works while off and costs no simulated
// time. It is how a mirror of the array (the SDK engine's shared mapping)
// follows the operations applied to it. A range past Size is clipped.
func (d *Device) Peek(addr uint32, p []byte) {
	if uint64(addr) >= Size {
		return
	}
	if rest := Size - uint64(addr); uint64(len(p)) > rest {
		p = p[:rest]
	}
	d.copyOut(p, addr)
}

// Quiet is how many of the next operations are sure to behave as plain NOR
// (program = AND, erase = 0xFF): no cut armed among them, no program
// failure or timeout, no bad or worn sector, powered on. An engine that mirrors the array may
// apply that many operations to its mirror itself and report them to the
// device afterwards, in order (the SDK engine does). A hook still sees
// every operation, in order, when it is reported; a hook that cuts the
// power then (replay) stops the engine there, and whatever the engine
// applied beyond the cut stays in its mirror only, which it discards. 0
// means none.
func (d *Device) Quiet() uint64 {
	if d.off || d.nbad > 0 || len(d.worn) > 0 {
		return 0
	}
	n := ^uint64(0)
	if d.cutArmed && d.cutAt >= d.ops {
		n = d.cutAt - d.ops
	}
	for k := range d.failProg {
		if k >= d.ops && k-d.ops < n {
			n = k - d.ops
		}
	}
	for k := range d.timeout {
		if k >= d.ops && k-d.ops < n {
			n = k - d.ops
		}
	}
	return n
}
