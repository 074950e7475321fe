package nv

import (
	"bytes"
	"fmt"
)

// State is what a key instance on flash counts as.
type State uint8

// Key instance states.
const (
	// StateValid: magic, valid byte 0xFF, a length in 1..MaxValueLen and
	// a matching CRC (kv_key_is_valid).
	StateValid State = iota
	// StateInvalid: the valid byte was cleared — a superseded instance or
	// a deleted key (also a torn clearing that left the byte neither 0xFF
	// nor 0x00).
	StateInvalid
	// StateCorrupt: the integrity check fails (a torn write, a bit flip)
	// or the length is 0 or out of range.
	StateCorrupt
)

func (s State) String() string {
	switch s {
	case StateValid:
		return "valid"
	case StateInvalid:
		return "invalid"
	}
	return "corrupt"
}

// Entry is one key instance found in a page.
type Entry struct {
	Off    int // offset of its header from the start of the page
	Header KeyHeader
	// Value is the Length bytes after the header (ciphertext for an
	// encrypted key), cut short at the end of the page.
	Value []byte
	State State
}

// Size is the flash bytes the instance occupies (KeyHeader.FlashSize).
func (e Entry) Size() int { return e.Header.FlashSize() }

// Key returns the instance as a Key.
func (e Entry) Key() Key { return Key{ID: e.Header.ID, Value: e.Value, Attr: e.Header.Attr()} }

// Page is one parsed 4 KiB page of a KV store.
type Page struct {
	Header PageHeader
	// Entries are the key instances a reader finds, in page order (the
	// SDK's find walk, kv_page_find_first_key / kv_page_find_next_key).
	Entries []Entry
	// End is the first writable offset, where the next key goes, and
	// Reclaimable the bytes a defragmentation would free: invalid and
	// corrupt keys and garbage between keys. Both come from the SDK's
	// status walk (kv_page_read_status_to_map), which checks every key.
	End, Reclaimable int
}

// Free is the space after End (total_space − used_space).
func (p *Page) Free() int { return PageSize - p.End }

// MaxKeySpace is the room a defragmentation of the page would leave
// (max_key_space = total_space − used_space + reclaimable_space).
func (p *Page) MaxKeySpace() int { return PageSize - p.End + p.Reclaimable }

// ParsePage parses one page: ErrPageSize unless b is PageSize bytes,
// ErrPageHeader for a header whose check words do not match (an erased,
// torn or never-used page), ErrLegacyPage for a version-0 page.
//
// Keys are read as the SDK walks a page with
// CONFIG_NV_SUPPORT_SKIP_CORRUPT_KEY (on in WS63). The find walk, which
// readers use, goes from offset 16 key after key by FlashSize; only when
// the next location does not hold a key header (0xA9) does it check the
// current key's CRC, and if that fails it searches byte by byte for the
// next header whose CRC holds. The status walk, which places the next
// write, checks every key and, after a bad one, searches the same way;
// the page ends where only erased bytes follow.
//
// The two differ after a torn write: a key header programmed only in part
// (its enc_key bytes still 0xFF, so its length is padded as an encrypted
// key's) can claim exactly the bytes of the key written after it, and the
// find walk then steps over that key to the one behind it. The hidden key
// is lost to readers, as on the device.
func ParsePage(b []byte) (*Page, error) {
	return parsePage(b, make([]int8, PageSize))
}

func parsePage(b []byte, memo []int8) (*Page, error) {
	if len(b) != PageSize {
		return nil, &FormatError{Off: int64(len(b)), Msg: fmt.Sprintf("page is %d bytes, want %d", len(b), PageSize), Err: ErrPageSize}
	}
	var h PageHeader
	h.UnmarshalBinary(b)
	if !h.Valid() {
		return nil, &FormatError{Off: 0, Msg: fmt.Sprintf("page header %x: check words do not match or store id is 0/0xFFFF", b[:PageHeaderLen]), Err: ErrPageHeader}
	}
	if h.Ver == 0 {
		return nil, &FormatError{Off: 2, Msg: "page version 0 (keys without magic)", Err: ErrLegacyPage}
	}
	return parseKeys(h, b, memo), nil
}

// parseKeys walks a page whose header is valid; memo is PageSize bytes of
// scratch (cleared here).
func parseKeys(h PageHeader, b []byte, memo []int8) *Page {
	clear(memo)
	w := &walker{b: bytes.Clone(b), memo: memo}
	p := &Page{Header: h, Entries: w.findWalk()}
	p.End, p.Reclaimable = w.statusWalk()
	return p
}

// handle is the outcome of reading a key header at a location
// (kv_key_get_handle_from_location).
type handle uint8

const (
	hOK       handle = iota // a header with the key magic
	hEnd                    // 16 erased bytes: the last key has been read
	hBadMagic               // something else: a corrupt key
)

// walker walks one page: b is a private copy (entries' values point into
// it) and memo caches integrity by offset (0 unknown, 1 good, -1 bad).
type walker struct {
	b    []byte
	memo []int8
}

func (w *walker) handleAt(loc int) (handle, KeyHeader) {
	b := w.b
	var h KeyHeader
	hdr := b[loc : loc+KeyHeaderLen]
	if allFF(hdr) {
		return hEnd, h
	}
	h.UnmarshalBinary(hdr)
	if h.Magic != KeyMagic {
		return hBadMagic, h
	}
	return hOK, h
}

// samePage is kv_key_locations_in_same_page: a next key's header must end
// before the page does.
func samePage(next int) bool { return next+KeyHeaderLen < PageSize }

// integrity is kv_key_validate_integrity(ignor_invalid=true): the length
// is at most MaxValueLen and the CRC matches (a cleared valid byte read
// as 0xFF). A key running past the page end fails (the SDK would read on
// into the next page; its CRC would not match).
func integrity(b []byte, loc int, h KeyHeader) bool {
	if h.Length > MaxValueLen || loc+h.FlashSize() > len(b) {
		return false
	}
	stored, computed := keyCRC(h, b[loc:])
	return stored == computed
}

// integrity is the package function, cached: the header at loc is always
// the one decoded from the page at loc.
func (w *walker) integrity(loc int, h KeyHeader) bool {
	switch w.memo[loc] {
	case 1:
		return true
	case -1:
		return false
	}
	ok := integrity(w.b, loc, h)
	w.memo[loc] = -1
	if ok {
		w.memo[loc] = 1
	}
	return ok
}

// findWalk lists the key instances the SDK's readers see.
func (w *walker) findWalk() []Entry {
	out := make([]Entry, 0, 32)
	loc := PageHeaderLen
	st, h := w.handleAt(loc)
	if st == hBadMagic {
		loc, st, h = w.nextMagic(loc)
	}
	for st == hOK {
		out = append(out, w.entryAt(loc, h))
		loc, st, h = w.nextHandle(loc, h)
	}
	return out
}

// statusWalk is kv_page_read_status_to_map: the first writable offset
// (16 + used space) and the reclaimable space.
func (w *walker) statusWalk() (end, reclaimable int) {
	used := 0
	loc := PageHeaderLen
	st, h := w.handleAt(loc)
	if st == hBadMagic {
		loc, st, h = w.nextMagic(loc)
		used, reclaimable = loc-PageHeaderLen, loc-PageHeaderLen
	}
	for st == hOK || st == hBadMagic {
		var size int
		if !w.integrity(loc, h) {
			// KV_KEY_VALIDATE_WRONG: the length is not to be trusted;
			// the key spans up to the next header found by magic.
			last := loc
			loc, st, h = w.nextMagic(loc)
			size = loc - last
			reclaimable += size
		} else {
			size = h.FlashSize()
			if h.erased() {
				reclaimable += size
			}
			loc, st, h = w.nextChecked(loc, h)
		}
		used += size
	}
	return PageHeaderLen + used, reclaimable
}

// nextChecked is kv_key_get_next_handle_with_corrupt_key for a key whose
// integrity holds (KV_KEY_VALIDATE_CORRECT): whatever lies at loc+size is
// the next "key" — a bad header there is walked as a corrupt key.
func (w *walker) nextChecked(loc int, h KeyHeader) (int, handle, KeyHeader) {
	if h.Magic != KeyMagic {
		return w.nextMagic(loc)
	}
	next := loc + h.FlashSize()
	if !samePage(next) {
		return min(next, PageSize), hEnd, KeyHeader{}
	}
	st, nh := w.handleAt(next)
	return next, st, nh
}

func (w *walker) entryAt(loc int, h KeyHeader) Entry {
	e := Entry{Off: loc, Header: h}
	start := loc + KeyHeaderLen
	end := min(start+int(h.Length), len(w.b))
	e.Value = w.b[start:end:end]
	switch {
	case h.Length == 0 || h.Length == 0xFFFF:
		e.State = StateCorrupt
	case h.Valid != validYes:
		e.State = StateInvalid
	case !w.integrity(loc, h):
		e.State = StateCorrupt
	default:
		e.State = StateValid
	}
	return e
}

// nextHandle is kv_key_get_next_handle_with_corrupt_key on the find walk
// (KV_KEY_NOT_VALIDATE) for the key h at loc, whose magic is good.
func (w *walker) nextHandle(loc int, h KeyHeader) (int, handle, KeyHeader) {
	next := loc + h.FlashSize()
	st := hEnd
	var nh KeyHeader
	if samePage(next) {
		st, nh = w.handleAt(next)
	}
	if st == hOK {
		return next, hOK, nh
	}
	if !w.integrity(loc, h) {
		// The length is not to be trusted: search from this key.
		return w.nextMagic(loc)
	}
	if st == hBadMagic {
		// A good key followed by garbage: the walk goes on from the
		// garbage, looking for the next magic.
		return w.nextMagic(next)
	}
	return min(next, PageSize), hEnd, nh
}

// nextMagic is kv_key_get_next_magic_position: from loc+1, the first
// position holding a key header (magic, valid byte 0x00 or 0xFF) whose
// CRC holds; failing that, the page ends at the start of the last run of
// erased bytes (16 or more, or the page's last few).
func (w *walker) nextMagic(loc int) (int, handle, KeyHeader) {
	b := w.b
	ending, endAt := false, 0
	for src := loc + 1; src < PageSize-KeyHeaderLen; src++ {
		hdr := b[src : src+KeyHeaderLen]
		if hdr[0] == KeyMagic && (hdr[keyOffValid] == validNo || hdr[keyOffValid] == validYes) {
			var h KeyHeader
			h.UnmarshalBinary(hdr)
			if w.integrity(src, h) {
				return src, hOK, h
			}
		}
		if allFF(hdr) {
			if !ending {
				ending, endAt = true, src
			}
			src += KeyHeaderLen - 1
		} else if ending {
			ending = false
		}
	}
	if ending {
		return endAt, hEnd, KeyHeader{}
	}
	for src := PageSize - KeyHeaderLen; src < PageSize; src++ {
		if allFF(b[src:PageSize]) {
			return src, hEnd, KeyHeader{}
		}
	}
	return PageSize, hEnd, KeyHeader{}
}

func allFF(b []byte) bool {
	for _, c := range b {
		if c != 0xFF {
			return false
		}
	}
	return true
}
