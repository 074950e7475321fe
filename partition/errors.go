package partition

import (
	"errors"
	"fmt"
	"strings"
)

// SDK errcode_t values of the partition module (src/include/errcode.h),
// exposed at the API boundary through Code.
const (
	CodeSucc           uint32 = 0x00000000 // ERRCODE_SUCC
	CodeInit           uint32 = 0x80003000 // ERRCODE_PARTITION_INIT_ERR
	CodeNotSupport     uint32 = 0x80003001 // ERRCODE_PARTITION_NOT_SUPPORT
	CodeInvalidParams  uint32 = 0x80003002 // ERRCODE_PARTITION_INVALID_PARAMS
	CodeConfigNotFound uint32 = 0x80003003 // ERRCODE_PARTITION_CONFIG_NOT_FOUND
	CodeFail           uint32 = 0xFFFFFFFF // ERRCODE_FAIL
)

// Errors of the binary table (Parse, ParseFlash, MarshalBinary).
var (
	// ErrInit is returned (inside a *FormatError) when the device's
	// uapi_partition_init would refuse the table: the image id is not
	// TableImageID or the item count is below ItemCount. It maps to
	// ERRCODE_PARTITION_INIT_ERR.
	ErrInit = errors.New("partition: partition table rejected by init (ERRCODE_PARTITION_INIT_ERR)")
	// ErrTruncated is returned when the input is shorter than the record
	// being decoded.
	ErrTruncated = errors.New("partition: truncated")
	// ErrItemOffset is returned when a table's item_offset is not 4-aligned,
	// lets the item array overlap the header or id list, or runs past TableLen.
	ErrItemOffset = errors.New("partition: bad item offset")
	// ErrTooManyItems is returned when a table has more entries than fit in
	// TableLen bytes (MaxItems).
	ErrTooManyItems = errors.New("partition: too many items for the table")
)

// Errors of the params partition (BuildParams, ParseParams).
var (
	// ErrImageID is returned when a params area (root key area, params key
	// area, params info) carries the wrong image id.
	ErrImageID = errors.New("partition: bad params image id")
	// ErrAreaLayout is returned when params info describes the table anywhere
	// but right after itself (params_area_addr != 0), or with a length of 0
	// or more than TableLen.
	ErrAreaLayout = errors.New("partition: bad params area address or length")
)

// Errors of the JSON form (ParseJSON).
var (
	// ErrJSON is returned when a param_sector json file cannot be decoded;
	// the message names the file and the field.
	ErrJSON = errors.New("partition: bad param_sector json")
)

// Errors of lookups and views.
var (
	// ErrNotFound is returned by Lookup when the table has no entry with
	// the id. It maps to ERRCODE_PARTITION_CONFIG_NOT_FOUND.
	ErrNotFound = errors.New("partition: partition not found (ERRCODE_PARTITION_CONFIG_NOT_FOUND)")
	// ErrOutOfBounds is returned (inside a *BoundsError) when a View access
	// would leave its partition. Nothing is read or written.
	ErrOutOfBounds = errors.New("partition: access outside the partition")
)

// Errors of Validate, With and WithCustom, each inside an *EntryError.
var (
	// ErrCount is returned when the table does not hold exactly ItemCount
	// entries (the device copies exactly 16).
	ErrCount = errors.New("partition: wrong number of entries")
	// ErrUnknownID is returned when an entry's id is neither one of the
	// FixedIDs nor a customer id (0x30..0x3F).
	ErrUnknownID = errors.New("partition: partition id neither fixed nor a customer id (0x30..0x3f)")
	// ErrMissing is returned when one of the FixedIDs has no entry: the
	// SDK's code looks each of them up (the guide: do not delete ids).
	ErrMissing = errors.New("partition: fixed partition id missing")
	// ErrDuplicate is returned when two entries share an id.
	ErrDuplicate = errors.New("partition: duplicate partition id")
	// ErrMisaligned is returned when a non-empty partition's offset or size
	// is not a multiple of SectorSize (the root key partition's size is
	// exempt: the SDK ships 0x800).
	ErrMisaligned = errors.New("partition: partition not 4 KiB aligned")
	// ErrOutsideFlash is returned when a partition does not fit in the flash.
	ErrOutsideFlash = errors.New("partition: partition outside the flash")
	// ErrOverlap is returned when two non-empty partitions overlap.
	ErrOverlap = errors.New("partition: partitions overlap")
	// ErrParamsPlacement is returned when the root key partition (0x03) does
	// not start at flash 0 or is smaller than ParamsLen: ssb and
	// uapi_partition_init read the params blob at the fixed flash offset 0.
	ErrParamsPlacement = errors.New("partition: root key partition must hold the params blob at flash 0")
	// ErrNotCustom is returned by WithCustom for an id outside 0x30..0x35.
	ErrNotCustom = errors.New("partition: not a customer partition id (0x30..0x35)")
)

// FormatError reports malformed binary input at a byte offset, as
// debug/elf.FormatError does. Err is the sentinel it wraps.
type FormatError struct {
	Off int64  // byte offset in the input (params blob offsets for ParseParams)
	Msg string // what is wrong
	Err error  // sentinel (ErrInit, ErrTruncated, ...)
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("partition: offset 0x%x: %s", e.Off, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// EntryError reports a table validation failure for one entry. Other is the
// second entry involved for ErrOverlap and ErrDuplicate; both are zero for
// ErrCount, which concerns the whole table.
type EntryError struct {
	Entry Entry
	Other Entry
	Err   error
	Msg   string // detail, e.g. the flash size
	// Items are the positions in Table.Entries of Entry and, for
	// ErrOverlap and ErrDuplicate, Other; nil when the error is about the
	// whole table (ErrCount, ErrMissing) or an entry outside one.
	Items []int
}

func (e *EntryError) Error() string {
	if e.Err == ErrCount || e.Err == ErrMissing {
		return fmt.Sprintf("partition: %s (%s)", strings.TrimPrefix(e.Err.Error(), "partition: "), e.Msg)
	}
	s := fmt.Sprintf("partition: %s [0x%06x,+0x%x)", e.Entry.ID.label(), e.Entry.Offset, e.Entry.Size)
	switch e.Err {
	case ErrOverlap, ErrDuplicate:
		s += fmt.Sprintf(" and %s [0x%06x,+0x%x)", e.Other.ID.label(), e.Other.Offset, e.Other.Size)
	}
	s += ": " + strings.TrimPrefix(e.Err.Error(), "partition: ")
	if e.Msg != "" {
		s += " (" + e.Msg + ")"
	}
	return s
}

func (e *EntryError) Unwrap() error { return e.Err }

// BoundsError reports a View access that would leave the partition.
type BoundsError struct {
	Entry Entry  // the partition of the view
	Op    string // "read", "program" or "erase"
	Off   int64  // offset of the access, relative to the partition start
	Len   uint64 // length of the access
}

func (e *BoundsError) Error() string {
	return fmt.Sprintf("partition: %s: %s [%#x,+%#x) leaves the partition (size 0x%x at flash 0x%06x)",
		e.Entry.ID.label(), e.Op, e.Off, e.Len, e.Entry.Size, e.Entry.Offset)
}

func (e *BoundsError) Unwrap() error { return ErrOutOfBounds }

// Code maps an error of this package to the SDK errcode_t the device would
// return: nil → ERRCODE_SUCC, ErrNotFound → ERRCODE_PARTITION_CONFIG_NOT_FOUND,
// ErrInit and every other *FormatError of the table → ERRCODE_PARTITION_INIT_ERR,
// ErrOutOfBounds → ERRCODE_PARTITION_INVALID_PARAMS, anything else → ERRCODE_FAIL.
func Code(err error) uint32 {
	var fe *FormatError
	switch {
	case err == nil:
		return CodeSucc
	case errors.Is(err, ErrNotFound):
		return CodeConfigNotFound
	case errors.Is(err, ErrInit), errors.As(err, &fe):
		return CodeInit
	case errors.Is(err, ErrOutOfBounds):
		return CodeInvalidParams
	}
	return CodeFail
}
