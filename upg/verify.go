package upg

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/image"
)

// VerifyStep is a step of the device's package verification, in the
// order uapi_upg_verify_file runs them (docs/sdk-mapping.md §1.6).
type VerifyStep int

// The verification steps. 1–5 are uapi_upg_verify_file_head.
const (
	StepImageID   VerifyStep = iota + 1 // key and info area image_id == 0xCB8D154E
	StepKeyArea                         // key area hash or ECDSA signature (root key)
	StepInfoArea                        // info area hash or ECDSA signature (key area's public key)
	StepFotaInfo                        // upg_check_fota_information: MSID, only logged on WS63, never fails
	StepUserHook                        // the user-defined check on the 112-byte user area
	StepHashTable                       // SHA-256 of the hash table
	StepImage                           // per image: header magic, header hash, data hash
)

var stepNames = [...]string{
	StepImageID:   "image id",
	StepKeyArea:   "key area",
	StepInfoArea:  "info area",
	StepFotaInfo:  "fota information",
	StepUserHook:  "user-defined check",
	StepHashTable: "hash table",
	StepImage:     "image",
}

func (s VerifyStep) String() string {
	if s >= StepImageID && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("VerifyStep(%d)", int(s))
}

// VerifyError is a failed verification step, with the temporary result the
// device sets (upg_set_temporary_result) and the errcode_t it returns.
type VerifyError struct {
	Step   VerifyStep
	Result Result  // VERIFY_HEAD_FAILED (steps 1–5), VERIFY_HASH_TABLE_FAILED, VERIFY_IMAGE_FAILED
	Image  int     // image index for StepImage, else -1
	Code   Errcode // what uapi_upg_verify_file returns
	Msg    string
}

func (e *VerifyError) Error() string {
	where := fmt.Sprintf("step %d (%s)", int(e.Step), e.Step)
	if e.Image >= 0 {
		where = fmt.Sprintf("step %d (%s %d)", int(e.Step), e.Step, e.Image)
	}
	return fmt.Sprintf("upg: verify %s: %s: %s", where, e.Result, e.Msg)
}

// Unwrap returns the errcode_t, so Code(err) reports it.
func (e *VerifyError) Unwrap() error { return e.Code }

// UserVerifyFunc is a callback registered with
// uapi_upg_register_user_defined_verify_func: it gets the info area's
// 112-byte user area and the registered parameter; a non-nil error fails
// verification step 5 and Code(err) is what the device returns.
type UserVerifyFunc func(user []byte, param any) error

// Verifier verifies packages as the device does (upg_verify.c).
type Verifier struct {
	// RootKey is the root public key, raw X ‖ Y, as the device reads it at
	// flash 0x40 (the root key area's key bytes). Used only when the key
	// area's signature_length is not 32.
	RootKey [image.PublicKeyLen]byte
	// UserVerify and UserParam are the registered user-defined check.
	UserVerify UserVerifyFunc
	UserParam  any
	// Memo, when set, memoises the SHA-256 of image data (Options.Memo).
	Memo *Memo
	// Policy is the verifier generation of the firmware (compat.go); the
	// zero value is the SDK source's check.
	Policy VerifyPolicy
}

func headFail(step VerifyStep, code Errcode, format string, a ...any) *VerifyError {
	return &VerifyError{Step: step, Result: ResultVerifyHeadFailed, Image: -1, Code: code, Msg: fmt.Sprintf(format, a...)}
}

// checkArea is verify_fota_key_area / verify_fota_info: a 32-byte
// signature_length means SHA-256 of the first 192 bytes must equal the
// signature field's first 32 bytes; any other value means a
// brainpoolP256r1 ECDSA signature (r ‖ s) of that digest under pub.
func checkArea(area []byte, sigLen uint32, pub [image.PublicKeyLen]byte) (string, bool) {
	d := sha256.Sum256(area[:SignedLen])
	sig := area[SignedLen : SignedLen+SignatureLen]
	if sigLen == HashOnlySigLen {
		if [32]byte(sig[:32]) != d {
			return "SHA-256 of the first 192 bytes does not match the hash-only signature (signature_length 32)", false
		}
		return "", true
	}
	if !image.VerifyDigest(pub, d, [SignatureLen]byte(sig)) {
		return fmt.Sprintf("ECDSA signature (signature_length %d) does not verify", sigLen), false
	}
	return "", true
}

// VerifyHead runs steps 1–5 (uapi_upg_verify_file_head). The returned
// Package has Key and Info only. A package shorter than its 512-byte
// header is a *FormatError, not a verification failure.
func (v *Verifier) VerifyHead(r io.ReaderAt, size int64) (*Package, error) {
	p, b, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	// Step 1 (upg_check_fota_image_id).
	if p.Key.ImageID != PackageImageID {
		return nil, headFail(StepImageID, ErrcodeFail, "key area image_id 0x%08X at offset 0x0, want 0x%08X", p.Key.ImageID, uint32(PackageImageID))
	}
	if p.Info.ImageID != PackageImageID {
		return nil, headFail(StepImageID, ErrcodeFail, "info area image_id 0x%08X at offset 0x100, want 0x%08X", p.Info.ImageID, uint32(PackageImageID))
	}
	// Step 2: key area, with the root key.
	if msg, ok := v.Policy.checkArea(b[:KeyAreaLen], p.Key.SignatureLength, p.Key.KeyAlg, v.RootKey); !ok {
		return nil, headFail(StepKeyArea, ErrcodeFail, "key area (offset 0x0): %s under the root key", msg)
	}
	// Step 3: info area, with the key area's fota_external_public_key.
	if msg, ok := v.Policy.checkArea(b[KeyAreaLen:], p.Info.SignatureLength, p.Key.KeyAlg, p.Key.ExtPublicKey); !ok {
		return nil, headFail(StepInfoArea, ErrcodeFail, "info area (offset 0x100): %s under the key area's public key", msg)
	}
	// Step 4: upg_check_fota_information only logs an MSID mismatch on WS63.
	// Step 5: the user-defined check.
	if v.UserVerify != nil {
		if err := v.UserVerify(p.Info.User[:], v.UserParam); err != nil {
			return nil, headFail(StepUserHook, Code(err), "user-defined check: %v", err)
		}
	}
	return p, nil
}

// VerifyFile runs steps 1–7 (uapi_upg_verify_file) and returns the decoded
// package. Like the device it reads hash table entry i at the table offset
// + 44·i for i < image_num whatever image_hash_table_length says, and
// checks no image count; a package that verifies with image_num above
// MaxImages then fails with ErrTooManyImages (ERRCODE_UPG_WRONG_IMAGE_NUM),
// as uapi_upg_request_upgrade does.
func (v *Verifier) VerifyFile(r io.ReaderAt, size int64) (*Package, error) {
	p, err := v.VerifyHead(r, size)
	if err != nil {
		return nil, err
	}
	// Step 6: the hash table, padding included.
	off, n := p.Info.TableOffset(), int64(p.Info.HashTableLen)
	if off > size || n > size-off {
		return nil, &VerifyError{Step: StepHashTable, Result: ResultVerifyHashTableFailed, Image: -1, Code: ErrcodeFail,
			Msg: fmt.Sprintf("table at 0x%X (+%d bytes) runs past the end of the %d-byte package", off, n, size)}
	}
	s := newScratch()
	s.memo = v.Memo
	sum, err := hashSection(r, off, n, s)
	if err != nil {
		return nil, err
	}
	if sum != p.Info.HashTableHash {
		return nil, &VerifyError{Step: StepHashTable, Result: ResultVerifyHashTableFailed, Image: -1, Code: ErrcodeFail,
			Msg: fmt.Sprintf("SHA-256 of the %d-byte table at 0x%X does not match image_hash_table_hash", n, off)}
	}
	// Step 7: every image (uapi_upg_verify_image).
	num := p.Info.ImageNum
	keep := min(num, MaxImages)
	p.Nodes = make([]HashNode, 0, keep)
	p.Headers = make([]ImageHeader, 0, keep)
	for i := uint32(0); i < num; i++ {
		node, err := readNode(r, size, &p.Info, int(i), s)
		if err != nil {
			return nil, imageFail(int(i), ErrcodeFail, "%v", err)
		}
		h, err := verifyImage(r, size, &node, int(i), s)
		if err != nil {
			return nil, err
		}
		if i < MaxImages {
			p.Nodes = append(p.Nodes, node)
			p.Headers = append(p.Headers, h)
		}
	}
	if num > MaxImages {
		return nil, &FormatError{Off: KeyAreaLen + 72, Msg: fmt.Sprintf("image_num %d exceeds %d", num, MaxImages), Err: ErrTooManyImages}
	}
	return p, nil
}

// VerifyImage runs step 7 for image i of p (uapi_upg_verify_file_image):
// the header the hash table entry points to is read again from r, its
// magic and hash checked, then the data hash. uapi_upg_start does this
// before applying each image.
func (v *Verifier) VerifyImage(r io.ReaderAt, size int64, p *Package, i int) error {
	if i < 0 || i >= len(p.Nodes) {
		return fmt.Errorf("upg: image index %d out of range [0, %d)", i, len(p.Nodes))
	}
	s := newScratch()
	s.memo = v.Memo
	_, err := verifyImage(r, size, &p.Nodes[i], i, s)
	return err
}

func imageFail(i int, code Errcode, format string, a ...any) *VerifyError {
	return &VerifyError{Step: StepImage, Result: ResultVerifyImageFailed, Image: i, Code: code, Msg: fmt.Sprintf(format, a...)}
}

func verifyImage(r io.ReaderAt, size int64, node *HashNode, i int, s *scratch) (ImageHeader, error) {
	h, err := readImageHeader(r, size, node, i, s)
	if err != nil {
		return h, imageFail(i, ErrcodeFail, "%v", err)
	}
	name := func() string { return ImageName(node.ImageID) }
	if h.Magic != ImageHeaderMagic {
		return h, imageFail(i, ErrcodeFail, "%s header at 0x%X: header_magic 0x%08X, want 0x%08X", name(), node.ImageAddr, h.Magic, uint32(ImageHeaderMagic))
	}
	if sha256.Sum256(s.hdr[:]) != node.ImageHash {
		return h, imageFail(i, ErrcodeFail, "%s header at 0x%X: SHA-256 does not match the hash table entry", name(), node.ImageAddr)
	}
	off, n := int64(h.ImageOffset), int64(h.DataLen())
	if off > size || n > size-off {
		return h, imageFail(i, ErrcodeFail, "%s data at 0x%X (+%d bytes) runs past the end of the %d-byte package", name(), off, n, size)
	}
	sum, err := hashSection(r, off, n, s)
	if err != nil {
		return h, imageFail(i, ErrcodeFail, "%s data: %v", name(), err)
	}
	if sum != h.ImageHash {
		return h, imageFail(i, ErrcodeFail, "%s data at 0x%X (+%d bytes): SHA-256 does not match the header's image_hash", name(), off, n)
	}
	return h, nil
}
