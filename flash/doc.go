// Package flash simulates the WS63's 4 MiB SPI NOR flash chip, with the
// fault injection, operation log, simulated time and copy-on-write
// snapshots that power-cut sweeps need.
//
// # Geometry
//
// Size (4 MiB) bytes, NumSectors (1024) sectors of SectorSize (4 KiB), pages
// of PageSize (256 B), as the GD25Q32 on the WS63 module. A new device is
// all 0xFF (erased).
//
// # NOR contract
//
//   - Program ANDs: new = old AND data. It can only clear bits (1→0);
//     programming 0xFF changes nothing, programming over data that is not
//     erased gives the AND of both. Any byte alignment is allowed.
//   - A block erase sets one whole, aligned block of 4, 32 or 64 KiB
//     (EraseBlock; Erase is the 4 KiB one) to 0xFF and adds one to the
//     erase counter (EraseCount) of each sector in it. It is the only way
//     bits go 0→1.
//   - Reads (Read, ReadAt) return the current contents and are never cut
//     points.
//
// # Operations and cut points
//
// An operation ("op") is one command the chip receives, as the WS63's SFC
// driver sends them: one block erase (EraseBlock), or one program command
// of at most MaxProgram (64) bytes within a page. A Program of at most 64
// bytes within a page is one op; a longer Program is split as the SFC HAL
// splits a write (hal_sfc_v150.c: up to the next 64-byte boundary, then 64
// bytes at a time); EraseRange issues the SFC driver's greedy plan
// (64 KiB, 32 KiB or 4 KiB blocks by size and alignment, GreedyBlock). The
// driver's own layer above the chip — 4-byte read-modify-writes at
// unaligned ends, parameter checks — is package sfc; the device programs
// use that, never the chip directly. Each op gets the next Index from the
// op counter (OpCount), which counts every op issued since New, including
// ops that fail. A multi-op call stops at the first op that fails and
// returns its error; the ops before it stay applied.
//
// Argument errors (ErrOutOfRange, ErrMisaligned) are detected before the
// first op of a call: no op is counted, the hook is not called, nothing
// changes. A zero-length Program or EraseRange issues no op.
//
// Every issued op, in this order: is passed to the hook (SetHook) with the
// device still in its pre-op state (OpCount() == op.Index); increments the
// op counter; is appended to the log when logging is on; and is then cut
// (armed CutAt), refused by a fault (bad sector, FailProgramAt, TimeoutAt), or applied
// (and then, on a worn sector, left with its stuck bits).
//
// # Power cuts and tear models
//
// CutAt(n, t) arms a cut at the op with Index n. That op is applied as torn
// by t (see Tear: before, after, prefix:K, bits), returns ErrPowerOff, and
// the device is off: every further op and read returns ErrPowerOff and
// changes nothing, and issues no op (the counter stays at n+1). A torn op
// that a fault refuses changes nothing whatever the tear. For TearBits the
// randomness is a PCG seeded with (Tear.Seed ^ op.Index, TearStream): a run
// is reproduced byte for byte by the same seed. A torn block erase leaves,
// by tear model: before — the block unchanged; after — the block erased;
// prefix:K — the first K bytes of the block erased, the rest unchanged;
// bits — a seeded random subset of the block's 0 bits raised to 1, drawn
// over the whole block, so that the block is neither its old contents nor
// erased (when it held at least two 0 bits). An erase torn by anything but
// "before" counts one erase cycle on every sector of the block. A torn op
// costs its full simulated time unless torn "before".
//
// ApplyTorn applies a given op as torn, directly, for sweeps that restore a
// snapshot instead of replaying: its result is bit-identical to the CutAt
// path. PowerOn brings the device back with its contents; CutNow cuts
// without tearing anything.
//
// # Other faults
//
// Named for what they are on real NOR (worn.go, docs/sdk-mapping.md §3.5: the SFC layer
// reports only a not-ready timeout, never a program or erase failure):
//
//   - SetWornSector (the realistic bad sector): program and erase ops on the
//     sector succeed but leave WornStuckBits seeded stuck bits at their
//     stuck values; only a later hash check notices.
//   - SetBadSector (the driver's timeout): erase and program ops touching
//     the sector (a block erase touches all of its sectors) are counted but return ErrBadSector and change nothing.
//   - TimeoutAt(n): the op with Index n, erase or program, returns
//     ErrTimeout and changes nothing; FailProgramAt(n) is the same for a
//     program op only (ErrProgramFailed). Every returned fault wraps
//     ErrTimeout, which the update library reports as
//     ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY (0x80001344).
//   - FlipBit flips one stored bit at once (a disturb error); it is not an
//     op.
//
// # Simulated time
//
// Typical figures of the GD25Q32C datasheet's AC characteristics (Timing,
// DefaultTiming): 4 KiB sector erase tSE 50 ms, 32 KiB block erase tBE1
// 150 ms, 64 KiB block erase tBE2 250 ms, page program tPP 0.6 ms for 256
// bytes. A program command of n bytes costs the first-byte program time
// (tBP1, 30 µs) plus 2.2 µs for each further byte — a linear interpolation
// that meets tPP at 256 bytes — so a 64-byte command costs 168.6 µs and a
// 4-byte read-modify-write 36.6 µs. Reads cost len/ReadBytesPerSecond
// (quad SPI at 80 MHz, 40 MB/s). Time is accumulated exactly (no rounding
// drift). These are typical values, not a measured part: a real chip
// varies with temperature, wear and lot, up to the datasheet maxima
// (tSE 400 ms, tBE2 2 s, tPP 2.4 ms). Nothing is ever slept; there is no
// wall clock. Bytes, Hash, Save and Snapshot are test-bench views of the
// chip, not device reads: they work while off and cost no time.
//
// # Snapshots
//
// The array is held as 32 chunks of 32 sectors, each sector a pointer to a
// 4 KiB array. Snapshot copies the 32 chunk pointers and marks everything
// shared; the device then copies a chunk (32 pointers and wear counters)
// and a sector (4 KiB) the first time it writes them. Restore is as cheap.
// So a snapshot can be taken at every op, and one snapshot can be restored
// into many devices concurrently. Invariants: a device writes in place only
// into chunks and sectors it owns; a snapshot's chunks and sectors are never
// written; the shared erased sector is never written (Device.Check verifies
// this bookkeeping). View is a snapshot that does not make the sectors
// copy-on-write, valid only until the device next changes; Restore hands
// the sectors the device owned (nobody else can reference them) to a free
// list that later copies reuse, so a device restored at every sweep point
// stops allocating; RestoreRedo rebuilds the state at a Mark from an
// earlier snapshot and the ops issued since (one snapshot can serve many
// cut points). Restore brings back contents, wear, op counter, elapsed
// time and phase, powers the device on, and keeps its settings: timing,
// hook, tap, log, bad sectors, program failures and an armed, unfired cut.
//
// # Files
//
// A flash file is the raw 4 MiB array. Load and FromBytes reject any other
// size with a *FormatError (file, offset, what is wrong) before reading
// the contents; Save writes atomically (temporary file in the same
// directory, fsync, rename).
//
// A Device is not safe for concurrent use.
package flash
