package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// hilinkPartitionSize is partition 0x31 in the SDK's hilink table
// (param_sector_hilink_indie_upgrade.json); the default table has none.
const hilinkPartitionSize = 0x80000

// fitProblem is one reason the device would not install a package that
// verifies: what is wrong, and what the device does about it.
type fitProblem struct {
	Image int // image index, -1 for the whole package
	Msg   string
}

func (p fitProblem) String() string {
	if p.Image < 0 {
		return p.Msg
	}
	return fmt.Sprintf("image %d %s", p.Image, p.Msg)
}

// deviceFit checks a verified package against the device of the SDK's
// default (compressed-upgrade) table: the package must fit the fota
// storage, each image's installed size its target partition, and each
// image must be a signed image of the kind its slot boots (docs/sdk-mapping.md §3.2,
// §4.3, §4.4). It returns nothing for a package the device installs.
func deviceFit(r io.ReaderAt, size int64, p *upg.Package) []fitProblem {
	t := partition.Default(partition.LayoutCompress)
	var probs []fitProblem
	if fota, err := t.Lookup(partition.FotaData); err == nil {
		storage := int64(fota.Size) - upg.FlagTailLen
		if size > storage {
			probs = append(probs, fitProblem{-1, fmt.Sprintf("the package is %d bytes, the fota storage holds %d: "+
				"uapi_upg_prepare refuses it (ERRCODE_UPG_INVALID_PARAMETER), the app cannot store it", size, storage)})
		}
	}
	parts := upg.DefaultImagePartitions()
	for i := range p.Headers {
		h := &p.Headers[i]
		pid, ok := parts[h.ImageID]
		if !ok {
			continue // NV (the app's NV task) or an id flashboot skips
		}
		name := upg.ImageName(h.ImageID)
		psize := uint32(hilinkPartitionSize)
		if e, err := t.Lookup(pid); err == nil {
			psize = e.Size
		}
		out := h.ImageLen
		if h.Compressed() {
			out = h.NewImageLen
		}
		if out > psize {
			probs = append(probs, fitProblem{i, fmt.Sprintf("(%s) installs %d bytes, partition %s (0x%02X) holds 0x%X: "+
				"flashboot erases the partition and then fails each of its 3 attempts (docs/sdk-mapping.md §4.3): the old %s is gone, the device bricks",
				name, out, pid.Name(partition.LayoutCompress), uint8(pid), psize, name)})
			continue
		}
		if h.ImageID == upg.ImageIDHilink || h.Encrypted() || h.DecompressFlag == upg.FlagDiff {
			continue // opaque data, a diff, or decrypted with the chip's key (docs/sdk-mapping.md §4.8)
		}
		want := image.KindApp
		if h.ImageID == upg.ImageIDFlashboot {
			want = image.KindFlashboot
		}
		data, err := installedBytes(r, size, p, i, psize)
		if err != nil {
			probs = append(probs, fitProblem{i, fmt.Sprintf("(%s) cannot be unpacked: %v: flashboot fails each of its 3 attempts after erasing the partition, the device bricks", name, err)})
			continue
		}
		im, err := image.ParseBytes(data)
		switch {
		case err != nil && !errors.Is(err, image.ErrBodyHash):
			probs = append(probs, fitProblem{i, fmt.Sprintf("(%s) is not a signed %s image (%v): flashboot installs it, "+
				"the boot verification then rejects it at every boot and the device bricks", name, want, err)})
		case err != nil:
			probs = append(probs, fitProblem{i, fmt.Sprintf("(%s): its code area hash is wrong: the boot verification rejects it and the device bricks", name)})
		case im.Kind != want:
			probs = append(probs, fitProblem{i, fmt.Sprintf("(%s) holds a %s image: flashboot writes it into partition %s, "+
				"which boots only %s images; the device exhausts its retries and bricks", name, im.Kind, pid.Name(partition.LayoutCompress), want)})
		}
	}
	return probs
}

// installedBytes returns what flashboot writes into the partition for
// image i: the raw data, or the LZMA payload decoded (at most limit bytes).
func installedBytes(r io.ReaderAt, size int64, p *upg.Package, i int, limit uint32) ([]byte, error) {
	data, err := p.ImageData(r, size, i)
	if err != nil {
		return nil, err
	}
	if !p.Headers[i].Compressed() {
		b := make([]byte, data.Size())
		if _, err := data.ReadAt(b, 0); err != nil {
			return nil, err
		}
		return b, nil
	}
	dec, n, err := upg.NewLZMADecoder(io.NewSectionReader(data, 0, data.Size()), limit)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(dec, b); err != nil {
		return nil, err
	}
	return b, nil
}
