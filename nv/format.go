package nv

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
)

// Sizes, magics and fixed values of the KV store (nv_key.h, nv_page.h,
// nv_store.h, nv_config.h of the WS63 SDK).
const (
	PageSize      = 4096 // KV_PAGE_SIZE: one flash sector
	PageHeaderLen = 16   // kv_page_header_t
	KeyHeaderLen  = 16   // kv_key_header_t
	CRCLen        = 4    // CRC-32 after a plain key's data
	TagLen        = 32   // hash/tag area after an encrypted key's data (KV_CRYPTO_HASH_SIZE)

	KeyMagic    = 0xA9 // KV_KEY_MAGIC, first byte of every key
	PageVersion = 1    // kv_page_details_t.ver: 1 = keys carry KeyMagic

	// MaxValueLen is NV_NORMAL_KVALUE_MAX_LEN: the longest plain value
	// (a page less its header, one key header and the CRC).
	MaxValueLen = 4060

	// Store ids (nv_store.h), chosen at a Hamming distance of 10.
	StoreApp    uint16 = 0x254D // KV_STORE_ID_ACPU: the application store
	StoreSCPU   uint16 = 0xCB7E // KV_STORE_ID_SCPU (no pages on WS63)
	StoreBackup uint16 = 0x34B2 // KV_STORE_ID_BACKUP: the backup (factory) region

	// StorePages is KV_STORE_PAGES_ACPU on WS63: the application store's
	// logical pages. The NV data partition (0x10) has 4 physical pages;
	// the fourth is the spare a defragmentation copies into.
	StorePages = 3
	// MaxRegionPages bounds the regions ParseRegion and Open accept.
	MaxRegionPages = 64

	// Key header byte values.
	validYes      = 0xFF // KV_KEY_VALID
	validNo       = 0x00 // KV_KEY_INVALID: written over a superseded or deleted key
	typeNormal    = 0xFF // KV_KEY_TYPE_NORMAL
	typePermanent = 0x00 // KV_KEY_TYPE_PERMANENT
	upgradeYes    = 0xFF // the upgrade byte of an upgradable key
	upgradeNo     = 0x00
	encSDRK       = 0x52 // AES_KDFKEY_SDRK_TYPE: enc_key of an encrypted key

	// writeChunk is KV_WRITE_CHUNK_SIZE: key bytes go to flash in
	// program calls of at most 32 bytes.
	writeChunk = 32

	// Offsets inside a key header.
	keyOffValid = 1
)

// Attr is kv_attributes_t: what a key's header says about it.
type Attr uint8

// Key attributes.
const (
	Permanent  Attr = 0x1 // KV_ATTRIBUTE_PERMANENT: never modified or deleted (type byte 0x00)
	Encrypted  Attr = 0x2 // KV_ATTRIBUTE_ENCRYPTED: value encrypted in flash (enc_key != 0)
	NonUpgrade Attr = 0x4 // KV_ATTRIBUTE_NON_UPGRADE: an NV upgrade leaves it alone (upgrade byte 0x00)
)

func (a Attr) String() string {
	if a == 0 {
		return "normal"
	}
	var s []string
	for _, f := range []struct {
		a    Attr
		name string
	}{{Permanent, "permanent"}, {Encrypted, "encrypted"}, {NonUpgrade, "non-upgrade"}} {
		if a&f.a != 0 {
			s = append(s, f.name)
			a &^= f.a
		}
	}
	if a != 0 {
		s = append(s, fmt.Sprintf("0x%x", uint8(a)))
	}
	return strings.Join(s, "|")
}

// PageHeader is kv_page_header_t (16 bytes, little-endian): the details
// word {store_id u16, ver u8, page_index u8}, its complement, the sequence
// number (incremented by every defragmentation of the page) and its
// complement.
type PageHeader struct {
	StoreID    uint16
	Ver        uint8
	Index      uint8
	InvDetails uint32
	Seq        uint32
	InvSeq     uint32
}

// NewPageHeader returns a consistent header for page index of a store.
func NewPageHeader(store uint16, index uint8, seq uint32) PageHeader {
	h := PageHeader{StoreID: store, Ver: PageVersion, Index: index, Seq: seq, InvSeq: ^seq}
	h.InvDetails = ^h.details()
	return h
}

func (h PageHeader) details() uint32 {
	return uint32(h.StoreID) | uint32(h.Ver)<<16 | uint32(h.Index)<<24
}

// Valid is kv_nvregion_is_valid_map_entry: a store id other than 0 and
// 0xFFFF, and both check words the complement of what they guard.
func (h PageHeader) Valid() bool {
	return h.StoreID != 0 && h.StoreID != 0xFFFF && ^h.InvDetails == h.details() && ^h.InvSeq == h.Seq
}

// MarshalBinary encodes the header (PageHeaderLen bytes).
func (h PageHeader) MarshalBinary() ([]byte, error) {
	b := make([]byte, PageHeaderLen)
	le := binary.LittleEndian
	le.PutUint16(b[0:], h.StoreID)
	b[2] = h.Ver
	b[3] = h.Index
	le.PutUint32(b[4:], h.InvDetails)
	le.PutUint32(b[8:], h.Seq)
	le.PutUint32(b[12:], h.InvSeq)
	return b, nil
}

// UnmarshalBinary decodes a header from the first PageHeaderLen bytes.
func (h *PageHeader) UnmarshalBinary(b []byte) error {
	if len(b) < PageHeaderLen {
		return &FormatError{Off: int64(len(b)), Msg: fmt.Sprintf("page header needs %d bytes, have %d", PageHeaderLen, len(b))}
	}
	le := binary.LittleEndian
	h.StoreID = le.Uint16(b[0:])
	h.Ver = b[2]
	h.Index = b[3]
	h.InvDetails = le.Uint32(b[4:])
	h.Seq = le.Uint32(b[8:])
	h.InvSeq = le.Uint32(b[12:])
	return nil
}

// KeyHeader is kv_key_header_t (16 bytes, little-endian).
type KeyHeader struct {
	Magic   uint8  // KeyMagic
	Valid   uint8  // 0xFF valid, 0x00 invalidated (superseded or deleted)
	Length  uint16 // value bytes (before padding)
	Type    uint8  // 0xFF normal, 0x00 permanent
	Upgrade uint8  // 0xFF upgradable, anything else: not touched by an NV upgrade
	ID      uint16
	EncKey  uint16 // 0: plain; 0x52: encrypted with the SDRK-derived key
	Version uint16
	Rnd     uint32 // pads the header to 16 bytes; the IV salt of an encrypted key
}

// MarshalBinary encodes the header (KeyHeaderLen bytes).
func (h KeyHeader) MarshalBinary() ([]byte, error) {
	b := make([]byte, KeyHeaderLen)
	h.put(b)
	return b, nil
}

func (h KeyHeader) put(b []byte) {
	le := binary.LittleEndian
	b[0] = h.Magic
	b[1] = h.Valid
	le.PutUint16(b[2:], h.Length)
	b[4] = h.Type
	b[5] = h.Upgrade
	le.PutUint16(b[6:], h.ID)
	le.PutUint16(b[8:], h.EncKey)
	le.PutUint16(b[10:], h.Version)
	le.PutUint32(b[12:], h.Rnd)
}

// UnmarshalBinary decodes a header from the first KeyHeaderLen bytes.
func (h *KeyHeader) UnmarshalBinary(b []byte) error {
	if len(b) < KeyHeaderLen {
		return &FormatError{Off: int64(len(b)), Msg: fmt.Sprintf("key header needs %d bytes, have %d", KeyHeaderLen, len(b))}
	}
	le := binary.LittleEndian
	h.Magic = b[0]
	h.Valid = b[1]
	h.Length = le.Uint16(b[2:])
	h.Type = b[4]
	h.Upgrade = b[5]
	h.ID = le.Uint16(b[6:])
	h.EncKey = le.Uint16(b[8:])
	h.Version = le.Uint16(b[10:])
	h.Rnd = le.Uint32(b[12:])
	return nil
}

// Attr is kv_key_attributes: type != 0xFF is permanent, enc_key != 0
// encrypted, upgrade != 0xFF not upgradable.
func (h KeyHeader) Attr() Attr {
	var a Attr
	if h.Type != typeNormal {
		a |= Permanent
	}
	if h.EncKey != 0 {
		a |= Encrypted
	}
	if h.Upgrade != upgradeYes {
		a |= NonUpgrade
	}
	return a
}

// erased is kv_key_is_erased: not a live key header (wrong magic,
// invalidated, or a length of 0 or 0xFFFF).
func (h KeyHeader) erased() bool {
	return h.Magic != KeyMagic || h.Valid != validYes || h.Length == 0xFFFF || h.Length == 0
}

// paddedLen is kv_key_padded_data_length: values are padded with zeros to
// 4 bytes, encrypted ones to the AES block (16).
func (h KeyHeader) paddedLen() int {
	if h.EncKey != 0 {
		return (int(h.Length) + 15) &^ 15
	}
	return (int(h.Length) + 3) &^ 3
}

// trailerLen is the CRC (4) or, for enc_key 0x52, the hash/tag area (32).
func (h KeyHeader) trailerLen() int {
	if h.EncKey == encSDRK {
		return TagLen
	}
	return CRCLen
}

// FlashSize is kv_key_flash_size: header, padded value and CRC or tag.
func (h KeyHeader) FlashSize() int { return KeyHeaderLen + h.paddedLen() + h.trailerLen() }

// Key is one key as the store's users see it.
type Key struct {
	ID    uint16
	Value []byte
	Attr  Attr
}

// header builds a plain key's header. The NV image tool writes version
// 0xFFFF and rnd 0xFFFFFFFF (as in the real stores). On the device
// (kv_key_build_from_new) the header is built in the handle of the key it
// replaces, prev, keeping its version and rnd, and a non-upgradable key's
// version is incremented; a new key starts from the erased values.
func (k Key) header(prev *KeyHeader, device bool) KeyHeader {
	h := KeyHeader{Magic: KeyMagic, Valid: validYes, Length: uint16(len(k.Value)), Type: typeNormal,
		Upgrade: upgradeYes, ID: k.ID, Version: 0xFFFF, Rnd: 0xFFFFFFFF}
	if prev != nil {
		h.Version, h.Rnd = prev.Version, prev.Rnd
	}
	if k.Attr&Permanent != 0 {
		h.Type = typePermanent
	}
	if k.Attr&NonUpgrade != 0 {
		h.Upgrade = upgradeNo
		if device {
			h.Version++
		}
	}
	return h
}

// encodeKey returns the flash bytes of a plain key: header, value padded
// with zeros to 4 bytes, and the CRC-32 (IEEE) of both, stored big-endian
// (the SDK byte-swaps the little-endian CRC: kv_crc32_swap).
func encodeKey(h KeyHeader, value []byte) []byte {
	b := make([]byte, KeyHeaderLen+h.paddedLen()+CRCLen)
	h.put(b)
	copy(b[KeyHeaderLen:], value)
	n := KeyHeaderLen + h.paddedLen()
	binary.BigEndian.PutUint32(b[n:], crc32.ChecksumIEEE(b[:n]))
	return b
}

// EncodeKey returns the flash bytes of k as the NV image tool writes a
// key (version 0xFFFF, rnd 0xFFFFFFFF): ErrValueLen for an empty or too
// long value, ErrEncrypted for the Encrypted attribute.
func EncodeKey(k Key) ([]byte, error) {
	if len(k.Value) == 0 || len(k.Value) > MaxValueLen {
		return nil, fmt.Errorf("%w: key 0x%04x has %d bytes (want 1..%d)", ErrValueLen, k.ID, len(k.Value), MaxValueLen)
	}
	if k.Attr&Encrypted != 0 {
		return nil, fmt.Errorf("%w: key 0x%04x", ErrEncrypted, k.ID)
	}
	return encodeKey(k.header(nil, false), k.Value), nil
}

// keyCRC computes the integrity check of the key at b (b holds at least
// its FlashSize bytes): the CRC-32 over the header, with a cleared valid
// byte read as 0xFF (ignor_invalid), and the padded value; for enc_key
// 0x52 the CRC sits in the last 4 bytes of the 32-byte tag area.
func keyCRC(h KeyHeader, b []byte) (stored, computed uint32) {
	n := KeyHeaderLen + h.paddedLen()
	var hdr [KeyHeaderLen]byte
	copy(hdr[:], b[:KeyHeaderLen])
	if hdr[keyOffValid] == validNo {
		hdr[keyOffValid] = validYes
	}
	c := crc32.Update(crc32.ChecksumIEEE(hdr[:]), crc32.IEEETable, b[KeyHeaderLen:n])
	at := n
	if h.EncKey == encSDRK {
		at = n + TagLen - CRCLen
	}
	return binary.BigEndian.Uint32(b[at:]), c
}
