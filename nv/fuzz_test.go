package nv

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
)

func heapAllocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// pageSlack bounds what parsing one page allocates: a copy of the page,
// the CRC cache, and at most (4096−16)/24 entries, whatever the input.
const pageSlack = 48 << 10

// memFlash is a small NOR region in memory: program ANDs, erase sets 0xFF.
type memFlash struct {
	base uint32
	b    []byte
}

func newMemFlash(base uint32, img []byte) *memFlash {
	m := &memFlash{base: base, b: bytes.Repeat([]byte{0xFF}, testSize)}
	copy(m.b, img)
	return m
}

func (m *memFlash) ReadAt(p []byte, off int64) (int, error) {
	o := off - int64(m.base)
	if o < 0 || o+int64(len(p)) > int64(len(m.b)) {
		return 0, fmt.Errorf("memFlash: read 0x%x+%d out of range", off, len(p))
	}
	return copy(p, m.b[o:]), nil
}

func (m *memFlash) Program(addr uint32, data []byte) error {
	o := int64(addr) - int64(m.base)
	if o < 0 || o+int64(len(data)) > int64(len(m.b)) {
		return fmt.Errorf("memFlash: program 0x%x+%d out of range", addr, len(data))
	}
	for i, c := range data {
		m.b[o+int64(i)] &= c
	}
	return nil
}

func (m *memFlash) EraseRange(addr, n uint32) error {
	o := int64(addr) - int64(m.base)
	if o < 0 || o+int64(n) > int64(len(m.b)) || addr%PageSize != 0 || n%PageSize != 0 {
		return fmt.Errorf("memFlash: erase 0x%x+%d out of range", addr, n)
	}
	for i := range int64(n) {
		m.b[o+i] = 0xFF
	}
	return nil
}

// fuzzSeeds are generated pages: empty, full, synthetic, and damaged ones.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	add := func(b []byte, err error) {
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	add(BuildPage(StoreApp, 0, 0, nil))
	add(BuildPage(StoreBackup, 1, 9, testKeys(20)))
	img, err := Synthetic(SyntheticKeys("1.0.0", 1, 8<<10))
	add(img, err)
	add(img[:PageSize], nil)
	torn := bytes.Clone(img[:PageSize])
	for i := 300; i < PageSize; i++ {
		torn[i] = 0xFF
	}
	add(torn, nil)
	flipped := bytes.Clone(img[:PageSize])
	flipped[100] ^= 0x40
	flipped[18] ^= 0x01
	add(flipped, nil)
	add(Synthetic([]Key{{ID: 1, Value: make([]byte, MaxValueLen)}}))
	return seeds
}

func FuzzParsePage(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Any input is made a page: the header and key walk are what is
		// fuzzed; short inputs are padded with erased bytes.
		page := bytes.Repeat([]byte{0xFF}, PageSize)
		copy(page, data)
		var p *Page
		var err error
		n := heapAllocated(func() { p, err = ParsePage(page) })
		if n > pageSlack {
			t.Fatalf("ParsePage allocated %d bytes", n)
		}
		if _, err := ParsePage(data); len(data) != PageSize && err == nil {
			t.Fatalf("ParsePage accepted %d bytes", len(data))
		}
		if err != nil {
			return
		}
		if p.End < PageHeaderLen || p.End > PageSize || p.Reclaimable < 0 || p.Reclaimable > p.End-PageHeaderLen {
			t.Fatalf("End %d, Reclaimable %d", p.End, p.Reclaimable)
		}
		last := 0
		for _, e := range p.Entries {
			if e.Off <= last || e.Off+KeyHeaderLen > PageSize || len(e.Value) > int(e.Header.Length) {
				t.Fatalf("entry at %d (after %d), %d value bytes for length %d", e.Off, last, len(e.Value), e.Header.Length)
			}
			if e.State == StateValid && e.Off+e.Size() > PageSize {
				t.Fatalf("valid key at %d runs past the page", e.Off)
			}
			last = e.Off
		}
	})
}

func FuzzMerge(f *testing.F) {
	store, err := Synthetic(SyntheticKeys("1.0.0", 1, 8<<10))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4*PageSize {
			return
		}
		m := newMemFlash(testBase, store)
		s, err := Open(m, testBase, testSize)
		if err != nil {
			t.Fatal(err)
		}
		before := keysByID(s.Region().Keys(StoreApp))
		n := int64(len(data)) &^ (PageSize - 1)
		var rep MergeReport
		alloc := heapAllocated(func() { rep, err = s.Merge(bytes.NewReader(data), n) })
		// Each written key rescans at most two pages.
		if limit := uint64(8*pageSlack) + uint64(len(rep.Written)+len(rep.Protected)+rep.Unchanged+1)*2*pageSlack; alloc > limit {
			t.Fatalf("Merge allocated %d bytes (limit %d)", alloc, limit)
		}
		after := keysByID(s.Region().Keys(StoreApp))
		// Permanent and non-upgradable keys survive any image.
		for id, k := range before {
			if k.Attr&(Permanent|NonUpgrade) != 0 && !bytes.Equal(after[id].Value, k.Value) {
				t.Fatalf("protected key 0x%04x changed by the merge (err %v)", id, err)
			}
		}
		// The store still parses and reopens.
		if _, err := Open(m, testBase, testSize); err != nil {
			t.Fatalf("reopen after merge: %v", err)
		}
	})
}

func keysByID(keys []Key) map[uint16]Key {
	m := map[uint16]Key{}
	for _, k := range keys {
		m[k.ID] = k
	}
	return m
}
