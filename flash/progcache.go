package flash

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// ProgramCache lets devices that repeat the same programs over the same
// contents — the points of a power-cut sweep, each rewriting an image from
// the same erased state — share the resulting sectors instead of each
// writing its own copy. A program into a sector no device owns (shared,
// so its bytes never change) has a result that depends only on that
// sector and the data. The second time a program of the same length lands
// at the same offset of the same sector, its result is kept as a frozen
// sector; from then on a device making that program with the same data
// gets that sector — compared, not copied, and shared with every other
// device and snapshot, so that reads and digests that check sector
// identity (Frozen, SectorID) need not look at its bytes at all.
// Contents, op counts and clocks are exactly as without the cache. Only
// programs issued while nothing observes ops one by one use it (no hook,
// tap, log or fault: Device.quiet), not torn ops or RestoreRedo's.
//
// A ProgramCache is safe for concurrent use by many devices. It keeps at
// most maxBytes of sectors; when full it forgets everything.
type ProgramCache struct {
	mu       sync.RWMutex
	seen     map[progKey]bool // first sights
	results  map[progKey][]*sector
	n        int // sectors in results
	maxBytes int
	stats    ProgramCacheStats // Misses and Kept; Hits in hits
	hits     atomic.Int64
}

// ProgramCacheStats counts what a ProgramCache did.
type ProgramCacheStats struct {
	Hits, Misses, Kept int
}

// The programs the cache considers: bulk writes (an image, a buffer
// flush: at least progCacheMin bytes into a sector) and the 4-byte
// read-modify-writes the driver makes at their unaligned edges, which
// would otherwise leave one sector in four the device's own. Not the
// 64-byte commands of an engine that issues a write command by command
// (the SDK engine), whose intermediate states would fill it for nothing.
const (
	progCacheMin  = 256
	progCacheWord = 4
)

type progKey struct {
	old    *sector
	off, n uint16
}

// NewProgramCache returns an empty cache keeping at most maxBytes of
// sectors (at least one sector).
func NewProgramCache(maxBytes int) *ProgramCache {
	return &ProgramCache{
		seen: map[progKey]bool{}, results: map[progKey][]*sector{},
		maxBytes: max(maxBytes, SectorSize),
	}
}

// Stats returns the counts so far.
func (c *ProgramCache) Stats() ProgramCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stats
	st.Hits = int(c.hits.Load())
	return st
}

// SetProgramCache makes d use c (nil: none) for programs into sectors it
// does not own.
func (d *Device) SetProgramCache(c *ProgramCache) { d.pcache = c }

// lookup returns the shared result of programming p at off of old, when
// kept; else, on the second sight of the same program, it computes the
// result, keeps it and returns it; else nil (the caller writes its own).
func (c *ProgramCache) lookup(old *sector, off uint32, p []byte) *sector {
	k := progKey{old, uint16(off), uint16(len(p))}
	c.mu.RLock()
	cands := c.results[k]
	c.mu.RUnlock()
	end := off + uint32(len(p))
	for _, r := range cands {
		if bytes.Equal(r[off:end], p) {
			c.hits.Add(1)
			return r
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Misses++
	if !c.seen[k] {
		if len(c.seen) >= 1<<16 {
			clear(c.seen)
		}
		c.seen[k] = true
		return nil
	}
	if (c.n+1)*SectorSize > c.maxBytes {
		clear(c.results)
		clear(c.seen)
		c.n = 0
	}
	r := new(sector)
	*r = *old
	andBytes(r[off:end], p)
	c.results[k] = append(c.results[k], r)
	c.n++
	c.stats.Kept++
	return r
}
