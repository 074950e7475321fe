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
