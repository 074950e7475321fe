package flash

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ws63emu/ws63emu/internal/atomicfile"
)

// ReadImage reads a raw 4 MiB image of size bytes from r into a new device
// (powered on, no wear, DefaultTiming). A size other than Size is rejected
// before anything is allocated or read.
func ReadImage(r io.ReaderAt, size int64) (*Device, error) {
	if size != Size {
		return nil, &FormatError{Off: min(size, Size), Msg: sizeMsg(size), Err: ErrImageSize}
	}
	buf := make([]byte, Size)
	n, err := r.ReadAt(buf, 0)
	if n < Size {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, &FormatError{Off: int64(n), Msg: fmt.Sprintf("image ends after %d bytes, want %d", n, Size), Err: ErrImageSize}
		}
		return nil, &FormatError{Off: int64(n), Msg: "read: " + err.Error(), Err: err}
	}
	return adopt(buf), nil
}

func sizeMsg(size int64) string {
	return fmt.Sprintf("image is %d bytes, want exactly %d (4 MiB)", size, Size)
}

// adopt makes a device whose sectors live in buf, which it then owns.
// All-0xFF sectors point at the shared erased sector instead.
func adopt(buf []byte) *Device {
	d := New()
	for c := range numChunks {
		ch := new(chunk)
		for i := range chunkSectors {
			n := c*chunkSectors + i
			s := (*sector)(buf[n*SectorSize : (n+1)*SectorSize])
			if *s == *erasedSector {
				ch.sec[i] = erasedSector
				continue
			}
			ch.sec[i] = s
			d.secOwned[n] = true
		}
		d.chunks[c] = ch
		d.chunkOwned[c] = true
	}
	return d
}

// FromBytes returns a device holding a copy of b, which must be exactly
// Size bytes (else a *FormatError wrapping ErrImageSize).
func FromBytes(b []byte) (*Device, error) {
	return ReadImage(bytes.NewReader(b), int64(len(b)))
}

// Load reads a raw 4 MiB .bin file. A file of the wrong size is rejected,
// before its contents are read, with a *FormatError naming the file, its
// size, and the offset where it ends (or, if longer, the offset Size where
// it should have ended).
func Load(path string) (*Device, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flash: load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("flash: load: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, &FormatError{Path: path, Msg: "not a regular file"}
	}
	d, err := ReadImage(f, st.Size())
	if fe, ok := err.(*FormatError); ok {
		fe.Path = path
	}
	return d, err
}

// Save writes the contents as a raw 4 MiB file atomically: a temporary
// file in the same directory is written, synced and renamed over path, and
// removed on any error, so path holds either its old contents or the new
// ones. It works while off.
func (d *Device) Save(path string) error {
	if err := atomicfile.Write(path, d.Bytes(), 0o644); err != nil {
		return fmt.Errorf("flash: save: %w", err)
	}
	return nil
}
