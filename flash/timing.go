package flash

import "time"

// Timing is the simulated cost of operations. It is never slept: the
// device only adds it to Elapsed.
type Timing struct {
	SectorErase   time.Duration // one 4 KiB sector erase (20h)
	BlockErase32K time.Duration // one 32 KiB block erase (52h)
	BlockErase64K time.Duration // one 64 KiB block erase (D8h)
	// A program command of n bytes costs ProgramFirstByte +
	// (n-1)·ProgramNextByte, at most PageProgram. With both per-byte costs
	// zero every program costs PageProgram.
	PageProgram      time.Duration // a full 256-byte page program
	ProgramFirstByte time.Duration
	ProgramNextByte  time.Duration
	// ReadBytesPerSecond is the read throughput; <= 0 makes reads free.
	ReadBytesPerSecond int64
}

// Defaults: typical (not maximum) figures of the GD25Q32C's AC
// characteristics, the chip of the WS63 module (flash_config_info.c).
const (
	// DefaultSectorErase is tSE, a 4 KiB sector erase: 50 ms typ.
	DefaultSectorErase = 50 * time.Millisecond
	// DefaultBlockErase32K is tBE1, a 32 KiB block erase: 0.15 s typ.
	DefaultBlockErase32K = 150 * time.Millisecond
	// DefaultBlockErase64K is tBE2, a 64 KiB block erase: 0.25 s typ.
	DefaultBlockErase64K = 250 * time.Millisecond
	// DefaultPageProgram is tPP, a 256-byte page program: 0.6 ms typ.
	DefaultPageProgram = 600 * time.Microsecond
	// DefaultProgramFirstByte is the byte-program time of the first byte
	// of a command (tBP1, 30 µs typ.).
	DefaultProgramFirstByte = 30 * time.Microsecond
	// DefaultProgramNextByte interpolates the further bytes so that a full
	// page costs tPP: (600 - 30) / 255 ≈ 2.2 µs.
	DefaultProgramNextByte = 2200 * time.Nanosecond
	// DefaultReadBytesPerSecond is quad SPI at an 80 MHz clock: 4 bits per
	// clock = 40 MB/s. Command and address cycles are ignored.
	DefaultReadBytesPerSecond = 40_000_000
)

// DefaultTiming returns the defaults above.
func DefaultTiming() Timing {
	return Timing{
		SectorErase:        DefaultSectorErase,
		BlockErase32K:      DefaultBlockErase32K,
		BlockErase64K:      DefaultBlockErase64K,
		PageProgram:        DefaultPageProgram,
		ProgramFirstByte:   DefaultProgramFirstByte,
		ProgramNextByte:    DefaultProgramNextByte,
		ReadBytesPerSecond: DefaultReadBytesPerSecond,
	}
}

// validate clamps negative costs to zero (free).
func (t Timing) validate() Timing {
	t.SectorErase = max(t.SectorErase, 0)
	t.BlockErase32K = max(t.BlockErase32K, 0)
	t.BlockErase64K = max(t.BlockErase64K, 0)
	t.PageProgram = max(t.PageProgram, 0)
	t.ProgramFirstByte = max(t.ProgramFirstByte, 0)
	t.ProgramNextByte = max(t.ProgramNextByte, 0)
	t.ReadBytesPerSecond = max(t.ReadBytesPerSecond, 0)
	return t
}

// program is the cost of one program command of n bytes.
func (t Timing) program(n int) time.Duration {
	if t.ProgramFirstByte == 0 && t.ProgramNextByte == 0 {
		return t.PageProgram
	}
	return min(t.PageProgram, t.ProgramFirstByte+time.Duration(max(n-1, 0))*t.ProgramNextByte)
}

// erase is the cost of one block erase of size bytes.
func (t Timing) erase(size uint32) time.Duration {
	switch size {
	case Block64K:
		return t.BlockErase64K
	case Block32K:
		return t.BlockErase32K
	}
	return t.SectorErase
}
