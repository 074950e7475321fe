package nv

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Region is a parsed NV region: consecutive physical pages (the NV data
// partition 0x10, or the NV backup partition 0x09) and the map the SDK
// builds over them (kv_nvregion_build_map).
type Region struct {
	// Pages holds each physical page; nil where the header is not valid
	// (an erased page, a torn header, a version-0 page).
	Pages []*Page
	// live[i] reports that page i is the current copy of its
	// (store, index): of two pages claiming the same one, the higher
	// sequence number wins, and on a tie the later page.
	live []bool
}

// ParseRegion reads size bytes (a whole number of pages, at most
// MaxRegionPages) from r and parses every page.
func ParseRegion(r io.ReaderAt, size int64) (*Region, error) {
	if size <= 0 || size%PageSize != 0 || size/PageSize > MaxRegionPages {
		return nil, &FormatError{Off: size, Msg: fmt.Sprintf("region of %d bytes is not 1..%d whole pages", size, MaxRegionPages), Err: ErrPageSize}
	}
	n := int(size / PageSize)
	pages := make([]*Page, n)
	buf, memo := make([]byte, PageSize), make([]int8, PageSize)
	for i := range n {
		p, err := readPage(r, int64(i)*PageSize, buf, memo)
		if err != nil {
			return nil, err
		}
		pages[i] = p
	}
	return newRegion(pages), nil
}

// readPage reads and parses the page at off; nil (and no error) for a
// page without a valid header.
func readPage(r io.ReaderAt, off int64, buf []byte, memo []int8) (*Page, error) {
	if _, err := r.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("nv: read page at 0x%x: %w", off, err)
	}
	p, err := parsePage(buf, memo)
	if err != nil {
		if errors.Is(err, ErrPageHeader) || errors.Is(err, ErrLegacyPage) {
			return nil, nil
		}
		return nil, err
	}
	return p, nil
}

// newRegion builds the map over parsed pages (kv_nvregion_build_map with
// kv_nvregion_filter_duplicate_map_entries).
func newRegion(pages []*Page) *Region {
	reg := &Region{Pages: pages, live: make([]bool, len(pages))}
	for i, p := range pages {
		if p == nil {
			continue
		}
		reg.live[i] = true
		for j := range i {
			q := pages[j]
			if !reg.live[j] || q.Header.StoreID != p.Header.StoreID || q.Header.Index != p.Header.Index {
				continue
			}
			if q.Header.Seq <= p.Header.Seq {
				reg.live[j] = false
			} else {
				reg.live[i] = false
				break
			}
		}
	}
	return reg
}

// Live reports whether physical page i is the current copy of its page.
func (r *Region) Live(i int) bool { return i >= 0 && i < len(r.live) && r.live[i] }

// Lookup returns the physical page holding page index of store
// (kv_nvregion_find_page).
func (r *Region) Lookup(store uint16, index uint8) (int, bool) {
	for i, p := range r.Pages {
		if r.live[i] && p.Header.StoreID == store && p.Header.Index == index {
			return i, true
		}
	}
	return 0, false
}

// Unused lists, in physical order, the pages a new page or a
// defragmentation may take (kv_nvregion_find_unused_page): pages without a
// valid header, superseded copies, and backup-store pages (the data region
// map leaves those out).
func (r *Region) Unused() []int {
	var out []int
	for i, p := range r.Pages {
		if !r.live[i] || p.Header.StoreID == StoreBackup {
			out = append(out, i)
		}
	}
	return out
}

// storePages is how many logical pages the SDK searches in a store.
func storePages(store uint16) int {
	if store == StoreApp {
		return StorePages
	}
	return MaxRegionPages
}

// find returns the first valid instance of key id in store
// (kv_store_find_valid_key: pages in index order, keys in page order) and
// the physical page holding it.
func (r *Region) find(store, id uint16) (Entry, int, bool) {
	for idx := range storePages(store) {
		phys, ok := r.Lookup(store, uint8(idx))
		if !ok {
			continue
		}
		for _, e := range r.Pages[phys].Entries {
			if e.State == StateValid && e.Header.ID == id {
				return e, phys, true
			}
		}
	}
	return Entry{}, 0, false
}

// Get returns the value of key id in the application store, as the SDK
// reads it: the first valid instance.
func (r *Region) Get(id uint16) (Key, bool) {
	e, _, ok := r.find(StoreApp, id)
	if !ok {
		return Key{}, false
	}
	return e.Key(), true
}

// Keys lists the keys of a store as the SDK reads them: for each key id
// its first valid instance, in store order (page index, then offset).
// The application store is searched in its StorePages logical pages; any
// other store (e.g. StoreBackup in the NV backup partition) in all pages.
func (r *Region) Keys(store uint16) []Key {
	var out []Key
	seen := map[uint16]bool{}
	for idx := range storePages(store) {
		phys, ok := r.Lookup(store, uint8(idx))
		if !ok {
			continue
		}
		for _, e := range r.Pages[phys].Entries {
			if e.State == StateValid && !seen[e.Header.ID] {
				seen[e.Header.ID] = true
				out = append(out, e.Key())
			}
		}
	}
	return out
}

// Stores lists the store ids of the live pages, in ascending order.
func (r *Region) Stores() []uint16 {
	var out []uint16
	for i, p := range r.Pages {
		if r.live[i] && !slices.Contains(out, p.Header.StoreID) {
			out = append(out, p.Header.StoreID)
		}
	}
	slices.Sort(out)
	return out
}

// Summary counts a store's key instances by state, and its free bytes.
type Summary struct {
	Pages, Valid, Invalid, Corrupt int
	Free                           int // bytes after End, over the store's pages
}

// Summarize counts the instances of store's live pages.
func (r *Region) Summarize(store uint16) Summary {
	var s Summary
	for i, p := range r.Pages {
		if !r.live[i] || p.Header.StoreID != store {
			continue
		}
		s.Pages++
		s.Free += p.Free()
		for _, e := range p.Entries {
			switch e.State {
			case StateValid:
				s.Valid++
			case StateInvalid:
				s.Invalid++
			default:
				s.Corrupt++
			}
		}
	}
	return s
}
