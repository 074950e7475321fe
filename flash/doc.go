// Package flash simulates the WS63's 4 MiB SPI NOR flash chip, with the
// fault injection, operation log, simulated time and copy-on-write
// snapshots that power-cut sweeps need.
//
// # Geometry
//
// Size (4 MiB) bytes, NumSectors (1024) sectors of SectorSize (4 KiB), pages
// of PageSize (256 B). A new device is all 0xFF (erased).
//
// # NOR contract
//
//   - Program ANDs: new = old AND data. It can only clear bits (1→0);
//     programming 0xFF changes nothing, programming over data that is not
//     erased gives the AND of both. Any byte alignment is allowed.
//   - Erase sets one whole, aligned sector to 0xFF and adds one to that
//     sector's erase counter (EraseCount). It is the only way bits go 0→1.
//   - Reads (Read, ReadAt) return the current contents and are never cut
//     points.
//
// # Operations and cut points
//
// An operation ("op") is one sector erase, or the program of at most one
// page: Program splits its range at every 256-byte page boundary, as a NOR
// driver does, and issues the pieces in ascending address order; EraseRange
// issues one erase per sector in ascending order. Each op gets the next
// Index from the op counter (OpCount), which counts every op issued since
// New, including ops that fail. A multi-op call stops at the first op that
// fails and returns its error; the ops before it stay applied.
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
// is reproduced byte for byte by the same seed. An erase torn by anything
// but "before" counts one erase cycle. A torn op costs its full simulated
// time unless torn "before".
//
// ApplyTorn applies a given op as torn, directly, for sweeps that restore a
// snapshot instead of replaying: its result is bit-identical to the CutAt
// path. PowerOn brings the device back with its contents; CutNow cuts
// without tearing anything.
//
// # Other faults
//
// Named for what they are on real NOR (worn.go, spec §3.5: the SFC layer
// reports only a not-ready timeout, never a program or erase failure):
//
//   - SetWornSector (the realistic bad sector): program and erase ops on the
//     sector succeed but leave WornStuckBits seeded stuck bits at their
//     stuck values; only a later hash check notices.
//   - SetBadSector (the driver's timeout): erase and program ops touching
//     the sector are counted but return ErrBadSector and change nothing.
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
// Elapsed grows by Timing.SectorErase per erase, Timing.PageProgram per
// program op (whatever its length), and len/ReadBytesPerSecond per read,
// accumulated exactly (no rounding drift). Nothing is ever slept; there is
// no wall clock. Bytes, Hash, Save and Snapshot are test-bench views of the
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
// this bookkeeping). Restore brings back contents, wear, op counter, elapsed
// time and phase, powers the device on, and keeps its settings: timing,
// hook, log, bad sectors, program failures and an armed, unfired cut.
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
