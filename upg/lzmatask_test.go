package upg

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/sfc"
)

// DeviceLZMASize sums the 11 bytes after the properties with the RISC-V's
// shift amounts (modulo 32): bytes 9..15 wrap into the size.
func TestDeviceLZMASize(t *testing.T) {
	h := make([]byte, LZMAHeaderLen)
	h[5], h[6] = 0x34, 0x12
	if got := DeviceLZMASize(h); got != 0x1234 {
		t.Errorf("size %#x, want 0x1234", got)
	}
	h[9] = 1 // shift 32 → 0
	h[13] = 2
	h[10] = 1 // shift 40 → 8
	if got, want := DeviceLZMASize(h), uint32(0x1234+1+2+0x100); got != want {
		t.Errorf("size with bytes 9..15 set %#x, want %#x", got, want)
	}
}

// The task as the device runs it: input that ends before the declared
// size is a success with a short image (the rest stays erased); the
// flushes have varying lengths, so some programs start or end off a word
// and become read-modify-writes.
func TestCompressTaskShortInputAndFlushes(t *testing.T) {
	raw := code(t, 9, 200<<10)
	payload, err := CompressLZMA(raw)
	if err != nil {
		t.Fatal(err)
	}
	dev := flash.New()
	tab := partition.Default(partition.LayoutCompress)
	fota, _ := tab.Lookup(partition.FotaData)
	app, _ := tab.Lookup(partition.ImageA)
	src := fota.Offset
	if err := dev.Program(src, payload); err != nil {
		t.Fatal(err)
	}
	var words int
	dev.SetHook(func(op flash.Op) {
		if op.Kind == flash.OpProgram && op.Len == 4 {
			words++
		}
	})
	u := New(sfc.New(dev), tab, Options{})
	half := uint32(len(payload)/2) &^ 15
	if err := u.compressTask(ImageHeader{ImageLen: half}, app, src); err != nil {
		t.Fatalf("short input: %v, want success", err)
	}
	got := make([]byte, len(raw))
	dev.Read(app.Offset, got)
	n := 0
	for n < len(raw) && got[n] == raw[n] {
		n++
	}
	if n < len(raw)/4 || n == len(raw) || !bytes.Equal(got[n+64:], bytes.Repeat([]byte{0xFF}, len(raw)-n-64)) {
		t.Errorf("short image: %d bytes decoded of %d, then not erased", n, len(raw))
	}
	if words == 0 {
		t.Error("no 4-byte read-modify-write among the flushes")
	}
	// A program that fails is the task's DECOMPRESS_FAIL.
	dev.SetHook(nil)
	dev.FailProgramAt(dev.OpCount() + 40)
	err = u.compressTask(ImageHeader{ImageLen: uint32(len(payload)+15) &^ 15}, app, src)
	if Code(err) != ErrcodeUpgDecompressFail || !errors.Is(err, flash.ErrProgramFailed) {
		t.Errorf("failed program: %v, want ERRCODE_UPG_DECOMPRESS_FAIL wrapping the flash error", err)
	}
}

// upg_flash_erase writes the saved bytes back even when they are all
// 0xFF: prepare with a length that ends inside a sector programs the rest
// of that sector.
func TestPrepareWritesBackErasedTail(t *testing.T) {
	dev := flash.New()
	u := New(sfc.New(dev), partition.Default(partition.LayoutCompress), Options{})
	if err := u.Init(); err != nil {
		t.Fatal(err)
	}
	var tail int
	dev.SetHook(func(op flash.Op) {
		if op.Kind == flash.OpProgram && op.Phase == "" && bytes.Equal(op.Data, bytes.Repeat([]byte{0xFF}, len(op.Data))) {
			tail += int(op.Len)
		}
	})
	if err := u.Prepare(0x1000 + 100); err != nil {
		t.Fatal(err)
	}
	if tail != 0x1000-100 {
		t.Errorf("%d bytes of 0xFF written back, want %d", tail, 0x1000-100)
	}
}
