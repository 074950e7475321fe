package upg

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/image"
)

// SDK-version compatibility (the guide's 版本兼容性说明): a model.
//
// The guide says devices running SDK 1.10.101 or older cannot take an OTA
// package made by SDK 1.10.105 or newer, and gives two remedies: upgrade
// first to 1.10.102 or 1.10.103 and from there to 1.10.106 or later; or
// make the package with the new SDK's fota.cfg set to SignSuite=1 and
// KeyAlg=0x2A13C812 (ECDSA), signed with the old SDK's keys, and with
// `--pkt=app,boot`. It does not say what changed. The package verifier is
// part of the firmware (flashboot verifies in uapi_upg_start, the app in
// uapi_upg_request_upgrade), so what a device accepts depends on the SDK
// its flashboot and app were built with, and changes when an upgrade
// installs new ones.
//
// Remedy 2 only works if the old firmware verifies ECDSA packages under
// the device's root key (hence "the old keys"); remedy 1 only works if the
// old firmware refuses a format that 1.10.102 and later accept; and the
// format remedy 2 asks for (ECDSA, KeyAlg 0x2A13C812) is then not the one
// that failed. The emulator therefore models the two verifier generations
// as:
//
//   - PolicySignatureLength, SDK 1.10.102 and later (the default): the
//     verifier the SDK source has (docs/sdk-mapping.md §1.6): signature_length 32 means a
//     hash-only area, anything else ECDSA under the root key. key_alg is
//     never read.
//   - PolicyKeyAlg, SDK 1.10.101 and older: the check is chosen by the key
//     area's key_alg, as verify_fota_key_area(key_alg, …) does in other
//     SDK copies: 0x2A13C867 (SHA256, RSA4096 format — the old fota.cfg's
//     KeyAlg) with signature_length 32 is hash-only; every other key_alg
//     is checked as an ECDSA signature. So a hash-only package in any
//     other format — KeyAlg 0x2A13C856, SHA256 in ECC256 format, which the
//     emulator takes as the format SDK 1.10.105 packs by default (ModelNewSDKKeyAlg) —
//     fails at step 2 on an old device, while a 1.10.102+ device accepts
//     it; an ECDSA package signed with the device's own (old) root key
//     passes everywhere.
//
// What is modelled, not known: that the 1.10.105 default was KeyAlg
// 0x2A13C856, and which key_alg values the old verifier treated as
// hash-only. The guide's third step (`--pkt=app,boot`) matters because
// the new flashboot brings the new verifier: a device with a new app and
// the old flashboot still refuses new-format packages in uapi_upg_start.

// VerifyPolicy selects how the package verifier checks the key and info
// areas (steps 2 and 3 of uapi_upg_verify_file).
type VerifyPolicy int

// Verifier generations (see the model above).
const (
	// PolicySignatureLength is the SDK source's check (1.10.102 and later).
	PolicySignatureLength VerifyPolicy = iota
	// PolicyKeyAlg is the modelled check of SDK 1.10.101 and older.
	PolicyKeyAlg
)

func (p VerifyPolicy) String() string {
	switch p {
	case PolicySignatureLength:
		return "signature_length (SDK >= 1.10.102)"
	case PolicyKeyAlg:
		return "key_alg (SDK <= 1.10.101)"
	}
	return fmt.Sprintf("VerifyPolicy(%d)", int(p))
}

// ModelNewSDKKeyAlg is the KeyAlg the emulator takes SDK 1.10.105's default
// fota.cfg to have had: SHA256 only in the ECC256 format (a model; the
// guide only says the fix is to set KeyAlg=0x2A13C812).
const ModelNewSDKKeyAlg = KeyAlgSHA256ECC

// DefaultSDK is the SDK version of firmware whose version is not given:
// the SDK whose source the spec was read from behaves as 1.10.102+.
const DefaultSDK = "1.10.105"

// SDK is a WS63 SDK release number "1.10.N" (any dotted triple of
// decimal numbers parses).
type SDK struct{ Major, Minor, Patch int }

// ParseSDK reads "A.B.C".
func ParseSDK(s string) (SDK, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return SDK{}, fmt.Errorf("%w: %q is not A.B.C", ErrSDKVersion, s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return SDK{}, fmt.Errorf("%w: %q: part %q is not a number", ErrSDKVersion, s, p)
		}
		n[i] = int(v)
	}
	return SDK{n[0], n[1], n[2]}, nil
}

func (v SDK) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less orders releases.
func (v SDK) Less(o SDK) bool {
	if v.Major != o.Major {
		return v.Major < o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor < o.Minor
	}
	return v.Patch < o.Patch
}

// lastOldSDK is the last release with the old verifier (the guide).
var lastOldSDK = SDK{1, 10, 101}

// Policy is the package verifier of firmware built with this SDK.
func (v SDK) Policy() VerifyPolicy {
	if lastOldSDK.Less(v) {
		return PolicySignatureLength
	}
	return PolicyKeyAlg
}

// PolicyOf returns the verifier generation of an SDK version string ("" is
// DefaultSDK).
func PolicyOf(sdk string) (VerifyPolicy, error) {
	if sdk == "" {
		sdk = DefaultSDK
	}
	v, err := ParseSDK(sdk)
	if err != nil {
		return 0, err
	}
	return v.Policy(), nil
}

// checkArea checks one signed area (the first 192 bytes and the 64-byte
// signature field after them) as the policy's verifier does. keyAlg is
// the key area's key_alg, which the old verifier passes to both checks.
func (p VerifyPolicy) checkArea(area []byte, sigLen, keyAlg uint32, pub [image.PublicKeyLen]byte) (string, bool) {
	if p != PolicyKeyAlg {
		return checkArea(area, sigLen, pub)
	}
	if keyAlg == KeyAlgSHA256RSA && sigLen == HashOnlySigLen {
		return checkArea(area, HashOnlySigLen, pub)
	}
	// Every other key_alg goes to the signature check, whatever
	// signature_length says.
	d := sha256.Sum256(area[:SignedLen])
	if !image.VerifyDigest(pub, d, [SignatureLen]byte(area[SignedLen:SignedLen+SignatureLen])) {
		return fmt.Sprintf("key_alg 0x%08X, signature_length %d: the SDK <= 1.10.101 verifier checks it as an ECDSA signature, which does not verify", keyAlg, sigLen), false
	}
	return "", true
}
