package scenarios

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/upg"
)

// The rest of the guide's API, reachable from scripts (issue 16):
//
//	ab-read NAME region=A|B|run|upg [off=N] [len=M]   # upg_ab_image_read, compared with image NAME
//	expect result-index V                             # uapi_upg_get_result's image index
//
// ab-read is an app call of an AB app (like ab-upgrade): it reads len bytes
// (default: the image's length) at offset off of a region — A, B, the run
// region (upg_get_run_region) or the upgrade region (upg_get_upg_region) —
// and compares them with image NAME's bytes at the same offset; expect
// read same|differs checks the comparison, expect error the errcode
// (ERRCODE_INVALID_PARAM for a read past the region's end).
//
// expect result-index asks the running app's uapi_upg_get_result for its
// second output, the index of the last image processed. The guide
// documents it as such; the SDK always returns UINT32_MAX (4294967295,
// 0xFFFFFFFF) there, whatever happened, and so does the emulator. It reads
// the flag area only and costs no flash operation.

// WhatResultIndex is `expect result-index V`.
const WhatResultIndex = "result-index"

// ABReadCmd is `ab-read NAME region=R [off=N] [len=M]`.
type ABReadCmd struct {
	line
	Image  string
	Region string // A, B, run or upg
	Off    uint32
	Len    int
	HasLen bool
}

func (c *ABReadCmd) String() string {
	s := fmt.Sprintf("ab-read %s region=%s off=0x%x", c.Image, c.Region, c.Off)
	if c.HasLen {
		s += " len=" + strconv.Itoa(c.Len)
	}
	return s
}

func (p *parser) abRead(a *args) (Command, error) {
	c := &ABReadCmd{line: line{a.n}}
	var err error
	if c.Region, err = a.required("region"); err != nil {
		return nil, err
	}
	switch c.Region {
	case "A", "B", "run", "upg":
	default:
		return nil, a.errf("region=%q: want A, B, run or upg", c.Region)
	}
	off, _, err := a.uint("off", 32, 0)
	if err != nil {
		return nil, err
	}
	c.Off = uint32(off)
	n, ok, err := a.uint("len", 32, 0)
	if err != nil {
		return nil, err
	}
	if n > maxReadLen {
		return nil, a.errf("len=%d: at most %d", n, maxReadLen)
	}
	c.Len, c.HasLen = int(n), ok
	if err := a.done(1, 1); err != nil {
		return nil, err
	}
	if !p.appAB {
		return nil, a.errf("the app is not built for AB (layout=%s): it has no upg_ab_image_read; device … app-scheme=ab builds it so", p.layout)
	}
	c.Image = a.pos[0]
	if _, ok := p.images[c.Image]; !ok {
		return nil, a.errf("unknown image %q", c.Image)
	}
	return c, nil
}

func (r *Runner) abRead(c *ABReadCmd) error {
	b, err := r.image(c, c.Image)
	if err != nil {
		return err
	}
	n := len(b.data)
	if c.HasLen {
		n = c.Len
	}
	buf := make([]byte, n)
	r.chunks = chunkState{}
	return r.appCall(c, "upg_ab_image_read", func(a *app.App) error {
		u := a.Upg()
		var reg upg.Region
		switch c.Region {
		case "run":
			reg = u.RunRegion()
		case "upg":
			reg = u.UpgRegion()
		default:
			reg, _ = upg.ParseRegion(c.Region)
		}
		if err := u.ABImageRead(reg, c.Off, buf); err != nil {
			return err
		}
		r.chunks = compareRead(b.data, c.Off, buf)
		r.dev.Note(fmt.Sprintf("scenario: upg_ab_image_read region %s read %d bytes at 0x%x: %s against %s (%s)", reg, n, c.Off, r.chunks.read, c.Image, r.chunks.why))
		return nil
	})
}

func checkResultIndexValue(v string) error {
	if _, err := strconv.ParseUint(v, 0, 32); err != nil {
		return fmt.Errorf("want an unsigned 32-bit number (the SDK returns 4294967295)")
	}
	return nil
}

// observeResultIndex is `expect result-index V`: uapi_upg_get_result's
// image index on the running app.
func (r *Runner) observeResultIndex(c *ExpectCmd) (string, bool) {
	a := r.dev.App()
	if a == nil {
		return "no app is running (device " + r.dev.State().String() + ")", false
	}
	res, idx, err := a.API().Result()
	if err != nil {
		return "uapi_upg_get_result returned " + upg.Code(err).String(), false
	}
	seen := fmt.Sprintf("%d (0x%08X; result %s)", idx, idx, res)
	ok := slices.ContainsFunc(c.Want, func(w string) bool {
		v, err := strconv.ParseUint(w, 0, 32)
		return err == nil && uint32(v) == idx
	})
	return seen, ok
}
