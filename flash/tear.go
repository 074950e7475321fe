package flash

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
)

// TearKind says how much of the operation that is cut reaches the array.
type TearKind uint8

// Tear models.
const (
	TearBefore TearKind = iota // nothing applied
	TearAfter                  // fully applied
	TearPrefix                 // the first K bytes applied
	TearBits                   // a seeded random subset of the changing bits applied
)

var tearNames = [...]string{TearBefore: "before", TearAfter: "after", TearPrefix: "prefix", TearBits: "bits"}

func (k TearKind) String() string {
	if int(k) < len(tearNames) {
		return tearNames[k]
	}
	return "TearKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseTearKind parses "before", "after", "prefix" or "bits".
func ParseTearKind(s string) (TearKind, error) {
	for k, name := range tearNames {
		if s == name {
			return TearKind(k), nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want before, after, prefix or bits)", ErrBadTear, s)
}

// Tear is the tear model applied to the operation that is cut.
//
//   - TearBefore: the op changes nothing.
//   - TearAfter: the op is applied completely.
//   - TearPrefix: program: the first K bytes of the op are programmed;
//     erase: the first K bytes of the block are set to 0xFF, the rest of
//     the block keeps its contents. K at or above the op length applies
//     the whole op; K == 0 changes nothing (but, for erase, still counts
//     an erase cycle on every sector of the block).
//   - TearBits: program: a random subset of the 1→0 changes is applied;
//     erase: a random subset of the block's 0 bits, drawn over the whole
//     block (4, 32 or 64 KiB), is raised to 1. When the
//     op changes at least two bits the subset is proper and non-empty, so the
//     result is neither the old nor the new contents; with exactly one
//     changing bit that bit is applied. The randomness is a PCG
//     (math/rand/v2) seeded with (Seed ^ op.Index, TearStream), so one Seed
//     tears different ops differently and the same (Seed, op, contents)
//     always gives the same bytes.
type Tear struct {
	Kind TearKind
	K    int    // prefix length for TearPrefix
	Seed uint64 // for TearBits
}

// TearStream is the second PCG seed word used by TearBits ("WS63TEAR").
const TearStream uint64 = 0x5753363354454152

// ParseTear parses "before", "after", "prefix:K" (0 ≤ K ≤ Block64K,
// decimal or 0x hex), "bits" (seed 0) or "bits:SEED" (decimal or 0x hex).
// Tear.String round-trips: ParseTear(t.String()) == t for every parsed t.
func ParseTear(s string) (Tear, error) {
	name, arg, hasArg := strings.Cut(s, ":")
	kind, err := ParseTearKind(name)
	if err != nil {
		return Tear{}, fmt.Errorf("%w: %q (want before, after, prefix:K, bits or bits:SEED)", ErrBadTear, s)
	}
	switch kind {
	case TearBefore, TearAfter:
		if hasArg {
			return Tear{}, fmt.Errorf("%w: %q: %s takes no argument", ErrBadTear, s, name)
		}
		return Tear{Kind: kind}, nil
	case TearPrefix:
		if !hasArg {
			return Tear{}, fmt.Errorf("%w: %q: prefix needs a byte count, prefix:K", ErrBadTear, s)
		}
		k, err := strconv.ParseUint(arg, 0, 32)
		if err != nil || k > Block64K {
			return Tear{}, fmt.Errorf("%w: %q: K must be an integer 0..%d", ErrBadTear, s, Block64K)
		}
		return Tear{Kind: TearPrefix, K: int(k)}, nil
	default: // TearBits
		if !hasArg {
			return Tear{Kind: TearBits}, nil
		}
		seed, err := strconv.ParseUint(arg, 0, 64)
		if err != nil {
			return Tear{}, fmt.Errorf("%w: %q: SEED must be an unsigned 64-bit integer", ErrBadTear, s)
		}
		return Tear{Kind: TearBits, Seed: seed}, nil
	}
}

// String gives the ParseTear form: "before", "after", "prefix:K", "bits"
// (seed 0) or "bits:SEED".
func (t Tear) String() string {
	switch t.Kind {
	case TearPrefix:
		return "prefix:" + strconv.Itoa(t.K)
	case TearBits:
		if t.Seed == 0 {
			return "bits"
		}
		return "bits:" + strconv.FormatUint(t.Seed, 10)
	}
	return t.Kind.String()
}

// tearRand is the generator for a TearBits tear of op index.
func tearRand(seed, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^index, TearStream))
}

// tearBits moves cur toward want by a random subset of the differing bits.
// Only bits where cur and want differ are touched (the caller guarantees
// the direction: program only clears, erase only sets). If at least one bit
// differs, at least one is applied; if at least two differ, at least one is
// left unapplied.
func tearBits(cur, want []byte, rng *rand.Rand) {
	old := make([]byte, len(cur))
	copy(old, cur)
	total, applied := 0, 0
	for i := range cur {
		m := cur[i] ^ want[i]
		if m == 0 {
			continue
		}
		pick := m & uint8(rng.Uint32())
		cur[i] ^= pick
		total += bits.OnesCount8(m)
		applied += bits.OnesCount8(pick)
	}
	switch {
	case total == 0:
		return
	case applied == 0:
		flipNth(cur, old, want, rng.IntN(total))
	case applied == total && total >= 2:
		flipNth(cur, old, want, rng.IntN(total))
	}
}

// flipNth toggles, in cur, the n-th (0-based, in address then bit order) of
// the bits where old and want differ.
func flipNth(cur, old, want []byte, n int) {
	for i := range old {
		m := old[i] ^ want[i]
		c := bits.OnesCount8(m)
		if n >= c {
			n -= c
			continue
		}
		for ; ; m &= m - 1 {
			if n == 0 {
				cur[i] ^= m & -m
				return
			}
			n--
		}
	}
}
