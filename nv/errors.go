package nv

import (
	"errors"
	"fmt"
)

// Parsing.
var (
	// ErrPageSize is returned when a page is not PageSize bytes, or a
	// region is not a whole number of pages (or has more than
	// MaxRegionPages).
	ErrPageSize = errors.New("nv: not a whole number of 4096-byte pages")
	// ErrPageHeader is returned by ParsePage when the page header's check
	// words do not match (an erased, torn or foreign page) or its store id
	// is 0 or 0xFFFF.
	ErrPageHeader = errors.New("nv: page header check words do not match")
	// ErrLegacyPage is returned by ParsePage for a version-0 page, whose
	// keys carry no 0xA9 magic (not used by WS63; not parsed).
	ErrLegacyPage = errors.New("nv: version-0 page (keys without magic) not supported")
)

// Store operations (the SDK's ERRCODE_NV_* situations).
var (
	// ErrNotFound is returned when no valid instance of a key exists
	// (ERRCODE_NV_KEY_NOT_FOUND).
	ErrNotFound = errors.New("nv: key not found")
	// ErrPageNotFound is returned when a page of the application store is
	// missing and cannot be created, or no unused page is left for a
	// defragmentation (ERRCODE_NV_PAGE_NOT_FOUND).
	ErrPageNotFound = errors.New("nv: no such page and no unused page")
	// ErrNoSpace is returned when no page of the store can take a key,
	// even after defragmentation (ERRCODE_NV_NO_ENOUGH_SPACE).
	ErrNoSpace = errors.New("nv: not enough space in the store")
	// ErrPermanent is returned when a write or delete would change a
	// permanent key (ERRCODE_NV_TRYING_TO_MODIFY_A_PERMANENT_KEY).
	ErrPermanent = errors.New("nv: trying to modify a permanent key")
	// ErrValueLen is returned for an empty value or one longer than
	// MaxValueLen.
	ErrValueLen = errors.New("nv: value length out of range")
	// ErrEncrypted is returned when a write needs the chip's NV encryption
	// key (an encrypted key, or the Encrypted attribute).
	ErrEncrypted = errors.New("nv: encrypted keys need the chip's key (not emulated)")
	// ErrRegion is returned by Open for a region that is not page aligned
	// or is smaller than two pages.
	ErrRegion = errors.New("nv: bad NV region")
)

// NV upgrade.
var (
	// ErrImageLength is returned by Merge when the NV image length is not
	// a multiple of 4096 ("[NV] kv upgrade data length error!").
	ErrImageLength = errors.New("nv: NV image length is not a multiple of 4096")
)

// FormatError reports malformed NV data at a byte offset (from the start
// of the page or region parsed).
type FormatError struct {
	Off int64
	Msg string
	Err error // the sentinel it is an instance of, if any
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("nv: at offset 0x%x: %s", e.Off, e.Msg)
}

// Unwrap returns the sentinel the error is an instance of.
func (e *FormatError) Unwrap() error { return e.Err }
