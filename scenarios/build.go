package scenarios

import (
	"fmt"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/partition"
)

// Device build settings (issue 16):
//
//	device … [params=FILE.json] [flashboot-scheme=ab|compress] [app-scheme=ab|compress]
//
// params= builds the partition table at 0x380 from the SDK's own
// param_sector json (partition.LoadJSON: the guide's customer partitions
// 0x30..0x3F, space cut out of imageA / fota data); a bad json stops the
// script at the device line with the file and the JSON field. The layout=
// still says which builds flashboot and the app are (ab: FOTA for AB).
//
// flashboot-scheme= and app-scheme= build one program differently from the
// layout — the mismatch the guide warns about (both must be built for AB,
// or neither). An app not built for AB has no upg_ab_* functions, so
// ab-upgrade on such a device is a script error; app-scheme=ab on a
// compress device is how a script says it is that mismatch.

// DeviceBuild are the device line's build settings.
type DeviceBuild struct {
	Params          string          // params=: a param_sector json
	FlashbootScheme emulator.Scheme // flashboot-scheme=
	AppScheme       emulator.Scheme // app-scheme=
}

func (b DeviceBuild) String() string {
	s := kv("params", b.Params)
	if b.FlashbootScheme != emulator.SchemeLayout {
		s = words(s, "flashboot-scheme="+b.FlashbootScheme.String())
	}
	if b.AppScheme != emulator.SchemeLayout {
		s = words(s, "app-scheme="+b.AppScheme.String())
	}
	if s == "" {
		return ""
	}
	return " " + s
}

func (b *DeviceBuild) parse(a *args, c *DeviceCmd) error {
	var err error
	var ok bool
	if b.Params, ok, err = a.optional("params"); err != nil {
		return err
	}
	if ok && c.Hilink {
		return a.errf("params= and layout=hilink both give the partition table; use one")
	}
	if ok && c.Flash != "" {
		return a.errf("params= and flash= both give the partition table (a flash file carries its own); use one")
	}
	for _, f := range []struct {
		key string
		s   *emulator.Scheme
	}{{"flashboot-scheme", &b.FlashbootScheme}, {"app-scheme", &b.AppScheme}} {
		v, ok, err := a.optional(f.key)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if *f.s, err = emulator.ParseScheme(v); err != nil {
			return a.errf("%s=%q: want ab or compress", f.key, v)
		}
	}
	return nil
}

// appAB reports whether the device's app is built for the AB scheme.
func (c *DeviceCmd) appAB() bool {
	switch c.DeviceBuild.AppScheme {
	case emulator.SchemeAB:
		return true
	case emulator.SchemeCompress:
		return false
	}
	return c.Layout == partition.LayoutAB
}

// deviceBuild applies the build settings to the emulator configuration.
func (r *Runner) deviceBuild(c *DeviceCmd, cfg *emulator.Config) error {
	b := c.DeviceBuild
	cfg.FlashbootScheme, cfg.AppScheme = b.FlashbootScheme, b.AppScheme
	if b.Params == "" {
		return nil
	}
	t, err := partition.LoadJSONFile(r.path(b.Params))
	if err != nil {
		return fmt.Errorf("params=%s: %w", b.Params, err)
	}
	cfg.Table = &t
	return nil
}

// parsePart reads burn's part=P: burn one image's bytes into partition P
// (by name or number, customer ids 0x30..0x3F included), as the burn tool
// writes any file to any partition of the table.
func (c *BurnCmd) parsePart(a *args) error {
	v, ok, err := a.optional("part")
	if err != nil || !ok {
		return err
	}
	if c.Part, err = partition.ParseID(v); err != nil {
		return a.errf("part=%q: %v", v, err)
	}
	c.HasPart = true
	return nil
}
