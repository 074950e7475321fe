package scenarios

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ws63emu/ws63emu/app"
	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/nv"
)

// NV expectations (nv.go).
const (
	WhatNV     = "nv"      // expect nv KEY=VALUE|none: a key of the NV store
	WhatNVTask = "nv-task" // expect nv-task OUTCOME: what the app's start-up NV task did
)

// nvTaskOutcomes are the values of expect nv-task: app.NVOutcome, and
// "none" when no app runs.
var nvTaskOutcomes = []string{
	string(app.NVNotNeeded), string(app.NVUpgraded), string(app.NVFailed), string(app.NVGivenUp),
	string(app.NVNoFlag), "not-run", "none",
}

// NV key attribute words of nv-set.
const (
	attrNonUpgrade = "non-upgrade"
	attrPermanent  = "permanent"
)

// NVValue is one KEY=VALUE of nv-set.
type NVValue struct {
	ID    uint16
	Value []byte
}

// NVSetCmd is `nv-set [non-upgrade] [permanent] KEY=VALUE...`: the app
// writes NV keys (uapi_nv_write_with_attr), as a user's setting would be
// saved. Each key written without a power cut is registered as user data
// (emulator.Device.ExpectNVKeys): the verdict is nv-lost if it later goes
// missing or changes. A plain key is upgradable, so an NV image carrying
// the same id replaces it; non-upgrade protects it.
type NVSetCmd struct {
	line
	Attr nv.Attr
	Keys []NVValue
}

func (c *NVSetCmd) String() string {
	s := "nv-set"
	if c.Attr&nv.NonUpgrade != 0 {
		s += " " + attrNonUpgrade
	}
	if c.Attr&nv.Permanent != 0 {
		s += " " + attrPermanent
	}
	for _, k := range c.Keys {
		s += fmt.Sprintf(" 0x%04x=%s", k.ID, formatNVValue(k.Value))
	}
	return s
}

// formatNVValue writes a value as text when every byte is printable
// ASCII other than '|' (and it does not start with "0x"), else as 0x and
// hex digits: parseNVValue reads either back.
func formatNVValue(v []byte) string {
	text := len(v) > 0 && !strings.HasPrefix(string(v), "0x")
	for _, c := range v {
		if c <= ' ' || c > '~' || c == '|' {
			text = false
			break
		}
	}
	if text {
		return string(v)
	}
	return "0x" + hex.EncodeToString(v)
}

// parseNVValue reads a VALUE: 0x followed by hex digits, or text.
func parseNVValue(s string) ([]byte, error) {
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%q: want 0x and an even number of hex digits, or text", s)
		}
		return b, nil
	}
	if s == "" {
		return nil, fmt.Errorf("empty value")
	}
	return []byte(s), nil
}

func parseNVKey(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 0, 16)
	if err != nil {
		return 0, fmt.Errorf("key %q: want a 16-bit key id (e.g. 0x0100)", s)
	}
	return uint16(v), nil
}

func (p *parser) nvSet(a *args) (Command, error) {
	c := &NVSetCmd{line: line{a.n}}
	for _, w := range a.pos {
		switch w {
		case attrNonUpgrade:
			c.Attr |= nv.NonUpgrade
		case attrPermanent:
			c.Attr |= nv.Permanent
		default:
			return nil, a.errf("%q: want non-upgrade, permanent or KEY=VALUE", w)
		}
	}
	if len(a.keys) == 0 {
		return nil, a.errf("needs KEY=VALUE")
	}
	for _, k := range a.keys {
		a.used[k] = true
		id, err := parseNVKey(k)
		if err != nil {
			return nil, a.errf("%v", err)
		}
		v, err := parseNVValue(a.vals[k])
		if err != nil {
			return nil, a.errf("key %s: %v", k, err)
		}
		if len(v) > nv.MaxValueLen {
			return nil, a.errf("key %s: %d bytes, at most %d", k, len(v), nv.MaxValueLen)
		}
		if slices.ContainsFunc(c.Keys, func(x NVValue) bool { return x.ID == id }) {
			return nil, a.errf("key 0x%04x given twice", id)
		}
		c.Keys = append(c.Keys, NVValue{ID: id, Value: v})
	}
	return c, nil
}

// expectNV parses `expect nv KEY=VALUE[|VALUE...]` (VALUE or none).
func (p *parser) expectNV(a *args, c *ExpectCmd) (Command, error) {
	if len(a.pos) != 1 || len(a.keys) != 1 {
		return nil, a.errf("nv takes one KEY=VALUE")
	}
	c.Image = a.keys[0]
	a.used[c.Image] = true
	if _, err := parseNVKey(c.Image); err != nil {
		return nil, a.errf("nv: %v", err)
	}
	for _, v := range strings.Split(a.vals[c.Image], "|") {
		if v != "none" {
			if _, err := parseNVValue(v); err != nil {
				return nil, a.errf("nv %s: %v", c.Image, err)
			}
		}
		c.Want = append(c.Want, v)
	}
	return c, nil
}

func checkNVTaskValue(v string) error {
	if !slices.Contains(nvTaskOutcomes, v) {
		return fmt.Errorf("want one of %s", strings.Join(nvTaskOutcomes, ", "))
	}
	return nil
}

// synthesizeNV makes a synthetic NV image: real NV pages
// (nv.Synthetic(nv.SyntheticKeys(version, seed, size))).
func (r *Runner) synthesizeNV(b *builtImage, seed uint64) error {
	size := b.decl.Size
	if size == 0 {
		size = DefaultNVSize
	}
	var err error
	if b.data, err = nv.Synthetic(nv.SyntheticKeys(b.decl.Version, seed, size)); err != nil {
		return err
	}
	r.register(b.decl.Name, b.data)
	return nil
}

// nvSet runs nv-set on the running app; every key written is registered
// as user data.
func (r *Runner) nvSet(c *NVSetCmd) error {
	return r.appCall(c, "nv-set", func(a *app.App) error {
		for _, k := range c.Keys {
			if err := a.NVWrite(k.ID, k.Value, c.Attr); err != nil {
				return err
			}
			r.dev.ExpectNVKeys(map[uint16][]byte{k.ID: k.Value})
		}
		return nil
	})
}

// observeNV reads one key of the NV store (from a snapshot).
func (r *Runner) observeNV(c *ExpectCmd) (string, bool) {
	id, _ := parseNVKey(c.Image)
	reg, err := r.dev.NVRegion()
	if err != nil {
		return "the NV store does not parse: " + err.Error(), false
	}
	k, ok := reg.Get(id)
	if !ok {
		return "none", slices.Contains(c.Want, "none")
	}
	seen := formatNVValue(k.Value)
	match := false
	for _, w := range c.Want {
		if v, err := parseNVValue(w); err == nil && w != "none" && string(v) == string(k.Value) {
			match = true
		}
	}
	if k.Attr != 0 {
		seen += " (" + k.Attr.String() + ")"
	}
	return seen, match
}

// observeNVTask reports what the running app's NV task did at start-up.
func (r *Runner) observeNVTask(c *ExpectCmd) (string, bool) {
	a := r.dev.App()
	if r.dev.State() != emulator.Running || a == nil {
		return "none", slices.Contains(c.Want, "none")
	}
	v := string(a.NV.Outcome)
	if a.NV.Outcome == app.NVNotRun {
		v = "not-run"
	}
	seen := v
	switch m := a.NV.Merge; {
	case a.NV.Err != nil:
		seen += fmt.Sprintf(" (%v)", a.NV.Err)
	case a.NV.Outcome == app.NVUpgraded:
		seen += fmt.Sprintf(" (%d keys written, %d unchanged, kept %s)", len(m.Written), m.Unchanged, keyList(m.Protected))
	}
	return seen, slices.Contains(c.Want, v)
}

func keyList(ids []uint16) string {
	if len(ids) == 0 {
		return "none"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprintf("0x%04x", id)
	}
	return strings.Join(s, " ")
}
