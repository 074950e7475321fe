// Package flashboot is the WS63 flashboot program (spec §4.1): it checks for
// a pending upgrade and runs uapi_upg_start, resetting unconditionally after
// an attempt; otherwise it verifies the app in partition 0x20, runs
// ws63_try_fix_app when that fails (spec §4.5), restores itself from the
// backup partition when ssb booted the backup (spec §4.6), and jumps.
//
// It runs on a Board the emulator provides; a power cut stops it inside a
// flash call.
package flashboot
