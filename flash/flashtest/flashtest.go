// Package flashtest holds helpers for tests that drive a flash.Device:
// deterministic data, a recorder that snapshots the device before every op
// (the building block of a power-cut sweep), and a compact description of
// where two flash images differ.
package flashtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
)

// Pattern returns n pseudo-random bytes determined by seed (PCG).
func Pattern(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x666c617368746573)) // "flashtes"
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// Point is one cut point seen by a Recorder: the op and the device state
// just before it.
type Point struct {
	Before *flash.Snapshot
	Op     flash.Op // Data is a private copy
}

// Recorder snapshots a device before every op it issues.
type Recorder struct {
	Points []Point
}

// Record installs a hook on d that appends a Point for every op. It
// replaces any hook already set; call d.SetHook(nil) to stop.
func Record(d *flash.Device) *Recorder {
	r := &Recorder{}
	d.SetHook(func(op flash.Op) {
		op.Data = append([]byte(nil), op.Data...)
		r.Points = append(r.Points, Point{Before: d.Snapshot(), Op: op})
	})
	return r
}

// Range is a half-open byte range [Off, End).
type Range struct{ Off, End int }

func (r Range) String() string { return fmt.Sprintf("0x%06x..0x%06x", r.Off, r.End) }

// DiffRanges returns the maximal ranges where a and b differ. Bytes past the
// shorter slice count as different.
func DiffRanges(a, b []byte) []Range {
	var out []Range
	n := max(len(a), len(b))
	for i := 0; i < n; {
		if i < len(a) && i < len(b) && a[i] == b[i] {
			i++
			continue
		}
		j := i + 1
		for j < n && !(j < len(a) && j < len(b) && a[j] == b[j]) {
			j++
		}
		out = append(out, Range{i, j})
		i = j
	}
	return out
}

// Describe summarises DiffRanges(a, b) in one line ("equal" when none),
// listing at most eight ranges.
func Describe(a, b []byte) string {
	rs := DiffRanges(a, b)
	if len(rs) == 0 {
		return "equal"
	}
	parts := make([]string, 0, 9)
	for i, r := range rs {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("… %d more", len(rs)-8))
			break
		}
		parts = append(parts, r.String())
	}
	return fmt.Sprintf("%d differing ranges: %s", len(rs), strings.Join(parts, ", "))
}

// MustProgram programs data at addr and fails the test on error.
func MustProgram(tb testing.TB, d *flash.Device, addr uint32, data []byte) {
	tb.Helper()
	if err := d.Program(addr, data); err != nil {
		tb.Fatalf("program 0x%06x+%d: %v", addr, len(data), err)
	}
}

// MustErase erases n bytes at addr and fails the test on error.
func MustErase(tb testing.TB, d *flash.Device, addr, n uint32) {
	tb.Helper()
	if err := d.EraseRange(addr, n); err != nil {
		tb.Fatalf("erase 0x%06x+%d: %v", addr, n, err)
	}
}

// Check fails the test if the device's copy-on-write bookkeeping is broken.
func Check(tb testing.TB, d *flash.Device) {
	tb.Helper()
	if err := d.Check(); err != nil {
		tb.Fatal(err)
	}
}
