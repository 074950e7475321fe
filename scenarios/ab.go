package scenarios

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/upg"
)

// ABUpgradeCmd is `ab-upgrade NAME [chunk=N] [reset=true|false]`: the
// guide's AB example run by the app — upg_ab_start on the upgrade region,
// the image NAME written with upg_ab_image_write in chunks (default 4096),
// upg_set_run_region, and (reset=true, the default) upg_reboot.
type ABUpgradeCmd struct {
	line
	Image string
	Chunk int // 0: 4096
	Reset bool
}

func (c *ABUpgradeCmd) String() string {
	s := "ab-upgrade " + c.Image
	if c.Chunk != 0 {
		s += " chunk=" + strconv.Itoa(c.Chunk)
	}
	return s + " reset=" + strconv.FormatBool(c.Reset)
}

func (p *parser) abUpgrade(a *args) (Command, error) {
	c := &ABUpgradeCmd{line: line{a.n}}
	ch, ok, err := a.uint("chunk", 32, 0)
	if err != nil {
		return nil, err
	}
	if ok && (ch == 0 || ch > app.MaxABChunk) {
		return nil, a.errf("chunk=%d: want 1..%d", ch, app.MaxABChunk)
	}
	c.Chunk = int(ch)
	if c.Reset, err = a.flag("reset", true); err != nil {
		return nil, err
	}
	if err := a.done(1, 1); err != nil {
		return nil, err
	}
	if !p.appAB {
		return nil, a.errf("the app is not built for AB (layout=%s): it has no upg_ab_* functions; to script the mismatch the guide warns about, build it so: device … app-scheme=ab", p.layout)
	}
	c.Image = a.pos[0]
	im, ok := p.images[c.Image]
	switch {
	case !ok:
		return nil, a.errf("unknown image %q", c.Image)
	case im.Kind != "" && im.Kind != KindApp:
		return nil, a.errf("image %q is a %s image; the AB scheme carries the app", c.Image, im.Kind)
	}
	return c, nil
}

// abUpgrade runs the app's AB flow. For the verdict, the app running now
// becomes the "old" app and NAME the "new" one.
func (r *Runner) abUpgrade(c *ABUpgradeCmd) error {
	b, err := r.image(c, c.Image)
	if err != nil {
		return err
	}
	if b.kind != KindApp {
		return r.failf(c, "ab-upgrade", "image %q is a %s image; the AB scheme carries the app", c.Image, b.kind)
	}
	if r.dev.State() != emulator.Running {
		return r.failf(c, "ab-upgrade", "no app is running (device %s)", r.dev.State())
	}
	r.burnedApp, r.abApp = r.dev.Running(), c.Image
	err, cut := r.dev.Do(func(a *app.App) error {
		r.registerUserVerify(a)
		_, err := a.ABUpgrade(bytes.NewReader(b.data), uint32(len(b.data)), c.Chunk)
		return err
	})
	r.record("ab-upgrade", err, cut)
	if cut || !c.Reset {
		return nil
	}
	r.dev.Reboot()
	return nil
}

// observeRegion is `expect region A|B|none`: the region the running app
// booted from.
func (r *Runner) observeRegion(c *ExpectCmd) (string, bool) {
	v := "none"
	if reg, ok := r.dev.RunRegion(); ok {
		v = reg.String()
	}
	return v, slices.Contains(c.Want, v)
}

// checkRegionValue validates an `expect region` alternative.
func checkRegionValue(v string) error {
	if v == "none" {
		return nil
	}
	if _, err := upg.ParseRegion(v); err != nil || (v != "A" && v != "B") {
		return fmt.Errorf("want A, B or none")
	}
	return nil
}
