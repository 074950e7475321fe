// Package sfc is the WS63's SPI flash controller driver as the device
// programs call it: the layer of sfc.c (uapi_sfc_reg_write,
// uapi_sfc_reg_erase) and hal_sfc_v150.c (hal_sfc_reg_write) over the chip
// commands of package flash. Every flash write and erase of the update
// library, the NV store, the app, flashboot and the AB code goes through
// a Driver, as on the device, so that one flash operation (one cut point)
// is one command the chip receives.
//
// # Write (uapi_sfc_reg_write → Driver.Program)
//
//   - The parameters are checked first: a length of 0, or a range that
//     wraps or ends past the chip, is ErrInvalidParam
//     (ERRCODE_INVALID_PARAM 0x80000001) and issues nothing.
//   - A start that is not 4-byte aligned is written as a read-modify-write
//     of the aligned word holding it: the driver reads the 4 bytes, merges
//     the new ones, and programs all 4 (the other bytes with the values it
//     read, which on NOR changes nothing unless a bit flipped since).
//   - The aligned body is written by the HAL as program commands of at
//     most 64 bytes (the controller's data buffer): the first up to the
//     next 64-byte boundary, then 64 bytes each.
//   - An end that is not 4-byte aligned is a read-modify-write of the last
//     word, like the start.
//   - The first command that fails ends the write with its error; the
//     commands before it stay applied.
//
// So a 1-byte flag write programs 4 bytes, a 4 KiB write at an aligned
// address is 64 commands, and a write of 11 bytes at 0x...3 is three
// commands: the word at 0x...0, 8 bytes at 0x...4, and the word at 0x...C.
//
// # Erase (uapi_sfc_reg_erase → Driver.EraseRange)
//
// The range must be 4 KiB aligned at both ends (ErrInvalidParam
// otherwise: the WS63 build does not set CONFIG_SFC_ALLOW_ERASE_WRITEBACK,
// and the update library does its own read–erase–write-back,
// upg_flash_erase). It is erased greedily: at each address the first of
// the GD25Q32's erase commands (flash_config_info.c: 64 KiB D8h, 32 KiB
// 52h, 4 KiB 20h) that is aligned there and fits in what remains. The
// 0x240000-byte app partition at 0x30000 is 36 erases of 64 KiB; the
// fota partition's 12 KiB tail at 0x3F0000 is three of 4 KiB; 0x9000
// bytes at 0x7000 would be 4 KiB at 0x7000, 32 KiB at 0x8000.
//
// # Reads
//
// ReadAt passes through to the chip (uapi_sfc_reg_read's 4-byte
// alignment only changes which bus reads carry the bytes, not the
// bytes). Reads are never cut points.
//
// # Limitations
//
// On a device the app runs the ROM copy of the SFC driver, with patches
// that are not published; sfc.c is the best available source for the
// app's writes, and exact for flashboot, which links it. Not-ready
// timeouts (ERRCODE_SFC_FLASH_TIMEOUT_WAIT_READY) are not modelled here;
// the chip's injected faults (bad sector, program failure) surface as the
// chip's errors.
package sfc
