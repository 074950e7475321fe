package upg_test

import (
	"fmt"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/sfc"
	"github.com/ws63emu/ws63emu/upg"
)

// The guide's two call sequences on one flash: the app stores a package
// (升级包保存 / 编程实例) and flashboot applies it (升级包本地升级 / 编程实例).
func Example_callSequence() {
	app, _ := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0", Seed: 2}, 20000, nil)
	boot, _ := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "2.0", Seed: 2}, 6000, nil)
	pkg, _ := upg.Pack(upg.PackOptions{Config: upg.DefaultConfig(upg.SignSHA256), App: app, Flashboot: boot, Ver: "2.0"})

	chip := sfc.New(flash.New()) // the programs reach the chip through the SFC driver (uapi_sfc_reg_*)
	table := partition.Default(partition.LayoutCompress)

	// --- the app: storage side ---
	a := upg.New(chip, table, upg.Options{})
	fmt.Println("uapi_upg_init:", upg.Code(a.Init()).String())
	fmt.Println("uapi_upg_get_storage_size:", a.StorageSize())
	fmt.Println("uapi_upg_prepare:", upg.Code(a.Prepare(uint32(len(pkg)))).String())
	for off := 0; off < len(pkg); off += 0x1000 {
		end := min(off+0x1000, len(pkg))
		if err := a.WritePackageSync(uint32(off), pkg[off:end]); err != nil {
			fmt.Println("uapi_upg_write_package_sync:", upg.Code(err).String())
			return
		}
	}
	fmt.Println("uapi_upg_write_package_sync: all chunks written")
	fmt.Println("uapi_upg_request_upgrade:", upg.Code(a.RequestUpgrade()).String())
	// ... the app resets the chip ...

	// --- flashboot: local-upgrade side ---
	fb := upg.New(chip, table, upg.Options{})
	fmt.Println("uapi_upg_init:", upg.Code(fb.Init()).String(), "status", fb.Status())
	var progress []uint32
	fb.RegisterProgressCallback(func(p uint32) { progress = append(progress, p) })
	fmt.Println("uapi_upg_start:", upg.Code(fb.Start()).String())
	fmt.Println("progress callbacks:", progress)
	result, _, _ := fb.Result()
	fmt.Println("uapi_upg_get_result:", result)
	// ... flashboot resets; on the next boot the result is reported once ...
	next := upg.New(chip, table, upg.Options{})
	next.Init()
	fmt.Println("next boot status:", next.Status())

	// Output:
	// uapi_upg_init: ERRCODE_SUCC
	// uapi_upg_get_storage_size: 1572864
	// uapi_upg_prepare: ERRCODE_SUCC
	// uapi_upg_write_package_sync: all chunks written
	// uapi_upg_request_upgrade: ERRCODE_SUCC
	// uapi_upg_init: ERRCODE_SUCC status UPDATING
	// uapi_upg_start: ERRCODE_SUCC
	// progress callbacks: [24 48 74 75 100]
	// uapi_upg_get_result: UPDATE_SUCCESS
	// next boot status: SUCC
}
