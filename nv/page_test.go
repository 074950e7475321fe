package nv

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

// TestReferenceStores parses the real NV stores: nv.bin (the NV data
// partition) and nv_factory.bin (the NV backup partition).
func TestReferenceStores(t *testing.T) {
	for _, c := range []struct {
		file  string
		store uint16
	}{{"device/nv.bin", StoreApp}, {"device/nv_factory.bin", StoreBackup}} {
		t.Run(c.file, func(t *testing.T) {
			b := testutil.ReadReference(t, c.file)
			reg, err := ParseRegion(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]uint16{c.store}, reg.Stores()); diff != "" {
				t.Fatalf("stores (-want +got):\n%s", diff)
			}
			type pageFacts struct {
				Index, Keys, Valid, End int
			}
			var got []pageFacts
			for _, p := range reg.Pages {
				f := pageFacts{Index: int(p.Header.Index), Keys: len(p.Entries), End: p.End}
				for _, e := range p.Entries {
					if e.State == StateValid {
						f.Valid++
					}
				}
				got = append(got, f)
			}
			want := []pageFacts{{0, 83, 83, 0xFFC}, {1, 14, 14, 0x280}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			keys := reg.Keys(c.store)
			if len(keys) != 97 {
				t.Fatalf("%d keys, want 97", len(keys))
			}
			byID := map[uint16]Key{}
			attrs := map[Attr]int{}
			for _, k := range keys {
				byID[k.ID] = k
				attrs[k.Attr]++
			}
			if diff := cmp.Diff(map[Attr]int{0: 88, NonUpgrade: 6, Permanent: 3}, attrs); diff != "" {
				t.Errorf("attribute counts (-want +got):\n%s", diff)
			}
			for _, w := range []Key{
				{ID: 0x0003, Value: []byte{1}, Attr: Permanent},
				{ID: 0x0005, Value: make([]byte, 6), Attr: NonUpgrade},
				{ID: 0x2003, Value: []byte("CN"), Attr: Permanent},
				{ID: 0x2130, Value: []byte{0x58, 0x02, 0xF4, 0x01, 0x02, 0x00}},
			} {
				if diff := cmp.Diff(w, byID[w.ID]); diff != "" {
					t.Errorf("key 0x%04x (-want +got):\n%s", w.ID, diff)
				}
			}
		})
	}
}

// TestReferenceReencode rebuilds nv.bin from its parsed keys with
// BuildPage: the encoding reproduces the real file byte for byte.
func TestReferenceReencode(t *testing.T) {
	b := testutil.ReadReference(t, "device/nv.bin")
	reg, err := ParseRegion(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range reg.Pages {
		var keys []Key
		for _, e := range p.Entries {
			keys = append(keys, e.Key())
		}
		got, err := BuildPage(p.Header.StoreID, p.Header.Index, p.Header.Seq, keys)
		if err != nil {
			t.Fatal(err)
		}
		if want := b[i*PageSize : (i+1)*PageSize]; !bytes.Equal(got, want) {
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("page %d differs first at offset 0x%x: % x vs % x", i, j, got[j:min(j+16, PageSize)], want[j:min(j+16, PageSize)])
				}
			}
		}
	}
	// Synthetic packs the same keys into the same two pages.
	keys := reg.Keys(StoreApp)
	img, err := Synthetic(keys)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img, b) {
		t.Error("Synthetic(keys of nv.bin) differs from nv.bin")
	}
}

// messPage returns a copy of the first page of a synthetic image with
// fn applied (zip's messWith).
func messPage(t *testing.T, keys []Key, fn func(b []byte)) []byte {
	t.Helper()
	img, err := Synthetic(keys)
	if err != nil {
		t.Fatal(err)
	}
	b := bytes.Clone(img[:PageSize])
	fn(b)
	return b
}

func testKeys(n int) []Key {
	var keys []Key
	for i := range n {
		keys = append(keys, Key{ID: uint16(0x100 + i), Value: bytes.Repeat([]byte{byte(i)}, 5+i%7)})
	}
	return keys
}

// keyOff is the offset of key i in a page built from testKeys.
func keyOff(keys []Key, i int) int {
	off := PageHeaderLen
	for _, k := range keys[:i] {
		off += keyFlashLen(len(k.Value))
	}
	return off
}

func TestParsePageDamage(t *testing.T) {
	keys := testKeys(10)
	end := keyOff(keys, 10)
	type facts struct {
		Valid, Invalid, Corrupt int
		End                     int
		Missing                 []uint16 // ids without a valid instance
	}
	for _, c := range []struct {
		name string
		mess func(b []byte)
		want facts
	}{
		{"intact", func([]byte) {}, facts{10, 0, 0, end, nil}},
		{"value bit flipped", func(b []byte) { b[keyOff(keys, 3)+KeyHeaderLen] ^= 0x10 },
			facts{9, 0, 1, end, []uint16{0x103}}},
		{"CRC bit flipped", func(b []byte) { b[keyOff(keys, 4)-1] ^= 1 },
			facts{9, 0, 1, end, []uint16{0x103}}},
		{"valid byte cleared", func(b []byte) { b[keyOff(keys, 5)+keyOffValid] = validNo },
			facts{9, 1, 0, end, []uint16{0x105}}},
		{"valid byte torn", func(b []byte) { b[keyOff(keys, 5)+keyOffValid] = 0x5A },
			facts{9, 1, 0, end, []uint16{0x105}}},
		// A wrong length sends the walk into the middle of the next key;
		// the magic search finds the key after it.
		{"length corrupted", func(b []byte) { b[keyOff(keys, 2)+2] += 4 },
			facts{9, 0, 1, end, []uint16{0x102}}},
		// A bad magic: the walk searches for the next header with a good CRC.
		{"magic corrupted", func(b []byte) { b[keyOff(keys, 6)] = 0x00 },
			facts{9, 0, 0, end, []uint16{0x106}}},
		// The last key torn half-way: the page ends after its last
		// programmed byte, where the next write goes.
		{"last key torn", func(b []byte) {
			o := keyOff(keys, 9) + KeyHeaderLen + 2
			for i := o; i < end; i++ {
				b[i] = 0xFF
			}
		}, facts{9, 0, 1, keyOff(keys, 9) + KeyHeaderLen + 2, []uint16{0x109}}},
		{"first key's magic gone", func(b []byte) { b[PageHeaderLen] = 0x12 },
			facts{9, 0, 0, end, []uint16{0x100}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePage(messPage(t, keys, c.mess))
			if err != nil {
				t.Fatal(err)
			}
			got := facts{End: p.End}
			valid := map[uint16]bool{}
			for _, e := range p.Entries {
				switch e.State {
				case StateValid:
					got.Valid++
					valid[e.Header.ID] = true
				case StateInvalid:
					got.Invalid++
				default:
					got.Corrupt++
				}
			}
			for _, k := range keys {
				if !valid[k.ID] {
					got.Missing = append(got.Missing, k.ID)
				}
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePageErrors(t *testing.T) {
	keys := testKeys(3)
	for _, c := range []struct {
		name string
		mess func(b []byte)
		want error
	}{
		{"erased page", func(b []byte) {
			for i := range b {
				b[i] = 0xFF
			}
		}, ErrPageHeader},
		{"torn header", func(b []byte) { b[8] = 1 }, ErrPageHeader}, // sequence 1 programmed, its complement not
		{"index flipped", func(b []byte) { b[3] ^= 1 }, ErrPageHeader},
		{"version 0", func(b []byte) { b[2], b[6] = 0, 0xFF }, ErrLegacyPage},
	} {
		_, err := ParsePage(messPage(t, keys, c.mess))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestRegionDuplicatePages(t *testing.T) {
	keys := testKeys(2)
	old, _ := BuildPage(StoreApp, 0, 4, keys[:1])
	newer, _ := BuildPage(StoreApp, 0, 5, keys)
	erased := bytes.Repeat([]byte{0xFF}, PageSize)
	backup, _ := BuildPage(StoreBackup, 0, 0, keys)
	for _, c := range []struct {
		name   string
		pages  [][]byte
		live   int
		unused []int
	}{
		{"newer later", [][]byte{old, newer, erased, backup}, 1, []int{0, 2, 3}},
		{"newer first", [][]byte{newer, old, erased, backup}, 0, []int{1, 2, 3}},
		{"tie: later wins", [][]byte{newer, newer, erased, erased}, 1, []int{0, 2, 3}},
	} {
		img := bytes.Join(c.pages, nil)
		reg, err := ParseRegion(bytes.NewReader(img), int64(len(img)))
		if err != nil {
			t.Fatal(err)
		}
		phys, ok := reg.Lookup(StoreApp, 0)
		if !ok || phys != c.live {
			t.Errorf("%s: page 0 at %d (%v), want %d", c.name, phys, ok, c.live)
		}
		if diff := cmp.Diff(c.unused, reg.Unused()); diff != "" {
			t.Errorf("%s: unused (-want +got):\n%s", c.name, diff)
		}
		if n := len(reg.Keys(StoreApp)); n != 2 {
			t.Errorf("%s: %d keys, want 2", c.name, n)
		}
	}
	if _, err := ParseRegion(bytes.NewReader(old), PageSize+1); !errors.Is(err, ErrPageSize) {
		t.Errorf("ParseRegion(4097 bytes) = %v, want ErrPageSize", err)
	}
}

// TestTornHeaderHidesNextKey builds the page a torn write leaves: a key
// header programmed only in its first P bytes (its enc_key still 0xFFFF,
// so its length is padded to 16 as an encrypted key's), then the key
// written after it, then one more. When P + the next key's size equals
// the torn header's claimed size, the find walk steps from the torn
// header straight to the key behind, and the key in between is hidden;
// the status walk still counts it. Otherwise the walk finds it by magic.
func TestTornHeaderHidesNextKey(t *testing.T) {
	for _, c := range []struct {
		name   string
		p      int // bytes of the torn header programmed
		tornL  int // the torn key's length
		nextL  int // the length of the key written after it
		hidden bool
	}{
		// claimed 16+64+4 = 84 = 8 + (16+56+4)
		{"8 bytes, lengths 55 and 55", 8, 55, 55, true},
		{"8 bytes, lengths 53 and 56", 8, 53, 56, true},
		// claimed 84 ≠ 8 + (16+52+4) = 80: lands inside the next key
		{"8 bytes, lengths 55 and 50", 8, 55, 50, false},
		// claimed 16+48+4 = 68 = 4 + (16+44+4)
		{"4 bytes, lengths 41 and 41", 4, 41, 41, true},
		// enc_key programmed: the claimed size is the true one
		{"12 bytes, lengths 55 and 55", 12, 55, 55, false},
		// length itself torn: 0xFFFF, no key
		{"2 bytes", 2, 55, 55, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			first := Key{ID: 0x10, Value: []byte("first")}
			next := Key{ID: 0x12, Value: bytes.Repeat([]byte{0x12}, c.nextL)}
			last := Key{ID: 0x13, Value: []byte("last")}
			b, _ := BuildPage(StoreApp, 0, 0, []Key{first})
			at := PageHeaderLen + keyFlashLen(len(first.Value))
			torn, _ := EncodeKey(Key{ID: 0x11, Value: bytes.Repeat([]byte{0x11}, c.tornL)})
			copy(b[at:], torn[:c.p])
			at += c.p
			for _, k := range []Key{next, last} {
				kb, _ := EncodeKey(k)
				copy(b[at:], kb)
				at += len(kb)
			}
			p, err := ParsePage(b)
			if err != nil {
				t.Fatal(err)
			}
			if p.End != at {
				t.Errorf("End = %d, want %d (after the last key)", p.End, at)
			}
			seen := map[uint16]State{}
			for _, e := range p.Entries {
				seen[e.Header.ID] = e.State
			}
			_, found := seen[0x12]
			if found == c.hidden {
				t.Errorf("key after the torn header found = %v, want hidden = %v (entries %v)", found, c.hidden, seen)
			}
			if seen[0x10] != StateValid || seen[0x13] != StateValid {
				t.Errorf("the keys around are not both valid: %v", seen)
			}
		})
	}
}
