// Package partition models the WS63 flash partition table: the SDK's two
// layouts, the table's binary form at flash 0x380, the signed params blob
// that holds it, validation, and bounded views of one partition.
//
// # Model
//
// A Table is what uapi_partition_init keeps after reading flash: the header
// (image id TableImageID, struct version, version) and 16 entries, each an ID
// byte, a flash offset and a size. Lookup finds the first entry with an id,
// as uapi_partition_get_info does, and fails with ErrNotFound
// (ERRCODE_PARTITION_CONFIG_NOT_FOUND, the error the guide's FAQ blames on a
// missing table). Code maps errors to the SDK's errcode_t values.
//
// # Layouts
//
// Default returns the tables the SDK ships (offsets and sizes in bytes):
//
//	id    name              compress (default)     ab (param_sector_double.json)
//	0x00  ssb               0x002000 +0x6000       same
//	0x01  flashboot         0x020000 +0x10000      same
//	0x02  flashboot-backup  0x010000 +0x10000      same
//	0x03  root-key          0x000000 +0x800        same
//	0x08  customer-factory  0x008000 +0x4000       same
//	0x09  nv-backup         0x00C000 +0x4000       same
//	0x10  nv                0x3FC000 +0x4000       same
//	0x11  crash-info        0x3FB000 +0x1000       same
//	0x20  imageA            0x030000 +0x240000     0x030000 +0x1E1000
//	0x21  fota / imageB     0x270000 +0x183000     0x211000 +0x1E1000
//	0x30  rsv0              0x3F3000 +0x8000       0x3F2000 +0x9000
//	0x31..0x35 rsv1..rsv5   0x3F3000 +0            0x3F2000 +0
//
// Id 0x21 is the FOTA package store in the compress layout and image B in
// the AB layout (ID.Name); 0x31 doubles as the hilink image in the SDK's
// hilink_indie_upgrade table. The customer partitions 0x30..0x35 are
// configured with WithCustom (guide: "ids from 0x30 can be customised";
// more room comes out of imageA, imageB or fota data, which With expresses).
//
// # Binary table
//
// MarshalBinary writes what the SDK's param_packet.py writes (TableLen bytes;
// see binary.go for the layout) and Parse reads what uapi_partition_init
// reads: image id (else ErrInit = ERRCODE_PARTITION_INIT_ERR), item count at
// least 16 (else ErrInit), ids from the fixed offset 15 and items from
// item_offset; only the first 16 entries are kept, as on the device.
// ParseFlash reads the table at flash TableOffset.
//
// # Params blob
//
// Partition 0x03 starts with the ParamsLen (0x780) byte params blob
// (root_params_sign.bin), built by BuildParams and decoded by ParseParams:
//
//	0x000 +0x080  root public key area (RootArea; SHA-256 = efuse root key hash)
//	0x080 +0x100  params key area (KeyArea, image id 0x4B87A51E), signed by the root key
//	0x180 +0x200  params info (InfoArea, image id 0x4B87A52D): SHA-256 of the table,
//	              params_area_len 0x400; signed by the key area's ext public key
//	0x380 +0x400  the table
//
// Signatures cover key area bytes 0..0xBF and info bytes 0..0x17F. In the
// SDK's hash-only mode (the shipped blob) the root key area stays erased,
// the ext public key is zero and each signature field holds the SHA-256 of
// the signed bytes followed by 32 zero bytes; signature_length is 0x40 in
// both modes. With ParamsOptions.Root set, the root key area is filled from
// the signer's public key and both areas carry ECDSA signatures (raw r ‖ s).
//
// BuildParams(Default(LayoutCompress), ParamsOptions{}) reproduces bytes
// 0x80..0x77F of the real blob exactly. Every byte is derived; one group is
// inferred rather than read from SDK source: params info bytes 72..135,
// which the device's params_area_info_t declares reserved, hold in the real
// blob the code-info fields the closed signing tool fills from its sign
// config — enc flag 0x1E6987C3 (HiSilicon's FLASH_ENCRY_FLAG), protection
// keys L1 = L2 = 00112233…EEFF, iv 101112…1F, compress flag 0, uncompressed
// length 0x400, text segment size 0x10000 — the sign configs' defaults. The
// device never reads them; InfoArea names them after the code-info fields.
//
// # Validation
//
// Validate checks exactly 16 entries (uapi_partition_init refuses fewer, the
// guide allows at most 16 ids); the FixedIDs (0x00..0x03, 0x08, 0x09, 0x10,
// 0x11, 0x20, 0x21), which the SDK looks up, each present; every other id a
// customer id 0x30..0x3F (the guide: "ids from 0x30 can be customised";
// param_sector.json: "data on flash: 0x30 ~ 0x3F"), none twice; 4 KiB
// alignment of non-empty partitions (the root key partition's size 0x800
// is exempt because the SDK ships it so); the root key partition at flash
// 0 holding at least the params blob; every partition inside the flash; no
// overlap between non-empty partitions (empty ones, like rsv1..rsv5, may
// sit anywhere in bounds). Each failure is an *EntryError naming the
// entries, with their positions (Items), and wrapping a distinct sentinel.
//
// # JSON
//
// ParseJSON decodes the SDK's param_sector*.json as param_packet.py reads it
// (hex strings). LoadJSON adds the checks above and the device's image id
// check, and reports a failure as a one-line *JSONError naming the file and
// the JSON field ("Partition_Tbl.param_info[9] and [10]: … partitions
// overlap"). The SDK's default json packs to exactly the table at 0x380 of
// the real params blob. param_packet.py itself checks none of this: a bad
// json builds a params.bin that the device refuses or misreads, which is
// why the emulator refuses it up front.
//
// # Views
//
// A View confines reads, programs and erases to one partition, with offsets
// relative to its start; an access that would leave it fails with
// ErrOutOfBounds before the flash is touched. Views need only io.ReaderAt and
// Programmer, so this package does not depend on package flash.
//
// # Limitations and departures from the guide
//
//   - AB imageB: the guide's table gives imageB 1928 KB at 0x211000..0x3F2FFF;
//     the shipped param_sector_double.json (used here) gives 0x1E1000 bytes
//     ending 0x3F1FFF, with rsv0 starting at 0x3F2000 (the guide's range would
//     overlap rsv0). The AB config page is the last 4 KiB of 0x21 either way.
//   - The guide says partitions 0x00..0x09 are write-protected after
//     production; nothing here enforces write protection.
//   - The device stores sizes in a 24-bit bit-field and, for a table with
//     more than 16 items, its lookup scans past its 16-slot array; neither
//     matters for a valid 4 MiB table and neither is modelled.
//   - Parse rejects an item_offset that is misaligned, lets items overlap the
//     header or ids, or runs past TableLen (ErrItemOffset); the device would
//     read such a table anyway, but param_packet.py never writes one.
//   - ParseParams supports only params_area_addr 0 (table right after the
//     info), the only form the SDK produces.
package partition
