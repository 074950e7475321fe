// Package scenarios runs scenario scripts: plain-text descriptions of what
// happens to one emulated WS63 — manufacture, factory burn, boots, package
// reception, power cuts, flash faults — with expectations about what the
// device does (DESIGN §4). `ws63emu run FILE.scn` is its command line.
//
// # Language
//
// One command per line; a word starting with '#' starts a comment to the
// end of the line. Arguments are words: positional (NAME) or key=value.
// Values cannot contain whitespace (there is no quoting). Numbers are
// decimal or 0x hex. Unknown commands, unknown keys, repeated keys,
// missing arguments, bad values and names used before they are declared
// are errors "FILE:LINE: …" (*SyntaxError), found before anything runs.
//
//	device layout=compress|ab [flash=FILE] [root-key=PEM|none] [secure-boot=on|off]
//	       [seed=N] [in-order-writes=on|off] [boot-budget=N]
//	image NAME kind=app|flashboot|flashboot-backup|nv version=V [size=BYTES]
//	       [version_ext=0xN] [seed=N]
//	image NAME file=PATH [kind=K]
//	burn NAME...
//	package PKG images=A,B[,...] [compress=A,...|none] [ver=STR] [sign=ecdsa|sha256] [config=FILE]
//	package PKG file=PATH
//	power-on
//	store PKG [chunk=N]
//	request-upgrade [reset=true|false]
//	reset
//	cut op=N [tear=before|after|prefix:K|bits|bits:SEED]
//	fault bad-sector addr=A | part=P [off=O]
//	fault bitflip addr=A | part=P [off=O] [bit=B]
//	user-verify accept | reject [code=ERRCODE_NAME] | off
//	sweep-begin / sweep-end
//	expect running NAME|none
//	expect state off|running|stuck|no-boot
//	expect verdict V[|V...]
//	expect result R            # upg_result_t name: UPDATE_SUCCESS, RETRY_ALL_FAILED, …
//	expect error ERRCODE_NAME  # ERRCODE_SUCC, ERRCODE_UPG_NOT_INIT, …
//	expect retries NAME=N      # N = 0..3 consumed attempts, or finished
//
// Every expect accepts alternatives separated by '|'. image and package
// lines may come before the device line; everything else comes after it,
// and there is one device per scenario.
//
// # Semantics
//
// device manufactures the device (emulator.New): the factory params with
// the root key (root-key=PEM, or a key derived from the seed; none leaves
// the root key area erased and the params hash-only), efuse (root key hash;
// secure verify with secure-boot=on). flash=FILE starts from a saved 4 MiB
// flash instead (emulator.FromFlash; its own params, efuse blank).
// in-order-writes=on selects the file-system storage variant (the guide's
// "write chunks in order" rule, ERRCODE_UPG_INVALID_OFFSET).
//
// image declares an image; it is built as soon as the device exists (at the
// device line for images declared before it), so that the trace names it
// wherever its bytes show up — burned, decompressed by flashboot, or inside
// a package file= — and a bad image is reported at its own line. Synthetic images
// are image.SyntheticCode of size code bytes (defaults: app 256 KiB — small
// so scenarios run fast; flashboot 60 KiB; nv 8 KiB), seed defaulting to
// the scenario seed mixed with the name. They are signed hash-only (the
// SDK's default SignSuite=4) unless secure-boot=on and the device has a
// root key; then with the chain ssb and flashboot check: root → flashboot
// key → app key, all derived from the seed. Synthetic NV data is opaque
// filler: flashboot only records where NV data is, and the app's NV task
// is not modelled yet; use file= for a real NV store. A file= image is
// parsed as a signed image (kind= then checks its kind) unless kind=nv.
//
// burn factory-burns images: app → imageA (0x20); flashboot → flashboot
// (0x01) and its backup (0x02), as the factory burns both (the synthetic
// backup is the same code signed with the backup's image ids; a file=
// flashboot is burned into both as it is); flashboot-backup → 0x02 only;
// nv → the NV working store (0x10).
//
// package makes an update.fwpkg with upg.Pack as build_ws63_update.py does:
// the images' order in the package is the SDK's (application, flashboot,
// nv) whatever images= says, and the SDK always packs flashboot, so images=
// must name one. The config is the current SDK fota.cfg (ECDSA, app and
// flashboot LZMA-compressed) or config=FILE; compress= overrides which
// images are compressed; sign= overrides the mode. ECDSA packages are
// signed by the device's root key (or the seeded root key when the device
// has none) with a seeded sub key. package file= stores a real package as
// it is.
//
// store and request-upgrade are app calls: they need a running app. store
// is the guide's sequence (get_storage_size, prepare, write_package_sync
// per chunk); request-upgrade verifies the stored package, marks the flag
// area and, with reset=true (the default), resets the chip after the SDK's
// 500 ms. An app call that returns an SDK error does not stop the script:
// the error is recorded, and `expect error NAME` checks the last app
// call's errcode (ERRCODE_SUCC when it succeeded). A call inside which the
// power failed has no return value: expect error then fails saying so.
//
// user-verify sets the app's user-defined verification function
// (uapi_upg_register_user_defined_verify_func): the runner registers it on
// the app's update library before every app call, as an app that registers
// it at start-up would. Flashboot registers none (the emulator gives
// scenarios no way into flashboot's own library instance), so the hook can
// only reject a package at request-upgrade time, on the app side.
//
// cut arms a power cut at the N-th flash operation from now (1 is the
// next); the cut fires wherever the device is then — storing, in flashboot,
// booting — and leaves it off; the script continues, and the next power-on
// boots it. A bare tear=bits takes the scenario seed as its seed. fault
// bad-sector marks a sector bad (erase and program fail there); fault
// bitflip flips one bit now (not a flash operation). part=P [off=O]
// addresses are resolved through the partition table on the flash.
//
// reset is a soft reset of a powered device; power-on powers it (a power
// cycle if it was on) and boots until the app runs or the device is stuck.
//
// sweep-begin and sweep-end mark the cut points of a power-cut sweep (the
// sweep runner, ws63emu sweep); a plain run treats them as no-ops.
//
// # Expectations
//
// running is the name of the app image the device runs (names are matched
// by the image bytes; "none" when no app runs). state is the device state.
// verdict is emulator.Device.Verdict(old, new), where old is the app burned
// most recently and new is the app in the package stored most recently (for
// a package file=, the declared image whose bytes it carries); a device
// that is off has no verdict yet. result is update_result in the flag area
// (an erased flag reads Result(4294967295)). retries NAME=N reads the three
// retry bytes of image NAME (a declared image, or the words app and
// flashboot) in the package stored most recently: N is the number of
// leading 0x00 bytes of an image not finished; 00 00 00 reads "finished",
// except that after RETRY_ALL_FAILED the image whose third attempt failed
// reads 3 (the SDK writes the same bytes for both). Expectations read the
// flash through a snapshot: they cost no simulated time, change nothing,
// and work while the device is off.
//
// Run stops at the first failed expectation with an *ExpectError
// ("FILE:LINE: expected X, saw Y") or at a command that cannot be carried
// out with a *CommandError (a missing file, a store with no app running).
// The Report holds every checked expectation, the final state and verdict,
// the flash hash and the event trace.
//
// # Determinism
//
// Every random choice — keys, default image seeds, bits tears — derives
// from the device seed (SHA-256 counter streams, keys.go); there is no
// wall clock. ECDSA signatures use RFC 6979 nonces. The same script gives
// the same report — trace, simulated times, flash — byte for byte, which
// the golden files testdata/*.trace check (go test ./scenarios -update
// rewrites them; review the diff).
package scenarios
