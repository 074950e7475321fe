package flashboot

import (
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// Flash on-the-fly encryption (docs/sdk-mapping.md §4.8, main.c ws63_flash_encrypt_config),
// modelled as package upg's encrypt.go describes.
//
// Upgrade side: flashboot's update library gets upg.ReEncrypt over the
// efuse flash key as Options.EncryptChunk, so a compressed application
// image whose re_enc_flag is 0x3C7896E1 is encrypted as it is written (on
// a device without a provisioned key that image task fails); a raw image
// is copied as stored (docs/sdk-mapping.md §4.8: only the compressed path re-encrypts).
//
// Boot side, before the app is verified (flashEncryptConfigAt, for
// partition 0x20 in the compressed build and for the run region in an AB
// build): an app whose code_enc_flag is 0x3C7896E1 ("no encryption") is
// read as it is ("flash_encrypt disable."); any other value — an erased
// header's 0xFFFFFFFF included — turns the decryption window on for
// [app + 0x300, app + size of partition 0x20) with the key derived from
// the efuse flash key and the app's own code info (protection_key_l1/l2,
// iv) ("flash_encrypt enable."), and the app is verified and run through
// it.
// The chip can always derive a key; the model's device without a
// provisioned flash key (efuse zero) derives one that matches no data, so
// encrypted apps read as garbage there and fail verification ("VE").
//
// The guide's two rules follow: a device with flash encryption given a
// plain package (re_enc_flag 0) whose app is marked encrypted gets the
// plain bytes decrypted at boot and fails verification; a device without
// it given an encrypted package fails the app image task (the partition
// already erased: upg.ErrNoFlashKey) and, once the retries are spent, has
// no app. Both end in ws63_try_fix_app, which re-applies the same package.

// flashKey reads the efuse flash key; ok is false when none is provisioned
// (all zero).
func flashKey(b Board) (k [upg.FlashKeyLen]byte, ok bool) {
	copy(k[:], b.Efuse().Read(efuse.AESKey))
	return k, k != [upg.FlashKeyLen]byte{}
}

// upgOptions are the board's update-library options with the upgrade-side
// re-encryption wired in.
func upgOptions(b Board) upg.Options {
	o := b.UpgOptions()
	if o.EncryptChunk == nil {
		k, ok := flashKey(b)
		enc := upg.ReEncrypt(k, ok)
		o.EncryptChunk = func(h upg.ImageHeader, off uint32, data []byte) error {
			err := enc(h, off, data)
			if err != nil {
				event(b, "flash encryption model: the %s image (re_enc_flag 0x%08X) cannot be re-encrypted at offset 0x%x: %v", upg.ImageName(h.ImageID), h.ReEncFlag, off, err)
			}
			return err
		}
	}
	return o
}

// appHeader reads the code info of the image at the start of e.
func appHeader(f io.ReaderAt, e partition.Entry) (image.CodeInfo, bool) {
	var ci image.CodeInfo
	if e.Size < image.HeaderLen {
		return ci, false
	}
	b := make([]byte, image.CodeInfoLen)
	if _, err := f.ReadAt(b, int64(e.Offset)+image.KeyAreaLen); err != nil {
		return ci, false
	}
	return ci, ci.UnmarshalBinary(b) == nil
}

// flashEncryptConfigAt is ws63_flash_encrypt_config(image_addr,
// image_size) for the app image at e.Offset with the window e.Size long:
// partition 0x20 in the compressed build, the run region's start with
// partition 0x20's size in an AB build. It returns false, with the
// reason, when flashboot resets instead of verifying the app (a window
// that is not 256-byte aligned).
func flashEncryptConfigAt(b Board, e partition.Entry) (string, bool) {
	ci, ok := appHeader(b.Flash(), e)
	if !ok || ci.CodeEncFlag == image.NotEncrypted {
		b.Print("flash_encrypt disable.")
		return "", true
	}
	if (e.Offset+image.HeaderLen)%flashEncryptAlign != 0 || e.End()%flashEncryptAlign != 0 {
		b.Print(fmt.Sprintf("Addr not 256byte alignment 0x%x 0x%x", e.Offset+FlashStart, e.End()+FlashStart))
		return "the app's encryption window is not 256-byte aligned", false
	}
	b.Print("flash_encrypt enable.")
	if _, ok := flashKey(b); !ok && ci.CodeEncFlag != 0xFFFFFFFF { // not an erased header
		event(b, "flash encryption model: code_enc_flag 0x%08X asks for decryption, but efuse holds no flash key: the app reads as garbage", ci.CodeEncFlag)
	}
	return "", true
}

// flashEncryptAlign is FLASH_ENCRY_ADDR_ALINE.
const flashEncryptAlign = 256

// appReader is partition e as the CPU reads it: through the decryption
// window when the app's code_enc_flag asks for it.
func appReader(b Board, e partition.Entry) io.ReaderAt {
	r := io.NewSectionReader(b.Flash(), int64(e.Offset), int64(e.Size))
	ci, ok := appHeader(b.Flash(), e)
	if !ok || ci.CodeEncFlag == image.NotEncrypted {
		return r
	}
	k, _ := flashKey(b)
	return &decryptReader{r: r, key: upg.FlashKey(k, ci.ProtectionKeyL1, ci.ProtectionKeyL2), iv: ci.IV}
}

// decryptReader decrypts reads at offsets from upg.EncryptOffset on.
type decryptReader struct {
	r   io.ReaderAt
	key [upg.FlashKeyLen]byte
	iv  [16]byte
}

func (d *decryptReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.r.ReadAt(p, off)
	start := int64(upg.EncryptOffset)
	if end := off + int64(n); end > start {
		from := max(off, start)
		upg.CryptAt(d.key, d.iv, uint32(from-start), p[from-off:n])
	}
	return n, err
}
