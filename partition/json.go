package partition

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return Table{}, fmt.Errorf("%w: %s: offset %d: %v", ErrJSON, name, se.Offset, err)
		case errors.As(err, &te):
			return Table{}, fmt.Errorf("%w: %s: offset %d: field %s: %s where the SDK has %s", ErrJSON, name, te.Offset, te.Field, te.Value, jsonWant(te.Field))
		}
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

// jsonWant says what the SDK's json holds at a field.
func jsonWant(field string) string {
	switch {
	case strings.Contains(field, "param_info"):
		return "a list of [id, offset, size] hex strings"
	case field == "Partition_Tbl":
		return "an object"
	}
	return "a hex string"
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

// JSONError is a param_sector json that decodes but describes a table the
// device cannot use. Field is the JSON path of the culprit
// ("Partition_Tbl.param_info[9]"); Err is the validation sentinel
// (ErrOverlap, ErrCount, ErrInit, …). It also matches ErrJSON.
type JSONError struct {
	File  string
	Field string
	Err   error // an *EntryError or a *FormatError, or a sentinel
}

func (e *JSONError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "partition: ")
	return fmt.Sprintf("partition: %s: %s: %s", e.File, e.Field, msg)
}

func (e *JSONError) Unwrap() []error { return []error{ErrJSON, e.Err} }

// LoadJSON reads an SDK param_sector*.json (ParseJSON) and checks it as the
// device and the guide require: image_id must be TableImageID (else
// uapi_partition_init fails, ErrInit), and the table must pass Validate
// against FlashSize — exactly 16 items, the fixed ids present, the other
// ids customer ids (0x30..0x3F) used once, 4 KiB alignment, the params
// blob at 0, inside the flash, no overlap. Errors name the file and the
// JSON field (a *JSONError).
func LoadJSON(r io.Reader, name string) (Table, error) {
	t, err := ParseJSON(r, name)
	if err != nil {
		return Table{}, err
	}
	if t.ImageID != TableImageID {
		return Table{}, &JSONError{File: name, Field: "Partition_Tbl.image_id",
			Err: &FormatError{Msg: fmt.Sprintf("0x%08X, want 0x%08X (uapi_partition_init refuses the table)", t.ImageID, uint32(TableImageID)), Err: ErrInit}}
	}
	err = t.Validate(FlashSize)
	if err == nil {
		return t, nil
	}
	ee, ok := err.(*EntryError)
	if !ok {
		return Table{}, &JSONError{File: name, Field: "Partition_Tbl.param_info", Err: err}
	}
	field := "Partition_Tbl.param_info"
	switch {
	case ee.Err == ErrCount:
		n := len(t.Entries)
		why := "the guide allows at most 16 partition ids"
		if n < ItemCount {
			why = "uapi_partition_init refuses fewer than 16 (ERRCODE_PARTITION_INIT_ERR)"
		}
		return Table{}, &JSONError{File: name, Field: field, Err: &EntryError{Err: ErrCount, Msg: fmt.Sprintf("%d items, want %d: %s", n, ItemCount, why)}}
	case len(ee.Items) == 2:
		a, b := min(ee.Items[0], ee.Items[1]), max(ee.Items[0], ee.Items[1])
		field = fmt.Sprintf("%s[%d] and [%d]", field, a, b)
	case len(ee.Items) == 1:
		field = fmt.Sprintf("%s[%d]", field, ee.Items[0])
	}
	return Table{}, &JSONError{File: name, Field: field, Err: ee}
}

// LoadJSONFile is LoadJSON on a file; errors name the file as given.
func LoadJSONFile(path string) (Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return Table{}, fmt.Errorf("%w: %v", ErrJSON, err)
	}
	defer f.Close()
	return LoadJSON(f, path)
}
