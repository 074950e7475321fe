package upg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"

	"github.com/ws63emu/ws63emu/image"
)

// Flash encryption (ReRncFlag, docs/sdk-mapping.md §4.8, the guide's 注意事项 on
// encryption): a documented model, not the chip's algorithm.
//
// On the chip, an application image whose package header has re_enc_flag
// 0x3C7896E1 is decrypted with a key derived from a hardware root key
// (ABRK) and re-encrypted as flashboot writes it with another derived key
// (ODRK1, salt = enc_pk_l1 ‖ enc_pk_l2[0..11], 28 bytes) and the header's
// IV; at boot, flashboot programs the flash controller's on-the-fly
// decryption (FAPC) for [app + 0x300, partition end) from the app's own
// code info (protection_key_l1/l2, iv) unless its code_enc_flag says
// "not encrypted". The keys never leave the chip, so the emulator:
//
//   - takes the device's flash key from efuse (efuse.AESKey, 128 bits; a
//     device with flash encryption has it provisioned, others read zero);
//   - derives the working key as SHA-256(efuse key ‖ salt)[0:16], the salt
//     being the 28 bytes the SDK passes to its key ladder;
//   - encrypts with AES-128-CTR: the IV is the initial counter block
//     (big-endian increment per 16 bytes), and byte k of the encrypted
//     window [image + EncryptOffset, …) uses keystream byte k;
//   - stores package data in the clear (upg.PackOptions.PlainEncrypted:
//     the ABRK decryption step is the identity), so only the write-side
//     encryption and the boot-side decryption are modelled.
//
// Upgrade side, Options.EncryptChunk is called with each decompressed
// chunk before it is programmed; ReEncrypt builds it for a device. The full
// (raw) image task has no crypto step in the SDK (docs/sdk-mapping.md §4.8), so it never
// calls it: a raw image is copied as stored whatever re_enc_flag says.

// Flash encryption constants.
const (
	// EncryptOffset is where the encrypted window starts in an image: the
	// code, after the 0x300-byte key area and code info (the FAPC window
	// starts at image + APP_IMAGE_HEADER_LEN).
	EncryptOffset = image.HeaderLen
	// FlashKeyLen is the efuse flash key's length (AES-128).
	FlashKeyLen = 16
	// FlashSaltLen is FLASH_KEY_SALT_LEN: protection_key_l1 ‖ the first 12
	// bytes of protection_key_l2.
	FlashSaltLen = 28
)

// FlashKey derives the working AES key from the efuse flash key and the
// two protection keys of a header (package image header or code info).
func FlashKey(efuseKey [FlashKeyLen]byte, l1, l2 [16]byte) [FlashKeyLen]byte {
	var in [FlashKeyLen + FlashSaltLen]byte
	copy(in[:], efuseKey[:])
	copy(in[FlashKeyLen:], l1[:])
	copy(in[FlashKeyLen+16:], l2[:FlashSaltLen-16])
	sum := sha256.Sum256(in[:])
	var k [FlashKeyLen]byte
	copy(k[:], sum[:FlashKeyLen])
	return k
}

// CryptAt XORs data with the AES-128-CTR keystream of (key, iv) starting
// at byte off of the encrypted window; encryption and decryption are the
// same operation.
func CryptAt(key [FlashKeyLen]byte, iv [16]byte, off uint32, data []byte) {
	if len(data) == 0 {
		return
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // unreachable: the key is 16 bytes
	}
	ctr := counterAt(iv, uint64(off/aes.BlockSize))
	s := cipher.NewCTR(block, ctr[:])
	if skip := off % aes.BlockSize; skip != 0 {
		var pad [aes.BlockSize]byte
		s.XORKeyStream(pad[:skip], pad[:skip])
	}
	s.XORKeyStream(data, data)
}

// counterAt adds n to the 128-bit big-endian counter iv.
func counterAt(iv [16]byte, n uint64) [16]byte {
	lo := binary.BigEndian.Uint64(iv[8:])
	hi := binary.BigEndian.Uint64(iv[:8])
	sum := lo + n
	if sum < lo {
		hi++
	}
	var c [16]byte
	binary.BigEndian.PutUint64(c[:8], hi)
	binary.BigEndian.PutUint64(c[8:], sum)
	return c
}

// EncryptFunc is Options.EncryptChunk: it transforms data, the
// decompressed chunk about to be programmed at offset off of the image's
// target partition, in place. An error fails the image task (a retry is
// consumed).
type EncryptFunc func(h ImageHeader, off uint32, data []byte) error

// ReEncrypt returns the EncryptChunk of a device whose efuse flash key is
// key; provisioned is false when the device has none. Only an application
// image whose re_enc_flag is FlagEncrypted is touched ("仅app镜像支持加密升级"):
// its bytes from EncryptOffset on are encrypted with FlashKey(key,
// enc_pk_l1, enc_pk_l2) and the header's IV. Without a provisioned key
// such an image fails with ErrNoFlashKey: the key ladder has nothing to
// derive from.
func ReEncrypt(key [FlashKeyLen]byte, provisioned bool) EncryptFunc {
	return func(h ImageHeader, off uint32, data []byte) error {
		if h.ImageID != ImageIDApp || h.ReEncFlag != FlagEncrypted {
			return nil
		}
		if !provisioned {
			return ErrNoFlashKey
		}
		end := off + uint32(len(data))
		if end <= EncryptOffset {
			return nil
		}
		skip := uint32(0)
		if off < EncryptOffset {
			skip = EncryptOffset - off
		}
		CryptAt(FlashKey(key, h.EncPKL1, h.EncPKL2), h.IV, off+skip-EncryptOffset, data[skip:])
		return nil
	}
}

// encryptChunk runs Options.EncryptChunk on a chunk about to be written.
func (u *Upg) encryptChunk(h ImageHeader, off uint32, data []byte) error {
	if u.opt.EncryptChunk == nil {
		return nil
	}
	if err := u.opt.EncryptChunk(h, off, data); err != nil {
		return flashErr(err, ErrcodeFail)
	}
	return nil
}
