package emulator

import (
	"fmt"

	"github.com/ws63emu/ws63emu/efuse"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/internal/bigbuf"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/sfc"
	"github.com/ws63emu/ws63emu/upg"
)

// board is the device as the programs see it (flashboot.Board, app.Board).
type board struct {
	d    *Device
	prog Program
}

// Program names the two programs that run on the device.
type Program string

// The device's programs.
const (
	ProgFlashboot Program = "flashboot"
	ProgApp       Program = "app"
)

func (d *Device) board(p Program) board { return board{d, p} }

func (b board) Flash() upg.Flash        { return driven{b.d, sfc.New(guarded{b.d})} }
func (b board) Table() partition.Table  { return b.d.Table() }
func (b board) Efuse() *efuse.Bank      { return b.d.Efuse }
func (b board) Reg(addr uint32) uint32  { return b.d.regs[addr] }
func (b board) SetReg(addr, v uint32)   { b.d.regs[addr] = v }
func (b board) Print(msg string)        { b.d.emit(KindUART, msg) }
func (b board) UpgOptions() upg.Options { return b.d.upgOptions(b.prog) }

// AppBuffer lends flashboot the device's app-check buffer
// (flashboot.AppBufferer), grown to n bytes.
func (b board) AppBuffer(n int) []byte {
	if cap(b.d.appBuf) < n {
		b.d.appBuf = bigbuf.Make(n)
	}
	return b.d.appBuf[:n]
}

func (d *Device) upgOptions(p Program) upg.Options {
	o := d.cfg.Upg
	o.AB = d.BuiltAB(p)                // scheme.go: each program's own build
	o.VerifyPolicy = d.verifyPolicy(p) // recovery.go: the firmware's SDK
	if fn, ok := d.userVerify[p]; ok {
		o.UserVerify, o.UserParam = fn, nil
	}
	o.Hooks = upg.Hooks{
		Phase: func(name string) {
			d.Flash.SetPhase(name)
			d.emit(KindPhase, name)
		},
		FlagWrite: func(field string, value []byte) {
			d.emit(KindFlag, fmt.Sprintf("%s <- % x", field, value))
			// Label the flag write's flash operations with the field, then
			// go back to the phase it interrupted (guarded.Program).
			d.phaseAfterFlag = d.Flash.Phase()
			d.Flash.SetPhase("flag " + field)
		},
		CPU: d.cpuWork,
		API: d.cfg.Upg.Hooks.API, // an observer's (scenarios' engine diff)
	}
	return o
}

// driven is the flash as programs see it: the SFC driver (package sfc,
// uapi_sfc_reg_*) over the guarded chip, so every write and erase of a
// program is split into chip commands exactly as on the device.
type driven struct {
	d   *Device
	drv *sfc.Driver
}

func (f driven) ReadAt(p []byte, off int64) (int, error) { return f.drv.ReadAt(p, off) }

func (f driven) Program(addr uint32, data []byte) error {
	err := f.drv.Program(addr, data)
	// A flag write labels its commands with the field (upgOptions); go
	// back to the phase it interrupted.
	if p := f.d.phaseAfterFlag; p != "" {
		f.d.phaseAfterFlag = ""
		f.d.Flash.SetPhase(p)
	}
	return err
}

func (f driven) EraseRange(addr, n uint32) error { return f.drv.EraseRange(addr, n) }

// Chip is the chip below the driver, for an engine that brings its own
// driver (sdkengine runs the vendor's sfc.c, whose commands land here).
func (f driven) Chip() upg.Flash { return guarded{f.d} }

// EraseRange is the chip's greedy block plan (flash.Device.EraseRange);
// guarded is an upg.Flash only for an engine with its own driver, which
// erases through EraseBlock.
func (g guarded) EraseRange(addr, n uint32) error {
	err := g.d.Flash.EraseRange(addr, n)
	g.check()
	return err
}

// guarded is the chip below the driver: after a power cut the running
// program stops inside the command (the powerCut panic, recovered by
// guard).
type guarded struct{ d *Device }

func (g guarded) check() {
	if g.d.Flash.Off() {
		panic(powerCut{})
	}
}

func (g guarded) ReadAt(p []byte, off int64) (int, error) {
	g.check()
	n, err := g.d.Flash.ReadAt(p, off)
	g.check()
	return n, err
}

func (g guarded) Program(addr uint32, data []byte) error {
	err := g.d.Flash.Program(addr, data)
	g.check() // a cut stops the program here, the op still labelled
	return err
}

// Freeze and ReadMatches check bytes in place (upg.InPlaceReader); a
// device powered off matches nothing, so the caller's ReadAt stops.
func (g guarded) Freeze(off int64, data []byte) flash.Frozen { return g.d.Flash.Freeze(off, data) }

func (g guarded) ReadMatches(off int64, f flash.Frozen) (bool, flash.Frozen) {
	g.check()
	return g.d.Flash.ReadMatches(off, f)
}

func (f driven) Freeze(off int64, data []byte) flash.Frozen { return guarded{f.d}.Freeze(off, data) }
func (f driven) ReadMatches(off int64, fr flash.Frozen) (bool, flash.Frozen) {
	return guarded{f.d}.ReadMatches(off, fr)
}

// Peek and OpCount let an engine mirror the flash (sdkengine): raw reads
// that are not device reads, and the operation counter.
func (g guarded) Peek(addr uint32, p []byte) { g.d.Flash.Peek(addr, p) }
func (g guarded) OpCount() uint64            { return g.d.Flash.OpCount() }
func (g guarded) Quiet() uint64              { return g.d.Flash.Quiet() }

func (g guarded) EraseBlock(addr, size uint32) error {
	err := g.d.Flash.EraseBlock(addr, size)
	g.check()
	return err
}
