package partition_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/partition"
)

const refParams = "device/partition_params.bin"

func TestMarshalMatchesRealBlob(t *testing.T) {
	blob := testutil.ReadReference(t, refParams)
	got, err := partition.Default(partition.LayoutCompress).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != partition.TableLen {
		t.Fatalf("len = %#x, want %#x", len(got), partition.TableLen)
	}
	want := blob[partition.TableOffset : partition.TableOffset+partition.TableLen]
	if !bytes.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("table differs from the real blob first at table offset %#x: got %#02x, want %#02x", i, got[i], want[i])
			}
		}
	}
}

func TestParseFlashRealBlob(t *testing.T) {
	blob := testutil.ReadReference(t, refParams)
	got, err := partition.ParseFlash(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(partition.Default(partition.LayoutCompress), got); d != "" {
		t.Errorf("ParseFlash(real blob) (-default +got):\n%s", d)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, l := range []partition.Layout{partition.LayoutCompress, partition.LayoutAB} {
		want := partition.Default(l)
		b, err := want.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := partition.Parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s round trip (-want +got):\n%s", l, d)
		}
	}
}

// TestTableHeaderLayout pins the header fields of the encoded default table.
func TestTableHeaderLayout(t *testing.T) {
	b, _ := partition.Default(partition.LayoutCompress).MarshalBinary()
	le := binary.LittleEndian
	for _, tc := range []struct {
		name      string
		got, want uint32
	}{
		{"image_id", le.Uint32(b[0:]), 0x4B87A54B},
		{"struct_version", le.Uint32(b[4:]), 0x00010000},
		{"version", le.Uint32(b[8:]), 0},
		{"item_offset", uint32(le.Uint16(b[12:])), 32},
		{"item_count", uint32(b[14]), 16},
		{"first id", uint32(b[15]), 0x00},
		{"last id", uint32(b[30]), 0x35},
		{"pad", uint32(b[31]), 0},
		{"fota offset", le.Uint32(b[32+9*8:]), 0x270000},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

// TestParseErrors corrupts a good table at documented offsets.
func TestParseErrors(t *testing.T) {
	good, _ := partition.Default(partition.LayoutCompress).MarshalBinary()
	for _, tc := range []struct {
		name    string
		mess    func(b []byte) []byte
		want    error
		wantOff int64
	}{
		{"truncated", func(b []byte) []byte { return b[:partition.TableLen-1] }, partition.ErrTruncated, partition.TableLen - 1},
		{"empty", func(b []byte) []byte { return nil }, partition.ErrTruncated, 0},
		{"image id", func(b []byte) []byte { b[3] ^= 0xFF; return b }, partition.ErrInit, 0},
		{"count 15", func(b []byte) []byte { b[14] = 15; return b }, partition.ErrInit, 14},
		{"count 0", func(b []byte) []byte { b[14] = 0; return b }, partition.ErrInit, 14},
		{"item offset misaligned", func(b []byte) []byte { b[12] = 33; return b }, partition.ErrItemOffset, 12},
		{"item offset over ids", func(b []byte) []byte { b[12] = 28; return b }, partition.ErrItemOffset, 12},
		{"items past end", func(b []byte) []byte { b[12], b[13] = 0x84, 0x03; return b }, partition.ErrItemOffset, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mess(append([]byte(nil), good...))
			_, err := partition.Parse(bytes.NewReader(b), int64(len(b)))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var fe *partition.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err %T is not a *FormatError", err)
			}
			if fe.Off != tc.wantOff {
				t.Errorf("Off = %#x, want %#x", fe.Off, tc.wantOff)
			}
			if partition.Code(err) != partition.CodeInit {
				t.Errorf("Code = %#x, want CodeInit", partition.Code(err))
			}
		})
	}
}

func TestParseFlashErrorOffsets(t *testing.T) {
	flash := bytes.Repeat([]byte{0xFF}, 0x1000)
	_, err := partition.ParseFlash(bytes.NewReader(flash))
	var fe *partition.FormatError
	if !errors.As(err, &fe) || !errors.Is(err, partition.ErrInit) || fe.Off != partition.TableOffset {
		t.Fatalf("erased flash: %v, want ErrInit at 0x380", err)
	}
	_, err = partition.ParseFlash(bytes.NewReader(flash[:0x500]))
	if !errors.As(err, &fe) || !errors.Is(err, partition.ErrTruncated) || fe.Off != 0x500 {
		t.Fatalf("short flash: %v, want ErrTruncated at 0x500", err)
	}
}

// TestParseMoreThan16 checks a table with extra items keeps the first 16,
// as the device copies.
func TestParseMoreThan16(t *testing.T) {
	tbl := partition.Default(partition.LayoutCompress)
	big := tbl.Clone()
	big.Entries = append(big.Entries, partition.Entry{ID: 0x36, Offset: 0x1000, Size: 0x1000}, partition.Entry{ID: 0x37})
	b, err := big.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if b[14] != 18 || binary.LittleEndian.Uint16(b[12:]) != 36 {
		t.Fatalf("count %d item_offset %d, want 18 and 36", b[14], binary.LittleEndian.Uint16(b[12:]))
	}
	got, err := partition.Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(tbl, got); d != "" {
		t.Error(d)
	}
}

func TestMarshalLimits(t *testing.T) {
	tbl := partition.Table{ImageID: partition.TableImageID, Entries: make([]partition.Entry, partition.MaxItems)}
	b, err := tbl.MarshalBinary()
	if err != nil || len(b) != partition.TableLen {
		t.Fatalf("MaxItems entries: len %d, %v", len(b), err)
	}
	tbl.Entries = append(tbl.Entries, partition.Entry{})
	if _, err := tbl.MarshalBinary(); !errors.Is(err, partition.ErrTooManyItems) {
		t.Fatalf("MaxItems+1 entries: %v, want ErrTooManyItems", err)
	}
	// A short table encodes (for fault scenarios) and the device refuses it.
	short := partition.Default(partition.LayoutAB)
	short.Entries = short.Entries[:10]
	b, err = short.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := partition.Parse(bytes.NewReader(b), int64(len(b))); !errors.Is(err, partition.ErrInit) {
		t.Fatalf("10-item table: %v, want ErrInit", err)
	}
}

func TestFormatErrorMessage(t *testing.T) {
	b, _ := partition.Default(partition.LayoutCompress).MarshalBinary()
	b[14] = 15
	_, err := partition.Parse(bytes.NewReader(b), int64(len(b)))
	if want := "partition: offset 0xe: item count 15 < 16"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want uint32
	}{
		{nil, 0},
		{partition.ErrInit, 0x80003000},
		{&partition.FormatError{Err: partition.ErrTruncated}, 0x80003000},
		{partition.ErrNotFound, 0x80003003},
		{&partition.BoundsError{}, 0x80003002},
		{partition.ErrOverlap, 0xFFFFFFFF},
	} {
		if got := partition.Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %#x, want %#x", tc.err, got, tc.want)
		}
	}
}
