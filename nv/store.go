package nv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Flash is the NOR chip as the store writes it (flash.Device and the
// emulator's program view implement it; so does upg.Flash). Addresses are
// flash offsets.
type Flash interface {
	io.ReaderAt
	Program(addr uint32, data []byte) error
	EraseRange(addr, n uint32) error
}

// Store is the application KV store (KV_STORE_APPLICATION, id StoreApp)
// in an NV region of a flash, with the SDK's write algorithm. It keeps no
// state between calls but the region's place: every operation reads the
// region afresh, as the SDK rescans its map, so a Store stays correct
// across power cuts that interrupt it.
type Store struct {
	f    Flash
	base uint32
	size uint32
	reg  *Region
	// stale marks the physical pages written since they were last read;
	// scan reads only those (the SDK updates its map as it writes).
	stale []bool
	buf   []byte
	memo  []int8
}

// Open is kv_update_init: scan the region [base, base+size) and create
// the application store's missing pages (StorePages of them) in unused
// pages — erase, then program a header with sequence number 0. size must
// be a whole number of pages, at least two, at most MaxRegionPages.
func Open(f Flash, base, size uint32) (*Store, error) {
	if base%PageSize != 0 || size%PageSize != 0 || size < 2*PageSize || size/PageSize > MaxRegionPages {
		return nil, fmt.Errorf("%w: 0x%06x+0x%x (want whole pages, 2..%d of them)", ErrRegion, base, size, MaxRegionPages)
	}
	s := &Store{f: f, base: base, size: size, stale: make([]bool, size/PageSize),
		buf: make([]byte, PageSize), memo: make([]int8, PageSize)}
	if err := s.rescan(); err != nil {
		return nil, err
	}
	for idx := range StorePages {
		if _, ok := s.reg.Lookup(StoreApp, uint8(idx)); ok {
			continue
		}
		if err := s.createPage(uint8(idx)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// rescan reads the whole region, as at the start of every public call:
// the flash may have changed since the last one.
func (s *Store) rescan() error {
	for i := range s.stale {
		s.stale[i] = true
	}
	return s.scan()
}

// scan re-reads the pages written since they were read and rebuilds the
// map.
func (s *Store) scan() error {
	pages := make([]*Page, len(s.stale))
	if s.reg != nil {
		copy(pages, s.reg.Pages)
	}
	for i, st := range s.stale {
		if !st {
			continue
		}
		p, err := readPage(s.f, int64(s.pageAddr(i)), s.buf, s.memo)
		if err != nil {
			return err
		}
		pages[i], s.stale[i] = p, false
	}
	s.reg = newRegion(pages)
	return nil
}

// touched marks the page holding addr as written.
func (s *Store) touched(addr uint32) {
	if i := int((addr - s.base) / PageSize); addr >= s.base && i < len(s.stale) {
		s.stale[i] = true
	}
}

// programAt programs b at addr, marking the page written.
func (s *Store) programAt(addr uint32, b []byte) error {
	s.touched(addr)
	return s.f.Program(addr, b)
}

// erasePage erases physical page phys.
func (s *Store) erasePage(phys int) error {
	s.touched(s.pageAddr(phys))
	return s.f.EraseRange(s.pageAddr(phys), PageSize)
}

func (s *Store) pageAddr(phys int) uint32 { return s.base + uint32(phys)*PageSize }

// unusedPage is the first unused physical page.
func (s *Store) unusedPage() (int, error) {
	u := s.reg.Unused()
	if len(u) == 0 {
		return 0, ErrPageNotFound
	}
	return u[0], nil
}

// createPage is kv_nvregion_create_page.
func (s *Store) createPage(idx uint8) error {
	phys, err := s.unusedPage()
	if err != nil {
		return fmt.Errorf("nv: create store page %d: %w", idx, err)
	}
	if err := s.erasePage(phys); err != nil {
		return fmt.Errorf("nv: erase page %d: %w", phys, err)
	}
	h, _ := NewPageHeader(StoreApp, idx, 0).MarshalBinary()
	if err := s.programAt(s.pageAddr(phys), h); err != nil {
		return fmt.Errorf("nv: write page %d header: %w", phys, err)
	}
	return s.scan()
}

// Region is the region as last read.
func (s *Store) Region() *Region { return s.reg }

// Get is uapi_nv_read_with_attr: the first valid instance of key id.
func (s *Store) Get(id uint16) ([]byte, Attr, error) {
	if err := s.rescan(); err != nil {
		return nil, 0, err
	}
	k, ok := s.reg.Get(id)
	if !ok {
		return nil, 0, fmt.Errorf("%w: 0x%04x", ErrNotFound, id)
	}
	return k.Value, k.Attr, nil
}

// Keys lists the store's keys (Region.Keys(StoreApp)).
func (s *Store) Keys() ([]Key, error) {
	if err := s.rescan(); err != nil {
		return nil, err
	}
	return s.reg.Keys(StoreApp), nil
}

// Set is uapi_nv_write_with_attr (kv_update_write_key): append a new
// instance of the key and then clear the valid byte of every older one;
// nothing is written when the key already holds value with the same
// upgrade attribute. ErrPermanent for a permanent key, ErrValueLen and
// ErrEncrypted for what cannot be written.
func (s *Store) Set(id uint16, value []byte, attr Attr) error {
	if err := s.rescan(); err != nil {
		return err
	}
	_, err := s.write(Key{ID: id, Value: value, Attr: attr})
	return err
}

// write runs the SDK's write-key state machine on the current map; wrote
// reports whether a new instance went to flash.
//
// Crash windows: a cut while the new instance is programmed leaves it
// corrupt (its CRC fails) and the old one valid; a cut before every older
// instance is cleared leaves two valid instances, of which readers take
// the first in store order (the old value when both share a page) and the
// next write clears both. A header torn in its first 4..9 bytes is the
// SDK's hazard (ParsePage): the next key written behind it can vanish
// once a further key follows.
func (s *Store) write(k Key) (wrote bool, err error) {
	if len(k.Value) == 0 || len(k.Value) > MaxValueLen {
		return false, fmt.Errorf("%w: key 0x%04x has %d bytes (want 1..%d)", ErrValueLen, k.ID, len(k.Value), MaxValueLen)
	}
	if k.Attr&Encrypted != 0 {
		return false, fmt.Errorf("%w: key 0x%04x", ErrEncrypted, k.ID)
	}
	// STATE_PREP_STORE: a page with room, defragmenting one if needed.
	need := KeyHeaderLen + (len(k.Value)+3)&^3 + CRCLen
	var at uint32
	for tries := 0; ; tries++ {
		pos, defrag, err := s.findWritePage(need)
		if err != nil {
			return false, fmt.Errorf("nv: write key 0x%04x: %w", k.ID, err)
		}
		if defrag < 0 {
			at = pos
			break
		}
		if tries > StorePages {
			return false, fmt.Errorf("nv: write key 0x%04x: %w", k.ID, ErrNoSpace)
		}
		if err := s.defrag(uint8(defrag)); err != nil {
			return false, err
		}
	}
	// STATE_PREP_KEY_DATA: is there anything to write?
	var prev *KeyHeader
	if old, _, ok := s.reg.find(StoreApp, k.ID); ok {
		oa := old.Header.Attr()
		if oa&Permanent != 0 {
			return false, fmt.Errorf("%w: 0x%04x", ErrPermanent, k.ID)
		}
		if !needsUpdate(old, k) {
			return false, nil
		}
		if oa&Encrypted != 0 {
			return false, fmt.Errorf("%w: key 0x%04x is encrypted on flash", ErrEncrypted, k.ID)
		}
		prev = &old.Header
	}
	// STATE_PRIME_WRITE / PERFORM_WRITE: header, value and CRC in 32-byte
	// program calls.
	b := encodeKey(k.header(prev, true), k.Value)
	if err := s.program(at, b); err != nil {
		return false, fmt.Errorf("nv: write key 0x%04x: %w", k.ID, err)
	}
	// STATE_UPDATE_MAP_FOR_NEW, STATE_ERASE_OLD_KEYS.
	if err := s.scan(); err != nil {
		return true, err
	}
	if _, err := s.invalidate(k.ID, at); err != nil {
		return true, err
	}
	return true, nil
}

// needsUpdate is kv_update_helper_check_for_key_updates for a
// non-permanent existing key.
func needsUpdate(old Entry, k Key) bool {
	oa := old.Header.Attr()
	switch {
	case oa&NonUpgrade != k.Attr&NonUpgrade, oa&k.Attr != k.Attr:
		return true
	case int(old.Header.Length) != len(k.Value):
		return true
	}
	return !bytes.Equal(old.Value, k.Value)
}

// program writes b at addr in KV_WRITE_CHUNK_SIZE program calls.
func (s *Store) program(addr uint32, b []byte) error {
	for off := 0; off < len(b); off += writeChunk {
		end := min(off+writeChunk, len(b))
		if err := s.programAt(addr+uint32(off), b[off:end]); err != nil {
			return err
		}
	}
	return nil
}

// findWritePage is kv_store_find_write_page: the first store page with
// need free bytes after its End (pos is where the key goes), or else the
// page to defragment: one whose defragmentation would make room, the one
// with the lowest sequence number (the fewest erases) first.
func (s *Store) findWritePage(need int) (pos uint32, defrag int, err error) {
	defrag = -1
	var minSeq uint32
	for idx := range StorePages {
		phys, ok := s.reg.Lookup(StoreApp, uint8(idx))
		if !ok {
			return 0, -1, fmt.Errorf("%w: store page %d", ErrPageNotFound, idx)
		}
		p := s.reg.Pages[phys]
		if p.Free() >= need {
			return s.pageAddr(phys) + uint32(p.End), -1, nil
		}
		if p.MaxKeySpace() >= need && (defrag < 0 || p.Header.Seq < minSeq) {
			defrag, minSeq = idx, p.Header.Seq
		}
	}
	if defrag < 0 {
		return 0, -1, ErrNoSpace
	}
	return 0, defrag, nil
}

// defrag is the defragmentation state machine (g_defrag_page_machine):
// erase an unused page, copy the page's valid keys into it one after the
// other, then program its header — the same details, sequence number + 1
// — so that it supersedes the old copy, which is left as it is (it becomes
// an unused page, erased only when a later defragmentation takes it).
//
// Crash windows: until the header is complete the new copy has no valid
// header and the old copy is the page; a torn header fails its check
// words. No window loses a valid key.
func (s *Store) defrag(idx uint8) error {
	src, ok := s.reg.Lookup(StoreApp, idx)
	if !ok {
		return fmt.Errorf("%w: store page %d", ErrPageNotFound, idx)
	}
	dst, err := s.unusedPage()
	if err != nil {
		return fmt.Errorf("nv: defragment store page %d: %w", idx, err)
	}
	if err := s.erasePage(dst); err != nil {
		return fmt.Errorf("nv: defragment: erase page %d: %w", dst, err)
	}
	p := s.reg.Pages[src]
	w := s.pageAddr(dst) + PageHeaderLen
	for _, e := range p.Entries {
		if e.State != StateValid {
			continue
		}
		raw := make([]byte, e.Size())
		if _, err := s.f.ReadAt(raw, int64(s.pageAddr(src))+int64(e.Off)); err != nil {
			return fmt.Errorf("nv: defragment: read key 0x%04x: %w", e.Header.ID, err)
		}
		if err := s.program(w, raw); err != nil {
			return fmt.Errorf("nv: defragment: copy key 0x%04x: %w", e.Header.ID, err)
		}
		w += uint32(len(raw))
	}
	h := p.Header
	h.Seq++
	h.InvSeq = ^h.Seq
	hb, _ := h.MarshalBinary()
	if err := s.programAt(s.pageAddr(dst), hb); err != nil {
		return fmt.Errorf("nv: defragment: write page %d header: %w", dst, err)
	}
	return s.scan()
}

// invalidate clears the valid byte of every valid instance of id except
// the one at keep (g_erase_keys_machine); it reports how many it cleared.
func (s *Store) invalidate(id uint16, keep uint32) (int, error) {
	n := 0
	for idx := range StorePages {
		phys, ok := s.reg.Lookup(StoreApp, uint8(idx))
		if !ok {
			continue
		}
		for _, e := range s.reg.Pages[phys].Entries {
			at := s.pageAddr(phys) + uint32(e.Off)
			if e.State != StateValid || e.Header.ID != id || at == keep {
				continue
			}
			if e.Header.Attr()&Permanent != 0 {
				return n, fmt.Errorf("%w: 0x%04x", ErrPermanent, id)
			}
			if err := s.programAt(at+keyOffValid, []byte{validNo}); err != nil {
				return n, fmt.Errorf("nv: clear key 0x%04x at 0x%06x: %w", id, at, err)
			}
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.scan()
}

// Delete is uapi_nv_delete_key: clear the valid byte of every valid
// instance of key id (ErrNotFound when there is none, ErrPermanent for a
// permanent key).
func (s *Store) Delete(id uint16) error {
	if err := s.rescan(); err != nil {
		return err
	}
	n, err := s.invalidate(id, ^uint32(0))
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: 0x%04x", ErrNotFound, id)
	}
	return nil
}

// MergeReport says what Merge did with the image's keys.
type MergeReport struct {
	Pages        int      // pages of the application store in the image
	SkippedPages int      // pages of other stores, skipped
	Written      []uint16 // keys written: new, or with a new value or attribute
	Unchanged    int      // keys the store already held as the image has them
	Protected    []uint16 // keys the store holds as permanent, encrypted or non-upgradable: kept
	Ignored      int      // image keys with a cleared valid byte or length 0
}

// Merge is the NV upgrade's merge (kv_upg_process_kv_data): the image —
// n bytes of r, NV pages as the store's own — is read page by page; pages
// of stores other than StoreApp are skipped (so are their check words:
// the SDK looks at the store id only). In each page the keys are walked
// by length without CRC checks (the package hash covers them). A key is
// written through Set's algorithm when the store has no valid instance
// of it, or has one that is neither permanent, encrypted nor
// non-upgradable; the written key is permanent and non-upgradable when
// its image header says permanent, non-upgradable when its upgrade byte
// is 0. Keys only the store holds — the user's — are never touched.
// ErrImageLength unless n is a multiple of PageSize; the first write
// error stops the merge (the SDK then counts a failed attempt).
func (s *Store) Merge(r io.ReaderAt, n int64) (MergeReport, error) {
	var rep MergeReport
	if n < 0 || n%PageSize != 0 {
		return rep, fmt.Errorf("%w (%d bytes)", ErrImageLength, n)
	}
	if err := s.rescan(); err != nil {
		return rep, err
	}
	buf := make([]byte, PageSize)
	for off := int64(0); off < n; off += PageSize {
		if _, err := r.ReadAt(buf, off); err != nil {
			return rep, fmt.Errorf("nv: read NV image at 0x%x: %w", off, err)
		}
		if binary.LittleEndian.Uint16(buf) != StoreApp {
			rep.SkippedPages++
			continue
		}
		rep.Pages++
		if err := s.mergePage(buf[PageHeaderLen:], &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// mergePage is kv_upg_process_one_page.
func (s *Store) mergePage(data []byte, rep *MergeReport) error {
	for o := 0; o+KeyHeaderLen <= len(data); {
		var h KeyHeader
		h.UnmarshalBinary(data[o:])
		if o+KeyHeaderLen+int(h.Length) > len(data) {
			break
		}
		switch {
		case !s.upgradable(h.ID):
			rep.Protected = append(rep.Protected, h.ID)
		case h.Valid == validNo || h.Length == 0:
			rep.Ignored++
		default:
			var a Attr
			if h.Upgrade == upgradeNo {
				a = NonUpgrade
			}
			if h.Type == typePermanent {
				a = Permanent | NonUpgrade
			}
			v := bytes.Clone(data[o+KeyHeaderLen : o+KeyHeaderLen+int(h.Length)])
			wrote, err := s.write(Key{ID: h.ID, Value: v, Attr: a})
			if err != nil {
				return fmt.Errorf("nv: upgrade key 0x%04x: %w", h.ID, err)
			}
			if wrote {
				rep.Written = append(rep.Written, h.ID)
			} else {
				rep.Unchanged++
			}
		}
		o += KeyHeaderLen + (int(h.Length)+3)&^3 + CRCLen
	}
	return nil
}

// upgradable is kv_upg_check_upgradeable: a key the store lacks may be
// added; one it holds may be replaced unless permanent, encrypted or
// non-upgradable.
func (s *Store) upgradable(id uint16) bool {
	old, _, ok := s.reg.find(StoreApp, id)
	if !ok {
		return true
	}
	return old.Header.Attr()&(Permanent|Encrypted|NonUpgrade) == 0
}
