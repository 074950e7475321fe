package partition

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxJSONLen bounds what ParseJSON reads; the SDK's files are about 3 KiB.
const maxJSONLen = 1 << 20

// sectorJSON is the SDK's param_sector*.json form.
type sectorJSON struct {
	PartitionTbl *struct {
		ImageID   *string    `json:"image_id"`
		StruVer   *string    `json:"stru_ver"`
		Version   *string    `json:"version"`
		ParamInfo [][]string `json:"param_info"`
	} `json:"Partition_Tbl"` // param_info_description and Output_file_prefix are ignored
}

// ParseJSON decodes an SDK param_sector*.json table (hex strings, as
// param_packet.py reads them with int(x, 16)). name is the file name used in
// errors. It does not validate the geometry (param_packet.py does not
// either); use Table.Validate.
func ParseJSON(r io.Reader, name string) (Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxJSONLen+1))
	if err != nil {
		return Table{}, fmt.Errorf("%w: %s: %v", ErrJSON, name, err)
	}
	if len(data) > maxJSONLen {
		return Table{}, fmt.Errorf("%w: %s: larger than %d bytes", ErrJSON, name, maxJSONLen)
	}
	var doc sectorJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		return Table{}, fmt.Errorf("%w: %s: %v", ErrJSON, name, err)
	}
	p := doc.PartitionTbl
	if p == nil {
		return Table{}, fmt.Errorf("%w: %s: no Partition_Tbl object", ErrJSON, name)
	}
	var t Table
	for _, f := range []struct {
		key string
		s   *string
		v   *uint32
	}{
		{"image_id", p.ImageID, &t.ImageID},
		{"stru_ver", p.StruVer, &t.StructVersion},
		{"version", p.Version, &t.Version},
	} {
		if f.s == nil {
			return Table{}, fmt.Errorf("%w: %s: Partition_Tbl.%s missing", ErrJSON, name, f.key)
		}
		v, err := parseHex(*f.s, 32)
		if err != nil {
			return Table{}, fmt.Errorf("%w: %s: Partition_Tbl.%s: %v", ErrJSON, name, f.key, err)
		}
		*f.v = uint32(v)
	}
	if len(p.ParamInfo) > MaxItems {
		return Table{}, fmt.Errorf("%w: %s: param_info has %d items, at most %d fit", ErrJSON, name, len(p.ParamInfo), MaxItems)
	}
	t.Entries = make([]Entry, 0, len(p.ParamInfo))
	for i, row := range p.ParamInfo {
		if len(row) != 3 {
			return Table{}, fmt.Errorf("%w: %s: param_info[%d]: %d fields, want 3 (id, offset, size)", ErrJSON, name, i, len(row))
		}
		var v [3]uint64
		for j, bits := range [3]int{8, 32, 32} {
			if v[j], err = parseHex(row[j], bits); err != nil {
				return Table{}, fmt.Errorf("%w: %s: param_info[%d][%d]: %v", ErrJSON, name, i, j, err)
			}
		}
		t.Entries = append(t.Entries, Entry{ID(v[0]), uint32(v[1]), uint32(v[2])})
	}
	return t, nil
}

// parseHex parses a hex number with an optional 0x prefix, like Python's
// int(s, 16).
func parseHex(s string, bits int) (uint64, error) {
	h := strings.TrimSpace(s)
	if len(h) > 1 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
		h = h[2:]
	}
	v, err := strconv.ParseUint(h, 16, bits)
	if err != nil || h == "" {
		return 0, fmt.Errorf("bad %d-bit hex value %q", bits, s)
	}
	return v, nil
}
