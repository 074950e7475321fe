package upg_test

import (
	"fmt"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// The guide's AB example (AB面升级 / 开发实例) on a factory-new AB device:
// the first read of the run region repairs the erased config page, the
// upgrade region is erased and written, the run region switches; asking
// for the region already running is refused.
func ExampleUpg_ABStart() {
	f := flash.New()
	u := upg.New(f, partition.Default(partition.LayoutAB), upg.Options{AB: true})
	_ = u.Init()
	l, _ := u.ABLayout()
	fmt.Printf("A 0x%06X+0x%X, B 0x%06X+0x%X, config page 0x%06X\n", l.AAddr, l.ASize, l.BAddr, l.BSize, l.Config)

	region := u.UpgRegion() // repairs the erased page to {magic, A}
	fmt.Println("run", u.RunRegion(), "upgrade", region)
	if err := u.ABStart(region); err != nil { // erases region B
		fmt.Println(err)
	}
	image := []byte("a signed app image, written as it is")
	for off := 0; off < len(image); off += 16 {
		if err := u.ABImageWrite(region, uint32(off), image[off:min(off+16, len(image))]); err != nil {
			fmt.Println(err)
		}
	}
	if err := u.SetRunRegion(region); err != nil {
		fmt.Println(err)
	}
	c, _ := upg.ReadABConfig(f, partition.Default(partition.LayoutAB))
	fmt.Printf("config {0x%08X, %d}: run %v\n", c.CheckNum, c.RunRegion, u.RunRegion())

	err := u.SetRunRegion(upg.RegionB)
	fmt.Println(upg.Code(err).String())
	err = u.ABImageWrite(upg.RegionB, l.BSize-8, make([]byte, 16))
	fmt.Println(upg.Code(err).String())
	// Output:
	// A 0x030000+0x1E1000, B 0x211000+0x1E0000, config page 0x3F1000
	// run A upgrade B
	// config {0x70746C6C, 1}: run B
	// ERRCODE_INVALID_PARAM
	// ERRCODE_INVALID_PARAM
}
