// Package flashboot is the WS63 flashboot program (docs/sdk-mapping.md §4.1): it checks for
// a pending upgrade and runs uapi_upg_start, resetting unconditionally after
// an attempt; otherwise it verifies the app in partition 0x20, runs
// ws63_try_fix_app when that fails (docs/sdk-mapping.md §4.5), restores itself from the
// backup partition when ssb booted the backup (docs/sdk-mapping.md §4.6), and jumps.
//
// In an AB build (upg.Options.AB, CONFIG_MIDDLEWARE_SUPPORT_UPG_AB; ab.go)
// ws63_upg_check returns before looking at any package: flashboot reads the
// run region from the AB config page (repairing a page whose check number
// is wrong), prints "A" or "B", verifies the app in that region, and on a
// failure counts it in the fix counter, switching the run region on every
// third consecutive failure ("switch booting") before resetting. An app in
// region B is linked for region A's address like every WS63 app; flashboot
// sets DMMU window 0 (Remap) so that it runs from B, and jumps to region
// A's CPU address + 0x300 whichever region runs.
//
// The recovery paths (recovery.go, docs/sdk-mapping.md §4.5, §4.6): every reset flashboot
// performs goes through reset() and the boot reset counter (bits 7:4 of
// 0x40000008; at 15 flashboot halts in WFI); a failed app verification
// ("VE") runs ws63_try_fix_app with the fix counter (bits 3:0): counts 0–2
// only count, 3–5 verify the stored package, reset the flag area and
// request the upgrade again ("Try fota fix app."), 6 gives up; the backup
// copy restores the primary just before the jump, and the emulator is told
// (Models.Event) when that puts an older or different flashboot back.
// After a good app verification the two counters are cleared, each a
// read-modify-write of its own four bits: bits 31:8 of 0x40000008 are kept.
// Models (rollback.go, encrypt.go): flashboot burns the verified app's
// anti-rollback version into efuse when the board turns that model on
// (Models.AntiRollbackBurn; nothing in the open-source SDK burns it), and
// re-encrypts a compressed app image whose re_enc_flag asks for it,
// decrypting it at boot (flash on-the-fly encryption with the efuse flash
// key); a raw image is copied as stored, as the SDK's full image task has
// no crypto step.
//
// It runs on a Board the emulator provides; a power cut stops it inside a
// flash call.
package flashboot
