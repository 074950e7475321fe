package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
)

// OpRecord is one flash operation as `ws63emu run --ops` and `replay
// --ops` write it: one JSON object per line (docs/ops-format.md). The
// field names and meanings are a stable format.
type OpRecord struct {
	Index  uint64 `json:"index"`            // the operation's number since the device was made (replay tokens use it)
	Boot   int    `json:"boot"`             // boots since manufacture when it was issued (0: factory and burn)
	Kind   string `json:"kind"`             // "program" or "erase"
	Addr   uint32 `json:"addr"`             // flash offset
	Len    uint32 `json:"len"`              // bytes programmed (1..64), or the erase block size (4096, 32768, 65536)
	SHA256 string `json:"sha256,omitempty"` // program: SHA-256 of the bytes sent, hex; absent for an erase
	Phase  string `json:"phase"`            // the phase label current when it was issued
}

// recordOp makes the record of op on device d.
func recordOp(d *emulator.Device, op flash.Op) OpRecord {
	r := OpRecord{Index: op.Index, Boot: d.Boots(), Kind: op.Kind.String(), Addr: op.Addr, Len: op.Len, Phase: op.Phase}
	if op.Kind == flash.OpProgram {
		sum := sha256.Sum256(op.Data)
		r.SHA256 = hex.EncodeToString(sum[:])
	}
	return r
}

// tapOps writes every flash operation of d to w, one JSON line each.
// Write errors are left to w (the CLI's writer keeps the first).
func tapOps(d *emulator.Device, w io.Writer) {
	enc := json.NewEncoder(w)
	d.Flash.SetTap(func(op flash.Op) {
		_ = enc.Encode(recordOp(d, op))
	})
}
