package partition

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Binary partition table (params.bin, written by the SDK's param_packet.py,
// read by uapi_partition_init at flash 0x380):
//
//	off  size        field
//	0    4           image_id       TableImageID
//	4    4           struct_version 0x00010000
//	8    4           version        0
//	12   2           item_offset    align4(15 + count) (32 for 16 items)
//	14   1           item_count     16
//	15   count       item ids
//	…                zero pad to item_offset
//	item_offset  8×count  per item: flash offset (u32), size (u32)
//	…                zero pad to TableLen
const (
	TableOffset  = 0x380      // flash offset of the table (inside the root key partition)
	TableLen     = 0x400      // bytes of the table (params_area_len)
	TableImageID = 0x4B87A54B // PARTITION_IMAGE_ID
	ItemCount    = 16         // PARTITION_MAX_CNT: items the device requires and copies

	tableHeaderLen = 15 // image_id, struct_version, version, item_offset, item_count
	tableIDsOffset = 15 // PARTITION_ITEM_ID_OFFSET: the device reads ids here, whatever item_offset says
	itemLen        = 8  // param_area_data_t: offset u32, size u32

	// MaxItems is the most entries that fit in TableLen bytes.
	MaxItems = 112
)

func align4(n int) int { return (n + 3) &^ 3 }

// itemOffset is param_packet.py's item_offset for n items.
func itemOffset(n int) int { return align4(tableHeaderLen + n) }

// MarshalBinary encodes the table as param_packet.py does: exactly TableLen
// bytes, zero padded. It does not validate the geometry (a deliberately bad
// table can be encoded), only that the entries fit: at most MaxItems.
func (t Table) MarshalBinary() ([]byte, error) {
	n := len(t.Entries)
	if n > MaxItems {
		return nil, fmt.Errorf("%w: %d entries, at most %d fit in 0x%x bytes", ErrTooManyItems, n, MaxItems, TableLen)
	}
	b := make([]byte, TableLen)
	le := binary.LittleEndian
	le.PutUint32(b[0:], t.ImageID)
	le.PutUint32(b[4:], t.StructVersion)
	le.PutUint32(b[8:], t.Version)
	off := itemOffset(n)
	le.PutUint16(b[12:], uint16(off))
	b[14] = uint8(n)
	for i, e := range t.Entries {
		b[tableIDsOffset+i] = uint8(e.ID)
		le.PutUint32(b[off+itemLen*i:], e.Offset)
		le.PutUint32(b[off+itemLen*i+4:], e.Size)
	}
	return b, nil
}

// Parse decodes the binary table at offset 0 of r, which holds size bytes
// (at least TableLen). It decodes what uapi_partition_init keeps: the header
// and the first ItemCount entries (ids from offset 15, items from
// item_offset). Errors are *FormatError values, checked in this order:
// truncation (ErrTruncated), image id (ErrInit), item count < 16 (ErrInit),
// item_offset (ErrItemOffset). Parse does not validate the geometry; use
// Table.Validate.
//
// A table with more than 16 items parses to its first 16: the device copies
// only those (its lookup then also scans past its 16-slot array, an SDK
// overrun that is not modelled).
func Parse(r io.ReaderAt, size int64) (Table, error) {
	if size < TableLen {
		return Table{}, &FormatError{Off: size, Msg: fmt.Sprintf("table needs 0x%x bytes, have 0x%x", TableLen, size), Err: ErrTruncated}
	}
	var b [TableLen]byte
	if n, err := r.ReadAt(b[:], 0); n < TableLen {
		return Table{}, &FormatError{Off: int64(n), Msg: fmt.Sprintf("table read: %v", err), Err: ErrTruncated}
	}
	return parseTable(b[:], 0)
}

// ParseFlash decodes the table the device reads at flash TableOffset.
func ParseFlash(r io.ReaderAt) (Table, error) {
	t, err := Parse(io.NewSectionReader(r, TableOffset, TableLen), TableLen)
	if fe, ok := err.(*FormatError); ok {
		fe.Off += TableOffset
	}
	return t, err
}

// parseTable decodes a TableLen-byte table; base is added to error offsets.
func parseTable(b []byte, base int64) (Table, error) {
	le := binary.LittleEndian
	t := Table{
		ImageID:       le.Uint32(b[0:]),
		StructVersion: le.Uint32(b[4:]),
		Version:       le.Uint32(b[8:]),
	}
	if t.ImageID != TableImageID {
		return Table{}, &FormatError{Off: base, Msg: fmt.Sprintf("image id 0x%08x, want 0x%08x", t.ImageID, uint32(TableImageID)), Err: ErrInit}
	}
	off := int(le.Uint16(b[12:]))
	count := int(b[14])
	if count < ItemCount {
		return Table{}, &FormatError{Off: base + 14, Msg: fmt.Sprintf("item count %d < %d", count, ItemCount), Err: ErrInit}
	}
	if off%4 != 0 || off < itemOffset(ItemCount) || off+itemLen*ItemCount > TableLen {
		return Table{}, &FormatError{Off: base + 12, Msg: fmt.Sprintf("item offset 0x%x: want 4-aligned, >= 0x%x and items within 0x%x bytes", off, itemOffset(ItemCount), TableLen), Err: ErrItemOffset}
	}
	t.Entries = make([]Entry, ItemCount)
	for i := range t.Entries {
		t.Entries[i] = Entry{
			ID:     ID(b[tableIDsOffset+i]),
			Offset: le.Uint32(b[off+itemLen*i:]),
			Size:   le.Uint32(b[off+itemLen*i+4:]),
		}
	}
	return t, nil
}
