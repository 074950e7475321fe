package partition_test

import (
	"bytes"
	"fmt"

	"github.com/ws63emu/ws63emu/partition"
)

// The app finds the FOTA partition the way uapi_upg_get_storage_size does:
// the package may use the partition minus the 12 KiB (status, buffer and
// flag pages) at its end.
func Example() {
	tbl := partition.Default(partition.LayoutCompress)
	fota, err := tbl.Lookup(partition.FotaData)
	if err != nil {
		fmt.Println(err)
		return
	}
	const flagAreaLen = 3 * partition.SectorSize // UPG_UPGRADE_FLAG_LENGTH
	fmt.Printf("%s: 0x%06X..0x%06X (%d KiB)\n", fota.ID, fota.Offset, fota.End()-1, fota.Size/1024)
	fmt.Printf("storage size: %d bytes, flag page at 0x%06X\n", fota.Size-flagAreaLen, fota.End()-partition.SectorSize)

	_, err = tbl.Lookup(0x22)
	fmt.Printf("%v -> 0x%08X\n", err, partition.Code(err))
	// Output:
	// fota: 0x270000..0x3F2FFF (1548 KiB)
	// storage size: 1572864 bytes, flag page at 0x3F2000
	// partition: partition not found (ERRCODE_PARTITION_CONFIG_NOT_FOUND): 0x22 -> 0x80003003
}

// The AB layout splits imageA and imageB evenly; 0x21 is named imageB there.
func ExampleDefault_ab() {
	tbl := partition.Default(partition.LayoutAB)
	for _, id := range []partition.ID{partition.ImageA, partition.ImageB, partition.Reserve0} {
		e, _ := tbl.Lookup(id)
		fmt.Printf("%-6s 0x%06X +0x%06X\n", id.Name(partition.LayoutAB), e.Offset, e.Size)
	}
	// Output:
	// imageA 0x030000 +0x1E1000
	// imageB 0x211000 +0x1E1000
	// rsv0   0x3F2000 +0x009000
}

// A factory params blob: the table at 0x380 behind its signed key area and
// info; the zero options sign hash-only, as the SDK's shipped blob is.
func ExampleBuildParams() {
	blob, err := partition.BuildParams(partition.Default(partition.LayoutCompress), partition.ParamsOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := partition.ParseParams(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes, root key area erased: %v, hashes ok: %v %v %v\n",
		len(blob), p.Root == nil, p.KeyHashOK, p.InfoHashOK, p.TableHashOK)
	// Output:
	// 1920 bytes, root key area erased: true, hashes ok: true true true
}

// Customer partitions 0x30..0x35 share rsv0's space (guide FAQ).
func ExampleTable_WithCustom() {
	tbl := partition.Default(partition.LayoutCompress)
	tbl, err := tbl.WithCustom(partition.Reserve0, 0x3F3000, 0x4000)
	if err == nil {
		tbl, err = tbl.WithCustom(partition.Reserve1, 0x3F7000, 0x4000)
	}
	fmt.Println(err)
	_, err = tbl.WithCustom(partition.Reserve2, 0x3F8000, 0x1000)
	fmt.Println(err)
	// Output:
	// <nil>
	// partition: rsv1 (0x31) [0x3f7000,+0x4000) and rsv2 (0x32) [0x3f8000,+0x1000): partitions overlap
}
