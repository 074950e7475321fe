package upg

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/ws63emu/ws63emu/image"
)

func verifyBytes(v *Verifier, b []byte) (*Package, error) {
	return v.VerifyFile(bytes.NewReader(b), int64(len(b)))
}

func TestVerifyFixtures(t *testing.T) {
	root, _ := testKeys(t)
	for _, f := range fixtures {
		b := readTestdata(t, f.name)
		v := &Verifier{RootKey: root.XY()}
		p, err := verifyBytes(v, b)
		if f.unsigned {
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Step != StepKeyArea || ve.Result != ResultVerifyHeadFailed {
				t.Errorf("%s: unsigned package: %v, want a key area failure", f.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		want, _ := ReadPackage(bytes.NewReader(b), int64(len(b)))
		if len(p.Nodes) != len(want.Nodes) || p.Headers[len(p.Headers)-1] != want.Headers[len(want.Headers)-1] {
			t.Errorf("%s: VerifyFile's package differs from ReadPackage's", f.name)
		}
		// A wrong root key fails ECDSA packages at step 2; hash-only ones ignore it.
		_, err = verifyBytes(&Verifier{}, b)
		var ve *VerifyError
		if f.mode == SignECDSA {
			if !errors.As(err, &ve) || ve.Step != StepKeyArea {
				t.Errorf("%s: zero root key: %v", f.name, err)
			}
		} else if err != nil {
			t.Errorf("%s: hash-only package needs no root key: %v", f.name, err)
		}
	}
}

// pkgLayout gives the offsets of a fixture's records.
type pkgLayout struct {
	tableEnd int
	hdr      []int // image header offsets
	data     []int // image data offsets
	end      int
}

func pkgLayoutOf(t *testing.T, b []byte) pkgLayout {
	p, err := ReadPackage(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	l := pkgLayout{tableEnd: HeaderLen + int(p.Info.HashTableLen), end: len(b)}
	for i := range p.Nodes {
		l.hdr = append(l.hdr, int(p.Nodes[i].ImageAddr))
		l.data = append(l.data, int(p.Headers[i].ImageOffset))
	}
	return l
}

// imageEnd is the offset after image i's data.
func imageEnd(l pkgLayout, i int) int {
	if i+1 < len(l.hdr) {
		return l.hdr[i+1]
	}
	return l.end
}

// TestVerifyCorruption flips one byte at documented offsets of the
// ECDSA and hash-only fixtures and checks the step, upg_result_t, image
// index and errcode the device reports.
func TestVerifyCorruption(t *testing.T) {
	root, _ := testKeys(t)
	type want struct {
		step  VerifyStep
		res   Result
		image int
	}
	head := func(s VerifyStep) want { return want{s, ResultVerifyHeadFailed, -1} }
	table := want{StepHashTable, ResultVerifyHashTableFailed, -1}
	img := func(i int) want { return want{StepImage, ResultVerifyImageFailed, i} }
	ok := want{}
	for _, name := range []string{"ecdsa_lzma.fwpkg", "sha256_lzma.fwpkg", "sha256_raw.fwpkg"} {
		good := readTestdata(t, name)
		l := pkgLayoutOf(t, good)
		ecdsa := name[:5] == "ecdsa"
		hashOnlyTail := ok // bytes 32..63 of a hash-only signature are never compared
		if ecdsa {
			hashOnlyTail = head(StepKeyArea)
		}
		infoTail := ok
		if ecdsa {
			infoTail = head(StepInfoArea)
		}
		last := len(l.hdr) - 1
		for _, tc := range []struct {
			what string
			off  int
			want want
		}{
			{"key area image_id (0x000)", 0x000, head(StepImageID)},
			{"info area image_id (0x100)", 0x100, head(StepImageID)},
			{"key area signature_length (0x00C)", 0x00C, head(StepKeyArea)},
			{"key area key_alg (0x018)", 0x018, head(StepKeyArea)},
			{"key area reserved (0x050)", 0x050, head(StepKeyArea)},
			{"key area public key (0x080)", 0x080, head(StepKeyArea)},
			{"key area signature byte 0 (0x0C0)", 0x0C0, head(StepKeyArea)},
			{"key area signature byte 63 (0x0FF)", 0x0FF, hashOnlyTail},
			{"info signature_length (0x10C)", 0x10C, head(StepInfoArea)},
			{"info fota_version_ext (0x110)", 0x110, head(StepInfoArea)},
			{"info image_hash_table_addr (0x120)", 0x120, head(StepInfoArea)},
			{"info image_hash_table_hash (0x128)", 0x128, head(StepInfoArea)},
			{"info image_num (0x148)", 0x148, head(StepInfoArea)},
			{"info hardware_id (0x14C)", 0x14C, head(StepInfoArea)},
			{"info user area (0x150)", 0x150, head(StepInfoArea)},
			{"info user area end (0x1BF)", 0x1BF, head(StepInfoArea)},
			{"info signature byte 0 (0x1C0)", 0x1C0, head(StepInfoArea)},
			{"info signature byte 63 (0x1FF)", 0x1FF, infoTail},
			{"table node 0 image_id (0x200)", 0x200, table},
			{"table node 1 image_hash (0x200+44+12)", 0x200 + 44 + 12, table},
			{"table padding (last table byte)", l.tableEnd - 1, table},
			{"image 0 header_magic", l.hdr[0], img(0)},
			{"image 0 header new_image_len (+84)", l.hdr[0] + 84, img(0)},
			{"image 0 header padding (+156)", l.hdr[0] + 156, img(0)},
			{"image 0 data byte 0", l.data[0], img(0)},
			{"image 1 header image_hash (+16)", l.hdr[1] + 16, img(1)},
			{"image 1 data middle", (l.data[1] + imageEnd(l, 1)) / 2, img(1)},
			{"last image header decompress_flag (+96)", l.hdr[last] + 96, img(last)},
			{"last byte of the file", l.end - 1, img(last)},
		} {
			b := bytes.Clone(good)
			b[tc.off] ^= 0x01
			_, err := verifyBytes(&Verifier{RootKey: root.XY()}, b)
			if tc.want == ok {
				if err != nil {
					t.Errorf("%s: %s: %v, want accepted (the device does not compare these bytes)", name, tc.what, err)
				}
				continue
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Errorf("%s: %s: %v, want a VerifyError", name, tc.what, err)
				continue
			}
			got := want{ve.Step, ve.Result, ve.Image}
			if got != tc.want || Code(err) != ErrcodeFail {
				t.Errorf("%s: %s: step %v result %v image %d code %v; want step %v result %v image %d ERRCODE_FAIL",
					name, tc.what, ve.Step, ve.Result, ve.Image, Code(err), tc.want.step, tc.want.res, tc.want.image)
			}
		}
	}
}

// TestVerifyEveryByte flips every byte of a hash-only fixture: all are
// caught, at the step that covers the region, except the unchecked
// second half of each hash-only signature field.
func TestVerifyEveryByte(t *testing.T) {
	good := readTestdata(t, "sha256_raw.fwpkg")
	l := pkgLayoutOf(t, good)
	stepAt := func(off int) (VerifyStep, int) {
		switch {
		case off < 4 || (off >= 0x100 && off < 0x104):
			return StepImageID, -1
		case off >= 0xE0 && off < 0x100, off >= 0x1E0 && off < 0x200:
			return 0, -1 // accepted
		case off < 0x100:
			return StepKeyArea, -1
		case off < 0x200:
			return StepInfoArea, -1
		case off < l.tableEnd:
			return StepHashTable, -1
		}
		for i := len(l.hdr) - 1; i >= 0; i-- {
			if off >= l.hdr[i] {
				return StepImage, i
			}
		}
		return -1, -1
	}
	b := bytes.Clone(good)
	var v Verifier
	for off := range b {
		b[off] ^= 0x80
		_, err := verifyBytes(&v, b)
		b[off] ^= 0x80
		step, idx := stepAt(off)
		var ve *VerifyError
		switch {
		case step == 0 && err == nil:
		case step == 0:
			t.Fatalf("offset 0x%X: %v, want accepted", off, err)
		case !errors.As(err, &ve) || ve.Step != step || ve.Image != idx:
			t.Fatalf("offset 0x%X: %v, want step %v image %d", off, err, step, idx)
		}
	}
}

func TestVerifyUserHook(t *testing.T) {
	b := readTestdata(t, "sha256_lzma.fwpkg")
	var gotUser []byte
	var gotParam any
	v := &Verifier{
		UserVerify: func(user []byte, param any) error {
			gotUser, gotParam = bytes.Clone(user), param
			return nil
		},
		UserParam: 42,
	}
	if _, err := verifyBytes(v, b); err != nil {
		t.Fatal(err)
	}
	if len(gotUser) != UserAreaLen || string(gotUser[:6]) != "1.2.3\x00" || gotParam != 42 {
		t.Errorf("hook got %d bytes %q, param %v", len(gotUser), gotUser[:8], gotParam)
	}
	for _, tc := range []struct {
		name string
		ret  error
		want Errcode
	}{
		{"errcode", ErrcodeUpgVersionError, ErrcodeUpgVersionError},
		{"wrapped errcode", fmt.Errorf("version 1.2.3 too old: %w", ErrcodeUpgVersionError), ErrcodeUpgVersionError},
		{"plain error", errors.New("no"), ErrcodeFail},
	} {
		v.UserVerify = func([]byte, any) error { return tc.ret }
		_, err := verifyBytes(v, b)
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Step != StepUserHook || ve.Result != ResultVerifyHeadFailed || Code(err) != tc.want {
			t.Errorf("%s: %v (code %v), want step 5 VERIFY_HEAD_FAILED %v", tc.name, err, Code(err), tc.want)
		}
	}
	// The hook runs after the signatures: a bad info area never reaches it.
	called := false
	v.UserVerify = func([]byte, any) error { called = true; return nil }
	bad := bytes.Clone(b)
	bad[0x150] ^= 1
	if _, err := verifyBytes(v, bad); err == nil || called {
		t.Errorf("hook called on a package failing step 3 (err %v)", err)
	}
}

func TestVerifyKeyChain(t *testing.T) {
	root, sub := testKeys(t)
	other, err := image.GenerateKey(&seededReader{seed: "another key"})
	if err != nil {
		t.Fatal(err)
	}
	b := readTestdata(t, "ecdsa_raw.fwpkg")
	v := &Verifier{RootKey: root.XY()}
	// Info area signed by another key than the one the key area names.
	re := bytes.Clone(b)
	mustOK(t, SignPackage(re, root, sub))
	if !bytes.Equal(re, b) {
		t.Fatal("re-signing is not deterministic")
	}
	mustOK(t, SignPackage(re, root, other)) // key area now names `other`, info signed by `other`
	if _, err := verifyBytes(v, re); err != nil {
		t.Errorf("package re-signed with another sub key: %v", err)
	}
	pub := sub.XY()
	copy(re[128:192], pub[:]) // name sub again, keep other's info signature; re-sign the key area only
	d := sha256.Sum256(re[:SignedLen])
	sig, _ := root.SignDigest(d)
	copy(re[SignedLen:KeyAreaLen], sig[:])
	_, err = verifyBytes(v, re)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Step != StepInfoArea {
		t.Errorf("info area signed by a key the key area does not name: %v", err)
	}
	// Root key mismatch.
	if _, err := verifyBytes(&Verifier{RootKey: other.XY()}, b); !errors.As(err, &ve) || ve.Step != StepKeyArea {
		t.Errorf("wrong root key: %v", err)
	}
}

// resign fixes the hash table hash and the hash-only signatures after an edit.
func resign(t *testing.T, b []byte) {
	t.Helper()
	h := tableHash(b)
	copy(b[KeyAreaLen+40:], h[:])
	mustOK(t, SignPackage(b, nil, nil))
}

func TestVerifyDeviceQuirks(t *testing.T) {
	le := binary.LittleEndian
	good := readTestdata(t, "sha256_raw.fwpkg")
	var v Verifier

	// image_hash_table_addr 0 means "right after the header".
	b := bytes.Clone(good)
	le.PutUint32(b[KeyAreaLen+32:], 0)
	resign(t, b)
	if _, err := verifyBytes(&v, b); err != nil {
		t.Errorf("table addr 0: %v", err)
	}

	// A table running past the end fails step 6.
	b = bytes.Clone(good)
	le.PutUint32(b[KeyAreaLen+36:], uint32(len(b)))
	mustOK(t, SignPackage(b, nil, nil))
	var ve *VerifyError
	if _, err := verifyBytes(&v, b); !errors.As(err, &ve) || ve.Step != StepHashTable || ve.Result != ResultVerifyHashTableFailed {
		t.Errorf("table past end: %v", err)
	}

	// image_num 21 with 21 good entries (all naming image 0) verifies and
	// then fails as uapi_upg_request_upgrade does; a bad 21st entry fails
	// verification first, as on the device.
	mk := func(lastBad bool) []byte {
		b := bytes.Clone(good)
		node := bytes.Clone(b[HeaderLen : HeaderLen+HashNodeLen])
		tbl := bytes.Repeat(node, 21)
		if lastBad {
			tbl[20*HashNodeLen+12] ^= 1
		}
		tbl = append(tbl, make([]byte, alignInt(len(tbl))-len(tbl))...)
		le.PutUint32(b[KeyAreaLen+32:], uint32(len(b)))
		le.PutUint32(b[KeyAreaLen+36:], uint32(len(tbl)))
		le.PutUint32(b[KeyAreaLen+72:], 21)
		b = append(b, tbl...)
		h := sha256.Sum256(tbl)
		copy(b[KeyAreaLen+40:], h[:])
		mustOK(t, SignPackage(b, nil, nil))
		return b
	}
	_, err := verifyBytes(&v, mk(false))
	if !errors.Is(err, ErrTooManyImages) || Code(err) != ErrcodeUpgWrongImageNum {
		t.Errorf("21 good images: %v", err)
	}
	if _, err := verifyBytes(&v, mk(true)); !errors.As(err, &ve) || ve.Step != StepImage || ve.Image != 20 {
		t.Errorf("21 images, last bad: %v", err)
	}

	// image_len above 0xFFFFFFF0 wraps to 0 bytes in upg_aligned: the
	// device then hashes nothing, and a header carrying SHA-256("")
	// verifies. Reproduced, as the chip does it.
	b = bytes.Clone(good)
	l := pkgLayoutOf(t, b)
	hdr := b[l.hdr[0] : l.hdr[0]+ImageHeaderLen]
	le.PutUint32(hdr[12:], 0xFFFFFFF8)
	empty := sha256.Sum256(nil)
	copy(hdr[16:], empty[:])
	nh := sha256.Sum256(hdr)
	copy(b[HeaderLen+12:], nh[:])
	resign(t, b)
	if _, err := verifyBytes(&v, b); err != nil {
		t.Errorf("wrapped image_len: %v", err)
	}
	if _, err := ReadPackage(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("ReadPackage of the wrapped image_len: %v", err)
	}
}

func TestVerifyImageAndHead(t *testing.T) {
	b := readTestdata(t, "sha256_raw.fwpkg")
	var v Verifier
	p, err := verifyBytes(&v, b)
	if err != nil {
		t.Fatal(err)
	}
	l := pkgLayoutOf(t, b)
	bad := bytes.Clone(b)
	bad[l.data[1]+5] ^= 1 // the flash changed after verification
	r := bytes.NewReader(bad)
	if err := v.VerifyImage(r, int64(len(bad)), p, 0); err != nil {
		t.Errorf("image 0: %v", err)
	}
	var ve *VerifyError
	if err := v.VerifyImage(r, int64(len(bad)), p, 1); !errors.As(err, &ve) || ve.Image != 1 || ve.Result != ResultVerifyImageFailed {
		t.Errorf("image 1: %v", err)
	}
	if err := v.VerifyImage(r, int64(len(bad)), p, 3); err == nil {
		t.Errorf("index 3 of 3 accepted")
	}
	// VerifyHead stops after step 5: a broken image does not matter.
	hp, err := v.VerifyHead(r, int64(len(bad)))
	if err != nil || hp.Nodes != nil || hp.Version() != "2.0.0-raw" {
		t.Errorf("VerifyHead: %v", err)
	}
	// Shorter than the header: bad input, not a verification result.
	if _, err := v.VerifyHead(bytes.NewReader(b[:100]), 100); !errors.Is(err, ErrTruncated) {
		t.Errorf("short: %v", err)
	}
	// A data region past the end fails step 7 for that image.
	cut := b[:len(b)-16]
	if _, err := verifyBytes(&v, cut); !errors.As(err, &ve) || ve.Step != StepImage || ve.Image != 2 {
		t.Errorf("cut package: %v", err)
	}
	if s := (&VerifyError{Step: StepImage, Result: ResultVerifyImageFailed, Image: 1, Msg: "x"}).Error(); s != "upg: verify step 7 (image 1): VERIFY_IMAGE_FAILED: x" {
		t.Errorf("Error() = %q", s)
	}
	if StepUserHook.String() != "user-defined check" || VerifyStep(99).String() != "VerifyStep(99)" {
		t.Errorf("step names")
	}
}
