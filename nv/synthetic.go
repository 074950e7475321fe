package nv

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// BuildPage encodes keys, in order, as one page of store: header (the
// given index, sequence number seq), keys from offset 16, erased (0xFF)
// after them. It fails when the keys do not fit the page.
func BuildPage(store uint16, index uint8, seq uint32, keys []Key) ([]byte, error) {
	b := make([]byte, PageSize)
	for i := range b {
		b[i] = 0xFF
	}
	h, _ := NewPageHeader(store, index, seq).MarshalBinary()
	copy(b, h)
	at := PageHeaderLen
	for _, k := range keys {
		kb, err := EncodeKey(k)
		if err != nil {
			return nil, err
		}
		if at+len(kb) > PageSize {
			return nil, fmt.Errorf("nv: page %d: key 0x%04x (%d bytes) does not fit at offset %d", index, k.ID, len(kb), at)
		}
		copy(b[at:], kb)
		at += len(kb)
	}
	return b, nil
}

// Synthetic encodes keys as an NV image — what the SDK's NV tool makes of
// the NV configuration (ws63_all_nv.bin) and what is burned into the NV
// data partition: pages of the application store (StoreApp), indexes
// 0, 1, …, sequence number 0, each filled with keys in order until the
// next does not fit. No keys gives one empty page. Values must be
// 1..MaxValueLen bytes; the Encrypted attribute is refused.
func Synthetic(keys []Key) ([]byte, error) {
	var out []byte
	var page []Key
	used := PageHeaderLen
	flush := func() error {
		if len(out)/PageSize > 0xFF {
			return fmt.Errorf("nv: more than 256 pages")
		}
		b, err := BuildPage(StoreApp, uint8(len(out)/PageSize), 0, page)
		if err != nil {
			return err
		}
		out = append(out, b...)
		page, used = nil, PageHeaderLen
		return nil
	}
	for _, k := range keys {
		kb, err := EncodeKey(k)
		if err != nil {
			return nil, err
		}
		if used+len(kb) > PageSize {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		page = append(page, k)
		used += len(kb)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// Key ids of SyntheticKeys.
const (
	SyntheticVersionKey   uint16 = 0x0001 // "nv-VERSION", upgradable
	SyntheticCalibKey     uint16 = 0x0002 // "calib-VERSION", non-upgradable
	SyntheticPermanentKey uint16 = 0x0003 // "perm-VERSION", permanent
	SyntheticFirstFiller  uint16 = 0x0010 // first of the upgradable filler keys
)

// SyntheticKeys returns the deterministic key set of a synthetic NV
// image of about size bytes:
//
//	0x0001  "nv-" + version       upgradable: an NV upgrade replaces it
//	0x0002  "calib-" + version    non-upgradable (like a factory calibration)
//	0x0003  "perm-" + version     permanent
//	0x0010… filler, upgradable: key n holds 4 + (37·n mod 61) bytes of a
//	        SHA-256 stream of (seed, version, n)
//
// Filler keys are added until the keys take three quarters of size
// (rounded up to whole pages) in flash, so an image leaves room in its
// pages. The ids and lengths depend on size only; the values on version
// and seed, so two versions of one size differ in every value.
func SyntheticKeys(version string, seed uint64, size int) []Key {
	pages := max(1, (size+PageSize-1)/PageSize)
	budget := pages * (PageSize - PageHeaderLen) * 3 / 4
	keys := []Key{
		{ID: SyntheticVersionKey, Value: []byte("nv-" + version)},
		{ID: SyntheticCalibKey, Value: []byte("calib-" + version), Attr: NonUpgrade},
		{ID: SyntheticPermanentKey, Value: []byte("perm-" + version), Attr: Permanent},
	}
	used := 0
	for _, k := range keys {
		used += keyFlashLen(len(k.Value))
	}
	for id := uint32(SyntheticFirstFiller); id <= 0xFFFF; id++ {
		n := 4 + int(id*37%61)
		if used+keyFlashLen(n) > budget {
			break
		}
		keys = append(keys, Key{ID: uint16(id), Value: fillerValue(version, seed, uint16(id), n)})
		used += keyFlashLen(n)
	}
	return keys
}

func keyFlashLen(n int) int { return KeyHeaderLen + (n+3)&^3 + CRCLen }

// fillerValue is n bytes of SHA-256(seed ‖ id ‖ counter ‖ version) blocks.
func fillerValue(version string, seed uint64, id uint16, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	var hdr [8 + 2 + 4]byte
	binary.LittleEndian.PutUint64(hdr[0:], seed)
	binary.LittleEndian.PutUint16(hdr[8:], id)
	for ctr := uint32(0); len(out) < n; ctr++ {
		binary.LittleEndian.PutUint32(hdr[10:], ctr)
		h := sha256.New()
		h.Write(hdr[:])
		h.Write([]byte(version))
		out = h.Sum(out)
	}
	return out[:n]
}
