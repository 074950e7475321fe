package partition

import (
	"fmt"
	"sort"
)

// Flash geometry the WS63 tables assume.
const (
	FlashSize  uint32 = 0x400000 // 4 MiB SPI NOR
	SectorSize uint32 = 0x1000   // erase unit; partitions are aligned to it
)

// Entry is one partition: its id, flash offset and size in bytes.
type Entry struct {
	ID     ID
	Offset uint32
	Size   uint32
}

// End returns the flash offset just past the partition. It does not
// overflow: an entry whose end would exceed 4 GiB returns 0xFFFFFFFF.
func (e Entry) End() uint32 {
	end := uint64(e.Offset) + uint64(e.Size)
	if end > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(end)
}

func (e Entry) end64() uint64 { return uint64(e.Offset) + uint64(e.Size) }

// Contains reports whether the flash offset addr lies in the partition.
func (e Entry) Contains(addr uint32) bool {
	return addr >= e.Offset && uint64(addr) < e.end64()
}

// Table is a partition table as the device holds it: the header fields of
// the binary form and the entries in table order.
type Table struct {
	ImageID       uint32 // TableImageID
	StructVersion uint32 // 0x00010000
	Version       uint32 // params_area_ver, 0
	Entries       []Entry
}

// StructVersion is the structure_version of the table and of every params area.
const StructVersion = 0x00010000

// Default returns the SDK's table for the layout, with the values of
// param_sector_compress.json (= param_sector.json) or
// param_sector_double.json. Any other Layout value yields a Table without
// entries (Validate rejects it).
func Default(l Layout) Table {
	t := Table{ImageID: TableImageID, StructVersion: StructVersion}
	common := []Entry{
		{SSB, 0x002000, 0x6000},
		{Flashboot, 0x020000, 0x10000},
		{FlashbootBackup, 0x010000, 0x10000},
		{RootKey, 0x000000, 0x800},
		{CustomerFactory, 0x008000, 0x4000},
		{NVBackup, 0x00C000, 0x4000},
		{NVData, 0x3FC000, 0x4000},
		{CrashInfo, 0x3FB000, 0x1000},
	}
	var images []Entry
	var rsv uint32
	var rsvSize uint32
	switch l {
	case LayoutCompress:
		images = []Entry{{ImageA, 0x030000, 0x240000}, {FotaData, 0x270000, 0x183000}}
		rsv, rsvSize = 0x3F3000, 0x8000
	case LayoutAB:
		images = []Entry{{ImageA, 0x030000, 0x1E1000}, {ImageB, 0x211000, 0x1E1000}}
		rsv, rsvSize = 0x3F2000, 0x9000
	default:
		return t
	}
	t.Entries = append(common, images...)
	t.Entries = append(t.Entries, Entry{Reserve0, rsv, rsvSize})
	for id := Reserve1; id <= Reserve5; id++ {
		t.Entries = append(t.Entries, Entry{id, rsv, 0})
	}
	return t
}

// Clone returns a copy of t that shares no memory with it.
func (t Table) Clone() Table {
	t.Entries = append([]Entry(nil), t.Entries...)
	return t
}

// Lookup returns the first entry with the id, as uapi_partition_get_info
// does, or ErrNotFound (ERRCODE_PARTITION_CONFIG_NOT_FOUND).
func (t Table) Lookup(id ID) (Entry, error) {
	for _, e := range t.Entries {
		if e.ID == id {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, id.label())
}

// At returns the entry holding the flash offset addr, if any non-empty one does.
func (t Table) At(addr uint32) (Entry, bool) {
	for _, e := range t.Entries {
		if e.Size != 0 && e.Contains(addr) {
			return e, true
		}
	}
	return Entry{}, false
}

// Validate checks the table against the rules the SDK's tables follow and the
// device relies on, in this order, returning the first failure as an
// *EntryError wrapping one of:
//
//   - ErrCount: not exactly ItemCount entries (uapi_partition_init refuses
//     fewer than 16 and copies 16; the guide allows at most 16 ids);
//   - ErrUnknownID, ErrDuplicate: each id is one of the FixedIDs or a
//     customer id (0x30..0x3F), and no id appears twice;
//   - ErrMissing: every one of the FixedIDs is present (so the other six
//     entries are customer partitions);
//   - ErrMisaligned: a non-empty partition's offset or size is not a multiple
//     of SectorSize. The root key partition's size is exempt: the SDK ships
//     0x000000/0x800 and the params blob is only ParamsLen (0x780) bytes;
//   - ErrParamsPlacement: the root key partition does not start at 0 or is
//     smaller than ParamsLen;
//   - ErrOutsideFlash: a partition (empty ones included) ends past flashSize;
//   - ErrOverlap: two non-empty partitions overlap. Empty partitions (the
//     SDK's rsv1..rsv5) may sit anywhere inside the flash.
//
// EntryError.Items gives the positions of the entries involved, so a caller
// can name the line of its own source (LoadJSON names param_info[i]).
func (t Table) Validate(flashSize uint32) error {
	if len(t.Entries) != ItemCount {
		return &EntryError{Err: ErrCount, Msg: fmt.Sprintf("%d entries, want %d", len(t.Entries), ItemCount)}
	}
	seen := make(map[ID]int, len(t.Entries))
	for i, e := range t.Entries {
		if !e.ID.Fixed() && !e.ID.Customer() {
			return &EntryError{Entry: e, Err: ErrUnknownID, Items: []int{i}}
		}
		if j, dup := seen[e.ID]; dup {
			return &EntryError{Entry: e, Other: t.Entries[j], Err: ErrDuplicate, Items: []int{i, j}}
		}
		seen[e.ID] = i
	}
	for _, id := range FixedIDs {
		if _, ok := seen[id]; !ok {
			return &EntryError{Entry: Entry{ID: id}, Err: ErrMissing, Msg: fmt.Sprintf("no entry for %s; the SDK looks it up", id.label())}
		}
	}
	for i, e := range t.Entries {
		if e.Size == 0 {
			continue
		}
		if e.Offset%SectorSize != 0 || (e.Size%SectorSize != 0 && e.ID != RootKey) {
			return &EntryError{Entry: e, Err: ErrMisaligned, Items: []int{i}}
		}
	}
	if i := seen[RootKey]; t.Entries[i].Offset != 0 || t.Entries[i].Size < ParamsLen {
		return &EntryError{Entry: t.Entries[i], Err: ErrParamsPlacement, Items: []int{i}, Msg: fmt.Sprintf("need offset 0 and size >= 0x%x", ParamsLen)}
	}
	for i, e := range t.Entries {
		if e.end64() > uint64(flashSize) {
			return &EntryError{Entry: e, Err: ErrOutsideFlash, Items: []int{i}, Msg: fmt.Sprintf("flash size 0x%x", flashSize)}
		}
	}
	// Sort non-empty partitions by offset; neighbours must not overlap.
	var ne []int
	for i, e := range t.Entries {
		if e.Size != 0 {
			ne = append(ne, i)
		}
	}
	sort.SliceStable(ne, func(a, b int) bool { return t.Entries[ne[a]].Offset < t.Entries[ne[b]].Offset })
	for k := 1; k < len(ne); k++ {
		prev, cur := t.Entries[ne[k-1]], t.Entries[ne[k]]
		if cur.Offset < prev.End() {
			return &EntryError{Entry: prev, Other: cur, Err: ErrOverlap, Items: []int{ne[k-1], ne[k]}}
		}
	}
	return nil
}

// With returns a copy of t with the entry for id set to offset and size (the
// entry is appended if absent), validated against FlashSize. This is how the
// guide's flash-table adjustment (cutting space out of imageA, imageB or fota
// data) is expressed.
func (t Table) With(id ID, offset, size uint32) (Table, error) {
	n := t.Clone()
	found := false
	for i := range n.Entries {
		if n.Entries[i].ID == id {
			n.Entries[i].Offset, n.Entries[i].Size = offset, size
			found = true
			break
		}
	}
	if !found {
		n.Entries = append(n.Entries, Entry{id, offset, size})
	}
	if err := n.Validate(FlashSize); err != nil {
		return t, err
	}
	return n, nil
}

// WithCustom configures a customer partition (0x30..0x35, guide FAQ and
// "partition ids from 0x30 can be customised") and validates the result
// against FlashSize. Space has to come from a neighbour: shrink rsv0 (or,
// with With, imageA / imageB / fota data) first.
func (t Table) WithCustom(id ID, offset, size uint32) (Table, error) {
	if !id.Custom() {
		return t, &EntryError{Entry: Entry{id, offset, size}, Err: ErrNotCustom}
	}
	return t.With(id, offset, size)
}
