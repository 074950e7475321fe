package upg_test

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/upg"
)

// Pack a package as `build_ws63_update.py --pkt app --ver 1.2.3` does
// with the older hash-only fota.cfg, then verify it as the device does
// (uapi_upg_verify_file) and list its images.
func Example() {
	app, _ := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "1.2.3", Seed: 1}, 8000, nil)
	boot, _ := image.Synthetic(image.Ident{Kind: image.KindFlashboot, Version: "1.2.3", Seed: 1}, 4000, nil)

	pkg, err := upg.Pack(upg.PackOptions{
		Config:    upg.DefaultConfig(upg.SignSHA256),
		Pkt:       []string{"app"}, // boot is always added
		Ver:       "1.2.3",
		App:       app,
		Flashboot: boot,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v := &upg.Verifier{} // hash-only packages need no root key
	p, err := v.VerifyFile(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("version %q, %d images\n", p.Version(), len(p.Nodes))
	for i, h := range p.Headers {
		fmt.Printf("%d %-11s offset 0x%X compressed=%v original %d bytes\n", i, upg.ImageName(h.ImageID), p.Nodes[i].ImageAddr, h.Compressed(), h.NewImageLen)
	}

	// One flipped bit in the flashboot data: the device rejects the package.
	pkg[len(pkg)-20] ^= 1
	_, err = v.VerifyFile(bytes.NewReader(pkg), int64(len(pkg)))
	var ve *upg.VerifyError
	if errors.As(err, &ve) {
		fmt.Println(ve.Step, ve.Image, ve.Result, upg.Code(err).String())
	}
	// Output:
	// version "1.2.3", 2 images
	// 0 application offset 0x260 compressed=true original 8768 bytes
	// 1 flashboot   offset 0x17B0 compressed=true original 4768 bytes
	// image 1 VERIFY_IMAGE_FAILED ERRCODE_FAIL
}
