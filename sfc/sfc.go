package sfc

import (
	"errors"
	"fmt"
	"io"
)

// Chip is the NOR chip below the driver: the commands it accepts
// (flash.Device implements it). Program is one page-program command when
// data is at most 64 bytes within a 64-byte window; given more than 64
// bytes it must issue them exactly as hal_sfc_reg_write splits them (up to
// the next 64-byte boundary, then 64 bytes at a time), which lets the
// driver hand over a long body in one call. EraseBlock is one block-erase
// command.
type Chip interface {
	io.ReaderAt
	Program(addr uint32, data []byte) error
	EraseBlock(addr, size uint32) error
}

// ErrInvalidParam is returned, before any command, for a zero length, a
// range that wraps or ends past the chip, or an erase range that is not
// 4 KiB aligned: ERRCODE_INVALID_PARAM (0x80000001) of check_opt_param
// and uapi_sfc_reg_erase.
var ErrInvalidParam = errors.New("sfc: invalid parameter (ERRCODE_INVALID_PARAM)")

// Geometry the driver is configured with (GD25Q32).
const (
	ChipSize   = 4 << 20
	BufferSize = 64 // SFC_DATABUF_LENGTH: the most bytes one program command carries
	wordSize   = 4
	sectorSize = 4 << 10
)

// EraseSizes are the GD25Q32's block erases in the order of its erase
// command table (flash_config_info.c, after the chip erase): the greedy
// plan takes the first that fits.
var EraseSizes = [...]uint32{64 << 10, 32 << 10, 4 << 10}

// Driver is uapi_sfc_reg_* over a chip. It keeps no state between calls
// (the device's g_flash_ctrl is configuration), so a Driver may be made
// wherever a program needs one.
type Driver struct {
	chip Chip
}

// New returns the driver over c.
func New(c Chip) *Driver { return &Driver{chip: c} }

// Chip returns the chip below the driver.
func (d *Driver) Chip() Chip { return d.chip }

// ReadAt is uapi_sfc_reg_read: the chip's bytes.
func (d *Driver) ReadAt(p []byte, off int64) (int, error) { return d.chip.ReadAt(p, off) }

func check(addr uint32, size uint64) error {
	end := uint64(addr) + size
	if size == 0 || end > ChipSize {
		return fmt.Errorf("%w: 0x%06x+%d", ErrInvalidParam, addr, size)
	}
	return nil
}

// Program is uapi_sfc_reg_write: a read-modify-write of the aligned word
// at an unaligned start, the aligned body in commands of at most 64
// bytes, a read-modify-write of the word at an unaligned end (see the
// package documentation). It returns the first failing command's error.
func (d *Driver) Program(addr uint32, data []byte) error {
	if err := check(addr, uint64(len(data))); err != nil {
		return err
	}
	if mis := addr % wordSize; mis != 0 {
		word := addr - mis
		n := min(wordSize-int(mis), len(data))
		if err := d.modifyWord(word, int(mis), data[:n]); err != nil {
			return err
		}
		addr, data = word+wordSize, data[n:]
	}
	if body := len(data) &^ (wordSize - 1); body > 0 {
		if err := d.halWrite(addr, data[:body]); err != nil {
			return err
		}
		addr, data = addr+uint32(body), data[body:]
	}
	if len(data) > 0 {
		return d.modifyWord(addr, 0, data)
	}
	return nil
}

// modifyWord reads the 4-byte word at word, puts b at offset at, and
// programs the 4 bytes as one command.
func (d *Driver) modifyWord(word uint32, at int, b []byte) error {
	var w [wordSize]byte
	if _, err := d.chip.ReadAt(w[:], int64(word)); err != nil {
		return err
	}
	copy(w[at:], b)
	return d.halWrite(word, w[:])
}

// halWrite is hal_sfc_reg_write: a first command up to the next 64-byte
// boundary, then commands of 64 bytes. More than 64 bytes go to the chip
// in one call, which splits them the same way (Chip).
func (d *Driver) halWrite(addr uint32, data []byte) error {
	if len(data) > BufferSize {
		return d.chip.Program(addr, data)
	}
	for len(data) > 0 {
		n := min(BufferSize-int(addr%BufferSize), len(data))
		if err := d.chip.Program(addr, data[:n]); err != nil {
			return err
		}
		addr, data = addr+uint32(n), data[n:]
	}
	return nil
}

// EraseRange is uapi_sfc_reg_erase on a build without erase write-back:
// n bytes from addr, both 4 KiB aligned, erased with the greedy plan (see
// the package documentation). It returns the first failing command's
// error.
func (d *Driver) EraseRange(addr, n uint32) error {
	if err := check(addr, uint64(n)); err != nil {
		return err
	}
	if addr%sectorSize != 0 || n%sectorSize != 0 {
		return fmt.Errorf("%w: erase 0x%06x+%d is not 4 KiB aligned", ErrInvalidParam, addr, n)
	}
	for n > 0 {
		size := greedy(addr, n)
		if err := d.chip.EraseBlock(addr, size); err != nil {
			return err
		}
		addr, n = addr+size, n-size
	}
	return nil
}

// greedy is do_greedy_erase's choice at addr with rest bytes left.
func greedy(addr, rest uint32) uint32 {
	for _, size := range EraseSizes {
		if rest >= size && addr%size == 0 {
			return size
		}
	}
	return EraseSizes[len(EraseSizes)-1] // unreachable: everything is 4 KiB aligned
}
