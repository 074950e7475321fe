package emulator

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// FalseSuccess reports a failed upgrade recorded as a success (the
// false-success verdict, docs/sdk-mapping.md §3.7 (c)): the flag area says the upgrade
// finished with UPDATE_SUCCESS (head and end magics, complete_flag 0,
// update_result 0), but an image of the stored package is not in its
// partition. "In its partition" means the partition starts with the
// image's signed header (key area and code info, 0x300 bytes, which carry
// the code's hash): for a raw image its first 0x300 bytes as stored, for a
// compressed one the first 0x300 bytes its LZMA stream decodes to (the
// re-encryption window starts after them). NV has no partition and is not
// checked, nor are images outside the accepted set.
//
// The SDK gets there when power fails after an image's third failure
// consumed its last retry byte (the triplet then reads 00 00 00, FINISHED)
// and before complete_flag is written: the next boot skips the image as
// finished and records SUCCESS. uapi_upg_start called before
// uapi_upg_init does the same to a pending upgrade (docs/sdk-mapping.md §4.2 step 1).
//
// One later event is told apart: flashboot's recovery from its backup
// (docs/sdk-mapping.md §4.6) puts the backup copy in partition 0x01 after an upgrade
// that did install the package's flashboot; a primary identical to the
// backup is not counted. The check reads the flash as a test bench does
// (a snapshot): it costs no simulated time and issues no operation.
func (d *Device) FalseSuccess() (string, bool) {
	if d.cfg.Upg.AB {
		return "", false // the AB scheme has no flag area
	}
	snap := d.Flash.View() // read at once: no copy-on-write marks
	t, err := partition.ParseFlash(snap)
	if err != nil {
		return "", false
	}
	fota, err := t.Lookup(partition.FotaData)
	if err != nil || fota.Size < upg.FlagTailLen {
		return "", false
	}
	raw := make([]byte, upg.FlagAreaLen)
	snap.ReadAt(raw, int64(fota.End()-0x1000)) // the flag area: the last 4 KiB of the fota partition
	var f upg.Flag
	if f.UnmarshalBinary(raw) != nil || f.HeadMagic != upg.FlagHeadMagic || f.EndMagic != upg.FlagEndMagic ||
		f.CompleteFlag != 0 || upg.Result(f.UpdateResult) != upg.ResultUpdateSuccess {
		return "", false
	}
	pkgSize := int64(fota.Size - upg.FlagTailLen)
	pkg := io.NewSectionReader(snap, int64(fota.Offset), pkgSize)
	p, err := upg.ReadPackage(pkg, pkgSize)
	if err != nil {
		return "", false // nothing to compare with
	}
	parts := d.cfg.Upg.ImagePartitions
	if parts == nil {
		parts = upg.DefaultImagePartitions()
	}
	for i, h := range p.Headers {
		id, ok := parts[p.Nodes[i].ImageID]
		if !ok || p.Nodes[i].ImageID == upg.ImageIDNV {
			continue
		}
		e, err := t.Lookup(id)
		if err != nil {
			continue
		}
		want, err := packageImageHead(pkg, pkgSize, h)
		if err != nil {
			continue // a package image the device cannot apply either
		}
		got := make([]byte, len(want))
		snap.ReadAt(got, int64(e.Offset))
		if bytes.Equal(got, want) {
			continue
		}
		if id == partition.Flashboot && d.restoredFromBackup(snap, t, e) {
			continue
		}
		return fmt.Sprintf("update_result is UPDATE_SUCCESS, but partition %s does not hold the package's %s image", id, upg.ImageName(h.ImageID)), true
	}
	return "", false
}

// packageImageHead returns the first image.HeaderLen bytes (fewer for a
// shorter image) the image task would write for h: the stored data of a
// raw image, the start of the decoded stream of a compressed one.
func packageImageHead(pkg io.ReaderAt, size int64, h upg.ImageHeader) ([]byte, error) {
	if int64(h.ImageOffset)+int64(h.ImageLen) > size {
		return nil, fmt.Errorf("emulator: image data beyond the package")
	}
	data := io.NewSectionReader(pkg, int64(h.ImageOffset), int64(h.ImageLen))
	if !h.Compressed() {
		b := make([]byte, min(image.HeaderLen, h.ImageLen))
		_, err := io.ReadFull(data, b)
		return b, err
	}
	// The decoded head depends only on the stream bytes the decoder
	// consumes, which for 0x300 output bytes lie well inside the first
	// headInput bytes: decode those (remembered by their exact bytes, as a
	// sweep asks the same question at thousands of points), and the whole
	// stream only if they do not suffice.
	prefix := make([]byte, min(headInput, h.ImageLen))
	if _, err := io.ReadFull(data, prefix); err != nil {
		return nil, err
	}
	if b, ok := heads.get(prefix); ok {
		return b, nil
	}
	b, err := decodeHead(bytes.NewReader(prefix))
	if err != nil && int(h.ImageLen) > len(prefix) {
		b, err = decodeHead(io.NewSectionReader(pkg, int64(h.ImageOffset), int64(h.ImageLen)))
	}
	if err != nil {
		return nil, err
	}
	heads.put(prefix, b)
	return b, nil
}

// headInput is how much of a compressed stream decodeHead is first given.
const headInput = 4096

// decodeHead decodes the first image.HeaderLen bytes (fewer for a shorter
// image) of an LZMA payload.
func decodeHead(r io.Reader) ([]byte, error) {
	dec, n, err := upg.NewLZMADecoder(r, ^uint32(0))
	if err != nil {
		return nil, err
	}
	b := make([]byte, min(image.HeaderLen, n))
	_, err = io.ReadFull(dec, b)
	return b, err
}

// headCache remembers decoded heads by the exact stream bytes they were
// decoded from: a pure function's results, so one cache serves every
// device. It holds at most headCacheLen entries and starts over when full.
type headCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const headCacheLen = 64

var heads headCache

func (c *headCache) get(in []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[string(in)]
	return b, ok
}

func (c *headCache) put(in, head []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= headCacheLen {
		c.m = map[string][]byte{}
	}
	c.m[string(in)] = head
}

// restoredFromBackup reports whether the primary flashboot partition e
// holds a copy of the backup partition's image (flashboot recovery).
func (d *Device) restoredFromBackup(snap io.ReaderAt, t partition.Table, e partition.Entry) bool {
	b, err := t.Lookup(partition.FlashbootBackup)
	if err != nil {
		return false
	}
	primary := make([]byte, image.HeaderLen)
	backup := make([]byte, image.HeaderLen)
	snap.ReadAt(primary, int64(e.Offset))
	snap.ReadAt(backup, int64(b.Offset))
	return bytes.Equal(primary, backup)
}
