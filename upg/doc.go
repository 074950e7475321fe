// Package upg is the WS63 SDK's update library (src/middleware/utils/update
// and its ws63 porting layer) as the emulator needs it: the update.fwpkg
// package format, the fota.cfg reader and the packer of the SDK's build
// scripts, the device's package verification, LZMA payloads, and the
// errcode_t / upg_result_t values at the API boundary.
//
// # Model
//
// A package (spec §1) is, at file offsets, all little-endian:
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
//	NewLZMADecoder, LZMADecoder     upg_lzma_init + upg_lzma_decode (LzmaDec_DecodeToBuf),
//	                                with uapi_upg_lzma_ota_image's size check
//	CompressLZMA                    lzma_tool -d12 -lc0 -lp0 e, then fill_lzma_head
//	FillLZMAHead                    build_upg_pkg.py fill_lzma_head
//	ParseConfig, LoadConfig         build_upg_pkg.py's configparser (myconf) on fota.cfg
//	DefaultConfig                   build/config/target_config/ws63/fota/fota.cfg
//	Sections                        build_ws63_update.py get_new_image + check_image_key
//	Pack                            build_ws63_update.py → build_upg_pkg.py make_upg
//	                                (+ sign_tool_pltuni mode 3 unless Unsigned)
//	SignPackage                     sign_tool_pltuni mode 3 (closed; format from spec §1.6)
//	Errcode, Code                   errcode_t (errcode.h)
//	Result, Status                  upg_result_t, upg_status_t (upg.h)
//
// The device side (storage API, flag area, upgrade engine) lives in
// storage.go, flag.go and engine.go.
//
// # Limitations
//
//   - The user-defined area is 112 bytes, as in every WS63 SDK copy; the
//     FOTA guide says 48. The callback gets 112 bytes.
//   - Encryption (ReRncFlag "0x3C7896E1") uses the closed sign tool and
//     chip keys: Pack refuses it, or with PlainEncrypted writes the header
//     fields as the SDK does and leaves the data in the clear (a model,
//     not bit-exact). Diff images (the closed tool's mode 4, compiled out
//     on WS63) and SM2/RSA/SM3 signatures are refused (ErrUnsupported).
//   - ECDSA signatures use RFC 6979 nonces: valid, deterministic, but not
//     the closed tool's bytes. Whether that tool also sets ecc_curve_type,
//     key_length or the reserved bytes is not known; Pack leaves them 0.
//   - CompressLZMA is ulikunitz/xz's encoder, not the LZMA SDK's: the same
//     format and settings, different bytes and a slightly larger output
//     (W1: 0.62 vs xz's 0.59). PackOptions.Compress accepts lzma_tool's
//     output for byte-identical packages.
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
//     more (undefined behaviour); only headers with bytes 9..15 zero have a
//     defined meaning, so others are refused (ErrLZMAHeader).
//   - fota.cfg: unknown sections, a [DEFAULT] section, and numbers that do
//     not fit 32 bits are errors (configparser accepts them, ctypes
//     truncates); [SIGN_CFG] and [TOOLS] are optional because no tool is
//     run; '%' interpolation is not performed. --pkt entries the SDK would
//     ignore silently are errors.
package upg
