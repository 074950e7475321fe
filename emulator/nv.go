package emulator

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/ws63emu/ws63emu/nv"
	"github.com/ws63emu/ws63emu/partition"
)

// ExpectNVKeys registers user NV data: keys the user wrote (a Wi-Fi
// network, say) and their values. From now on Verdict is nv-lost when any
// of them is missing from the NV store (partition 0x10) or holds another
// value — the one verdict a device that boots and runs the new app can
// still deserve. Later registrations of a key replace earlier ones. The
// registrations live in the device's configuration, so a device a sweep
// resumes after a cut (AfterCut) keeps them.
func (d *Device) ExpectNVKeys(keys map[uint16][]byte) {
	m := maps.Clone(d.cfg.UserNV) // copy on write: devices forked earlier keep theirs
	if m == nil {
		m = map[uint16][]byte{}
	}
	for id, v := range keys {
		m[id] = bytes.Clone(v)
	}
	d.cfg.UserNV = m
}

// NVRegion reads and parses the NV data partition (0x10) from a snapshot
// of the flash: it costs no simulated time and works while the device is
// off.
func (d *Device) NVRegion() (*nv.Region, error) {
	snap := d.Flash.View() // read at once: no copy-on-write marks
	t, err := partition.ParseFlash(snap)
	if err != nil {
		return nil, err
	}
	e, err := t.Lookup(partition.NVData)
	if err != nil {
		return nil, err
	}
	return nv.ParseRegion(io.NewSectionReader(snap, int64(e.Offset), int64(e.Size)), int64(e.Size))
}

// NVLost reports whether registered user NV data (ExpectNVKeys) is gone
// or changed, and says which keys, in key order. A device with nothing
// registered never loses NV data.
func (d *Device) NVLost() (bool, string) {
	if len(d.cfg.UserNV) == 0 {
		return false, ""
	}
	reg, err := d.NVRegion()
	if err != nil {
		return true, "the NV store does not parse: " + err.Error()
	}
	var why []string
	for _, id := range slices.Sorted(maps.Keys(d.cfg.UserNV)) {
		k, ok := reg.Get(id)
		switch {
		case !ok:
			why = append(why, fmt.Sprintf("key 0x%04x missing", id))
		case !bytes.Equal(k.Value, d.cfg.UserNV[id]):
			why = append(why, fmt.Sprintf("key 0x%04x = %q, the user wrote %q", id, k.Value, d.cfg.UserNV[id]))
		}
	}
	if len(why) == 0 {
		return false, ""
	}
	return true, strings.Join(why, "; ")
}

// ContentNV is the Content of a PartitionReport holding an NV store (see
// PartitionReport.NV).
const ContentNV = "nv"

// NVReport is an NV region (the NV data partition 0x10, or the NV backup
// partition 0x09) as the SDK's KV library reads it: its pages and the
// store's keys.
type NVReport struct {
	Store   uint16         `json:"store"`      // the store shown: 0x254D application, 0x34B2 backup
	Pages   []NVPageReport `json:"pages"`      // physical order
	Keys    []NVKeyReport  `json:"keys"`       // as a reader sees them: first valid instance per id, store order
	Valid   int            `json:"valid"`      // instances, over the store's live pages
	Invalid int            `json:"invalid"`    // superseded or deleted
	Corrupt int            `json:"corrupt"`    // failing their CRC (torn writes, bit flips)
	Free    int            `json:"free_bytes"` // after the last key of each live page
}

// NVPageReport is one physical page.
type NVPageReport struct {
	Page  int    `json:"page"`            // physical index in the partition
	State string `json:"state"`           // "live", "superseded", "no header" (erased, torn or foreign)
	Store uint16 `json:"store,omitempty"` // header fields, when the header is valid
	Index uint8  `json:"index"`
	Seq   uint32 `json:"seq"`
	Keys  int    `json:"keys"` // key instances found
	End   int    `json:"end"`  // first writable offset
}

// NVKeyReport is one key.
type NVKeyReport struct {
	ID    uint16 `json:"id"`
	Len   int    `json:"len"`
	Attr  string `json:"attr"`  // "normal", "non-upgrade", "permanent", …
	Value string `json:"value"` // text when printable, else hex; cut after 32 bytes
}

// InspectNV decodes an NV region (whole pages); the backup partition's
// store is StoreBackup, any other's StoreApp.
func InspectNV(part []byte, id partition.ID) (*NVReport, error) {
	n := len(part) &^ (nv.PageSize - 1)
	reg, err := nv.ParseRegion(bytes.NewReader(part[:n]), int64(n))
	if err != nil {
		return nil, err
	}
	rep := &NVReport{Store: nv.StoreApp, Pages: []NVPageReport{}, Keys: []NVKeyReport{}}
	if id == partition.NVBackup {
		rep.Store = nv.StoreBackup
	}
	for i, p := range reg.Pages {
		pr := NVPageReport{Page: i, State: "no header"}
		if p != nil {
			pr.State = "superseded"
			if reg.Live(i) {
				pr.State = "live"
			}
			pr.Store, pr.Index, pr.Seq, pr.Keys, pr.End = p.Header.StoreID, p.Header.Index, p.Header.Seq, len(p.Entries), p.End
		}
		rep.Pages = append(rep.Pages, pr)
	}
	s := reg.Summarize(rep.Store)
	rep.Valid, rep.Invalid, rep.Corrupt, rep.Free = s.Valid, s.Invalid, s.Corrupt, s.Free
	for _, k := range reg.Keys(rep.Store) {
		rep.Keys = append(rep.Keys, NVKeyReport{ID: k.ID, Len: len(k.Value), Attr: k.Attr.String(), Value: nvValueText(k.Value)})
	}
	return rep, nil
}

// nvValueText shows a value as text when it is printable ASCII, else as
// hex, cut after 32 bytes.
func nvValueText(v []byte) string {
	cut := ""
	if len(v) > 32 {
		v, cut = v[:32], "…"
	}
	for _, c := range v {
		if c < ' ' || c > '~' {
			return "0x" + hex.EncodeToString(v) + cut
		}
	}
	return fmt.Sprintf("%q", v) + cut
}

// nv fills the report of an NV partition (hook of Inspect).
func (in *Inspection) nv(pr *PartitionReport, e partition.Entry, part []byte) {
	rep, err := InspectNV(part, e.ID)
	if err != nil {
		pr.Content, pr.Note = ContentGarbage, err.Error()
		return
	}
	pr.Content, pr.NV = ContentNV, rep
	if e.ID == partition.NVData && rep.Corrupt > 0 {
		in.warn("%s: %d NV key instance(s) fail their CRC (torn writes or bit flips); a key written right behind a torn header can be hidden from readers", e.ID, rep.Corrupt)
	}
}
