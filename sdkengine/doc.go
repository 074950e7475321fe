// Package sdkengine is the SDK engine: the vendor's own upgrade library
// (src/middleware/utils/update and its WS63 porting layer), compiled from an
// SDK checkout the user names, run under ws63emu's scenarios and power-cut
// sweeps as a second implementation of the upg.API seam beside the Go model.
//
// # Build
//
// Compile builds, with gcc and nothing else, two host executables from the
// checkout (Sources: the update library, the partition reader, the real SPI
// flash driver sfc.c with its chip table, LzmaDec.c and libboundscheck) and
// the host shim embedded in this package (csrc: shim.c, sha256.c and the
// headers the board would supply), once per build variant: the app's
// (ws63_liteos_app.config) and flashboot's (ws63_flashboot.config,
// WS63_PRODUCT_NONE, __NON_OS__, the sample verifier). Nothing vendor is
// copied into ws63emu. The executables are cached under a key, the SHA-256
// of every source and header compiled, the shim, the flags and the
// compiler's version; a second Compile of the same checkout is a lookup.
//
// # Model
//
// A boot of a program runs in a child process (the library keeps state in
// globals, as on the chip). A process serves one boot after another: the
// build moves the vendor objects' writable data into sections of their own
// (objcopy; an object with writable data elsewhere is refused) and their
// heap calls to a heap of the shim's, and each boot (F_BOOT) puts that
// data back as linked, zeroes the rest, empties and zeroes the heap and
// clears the stack the calls run on, then runs board start-up: what a
// power-on does on the chip, and what a fresh process would see. A
// process stopped inside a call (a power cut) is killed; one that ended
// its boot between calls or by rebooting waits in a pool for the next
// boot of its program (Options.FreshProcesses starts one per boot;
// TestWarmMatchesFresh checks that both give the same results). The
// flash is a 4 MiB file shared with the child, which maps it read-only at CPU address 0x200000 (FLASH_START; the
// executable is linked at 0x10000000, so the window is free and its brk
// heap stays below 4 GiB, as the library passes pointers through
// uint32_t), so the library's direct flash reads see the emulated flash
// and a stray write faults. Writes go through the real sfc.c; the shim
// supplies what lies below it (hal_sfc_reg_read/write/erase, the GD25Q32
// id), splitting writes into page programs of at most 64 bytes exactly as
// hal_sfc_v150.c does. Every chip command is one flash operation of the
// parent's flash.Device, so operation counting, cut points, tears, faults,
// simulated time, phases and the op log are the emulator's own.
//
// The protocol (session.go, csrc/shim.c) is binary: 16-byte headers
// {kind, a, b, n} and payloads over the child's stdin and stdout. A call
// (init, prepare, write_package_sync, request_upgrade, start, verify_file,
// reset_upgrade_flag) carries the flash's quiet budget (flash.Device.Quiet:
// how many next operations no cut, program failure or bad sector can
// touch). Within it the child applies each chip command to a second,
// writable mapping of the shared file itself and reports it without
// waiting; the parent applies the reports to its flash.Device in order
// (hooks and snapshots see every operation as usual). Past the budget each
// command is a round trip: the parent applies it, copies the result into
// the shared file and acknowledges; at a power cut the parent kills the
// child inside that command. TestQuietMatchesRoundTrips checks that both
// paths give the same flash, operations and trace.
//
// What the shim supplies: SHA-256 (its own, for uapi_drv_cipher_hash_* and
// drv_rom_cipher_sha256); brainpoolP256r1 ECDSA verification, which it asks
// of the parent (package image); the console (UART lines in the trace);
// delays and the watchdog (no-ops: simulated time is the flash's); reboot
// (the boot ends; the process waits for the next). The programs'
// decisions (flashboot's boot flow, try-fix-app, backup recovery, the
// reset counter, the app's NV task and store loop) stay in Go (packages
// flashboot and app) and call the engine.
//
// # Limitations
//
//   - AB builds are not implemented: Open refuses an AB device.
//   - Closed components stop the engine with an upg.EngineError naming
//     them: SM3, SM2 and the key ladder with the symmetric cipher
//     (re-encrypted images), efuse writes, chip erase, raw flash commands.
//   - efuse reads as zero (the library reads only the MSID, which it only
//     logs; anti-rollback is compiled out on WS63).
//   - The Go model's options with no C counterpart do not reach the
//     engine: a custom image map, the sdk= verifier models, in-order
//     writes. A user-defined verification (uapi_upg_register_user_defined_verify_func)
//     is registered in the C library as a shim function that asks the
//     parent, which runs the Go function.
//   - A flash error reaches the SFC driver as the chip would show it: a
//     worn sector (fault bad-sector mode=stuck) is silent (the command is
//     taken, bits stay wrong); a timeout (mode=timeout, fault timeout,
//     fault program-fail) is ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY.
//   - The vendor code's CPU work is charged to the simulated clock as the
//     Go model's is (SHA-256 bytes, LZMA output bytes, ECDSA
//     verifications), at the end of each call: a call a power cut stops
//     charges its flash operations only.
//   - The vendor's sfc.c is the driver: its chip commands reach the
//     emulator's chip (flash.Device.Program of at most 64 bytes,
//     flash.Device.EraseBlock), below the Go model's own driver (package
//     sfc), so both engines count the same kind of operation.
package sdkengine
