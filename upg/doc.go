// Package upg is the WS63 SDK's update library (src/middleware/utils/update
// and its ws63 porting layer) as the emulator needs it: the update.fwpkg
// package format, the fota.cfg reader and the packer of the SDK's build
// scripts, the device's package verification, LZMA payloads, and the
// errcode_t / upg_result_t values at the API boundary.
//
// # Model
//
// A package (docs/sdk-mapping.md §1) is, at file offsets, all little-endian:
//
//	0x000  key area (256)     image_id 0xCB8D154E, key_alg, signature_length,
//	                          sub public key X‖Y at 128, signature at 192
//	0x100  info area (256)    hash table address/length/SHA-256, image_num,
//	                          user area (112, the --ver string), signature at 192
//	0x200  hash table         image_num × 44-byte entries, zero-padded to 16
//	...    per image          160-byte header, then data zero-padded to 16
//
// Signatures cover each area's first 192 bytes: signature_length 32 means
// hash-only (SHA-256 in the first 32 bytes of the field, 32 zero bytes
// after), anything else brainpoolP256r1 ECDSA, raw r‖s, the key area under
// the root key (flash 0x40) and the info area under the public key in the
// key area. The table hash covers the padded table, each entry the SHA-256
// of its image's 160-byte header, each header the SHA-256 of its
// align16(image_len) data bytes. So every byte of a package is covered,
// except bytes 32..63 of a hash-only signature field, which the device
// never compares.
//
// Invariants: decoders take an io.ReaderAt and a size, check every
// offset and length against the size before reading, never allocate a
// length read from the input (image_num ≤ MaxImages is checked first;
// verification streams the data through a 4 KiB buffer), and report a
// *FormatError with the byte offset. Verification reports a *VerifyError
// naming the step, the upg_result_t the device records and the image index.
// Errors wrap the errcode_t the SDK returns in the same situation; Code
// recovers it (Errcode's %v is its Error(); use String() for the bare name).
//
// # SDK functions emulated
//
//	Go                              SDK
//	ReadPackage                     upg_get_package_header, upg_get_pkg_image_hash_table,
//	                                upg_get_pkg_image_header (direct flash access)
//	Package.ImageData               upg_get_pkg_image_data / upg_copy_pkg_image_data
//	Verifier.VerifyHead             uapi_upg_verify_file_head (steps 1–5)
//	Verifier.VerifyFile             uapi_upg_verify_file (steps 1–7)
//	Verifier.VerifyImage            uapi_upg_verify_file_image (uapi_upg_start re-checks each image)
//	Verifier.UserVerify/UserParam   uapi_upg_register_user_defined_verify_func
//	Verifier.RootKey                upg_get_root_public_key (flash 0x40)
//	Upg.compressTask (lzmatask.go)  uapi_upg_compress_image_update → uapi_upg_lzma_ota_image →
//	                                upg_lzma_init + upg_lzma_decode, call for call (package lzma
//	                                is LzmaDec_DecodeToBuf; 4 KiB input chunks, 16 KiB output buffer)
//	DeviceLZMASize                  upg_lzma_init's size sum (32-bit, shifts modulo 32)
//	NewLZMADecoder, LZMADecoder     the same decoder as an io.Reader, for tools
//	CompressLZMA                    lzma_tool -d12 -lc0 -lp0 e (package lzma: the LZMA SDK
//	                                22.00 encoder, same bytes), then fill_lzma_head
//	FillLZMAHead                    build_upg_pkg.py fill_lzma_head
//	ParseConfig, LoadConfig         build_upg_pkg.py's configparser (myconf) on fota.cfg
//	DefaultConfig                   build/config/target_config/ws63/fota/fota.cfg
//	Sections                        build_ws63_update.py get_new_image + check_image_key
//	Pack                            build_ws63_update.py → build_upg_pkg.py make_upg
//	                                (+ sign_tool_pltuni mode 3 unless Unsigned)
//	PackOptions.Images              build_upg_pkg.py's own image list (new_images), without
//	                                build_ws63_update.py's rules; UserArea: its --ver bytes
//	SignPackage                     sign_tool_pltuni mode 3 (closed; format from docs/sdk-mapping.md §1.6)
//	Errcode, Code                   errcode_t (errcode.h)
//	Options.EncryptChunk, ReEncrypt upg_encry_porting.c re-encryption (a model, encrypt.go)
//	Options.VerifyPolicy, PolicyOf  the verifier of SDK <= 1.10.101 or later (a model, compat.go)
//	Result, Status                  upg_result_t, upg_status_t (upg.h)
//
// The device side (storage API, flag area, upgrade engine) lives in
// storage.go, flag.go, engine.go and lzmatask.go. Its Flash is the SFC
// driver's API (package sfc: Program is uapi_sfc_reg_write, EraseRange
// uapi_sfc_reg_erase); the emulator hands the library an sfc.Driver over
// the chip, so every write and erase becomes the chip commands the device
// sends. upg_flash_erase's read–erase–write-back (eraseKeep) programs the
// saved head and tail even when they are all 0xFF, as the SDK does.
// api.go is the seam the programs call (API: Init, Status, StorageSize,
// Prepare, WritePackageSync, RequestUpgrade, Start, VerifyStoredPackage,
// ResetUpgradeFlag), which *Upg implements and Options.Engine can replace
// by the SDK engine (package sdkengine, the vendor's C library).
//
// # Flag-area writes, where the SDK source says more than the spec
//
// Checked against upg_process.c and upg_common.c (the spec's text is
// shorter): a retry transition programs only the bytes it changes (one
// byte for STARTED and RETRY, the first unconsumed byte onwards for
// FINISHED); the NV entry's four words are one 16-byte write;
// upg_set_complete_flag writes update_result before complete_flag, so a
// cut between them leaves the upgrade pending, and writes the 0xFFFF
// "half" value only once; the RETRY_ALL_FAILED check fires whenever the
// third retry byte changes, so an image that succeeds on its third attempt
// also ends the upgrade with RETRY_ALL_FAILED (later images are not
// applied); Start then returns ERRCODE_UPG_RETRY_ALL_FAIL, while a third
// attempt that fails returns the task's own error
// (upg_perform_upgrade_task returns the task's code before the status
// write's); progress starts from 0 %, so the callback never reports 0 %.
// The NV entry's result (upg_perform_nv_task) does not stop the loop; it
// is what Start returns only when no later image is processed (the packer
// puts NV last).
//
// # Device behaviour reproduced (docs/sdk-mapping.md §3.6, §4.2, §4.3, §4.8, §3.5)
//
//   - A raw image's task erases the whole target partition first
//     (UPG_CFG_SUPPORT_ERASE_WHOLE_IMAGE) and only then checks image_len
//     against the partition size: a raw image larger than its partition
//     fails every attempt with ERRCODE_FAIL after destroying the old
//     contents (the device then boots into try-fix-app). It copies exactly
//     image_len bytes.
//   - Re-encryption (Options.EncryptChunk) applies to compressed images
//     only: uapi_upg_full_image_update has no crypto step, so a raw image
//     with re_enc_flag set is copied as stored.
//   - Start before Init still runs upg_set_complete_flag as a direct
//     finish; the RAM temporary result is UPDATE_SUCCESS until Init sets
//     RESULT_MAX, so a pending upgrade is cancelled and recorded as a
//     success (ERRCODE_UPG_NOT_INIT is returned).
//   - ReadPackage checks its length through upg_check_buff's 16-bit cast (0
//     and multiples of 0x10000 are ERRCODE_UPG_INVALID_BUFF_LEN) and its
//     offset against the whole fota partition, flag tail included.
//   - Erase and write failures on the FOTA paths carry the SFC driver's own
//     code: the driver reads no program or erase status, so a failing flash
//     shows as ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY (0x80001344; a
//     flash.ErrTimeout); ERRCODE_UPG_FLASH_ERASE_ERROR is never returned
//     and ERRCODE_UPG_FLASH_WRITE_ERROR only by the AB config page. Inside
//     the LZMA decode loop a write failure becomes
//     ERRCODE_UPG_DECOMPRESS_FAIL, as every error of that loop does.
//
// # AB scheme
//
// ab.go is upg_ab.c (CONFIG_MIDDLEWARE_SUPPORT_UPG_AB, docs/sdk-mapping.md §5, the
// guide's AB面升级 chapter), selected by Options.AB. No package is used:
// the raw signed app image goes into the region not running, and the
// run region switches. Partitions 0x20 and 0x21 form one span (ABLayoutOf):
//
//	total  = size(0x20) + size(0x21);  single = roundup4K((total − 0x1000) / 2)
//	region A = start(0x20), single bytes            0x030000 / 0x1E1000
//	region B = start(0x20) + single, the rest       0x211000 / 0x1E0000
//	config   = the last 4 KiB of 0x21               0x3F1000
//
// (values for param_sector_double.json; the guide's table gives imageB
// 1928 KB ending 0x3F2FFF instead of the json's 0x1E1000 ending 0x3F1FFF,
// which would put region B at 0x1E1000 bytes and the config page at
// 0x3F2000 — the emulator follows the shipped json). The config page holds
// upg_ab_config_t, 8 bytes: check_num ABConfigMagic (0x70746C6C) and
// run_region (0 = A, 1 = B); the rest of the page stays erased.
//
//	Go                       SDK
//	Upg.RunRegion            upg_get_run_region
//	Upg.UpgRegion            upg_get_upg_region
//	Upg.RegionAddr, RegionSize  upg_get_region_addr, upg_get_region_size
//	Upg.ABImageRead          upg_ab_image_read
//	Upg.ABImageWrite         upg_ab_image_write (no erase)
//	Upg.SetRunRegion         upg_set_run_region
//	Upg.RegionErase          upg_region_erase
//	Upg.ABStart              upg_ab_start
//	ReadABConfig             a plain read of the page (no repair), for inspection
//
// Invariants and crash windows, as in the SDK: the run region changes only
// by a config-page rewrite (erase the page, program 8 bytes; up to
// ABConfigTries attempts, then ERRCODE_UPG_FLASH_WRITE_ERROR). Every read
// of the page checks check_num; a wrong one is repaired at once (erase,
// program {magic, A}; one attempt) — a factory-new device's first boot
// does that. So a cut during the rewrite leaves either the old page, an
// erased page (repaired: A), a page with the magic and an erased
// run_region (A), or the new page. The repair has a quirk, reproduced:
// upg_get_ab_config returns the record it read, not the repaired one, so
// the read that repairs still reports the old run_region when it is A or
// B, and the next read reports A; SetRunRegion after a repair in the same
// call writes the bad check_num back.
//
// upg_ab_start as shipped inverts its region check: it returns
// ERRCODE_INVALID_PARAM for A and B, and only for other values goes on to
// ws63_upg_init (which fails when the app has already initialised the
// library, giving ERRCODE_FAIL) and erases the upgrade region. The guide's
// example ignores the error and writes into the unerased region. With
// Options.ABStartSDKBug the shipped behaviour is reproduced; by default
// ABStart does what the guide describes: it accepts A and B, initialises
// the library if needed, and erases UpgRegion() — always the upgrade
// region, whatever the argument, as the SDK code does.
//
// # Limitations
//
//   - The user-defined area is 112 bytes, as in every WS63 SDK copy; the
//     FOTA guide says 48. The callback gets 112 bytes.
//   - Encryption (ReRncFlag "0x3C7896E1") uses the closed sign tool and
//     chip keys: Pack refuses it, or with PlainEncrypted writes the header
//     fields as the SDK does and leaves the data in the clear (a model,
//     not bit-exact). On the device side, ReEncrypt encrypts such an app
//     image, when it is compressed, as it is written with AES-128-CTR under
//     a key derived from an efuse flash key (encrypt.go): a documented
//     model, not the chip's.
//   - Pack refuses a section version_ext that is not a run of ones from
//     bit 0 (ErrVersionExt), as the guide's 防回滚号 rule asks; the SDK
//     packer does not check it, and PackOptions.AnyVersionExt packs it as
//     given. Diff images (the closed tool's mode 4, compiled out
//     on WS63) and SM2/RSA/SM3 signatures are refused (ErrUnsupported).
//   - ECDSA signatures use RFC 6979 nonces: valid, deterministic, but not
//     the closed tool's bytes. Whether that tool also sets ecc_curve_type,
//     key_length or the reserved bytes is not known; Pack leaves them 0.
//   - A failed ECDSA check returns ERRCODE_FAIL; the chip returns its crypto
//     driver's code, which is not public.
//   - Step 4 (upg_check_fota_information) never fails, as on WS63 (the MSID
//     check only logs). Per-image anti-rollback (step 8) and the diff
//     old-image check are compiled out on WS63 and not run.
//   - Reproduced device behaviour: hash table entries are read at
//     table + 44·i for i < image_num whatever image_hash_table_length says;
//     image_num is not limited during verification (ErrTooManyImages after);
//     align16(image_len) is computed in 32 bits, so image_len above
//     0xFFFFFFF0 hashes 0 bytes; key_alg and hardware_id are never read.
//   - LZMA headers: the device sums 11 size bytes with C shifts of 32 and
//     more (undefined behaviour). The upgrade task does what the WS63's
//     RISC-V shifts do (amount modulo 32: bytes 9..15 wrap into the size,
//     DeviceLZMASize) and checks nothing else, as the device; the tools'
//     ParseLZMAHeader and NewLZMADecoder refuse such headers
//     (ErrLZMAHeader).
//   - The compressed task's request of 16 KiB is not reduced by what the
//     output buffer already holds (upg_lzmadec.c): on the device a chunk
//     that decodes to more than 16 KiB overruns the buffer. The emulator
//     grows its buffer and programs what the code would.
//   - fota.cfg: sections without ImageId (other than the four fixed ones),
//     image sections lacking a key, a [DEFAULT] section, and numbers that do
//     not fit 32 bits are errors (configparser accepts them, ctypes
//     truncates); [SIGN_CFG] and [TOOLS] are optional because no tool is
//     run; '%' interpolation is not performed. --pkt entries the SDK would
//     ignore silently are errors. SignSuite (handed to the closed sign tool
//     by the SDK) is interpreted, not ignored: 0..3 (ECDSA) must come with
//     KeyAlg 0x2A13C812, 4 (SHA256 only) with a SHA-256 KeyAlg; SM2 and RSA
//     suites and undocumented values are refused (checkSignSuite). ReRncFlag
//     0x3C7896E1 is refused outside [application] (the guide: only app
//     images can be encrypted).
//   - AB: upg_ab_image_read/write add offset and length in 32 bits, so an
//     offset near 2^32 wraps past their bounds check on the chip; ABImageRead
//     and ABImageWrite refuse it (ERRCODE_INVALID_PARAM). A flash driver
//     failure inside ABImageWrite is upg_flash_write's code, passed up (a
//     timeout: 0x80001344); a read failure is reported as ERRCODE_FAIL.
//     SetRunRegion stores any value, as the SDK does (an
//     invalid one later reads as A); RegionErase does not check its
//     argument either.
package upg
