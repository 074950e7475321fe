// Package nv is the WS63 SDK's NV key-value store (the "KV storage
// library", src/middleware/utils/nv) as the upgrade flow needs it: the
// on-flash page and key formats, the store's write algorithm (append,
// invalidate, defragment), and the NV upgrade's merge of an NV image into
// the store (nv_upg.c, run by the app at start-up, docs/sdk-mapping.md §4.7).
//
// # Format
//
// The format below was read from two real stores (in the device reference
// data some tests read, internal/testutil) — nv.bin (the NV data partition
// 0x10, flash 0x3FC000) and nv_factory.bin
// (the NV backup partition 0x09, flash 0x00C000) byte by byte, and the
// field meanings confirmed against the SDK's nv_key.h, nv_page.h and
// nv_store.h. Every one of the 97 keys in each file passes the CRC below;
// the two files differ only in the store id (0x254D vs 0x34B2) and hence
// the check word.
//
// A region is a run of 4 KiB pages (one flash sector each). Every page
// starts with a 16-byte header, little-endian:
//
//	0  u16 store_id      0x254D application (KV_STORE_ID_ACPU), 0x34B2 backup
//	2  u8  ver           1: keys carry the 0xA9 magic
//	3  u8  page_index    logical page within the store
//	4  u32 ~details      complement of bytes 0..3
//	8  u32 sequence      +1 at every defragmentation of the page
//	12 u32 ~sequence
//
// Keys follow from offset 16, back to back; erased (0xFF) space follows
// the last. A key is a 16-byte header, little-endian,
//
//	0  u8  magic   0xA9
//	1  u8  valid   0xFF; programmed to 0x00 when superseded or deleted
//	2  u16 length  value bytes
//	4  u8  type    0xFF normal, 0x00 permanent (never modified or deleted)
//	5  u8  upgrade 0xFF upgradable, 0x00 kept by an NV upgrade
//	6  u16 key_id
//	8  u16 enc_key 0 plain; 0x52 encrypted (value padded to 16, 32-byte tag)
//	10 u16 version
//	12 u32 rnd     (0xFFFF / 0xFFFFFFFF in the real stores)
//
// then the value zero-padded to 4 bytes, then the CRC-32 (IEEE, as zlib)
// of header and padded value, stored big-endian; a cleared valid byte is
// read as 0xFF for the CRC. So an entry takes 16 + align4(length) + 4
// bytes. In the WS63 configuration (nv_config.h) the application store has
// 3 logical pages in the 4 pages of partition 0x10; the fourth is the
// spare a defragmentation copies into. The backup region (partition 0x09)
// holds store 0x34B2: nv_factory.bin is the factory copy of the store.
//
// # Model
//
// Parsing (ParsePage, ParseRegion) follows the SDK: a page is used only if
// both check words match; of two pages claiming the same (store, index)
// the higher sequence number wins (kv_nvregion_build_map). A key is valid
// if its valid byte is 0xFF and its CRC holds; a reader takes the first
// valid instance in store order. Keys are walked twice, as the SDK does
// (CONFIG_NV_SUPPORT_SKIP_CORRUPT_KEY, on in WS63). The find walk, which
// readers, defragmentation and invalidation use (kv_page_find_first_key /
// next_key), steps from key to key by length and checks a key's CRC only
// when the next location holds no key header; a key that fails is skipped
// by searching byte by byte for the next header whose CRC holds. The
// status walk (kv_page_read_status_to_map), which places the next write,
// checks every key and ends the page after the last programmed byte.
//
// Store is the SDK's writer (nv_update.c): Open creates missing store
// pages; Set finds the first page with room (or defragments the page with
// room to gain and the lowest sequence number into an unused page: erase,
// copy the valid keys, then program the header with sequence + 1),
// programs the new instance in 32-byte chunks, and only then clears the
// valid byte of every older instance. Merge is the NV upgrade: for each
// application-store page of the image, each key is written unless the
// store holds it as permanent, encrypted or non-upgradable; keys the image
// does not carry — the user's — are never touched.
//
// Invariants: data first, commit last. A cut while a new instance is
// programmed leaves it corrupt and the old one valid; a cut before the
// old instance is cleared leaves both valid (readers take the first, the
// next write clears both); a torn defragmentation leaves the new copy
// without a valid header and the old copy in place, and an old copy is
// erased only after its successor's header is complete. So no cut loses a
// key at once. But one hazard is the SDK's own and is reproduced: a key
// header torn after 4 to 9 bytes keeps magic and length while enc_key
// reads 0xFFFF, so the walk pads the length to 16 as for an encrypted key.
// The status walk puts the next write right behind the torn bytes; when
// that key is exactly as long as the torn header claims (a rewrite of the
// same key often is: e.g. an 8-byte tear of a key of length ≡ 5..8 mod 16)
// and one more key is written behind it, the find walk steps from the torn
// header over it. The key vanishes for every reader, and a
// defragmentation drops it for good. Scenarios reach nv-lost this way
// (nv-torn-write-loses-user-key.scn). Parsers check every length against
// the page before reading and allocate at most one page at a time (a
// region at most MaxRegionPages).
//
// # Limitations
//
//   - Encrypted keys (enc_key != 0) need the chip's key: they are parsed
//     (their CRC, in the last 4 bytes of the tag area, is checked; the GCM
//     tag is not) and copied by defragmentation, but Set refuses to write
//     one (ErrEncrypted).
//   - Version-0 pages (keys without magic, a legacy format) are treated as
//     unused (ErrLegacyPage).
//   - A key whose header claims more bytes than the page holds fails its
//     integrity check; the SDK would read on into the next sector.
//   - The SDK's NV code was read in its HiSilicon SDK form (nv_key.c,
//     nv_page.c, nv_update.c, nv_upg.c, nv_nvregion.c, nv_store.c) with the
//     WS63 nv_config.h; the WS63 copies of the .c files were not at hand.
//   - A new key's version and rnd start from 0xFFFF / 0xFFFFFFFF (the SDK
//     builds the header in a static handle that holds whatever the last
//     lookup left); a replaced key keeps its predecessor's, and a
//     non-upgradable one increments version, as kv_key_build_from_new.
//   - The NV upgrade does not touch the backup region (WS63 builds with
//     CONFIG_NV_SUPPORT_BACKUP_UPGRADE off); restore from backup is not
//     modelled.
package nv
