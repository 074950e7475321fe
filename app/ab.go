package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/upg"
)

// MaxABChunk bounds the chunk of ABUpgrade (upg_ab_image_write takes a
// size_t; the guide's example uses 4 KiB).
const MaxABChunk = 1 << 20

// ABUpgrade is the guide's AB example (AB面升级 / 开发实例, app_init) up to
// its final upg_reboot, which the caller does: upg_get_upg_region,
// upg_ab_start (erases the upgrade region), upg_ab_image_write of size
// bytes from r in chunks, upg_set_run_region. Like the example it prints
// each failing call's code and carries on — so the run region is switched
// even when the erase or a write failed (the guide's 注意事项 leave checking
// the image to the caller). It returns the region written and the first
// SDK error, if any; a transport error (r ends early) stops it before the
// switch.
func (a *App) ABUpgrade(r io.Reader, size uint32, chunk int) (upg.Region, error) {
	if chunk <= 0 {
		chunk = DefaultChunk
	}
	if chunk > MaxABChunk {
		return 0, fmt.Errorf("app: chunk %d exceeds %d bytes", chunk, MaxABChunk)
	}
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	region := a.upg.UpgRegion()
	if err := a.upg.ABStart(region); err != nil {
		a.b.Print(fmt.Sprintf("upg_ab_start error. ret = 0x%08x", uint32(upg.Code(err))))
		keep(err)
	}
	buf := make([]byte, chunk)
	for off := uint32(0); off < size; {
		n, err := io.ReadFull(r, buf[:min(uint32(chunk), size-off)])
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return region, fmt.Errorf("app: receive at offset %d: %w", off, err)
		}
		if n == 0 {
			return region, fmt.Errorf("app: transport ended at offset %d of %d", off, size)
		}
		if err := a.upg.ABImageWrite(region, off, buf[:n]); err != nil {
			a.b.Print(fmt.Sprintf("upg_ab_image_write error. ret = 0x%08x", uint32(upg.Code(err))))
			keep(err)
		}
		off += uint32(n)
	}
	if err := a.upg.SetRunRegion(region); err != nil {
		a.b.Print(fmt.Sprintf("upg_set_run_region error = 0x%x", uint32(upg.Code(err))))
		keep(err)
	}
	return region, first
}
