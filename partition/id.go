package partition

import (
	"fmt"
	"strconv"
	"strings"
)

// ID is a partition item id, the byte the device looks partitions up by
// (partition_ids_t).
type ID uint8

// The 16 ids of the WS63 tables (param_sector*.json, "Fixed item id").
const (
	SSB             ID = 0x00 // secure boot
	Flashboot       ID = 0x01 // flashboot, at 0x020000
	FlashbootBackup ID = 0x02 // flashboot backup, at 0x010000
	RootKey         ID = 0x03 // root public key + params (the params blob)
	CustomerFactory ID = 0x08 // customer factory data
	NVBackup        ID = 0x09 // NV factory/backup store
	NVData          ID = 0x10 // NV working store
	CrashInfo       ID = 0x11 // panic record
	ImageA          ID = 0x20 // the application
	FotaData        ID = 0x21 // the upgrade package store (compress layout)
	ImageB          ID = 0x21 // the same id, named imageB in the AB layout
	Reserve0        ID = 0x30 // rsv0, for the customer
	Reserve1        ID = 0x31
	Reserve2        ID = 0x32
	Reserve3        ID = 0x33
	Reserve4        ID = 0x34
	Reserve5        ID = 0x35
	Hilink          ID = 0x31 // rsv1 doubles as the hilink image (hilink_indie_upgrade table)
)

// KnownIDs lists the 16 ids of the WS63 tables in table order.
var KnownIDs = [ItemCount]ID{
	SSB, Flashboot, FlashbootBackup, RootKey, CustomerFactory, NVBackup, NVData, CrashInfo,
	ImageA, FotaData, Reserve0, Reserve1, Reserve2, Reserve3, Reserve4, Reserve5,
}

var idNames = map[ID]string{
	SSB:             "ssb",
	Flashboot:       "flashboot",
	FlashbootBackup: "flashboot-backup",
	RootKey:         "root-key",
	CustomerFactory: "customer-factory",
	NVBackup:        "nv-backup",
	NVData:          "nv",
	CrashInfo:       "crash-info",
	ImageA:          "imageA",
	FotaData:        "fota",
	Reserve0:        "rsv0",
	Reserve1:        "rsv1",
	Reserve2:        "rsv2",
	Reserve3:        "rsv3",
	Reserve4:        "rsv4",
	Reserve5:        "rsv5",
}

// Known reports whether id is one of KnownIDs.
func (id ID) Known() bool { _, ok := idNames[id]; return ok }

// FixedIDs are the ids the SDK's code looks up (param_sector.json's
// "Fixed item id" list without the reserves): every table must hold them.
var FixedIDs = [...]ID{SSB, Flashboot, FlashbootBackup, RootKey, CustomerFactory, NVBackup, NVData, CrashInfo, ImageA, FotaData}

// Fixed reports whether id is one of FixedIDs.
func (id ID) Fixed() bool {
	for _, f := range FixedIDs {
		if f == id {
			return true
		}
	}
	return false
}

// Customer reports whether id is in the customer range 0x30..0x3F
// (param_sector.json: "data on flash: 0x30 ~ 0x3F"; the guide: "ids from
// 0x30 can be customised"). A table's six non-fixed entries take ids from
// this range.
func (id ID) Customer() bool { return id >= 0x30 && id <= 0x3F }

// Custom reports whether id is a customer partition id (0x30..0x35), the
// ones the guide's FAQ lets a customer configure.
func (id ID) Custom() bool { return id >= Reserve0 && id <= Reserve5 }

// String returns the partition's name ("ssb", "imageA", "fota", "rsv0", …),
// or "0xNN" for an id outside KnownIDs. 0x21 is "fota"; see Name for the AB
// layout's "imageB".
func (id ID) String() string {
	if n, ok := idNames[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%02x", uint8(id))
}

// label is "fota (0x21)" for a known id, "0x36" for another, for messages.
func (id ID) label() string {
	if id.Known() {
		return fmt.Sprintf("%s (0x%02x)", id, uint8(id))
	}
	return id.String()
}

// Name is String, except that 0x21 is "imageB" in the AB layout.
func (id ID) Name(l Layout) string {
	if id == ImageB && l == LayoutAB {
		return "imageB"
	}
	return id.String()
}

// ParseID accepts a partition name as String or Name print it ("fota",
// "imageB", "rsv3", …), "hilink", or a number ("0x21", "33").
func ParseID(s string) (ID, error) {
	switch s {
	case "imageB":
		return ImageB, nil
	case "hilink":
		return Hilink, nil
	}
	for id, n := range idNames {
		if n == s {
			return id, nil
		}
	}
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 8)
	if err != nil {
		return 0, fmt.Errorf("partition: unknown partition %q", s)
	}
	return ID(v), nil
}

// Layout is one of the WS63 flash layouts.
type Layout uint8

const (
	// LayoutCompress is the default compressed-upgrade layout
	// (param_sector.json = param_sector_compress.json).
	LayoutCompress Layout = iota
	// LayoutAB is the A/B layout (param_sector_double.json).
	LayoutAB
)

// String returns "compress" or "ab".
func (l Layout) String() string {
	switch l {
	case LayoutCompress:
		return "compress"
	case LayoutAB:
		return "ab"
	}
	return fmt.Sprintf("Layout(%d)", uint8(l))
}

// ParseLayout parses "compress" or "ab".
func ParseLayout(s string) (Layout, error) {
	switch s {
	case "compress":
		return LayoutCompress, nil
	case "ab":
		return LayoutAB, nil
	}
	return 0, fmt.Errorf("partition: unknown layout %q (want compress or ab)", s)
}
