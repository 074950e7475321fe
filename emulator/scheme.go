package emulator

import (
	"fmt"

	"github.com/ws63emu/ws63emu/partition"
)

// Scheme is the upgrade scheme a program is built for: menuconfig's
// "FOTA for AB" (CONFIG_MIDDLEWARE_SUPPORT_UPG_AB) on or off. The guide
// has flashboot and the app built the same way; Config.FlashbootScheme and
// Config.AppScheme let a scenario build them differently to show what
// happens then.
type Scheme uint8

// Schemes.
const (
	SchemeLayout   Scheme = iota // the layout's: AB for LayoutAB, compress otherwise
	SchemeCompress               // FOTA for AB off: package in 0x21, flashboot applies it
	SchemeAB                     // FOTA for AB on: upg_ab_*, flashboot boots the run region
)

func (s Scheme) String() string {
	switch s {
	case SchemeLayout:
		return "layout"
	case SchemeCompress:
		return "compress"
	case SchemeAB:
		return "ab"
	}
	return fmt.Sprintf("Scheme(%d)", uint8(s))
}

// ParseScheme parses "compress" or "ab".
func ParseScheme(s string) (Scheme, error) {
	switch s {
	case "compress":
		return SchemeCompress, nil
	case "ab":
		return SchemeAB, nil
	}
	return 0, fmt.Errorf("emulator: unknown scheme %q (want compress or ab)", s)
}

// BuiltAB reports whether program p is built for the AB scheme: its
// Config scheme, or the layout's when that is SchemeLayout.
func (d *Device) BuiltAB(p Program) bool {
	s := d.cfg.AppScheme
	if p == ProgFlashboot {
		s = d.cfg.FlashbootScheme
	}
	switch s {
	case SchemeCompress:
		return false
	case SchemeAB:
		return true
	}
	return d.cfg.Layout == partition.LayoutAB
}
