// Package emulator is the WS63 device: a 4 MiB NOR flash, an efuse bank,
// retention registers, power, and the boot chain ssb → flashboot → app.
//
// # Model
//
// Programs (package flashboot and package app) are Go code that touch the
// device only through a Board: flash, efuse, registers, UART. RAM does not
// survive a power cut: after a cut only flash and efuse are carried to the
// next power-on. The retention registers (flashboot's fix and reset counters
// at 0x40000008, ssb's boot-copy flag at 0x40000024) survive a soft reset
// but not a power cut.
//
// A Board's flash is the SFC driver (package sfc, uapi_sfc_reg_*) over the
// chip, as the programs link it: every write and erase of flashboot, the
// app, the update library and the NV store reaches the chip as the
// commands the device sends (program commands of at most 64 bytes with
// read-modify-writes at unaligned ends, greedy 64/32/4 KiB block erases).
// The factory burn (Burn, the partition table written by New) is the burn
// tool's, not the device's: it programs the chip directly.
//
// A power cut is armed on the flash (Cut). When the cut operation runs, the
// flash tears it as asked and powers off; the running program is stopped
// inside that flash call (a private panic, recovered here — it never reaches
// the caller), exactly where a real CPU would lose power. The device is then
// Off until PowerOn.
//
// PowerOn and Reset boot repeatedly until the app runs (Running), flashboot
// halts or the boot budget is spent (Stuck), or ssb finds no valid flashboot
// (NoBoot). ssb is closed source; it is modelled as: verify the primary
// flashboot (partition 0x01), else the backup (0x02), and tell flashboot
// which one it booted through register 0x40000024.
//
// # AB builds
//
// A device with the AB layout runs AB builds of flashboot and the app
// (upg.Options.AB). RunRegion reports the region the running app booted
// from; the trace names it and the DMMU window that lets an app linked for
// region A run from B. Verdict's fell-back means that during the last
// settle (power-on or reset until the app runs) flashboot switched the run
// region after three consecutive verification failures and the old app
// runs. Reboot is upg_reboot: the SDK's 500 ms delay, then a reset.
//
// Config.FlashbootScheme and Config.AppScheme (scheme.go) build one program
// for the other scheme than the layout's, the mismatch the guide warns
// about (both must select "FOTA for AB", or neither); BuiltAB reports a
// program's build. Config.Table replaces the layout's table (a product's
// own, e.g. from partition.LoadJSON): the params burned at manufacture
// carry it, and every program reads it from flash 0x380.
//
// # Recovery-path models
//
// Config.Models (recovery.go) adds what the SDK does not show: with
// RollbackBurn (a model, off by default: nothing in the open-source SDK
// burns them, docs/sdk-mapping.md §1.6 step 8, §6.2) the anti-rollback efuse words are
// burned forward (ssb for the flashboot copy it boots, flashboot for the
// app it verified); a
// flash key in efuse turns on flash encryption (upg/encrypt.go); the SDK
// version of each image selects the package verifier of the flashboot and
// app built from it (upg/compat.go). Every boot event carries the
// retention register with the fix and boot reset counters and the efuse
// anti-rollback words (Event.State). Verdict rollback: an app runs whose
// anti-rollback version is below one that already ran on the device, or
// below the efuse word (secure boot off skips the check). The memory of
// past versions is the observer's, not the device's: a Checkpoint carries
// it across a cut, a device rebuilt from a flash file (FromFlash) only
// sees the efuse word.
//
// # Verdicts
//
// Verdict classifies a settled device (docs/design.md §5), in this order: no-boot
// (ssb finds no flashboot) or brick (off or stuck: reset loop, WFI, boot
// budget) by state, then nv-lost, rollback, false-success,
// retries-exhausted, fell-back (AB), and upgraded, kept-old or mixed by the
// app that runs.
//
// false-success (FalseSuccess, falsesuccess.go) is a failed upgrade
// recorded as a success: the flag area says UPDATE_SUCCESS but an image of
// the stored package is not in its partition (its first 0x300 bytes — the
// signed header, which carries the code hash — differ from what the image
// task writes). The SDK gets there through its third unsafe window (spec
// §3.7 (c)): a cut after an image's third failure consumed its last retry
// byte (the triplet then reads 00 00 00, FINISHED) and before complete_flag
// is written makes the next boot skip that image and record SUCCESS; and
// through uapi_upg_start called before uapi_upg_init (docs/sdk-mapping.md §4.2 step 1). A
// primary flashboot restored from the backup after a good upgrade (spec
// §4.6) is a later event, not counted. The check reads the flash through a
// snapshot: no simulated time, no operation.
//
// # Time
//
// Simulated time is the flash's operation time (datasheet-like defaults in
// package flash) plus CPU work: SHA-256 at DefaultHashRate, LZMA decoding
// at DefaultDecodeRate, 15 ms per ECDSA verification, 30 ms per boot for
// ROM, ssb and flashboot start-up, and the SDK's 500 ms delay before the
// reset that request_upgrade(reset=true) performs. There is no wall clock.
//
// # Trace
//
// Every boot, phase, flag-area write, UART line (progress included), fault
// and verdict is an Event with its simulated time, boot number and flash
// operation counter; events also go to the injected zap logger at Debug.
//
// # Inspection and invariants
//
// Inspect decodes a whole flash image for `ws63emu flash inspect`: the
// partition table, every image with its version, the stored package, the
// flag area, the AB config page and the NV store, with warnings such as a
// backup flashboot older than the primary. Check verifies a device's
// invariants; the tests run it after every scenario.
package emulator
