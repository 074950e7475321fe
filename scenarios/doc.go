// Package scenarios runs scenario scripts: plain-text descriptions of what
// happens to one emulated WS63 — manufacture, factory burn, boots, package
// reception, power cuts, flash faults — with expectations about what the
// device does (docs/design.md §4). `ws63emu run FILE.scn` is its command line.
//
// # Language
//
// One command per line; a word starting with '#' starts a comment to the
// end of the line. Arguments are words: positional (NAME) or key=value.
// Values cannot contain whitespace (there is no quoting). Numbers are
// decimal or 0x hex. Unknown commands, unknown keys, repeated keys,
// missing arguments, bad values and names used before they are declared
// are errors "FILE:LINE: …" (*SyntaxError), found before anything runs.
// A UTF-8 byte-order mark at the start of the file is skipped (as the
// fota.cfg reader skips it); a file of "-" (ws63emu run -) is read from
// standard input.
//
//	device layout=compress|ab [flash=FILE] [root-key=PEM|none] [secure-boot=on|off]
//	       [seed=N] [in-order-writes=on|off] [boot-budget=N] [ab-start-bug=on|off]
//	       [params=FILE.json] [flashboot-scheme=ab|compress] [app-scheme=ab|compress]
//	       [engine=go|sdk]
//	image NAME kind=app|flashboot|flashboot-backup|nv version=V [size=BYTES]
//	       [version_ext=0xN] [seed=N]   # size 64..4193536, version_ext a run of ones
//	image NAME file=PATH [kind=K]
//	burn NAME... | burn NAME part=P     # part=: any image into any partition
//	package PKG images=A,B[,...] [compress=A,...|none] [ver=STR] [sign=ecdsa|sha256] [config=FILE]
//	       [order=sdk|given] [sections=NAME:SECTION,...] [add-flashboot=on|off] [long-ver=on|off]
//	       [any-version-ext=on|off] [hardware-id=N]
//	package PKG file=PATH
//	power-on
//	store PKG [chunk=N] [order=reverse|shuffle:SEED] [resend=K] [drop=K] [corrupt=K]
//	prepare PKG [len=N]                 # one uapi_upg_prepare
//	write PKG off=N len=M [async]       # one uapi_upg_write_package_sync (_async)
//	read PKG off=N len=M                # one uapi_upg_read_package
//	request-upgrade [reset=true|false]
//	ab-upgrade NAME [chunk=N] [reset=true|false]
//	ab-read NAME region=A|B|run|upg [off=N] [len=M]   # one upg_ab_image_read
//	reset
//	cut op=N [tear=before|after|prefix:K|bits|bits:SEED]
//	fault bad-sector addr=A | part=P [off=O] [mode=stuck|timeout]
//	fault bitflip addr=A | part=P [off=O] [bit=B]
//	fault timeout op=N
//	fault program-fail op=N
//	user-verify accept | reject [code=ERRCODE_NAME] | off  [in=app|flashboot|both]
//	nv-set [non-upgrade] [permanent] KEY=VALUE...   # the app writes NV keys (user data)
//	sweep-begin / sweep-end
//	expect running NAME|none
//	expect state off|running|stuck|no-boot
//	expect verdict V[|V...]
//	expect result R            # upg_result_t name: UPDATE_SUCCESS, RETRY_ALL_FAILED, …
//	expect error ERRCODE_NAME  # ERRCODE_SUCC, ERRCODE_UPG_NOT_INIT, …
//	expect retries NAME=N      # N = 0..3 consumed attempts, or finished
//	expect region A|B|none     # AB: the region the running app booted from
//	expect nv KEY=VALUE|none   # a key of the NV store (partition 0x10)
//	expect nv-task T           # the app's start-up NV task: not-needed, upgraded, failed, given-up
//	expect read same|differs   # the last read or ab-read against the package / image
//	expect result-index V      # uapi_upg_get_result's image index (the SDK: always 4294967295)
//
//	expect efuse FIELD=V       # an efuse word: app-version, flashboot-version, …
//	expect partition PART=NAME # what PART starts with: NAME, NAME(backup), NAME(encrypted), erased, other
//
// The recovery-path models (recovery.go) add settings: device
// layout=hilink, sdk=A.B.C, flash-encryption=on|off, rollback-burn=on|off,
// image-map=ID:PART,…; image kind=hilink, sdk=A.B.C, encrypted=on|off;
// package encrypt=on|off, sign=sha256-ecc.
//
// The settings and commands of issue 16 — custom partition tables,
// mismatched builds (build.go), chunk-level storage calls and transports
// (chunks.go), upg_ab_image_read and the result index (guideapi.go) — are
// described in those files.
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
// flash instead (emulator.FromFlash; its own params, efuse blank); the app
// in its imageA, if it holds a signed one, is then the verdict's old app
// until a burn names another (named by a declared image with the same
// bytes, else by its hash).
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
// key → app key, all derived from the seed. A synthetic NV image is real
// NV pages of the application store, nv.Synthetic(nv.SyntheticKeys(
// version, seed, size)): 0x0001 "nv-VERSION" (upgradable), 0x0002
// "calib-VERSION" (non-upgradable), 0x0003 "perm-VERSION" (permanent) and
// upgradable filler from 0x0010 — burned, it is the device's NV store;
// packed, the NV image the app's NV task merges. A file= image is
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
// Those are the rules of the wrapper build_ws63_update.py; the packer under
// it, build_upg_pkg.py, can make more, and these settings reach it:
// order=given packs images= in that order as the packer's own image list
// (upg.PackOptions.Images: no flashboot needed, ver= up to 112
// characters, one image per section rather than per kind); sections=
// NAME:SECTION (with order=given) packs an image under another fota.cfg
// section than its kind's — res_index, res_data or a section of config=;
// add-flashboot=off lets a wrapper package go without flashboot;
// long-ver=on allows ver= up to the user area's 112 characters;
// any-version-ext=on packs a version_ext that is not 0, 1, 3, 7, … as
// given (it is refused otherwise); hardware-id=N replaces the config's
// HardwareID. ver= counts characters, as the SDK does, and the user area
// gets one byte per character (the first bytes of the UTF-8 encoding: 9
// é, 18 bytes, store 4½ of them).
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
// user-verify sets the user-defined verification function
// (uapi_upg_register_user_defined_verify_func) of the app, of flashboot, or
// of both (in=, default both). The app's is registered on its update
// library before every app call, as an app that registers it at start-up
// would; flashboot's is registered at every flashboot start
// (emulator.Device.SetUserVerify), so it runs in uapi_upg_start's first-entry
// verification: a rejection there is VERIFY_HEAD_FAILED, a direct finish.
//
// nv-set is an app call (uapi_nv_write_with_attr): each KEY=VALUE (a
// 16-bit key id; a VALUE is text, or 0x and hex digits) is written to the
// NV store, upgradable unless non-upgrade is given. Every key written
// without a power cut is registered as user data
// (emulator.Device.ExpectNVKeys): from then on the verdict is nv-lost if
// it goes missing or changes. At every start-up the app runs the NV
// upgrade task (app.NVTask); expect nv-task says what it did, expect nv
// reads a key from the flash (VALUE as for nv-set, or none; the seen text
// adds a key's non-normal attributes).
//
// cut arms a power cut at the N-th flash operation from now (1 is the
// next; an operation is one chip command as the SFC driver sends it: a
// program of at most 64 bytes or one 4/32/64 KiB block erase, see package
// sfc); the cut fires wherever the device is then — storing, in flashboot,
// booting — and leaves it off; the script continues, and the next power-on
// boots it. A bare tear=bits takes the scenario seed as its seed. A cut
// while an earlier one has not fired yet is an error (it would replace
// it), and so is, in a plain run, a cut that never fires before the script
// ends. fault
// bitflip flips one bit now (not a flash operation). part=P [off=O]
// addresses are resolved through the partition table on the flash.
//
// fault bad-sector marks a sector bad, in one of two modes named for what
// they are on real NOR, where the SFC driver never reads a program or erase
// failure status and reports only a not-ready timeout (docs/sdk-mapping.md §3.5):
//
//   - mode=stuck (the default, realistic): the sector is worn. Its programs
//     and erases report success but leave flash.WornStuckBits bits stuck at
//     a value (flash.Device.SetWornSector; positions and values chosen from
//     the scenario seed, so a run is reproducible). Nothing fails at once:
//     a later hash check finds the damage (flashboot's app verification,
//     the package verification). The trace notes the sector.
//   - mode=timeout: every erase and program touching the sector times out
//     and changes nothing (flash.Device.SetBadSector); the SDK sees the
//     driver's ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY (0x80001344), which the
//     FOTA paths pass up unchanged — in flashboot a returned error that
//     consumes one of the image's attempts.
//
// fault timeout op=N makes the N-th flash operation from now, erase or
// program, time out and change nothing (flash.Device.TimeoutAt), counted
// as cut op=N counts (1 is the next). fault program-fail op=N is the same
// timeout for a page program only (flash.Device.FailProgramAt): inside
// flashboot's LZMA decode loop the SDK reports it as
// ERRCODE_UPG_DECOMPRESS_FAIL (docs/sdk-mapping.md §4.4), elsewhere as the driver's code.
// The rule is that operation and no other: if program-fail's operation is
// a block erase, the erase is done and nothing fails (the failure does
// not move on to a later program). Pick N
// from a trace (ws63emu run --trace gives each operation's number) or a
// sweep's point list (its kind). Like a cut, the failure is armed at an
// absolute operation number, whatever happens before it: after a power
// cut the counter goes on, and the operation with that number fails
// wherever it comes. The trace notes the number it was armed at.
//
// ab-upgrade is the guide's AB example run by the app of an AB device
// (layout=ab builds flashboot and the app for the AB scheme; ab-upgrade on
// another layout is a syntax error: there the partition after imageA is
// the fota storage, not region B): upg_ab_start
// erases the upgrade region, the image NAME (an app) is written with
// upg_ab_image_write in chunks (default 4096), upg_set_run_region selects
// that region, and with reset=true (the default) upg_reboot waits the SDK's
// 500 ms and resets. As in the guide, a failing call is printed and the
// flow goes on; expect error checks the first failure. The app running
// when ab-upgrade starts becomes the verdict's old app and NAME the new
// one. ab-start-bug=on builds the library with the shipped upg_ab_start
// (upg.Options.ABStartSDKBug), which refuses both regions and erases
// nothing.
//
// engine=sdk runs the programs' update-library calls on the SDK engine (the
// vendor's C library built from an SDK checkout, package sdkengine) given
// as Options.SDK instead of the Go model; Options.Engine overrides the
// script's choice (engine.go). DiffEngines (diff.go, ws63emu diff-engines)
// runs a script on both engines and reports the first divergence of the
// flash operations, of the same operations in 64-byte / 4 KiB units, and
// of the API calls and their return codes.
//
// device params=FILE.json builds the partition table at 0x380 from the
// SDK's param_sector json (partition.LoadJSON: customer ids 0x30..0x3F,
// 16 items, the fixed ids present, 4 KiB alignment, no overlap); a bad
// json stops the script at the device line naming the file and the JSON
// field. Storage size, prepare, flashboot's lookups and expect partition
// all follow that table. flashboot-scheme= and app-scheme= build one
// program for the other scheme than the layout's (menuconfig "FOTA for
// AB"), the mismatch the guide warns about; an app not built for AB has no
// upg_ab_* functions, so ab-upgrade and ab-read are refused for it unless
// the device line says app-scheme=ab.
//
// prepare, write and read are single storage calls of the running app
// (uapi_upg_prepare with the package's length or len=; write_package_sync
// of package bytes [off, off+len), 0xFF past the package's end, or the
// async variant, whose callback the trace shows; read_package, compared
// with the package for expect read). store's transport options cut the
// package into chunks and send them reversed or shuffled (order=), every
// K-th one twice (resend=), not at all (drop=), or chunk K first with one
// 1 bit cleared and then correctly (corrupt=), counting chunks in sending
// order from 1; the store stops at the first error. Writes program without
// erasing, so a corrupted chunk sent again stays corrupted. ab-read is
// upg_ab_image_read of a region, compared with an image. expect
// result-index reads uapi_upg_get_result's second output on the running
// app.
//
// reset is a soft reset of a powered device; power-on powers it (a power
// cycle if it was on) and boots until the app runs or the device is stuck.
//
// sweep-begin and sweep-end mark the cut points of a power-cut sweep (the
// sweep runner, ws63emu sweep; see Sweeps); a plain run treats them as
// no-ops.
//
// # Expectations
//
// running is the name of the app image the device runs (names are matched
// by the image bytes; "none" when no app runs). state is the device state.
// verdict is emulator.Device.Verdict(old, new), where old is the app burned
// most recently and new is the app in the package stored most recently (for
// a package file=, the declared image whose bytes it carries) — after an
// ab-upgrade, the app running when it began and its image; a device
// that is off has no verdict yet. The verdicts are docs/design.md §5's (upgraded,
// kept-old, fell-back, retries-exhausted, brick, no-boot, rollback,
// nv-lost), mixed (an app runs that is neither old nor new) and
// false-success (a failed upgrade recorded as UPDATE_SUCCESS, the SDK's
// third unsafe window, docs/sdk-mapping.md §3.7 (c); see emulator's package doc). region is the AB region the running app
// booted from ("none" when no app runs or the device is not AB). result is update_result in the flag area
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
// # Sweeps
//
// Sweep (ws63emu sweep) cuts the power at every flash operation between
// sweep-begin and sweep-end, one point per operation and tear model, and
// checks each point against the script's commands after sweep-end:
//
//  1. A reference run executes the script with no cut. From sweep-begin
//     to sweep-end a flash hook records every operation (its data copied)
//     and a copy-on-write snapshot of the flash just before it, with the
//     device's boot count and clock, and the runner's bookkeeping (stored
//     package, last app call) as of the command the operation belongs to.
//     The reference then runs the commands after sweep-end; it must pass
//     them too (the "no cut" point).
//  2. A point restores the snapshot before operation i into a fresh flash
//     and applies operation i torn (flash.ApplyTorn: before, after,
//     prefix — half of the operation unless prefix:K — or bits, seeded
//     with the scenario seed unless bits:SEED). The device is then off,
//     exactly as a cut leaves it: only flash and efuse survive a power
//     cut, so they, plus the boot count and clock, are the whole state
//     (emulator.Checkpoint.Resume). The prefix is never replayed.
//  3. The command the operation belonged to had no return (an app call
//     records that the power failed inside it, as expect error reports;
//     a request-upgrade cut during the reset it asked for records
//     ERRCODE_SUCC). The remaining commands of the sweep block are
//     skipped: the device lost power in the middle of the block.
//  4. The script continues after sweep-end with a power-on, unless the
//     command after sweep-end is itself a power-on (it is not doubled);
//     with nothing after sweep-end the point still powers on and settles
//     (ws63emu sweep warns that such a script checks nothing).
//     Every command after sweep-end runs as in a plain run; a failed
//     expectation or command fails the point.
//
// A point reports its verdict at the end of the script (emulator Verdict
// with the runner's old and new apps; "off" only if the script's own
// commands after sweep-end leave the device off, e.g. a cut there),
// the boots from the cut to the end, and a flash digest: the SHA-256 of
// the 1024 sector SHA-256s (FlashDigest; a two-level hash lets the sweep
// reuse the hashes of unchanged sectors). Inside the sweep block, cut
// and burn are refused; declarations there are skipped with the other
// commands after a cut.
//
// A point whose verdict is false-success (emulator.Device.FalseSuccess: the
// flag area records UPDATE_SUCCESS but an image of the package is not in
// its partition) shows the SDK's third unsafe window (docs/sdk-mapping.md §3.7 (c)); like
// any verdict it fails the point unless the script's expect allows it, and
// the report lists it with its reproduction token.
//
// Faults are device state a point carries as a plain run would. A fault
// set before sweep-begin reaches every point; one set inside the block
// (fault lines are allowed there) reaches exactly the points cut after
// its line — a point cut before it never ran it, as in Replay. A bit flip
// changes the contents, so the snapshots carry it. Bad and worn sectors,
// armed timeouts and program failures are settings of the flash, which snapshots do not
// hold (flash.Device.Restore keeps a device's own): the runner keeps the
// list the script has set, and a point sets on its flash exactly those
// the script had set when the cut operation was issued, before tearing
// it (a fault refuses a torn operation too), clearing whatever an earlier
// point on the same worker left. A double cut's second point sets those
// of the recovery at its operation. TestSweepFaults and the library's
// bad-sector.scn check points against plain replays.
//
// Points are numbered op-major: index = step·len(tears) + model, step the
// operation's position among those taken (every --stride-th). Workers
// pull indices and store results by index, so the report is the same
// whatever --jobs is; --shard I/N runs the indices ≡ I (mod N), and
// MergeSweeps joins shard reports. Each point carries a token,
// FILE@op=N,tear=T,script=HASH (the absolute flash operation, the
// concrete tear, and the script's canonical-text hash): Replay runs the
// script from its first command with a real cut armed at that operation —
// no snapshot, no memo — and reports the same point result.
//
// Double cuts (SweepOptions.Double, --double N) cut a second time during
// the recovery from each point — the power-on after the first cut and the
// commands after sweep-end — at N of its flash operations, evenly spaced
// (first and last included), torn with the point's tear model. After the
// second cut the commands after sweep-end run again from their start,
// after a power-on, with the runner's bookkeeping as the first cut left
// it. The recovery is run once more per point, keeping snapshots at just
// those operations. Their tokens add op2=M,tear2=T2, which ReplayDouble
// runs with two real cuts.
//
// Work the device repeats identically at every point is done once
// (upg.Memo, on in sweeps, never in Run): SHA-256 of the same bytes
// (package verification, image checks, image names), LZMA decoding of the
// same stream, and image reads of the same bytes. It is kept honest by
// construction and by test. By construction: the memo answers only after
// comparing, byte for byte, the bytes this point actually read from its
// flash with the bytes the answer was computed from; the device makes the
// same reads (same ranges, same amounts, at the same moments between
// operations — a remembered decode replays the real decoder's pattern of
// reads), so the flash operations, their order and data, and the
// simulated clock are unchanged; bytes that differ fall back to the real
// computation. By test: TestSweepMatchesReplay and TestW1MatchesReplay run
// points spread over the sweep with every tear model both ways, snapshot
// and memo against a plain replay, and require the same point result,
// flash SHA-256, simulated time, flash operation log and trace;
// --verify-determinism repeats such a check inside any sweep.
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
