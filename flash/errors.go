package flash

import (
	"errors"
	"fmt"
)

// Argument errors. They are returned before any operation is issued: the
// operation counter does not move, the hook is not called and nothing changes.
var (
	// ErrOutOfRange is returned when an access would touch bytes outside the
	// 4 MiB array, or when a sector index or bit address is out of range.
	ErrOutOfRange = errors.New("flash: address out of range")

	// ErrMisaligned is returned when Erase or EraseRange is given an address
	// or length that is not a multiple of SectorSize.
	ErrMisaligned = errors.New("flash: address or length not sector aligned")

	// ErrBadBit is returned when FlipBit is given a bit number above 7.
	ErrBadBit = errors.New("flash: bit number must be 0..7")
)

// Device state errors.
var (
	// ErrPowerOff is returned by every operation and every read once the
	// device has been cut (CutAt fired, CutNow or ApplyTorn), including by the
	// operation that was cut, until PowerOn or Restore.
	ErrPowerOff = errors.New("flash: device is powered off")
)

// Injected faults. The operation is counted (it has an Index, the hook saw
// it, the log has it) but changes nothing. The WS63's SFC driver never reads
// a program or erase failure status from the chip: the only failure it
// reports is that the chip did not become ready in time
// (ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY, 0x80001344, docs/sdk-mapping.md §3.5), so every
// injected failure is a timeout: each sentinel below wraps ErrTimeout. (A
// worn sector that silently keeps bits wrong, SetWornSector, returns no
// error at all.)
var (
	// ErrTimeout is returned by the operation whose Index was armed with
	// TimeoutAt; ErrBadSector and ErrProgramFailed wrap it.
	ErrTimeout = errors.New("flash: timeout waiting for the chip to be ready")

	// ErrBadSector is returned when an erase or program touches a sector
	// marked bad with SetBadSector.
	ErrBadSector = fmt.Errorf("%w (bad sector)", ErrTimeout)

	// ErrProgramFailed is returned by the program operation whose Index was
	// armed with FailProgramAt.
	ErrProgramFailed = fmt.Errorf("%w (program)", ErrTimeout)
)

// Image file errors.
var (
	// ErrImageSize is returned (wrapped in a *FormatError) when a raw image
	// is not exactly Size bytes long.
	ErrImageSize = errors.New("flash: image is not 4 MiB")

	// ErrBadTear is returned by ParseTear and ParseTearKind for text that is
	// not a tear model.
	ErrBadTear = errors.New("flash: bad tear model")
)

// FormatError reports a raw image that cannot be used: which file (empty
// for in-memory input), at which byte offset and what is wrong. It unwraps
// to a sentinel (ErrImageSize) or to the underlying I/O error.
type FormatError struct {
	Path string // file name, "" for FromBytes / ReadImage
	Off  int64  // byte offset where the problem is (for a short image: its length)
	Msg  string
	Err  error // sentinel or I/O error
}

func (e *FormatError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("flash: offset %d: %s", e.Off, e.Msg)
	}
	return fmt.Sprintf("flash: %s: offset %d: %s", e.Path, e.Off, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// opError wraps an injected-fault sentinel with the operation that hit it.
func opError(err error, op Op) error {
	return fmt.Errorf("%w: %s", err, op)
}
