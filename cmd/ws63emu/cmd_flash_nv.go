package main

import (
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/nv"
)

// nvSummary is the table line of an NV partition.
func nvSummary(r *emulator.NVReport) string {
	live := 0
	for _, p := range r.Pages {
		if p.State == "live" && p.Store == r.Store {
			live++
		}
	}
	s := fmt.Sprintf("NV store 0x%04X: %d pages, %d keys, %d bytes free", r.Store, live, len(r.Keys), r.Free)
	if r.Corrupt > 0 {
		s += fmt.Sprintf(", %d CORRUPT", r.Corrupt)
	}
	return s
}

func storeName(id uint16) string {
	switch id {
	case nv.StoreApp:
		return "application"
	case nv.StoreBackup:
		return "backup"
	case nv.StoreSCPU:
		return "scpu"
	}
	return "unknown"
}

// writeNV lists an NV partition's pages and keys.
func writeNV(w io.Writer, p *emulator.PartitionReport) {
	r := p.NV
	fmt.Fprintf(w, "\n%s (0x%02X) NV store 0x%04X (%s): %d valid, %d invalid, %d corrupt key instances, %d bytes free\n",
		p.Name, p.ID, r.Store, storeName(r.Store), r.Valid, r.Invalid, r.Corrupt, r.Free)
	for _, pg := range r.Pages {
		if pg.State == "no header" {
			fmt.Fprintf(w, "  page %d  no header (erased, torn or never used)\n", pg.Page)
			continue
		}
		fmt.Fprintf(w, "  page %d  store 0x%04X index %d seq %d  %s, %d keys, next write at 0x%03X\n",
			pg.Page, pg.Store, pg.Index, pg.Seq, pg.State, pg.Keys, pg.End)
	}
	for _, k := range r.Keys {
		fmt.Fprintf(w, "  key 0x%04X  %4d B  %-21s %s\n", k.ID, k.Len, k.Attr, k.Value)
	}
}
