package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/ws63emu/ws63emu/flash"
)

// FlashDigest is how sweeps and replay name a flash's contents: the hex
// SHA-256 of the NumSectors SHA-256s of its sectors, in address order.
// It is not the SHA-256 of the whole array (Report.FlashSHA256) — a
// two-level hash lets a sweep reuse the hashes of sectors a point left
// as they were — but it identifies the contents just as well.
func FlashDigest(s *flash.Snapshot) string {
	return (*digester)(nil).digest(s)
}

// digester computes FlashDigest, reusing the sector hashes of a few
// reference snapshots: a sector identical to a reference's (shared, or
// equal byte for byte — flash.SameSector) takes that reference's hash.
// A digester is read-only once made and safe for concurrent use.
//
// It also remembers the hashes of frozen sectors by identity
// (flash.SectorID): the points of a sweep share the sectors a program
// cache kept (flash.ProgramCache), so their hashes are found without
// reading a byte.
type digester struct {
	refs []*flash.Snapshot
	sums [][flash.NumSectors][32]byte

	mu     sync.Mutex
	frozen map[flash.SectorID][32]byte
}

// maxFrozenSums bounds the sector hashes a digester remembers by identity.
const maxFrozenSums = 1 << 15

// erasedSum is the SHA-256 of an erased sector.
var erasedSum = func() [32]byte {
	var b [flash.SectorSize]byte
	for i := range b {
		b[i] = flash.Erased
	}
	return sha256.Sum256(b[:])
}()

func newDigester(refs ...*flash.Snapshot) *digester {
	g := &digester{refs: refs, sums: make([][flash.NumSectors][32]byte, len(refs)), frozen: map[flash.SectorID][32]byte{}}
	var buf [flash.SectorSize]byte
	for k, s := range refs {
		for i := range flash.NumSectors {
			s.ReadAt(buf[:], int64(i)*flash.SectorSize)
			g.sums[k][i] = sectorSum(&buf)
		}
	}
	return g
}

func sectorSum(b *[flash.SectorSize]byte) [32]byte {
	for _, c := range b {
		if c != flash.Erased {
			return sha256.Sum256(b[:])
		}
	}
	return erasedSum
}

func (g *digester) digest(s *flash.Snapshot) string {
	var all [flash.NumSectors * 32]byte
	var buf [flash.SectorSize]byte
	for i := range flash.NumSectors {
		sum, ok := [32]byte{}, false
		var id flash.SectorID
		remember := false // a frozen sector whose hash is not remembered yet
		if g != nil {
			id, remember = s.SectorID(i)
			if remember {
				g.mu.Lock()
				sum, ok = g.frozen[id]
				g.mu.Unlock()
				remember = !ok
			}
			for k := 0; !ok && k < len(g.refs); k++ {
				if flash.SameSector(s, g.refs[k], i) {
					sum, ok = g.sums[k][i], true
				}
			}
		}
		if !ok {
			s.ReadAt(buf[:], int64(i)*flash.SectorSize)
			sum = sectorSum(&buf)
		}
		if remember {
			g.mu.Lock()
			if len(g.frozen) >= maxFrozenSums {
				clear(g.frozen)
			}
			g.frozen[id] = sum
			g.mu.Unlock()
		}
		copy(all[i*32:], sum[:])
	}
	h := sha256.Sum256(all[:])
	return hex.EncodeToString(h[:])
}
