package flash

import "time"

// Timing is the simulated cost of operations. It is never slept: the
// device only adds it to Elapsed.
type Timing struct {
	SectorErase        time.Duration // one 4 KiB sector erase
	PageProgram        time.Duration // one program op (one page or less)
	ReadBytesPerSecond int64         // read throughput; <= 0 makes reads free
}

// Datasheet-like defaults for a 4 MiB SPI NOR (typical, not maximum, figures).
const (
	// DefaultSectorErase is a typical 4 KiB sector erase time.
	DefaultSectorErase = 45 * time.Millisecond
	// DefaultPageProgram is a typical 256-byte page program time; a shorter
	// program op costs the same (the chip's program cycle dominates).
	DefaultPageProgram = 700 * time.Microsecond
	// DefaultReadBytesPerSecond is quad SPI at an 80 MHz clock: 4 bits per
	// clock = 40 MB/s. Command and address cycles are ignored.
	DefaultReadBytesPerSecond = 40_000_000
)

// DefaultTiming returns the defaults above.
func DefaultTiming() Timing {
	return Timing{
		SectorErase:        DefaultSectorErase,
		PageProgram:        DefaultPageProgram,
		ReadBytesPerSecond: DefaultReadBytesPerSecond,
	}
}

// validate clamps negative costs to zero (free).
func (t Timing) validate() Timing {
	t.SectorErase = max(t.SectorErase, 0)
	t.PageProgram = max(t.PageProgram, 0)
	t.ReadBytesPerSecond = max(t.ReadBytesPerSecond, 0)
	return t
}
