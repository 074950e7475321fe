// Package efuse models the WS63's one-time-programmable efuse array: 2048
// bits (Size = 256 bytes) that start at 0 and can only be burned to 1.
//
// # Contract
//
//   - A blank chip (the zero Bank) has every bit 0.
//   - Burn only sets bits. A burn that would need a 1 to become 0 fails
//     with ErrClearBit and changes nothing; re-burning the same value is a
//     no-op. There is no erase.
//   - Fields are read as stored (Read) or, for fields of at most 32 bits,
//     as a little-endian integer (ReadU32), as the RISC-V core reads them.
//   - MarshalBinary/UnmarshalBinary carry the whole raw 256-byte array;
//     UnmarshalBinary loads saved state and is not subject to the burn rule.
//
// # Field map
//
// Offsets mirror the WS63 SDK's efuse table (g_efuse_cfg in
// drivers/chips/ws63/porting/efuse/efuse_porting.c and the constants in
// efuse_porting.h). Every modelled field is byte aligned, so a field's byte
// offset in MarshalBinary is its bit offset / 8:
//
//	field              bit   bits  bytes     SDK item
//	die-id               8    128    1..16   EFUSE_DIE_ID_ID (160 bits; see below)
//	aes-key            384    128   48..63   none: emulator model, see below
//	app-version        624     32   78..81   EFUSE_MCU_VER_ID, EFUSE_APP_ROLLBACK_VERSION
//	flashboot-version  656      8       82   EFUSE_FLASHBOOT_VER_ID, EFUSE_FLASHBOOT_ROLLBACK_VERSION
//	params-version     664      8       83   EFUSE_PARAMS_VER_ID
//	root-key-hash      672    256  84..115   EFUSE_HASH_ROOT_PUBLIC_KEY_ID
//	msid               928     32 116..119   EFUSE_MSID_ID
//	secure-verify      960      8      120   EFUSE_SEC_VERIFY_ENABLE (SDK: 1 bit)
//
// The anti-rollback fields hold bit masks, not numbers: the boot check is
// popcount(image version & mask) ≥ popcount(efuse version & mask) (docs/sdk-mapping.md
// §6.2), so versions grow 0→1→3→7…, and the spec's "efuse offsets 656
// (flashboot) / 624 (app)" (docs/sdk-mapping.md §1.6 step 8) are these bit offsets.
//
// Departures from the SDK table, each deliberate:
//
//   - flashboot-version is 8 bits wide, as in the SDK (not 32): the next
//     SDK items start at bit 664. ReadU32/BurnU32 work on it (zero-extended;
//     BurnU32 rejects values above 0xFF with ErrTooWide).
//   - die-id models the first 128 bits (16 bytes) of the SDK's 160-bit
//     die-id item: the 16 bytes an image's key area die_id is compared with
//     in maintenance mode. Bytes 17..20 stay in the raw array, unnamed.
//   - secure-verify exposes the whole byte 120; the SDK burns and reads only
//     its bit 0 (bit 960). Secure verification is on when the byte is
//     non-zero (SecureVerifyEnabled).
//   - aes-key has no SDK efuse item: the chip's flash-encryption keys live
//     in the hardware key ladder and cannot be read. It is placed in bytes
//     48..63, which the SDK table leaves unused, for the re-encryption model.
//   - The upg library's MSID check reads efuse byte 0xF8 and only logs
//     (docs/sdk-mapping.md §1.6 step 4); it is not modelled as a field.
package efuse
