// Package image owns the WS63 signed firmware image: the 0x300-byte
// secure header that ssb, flashboot and the app carry (docs/sdk-mapping.md §6.2), its
// signing and its verification at boot, the brainpoolP256r1 keys, and a
// builder of synthetic firmware with realistic size and compressibility.
//
// # Layout
//
// An image is a key area (KeyArea, 0x100 bytes), a code info (CodeInfo,
// 0x200 bytes) and the code area (code_area_len bytes, the code zero-padded
// to 16). The CPU enters the code at image start + HeaderLen. The key-area
// id names the kind: app 0x4B0F2D1E, flashboot (and ssb) 0x4B1E3C1E,
// flashboot backup 0x4B69871E; the code-info id is the one a FOTA package
// uses for the image (app 0x4B0F2D2D, flashboot 0x4B1E3C2D). KeyArea has
// the layout of the FOTA package key area too (docs/sdk-mapping.md §1.1), so upg reuses it.
//
// # Key chain
//
// The efuse holds SHA-256 of the root public key area (flash 0x0); the root
// key signs the ssb and params key areas; ssb's key signs the flashboot (and
// backup) key area; flashboot's ext_public_key (the "flash" key) signs the
// app key area; every key area's ext_public_key signs its own code info.
// Verify takes the key that must have signed the key area (ParentKey) from
// the caller, who walks the chain.
//
// # What boot checks
//
// Secure boot off (efuse "secure verify enable" 0, the SDK default): only
// the body, SHA-256 of the code area against code_area_hash, which is fatal
// even then. Secure boot on, in order: image ids, the key area's ECDSA
// signature (over bytes 0..0xBF) under the parent key, the code info's (over
// bytes 0..0x17F) under the key area's ext_public_key, anti-rollback
// popcount(version & mask) ≥ popcount(efuse & mask), MSID under its mask,
// the die id when maintenance_mode is 0x2A13C812, then the body. Each
// failure has its own sentinel (errors.go).
//
// # Signing modes
//
// The SDK's sign configs use SignSuite=4 by default: a hash-only form in
// which each signature field is SHA-256 of the signed bytes followed by 32
// zero bytes and ext_public_key is zero. Build with no key writes exactly
// that; its output equals the SDK-made images byte for byte (the test
// rebuilds all four from their code). Such an image boots only with secure
// boot off. Build with a key writes raw r ‖ s brainpoolP256r1 ECDSA
// signatures (32 bytes each, big-endian) with RFC 6979 nonces, so builds
// are reproducible in both modes.
//
// # Synthetic firmware
//
// SyntheticCode makes code that compresses like a real RV32IMC build at the
// SDK's LZMA settings (ratio 0.55..0.70; about 0.59 with the SDK's
// lzma_tool, whose encoder package lzma reproduces, and 0.60 with xz
// --format=lzma) from 64 KiB to 2 MiB and
// for any seed: functions with prologues and epilogues, calls, field loads
// and stores, branches, peripheral accesses, then strings and constant
// tables. It is plausible code, not a program: nothing executes it. The
// code starts with a 64-byte identification record (magic "WS63EMU\x00",
// kind, version string, version_ext, seed, size, CRC-32; see IdentLen) so
// the emulator can tell which build runs; IdentOf reads it back and reports
// false for real SDK code. Another version or seed changes the code
// throughout, as a real rebuild does.
//
// # Limitations
//
//   - Encrypted code (code_enc_flag ≠ NotEncrypted) is only marked: the
//     bytes are stored as given, since the on-the-fly flash keys are the
//     chip's. What value the closed signing tool writes for encrypted code
//     is unknown; Build writes 0.
//   - Anti-rollback and MSID are checked for both areas against one efuse
//     word each (VerifyOptions); the SDK sign configs set the key area's
//     masks to 0, which makes its check a no-op. Build writes the one MSID
//     pair of the sign config into both areas (the SDK-made images have 0).
//   - Parse checks structure and the body hash; code-info ids, signatures
//     and versions are Verify's, as boot checks them only with secure boot
//     on.
//   - Compressed code (code_compress_flag) is not built.
package image
