package upg

import (
	"errors"
	"io"

	"github.com/ws63emu/ws63emu/partition"
)

// chunkLen is the engine's copy and decode step (4 KiB, as on the device).
const chunkLen = 0x1000

// Start is uapi_upg_start, the local upgrade flashboot runs (docs/sdk-mapping.md §4.2):
// verify the package on first entry, then for each image in package order
// mark it STARTED, re-verify it, erase its partition and copy or decompress
// it, and mark it FINISHED or consume a retry; finally write complete_flag
// and update_result as the SDK does. It returns the processing result.
func (u *Upg) Start() error {
	if !u.inited {
		// Still a direct finish (upg_process.c end:): with a pending
		// upgrade, update_result gets the temporary result, which is
		// UPDATE_SUCCESS before uapi_upg_init, and complete_flag 0 — the
		// upgrade is cancelled and recorded as a success (docs/sdk-mapping.md §4.2 step
		// 1). It needs only the partition table.
		if f, err := u.ReadFlag(); err == nil {
			if err := u.setComplete(f, 0, ErrcodeUpgNotInit, true); err != nil {
				return err
			}
		}
		return ErrcodeUpgNotInit
	}
	f, err := u.ReadFlag()
	if err != nil {
		return err
	}
	if !f.UpgradeNeeded() {
		// The SDK still runs upg_set_complete_flag as a direct finish; it
		// only writes when complete_flag is not already 0 (bad magics).
		u.result = ResultMax
		if err := u.setComplete(f, len(f.FirmwareFlag), nil, true); err != nil {
			return err
		}
		return ErrcodeUpgNotNeedToUpdate
	}
	r, size, err := u.packageReader()
	if err != nil {
		return err
	}
	p, ret, direct := u.startChecks(f, r, size)
	if direct {
		if err := u.setComplete(f, 0, ret, true); err != nil {
			return err
		}
		return ret
	}
	imageNum := len(p.Nodes)
	if ret == nil {
		ret = u.processImages(f, p, r, size)
	}
	// Re-read: processing wrote the retry bytes.
	f2, err := u.ReadFlag()
	if err != nil {
		return err
	}
	if err := u.setComplete(f2, imageNum, ret, false); err != nil {
		return err
	}
	return ret
}

// startChecks is steps 2–4 of uapi_upg_start. direct reports a failure that
// ends the upgrade at once (no retry is consumed).
func (u *Upg) startChecks(f *Flag, r io.ReaderAt, size int64) (p *Package, ret error, direct bool) {
	fw := int(f.FirmwareNum)
	first := true
	for i := 0; i < fw && i < MaxImages; i++ {
		if f.FirmwareFlag[i] != [3]byte{0xFF, 0xFF, 0xFF} {
			first = false
			break
		}
	}
	var err error
	if first {
		p, err = u.VerifyStored()
		if err != nil {
			u.result = resultOf(err, ResultVerifyHeadFailed)
			return nil, err, true
		}
	} else {
		p, err = ReadPackage(r, size)
		if err != nil {
			u.result = ResultVerifyHeadFailed
			return nil, err, true
		}
	}
	// Progress totals over the non-NV images (step 3).
	var total, done uint64
	fwi := 0
	for i, n := range p.Nodes {
		if n.ImageID == ImageIDNV {
			continue
		}
		if fwi < MaxImages {
			total += uint64(p.Headers[i].NewImageLen)
			if RetryStatus(f.FirmwareFlag[fwi]) == ImageFinished {
				done += uint64(p.Headers[i].NewImageLen)
			}
		}
		fwi++
	}
	u.progTotal, u.progDone, u.progLast = total, done, 0 // the SDK's last percent starts at 0
	n := len(p.Nodes)
	if !(fw == n || fw == n-1) || fw > MaxImages {
		return p, ErrcodeUpgWrongImageNum, false
	}
	return p, nil, false
}

// resultOf returns the upg_result_t a verification error carries.
func resultOf(err error, def Result) Result {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve.Result
	}
	return def
}

// processImages is step 5: each image in hash-table order.
func (u *Upg) processImages(f *Flag, p *Package, r io.ReaderAt, size int64) (ret error) {
	fwi := -1
	for i, n := range p.Nodes {
		isNV := n.ImageID == ImageIDNV
		if !isNV {
			fwi++
		}
		if _, ok := u.opt.ImagePartitions[n.ImageID]; !ok && !isNV {
			continue // outside the accepted set: silently skipped
		}
		h := p.Headers[i]
		if isNV {
			if RetryStatus(f.NVFlag) == ImageFinished {
				continue
			}
			// upg_perform_nv_task's result does not stop the loop; it is
			// the loop's result unless a later image is processed.
			ret = u.recordNV(f, p, i)
			u.kick()
			continue
		}
		if fwi >= MaxImages || RetryStatus(f.FirmwareFlag[fwi]) == ImageFinished {
			continue
		}
		off := uint32(flagOffFirmwareFlag + 3*fwi)
		if _, err := u.setRetry(off, &f.FirmwareFlag[fwi], switchStarted); err != nil {
			return err
		}
		u.phase("image " + ImageName(n.ImageID))
		err := u.verifier().VerifyImage(r, size, p, i)
		u.chargeVerify(p, i)
		if err == nil {
			err = u.applyImage(h)
		}
		sw := switchFinished
		if err != nil {
			sw = switchRetry // consume the attempt and stop processing further images
		}
		last, werr := u.setRetry(off, &f.FirmwareFlag[fwi], sw)
		if last {
			// The SDK's check fires on the third byte whether the attempt
			// failed or succeeded (upg_set_firmware_update_status).
			u.result = ResultRetryAllFailed
		}
		// upg_perform_upgrade_task returns the task's own error if it
		// failed, else the status write's result: a successful third
		// attempt returns ERRCODE_UPG_RETRY_ALL_FAIL. Either stops the loop.
		switch {
		case err != nil:
			return err
		case werr != nil:
			return werr
		case last:
			return ErrcodeUpgRetryAllFail
		}
		ret = nil
		u.kick()
	}
	return ret
}

// recordNV records where the NV image is for the app's NV task and marks
// nv_flag STARTED; no NV data is touched by flashboot.
func (u *Upg) recordNV(f *Flag, p *Package, i int) error {
	h := p.Headers[i]
	// nv_data_offset, nv_data_len, nv_hash_offset, nv_hash_len: one write.
	var rec []byte
	for _, v := range []uint32{h.ImageOffset, align16(h.ImageLen), p.Nodes[i].ImageAddr + 16, 32} {
		rec = append(rec, le32(v)...)
	}
	if err := u.writeFlag(flagOffNVDataOffset, rec); err != nil {
		return err
	}
	if _, err := u.setRetry(flagOffNVFlag, &f.NVFlag, switchStarted); err != nil {
		return err
	}
	return nil
}

func align16(n uint32) uint32 { return (n + 15) &^ 15 }

// applyImage runs the full or compressed task for one image header.
func (u *Upg) applyImage(h ImageHeader) error {
	pid := u.opt.ImagePartitions[h.ImageID]
	e, err := u.table.Lookup(pid)
	if err != nil {
		return ErrcodePartitionConfigNotFound
	}
	fe, err := u.fota()
	if err != nil {
		return err
	}
	src := fe.Offset + h.ImageOffset
	if h.DecompressFlag == FlagLZMA {
		return u.compressTask(h, e, src)
	}
	return u.fullTask(h, e, src)
}

// fullTask is upg_erase_whole_image then uapi_upg_full_image_update (spec
// §4.3): erase the whole partition first, and only then check that
// image_len fits it (ERRCODE_FAIL: a raw image larger than its partition
// leaves it erased); then copy image_len bytes in 4 KiB chunks to its
// start, as stored: there is no decryption or re-encryption step on this
// path (§4.8).
func (u *Upg) fullTask(h ImageHeader, e partition.Entry, src uint32) error {
	if err := u.eraseTarget(e); err != nil {
		return err
	}
	n := h.ImageLen
	if n > e.Size {
		return ErrcodeFail
	}
	return u.writeImage(h, e, n, "copy", func(off uint32, buf []byte) error {
		if _, err := u.flash.ReadAt(buf, int64(src+off)); err != nil {
			return flashErr(err, ErrcodeFail)
		}
		return nil
	})
}

// eraseTarget erases the whole target partition first, as the SDK does
// with UPG_CFG_SUPPORT_ERASE_WHOLE_IMAGE.
func (u *Upg) eraseTarget(e partition.Entry) error {
	u.phase("erase " + e.ID.String())
	if err := u.flash.EraseRange(e.Offset, e.Size); err != nil {
		return sfcErr(err)
	}
	return nil
}

// writeImage writes n bytes to the start of partition e in 4 KiB chunks,
// each filled by fill (a copy from the package or the LZMA decoder's
// output), programmed without erase, with the watchdog kicked and progress
// advanced per chunk. The decompress path (phase "decompress") also
// re-encrypts each chunk when the image asks for it (upg_lzma_write_image,
// docs/sdk-mapping.md §4.8), and reports a flash write failure as the decode loop does,
// ERRCODE_UPG_DECOMPRESS_FAIL; the copy path passes the driver's code up.
func (u *Upg) writeImage(h ImageHeader, e partition.Entry, n uint32, phase string, fill func(off uint32, buf []byte) error) error {
	u.phase(phase + " " + e.ID.String())
	decompress := phase == "decompress"
	buf := make([]byte, chunkLen)
	for done := uint32(0); done < n; {
		c := min(chunkLen, n-done)
		if err := fill(done, buf[:c]); err != nil {
			return err
		}
		if decompress {
			if err := u.encryptChunk(h, done, buf[:c]); err != nil {
				return err
			}
		}
		if err := u.flash.Program(e.Offset+done, buf[:c]); err != nil {
			if decompress {
				return &flashError{code: ErrcodeUpgDecompressFail, err: err}
			}
			return sfcErr(err)
		}
		done += c
		u.kick()
		u.advance(uint64(c))
	}
	return nil
}

// advance adds finished bytes and calls the progress callback when the
// integer percentage changes.
func (u *Upg) advance(n uint64) {
	u.progDone += n
	if u.progTotal == 0 || u.progress == nil {
		return
	}
	pct := uint32(u.progDone * 100 / u.progTotal)
	if pct != u.progLast {
		u.progLast = pct
		u.progress(pct)
	}
}

// setComplete is upg_set_complete_flag (docs/sdk-mapping.md §4.2 step 6).
func (u *Upg) setComplete(f *Flag, imageNum int, ret error, direct bool) error {
	// update_result first, then complete_flag: a cut between the two
	// leaves the upgrade pending, and the next boot writes both again.
	write := func(result Result) error {
		if err := u.writeFlagU32(flagOffUpdateResult, uint32(result)); err != nil {
			return err
		}
		return u.writeFlagU32(flagOffCompleteFlag, completeFinished)
	}
	if direct {
		if f.CompleteFlag != completeFinished {
			return write(u.result)
		}
		return nil
	}
	all := true
	for i := 0; i < int(f.FirmwareNum) && i < MaxImages; i++ {
		if f.FirmwareFlag[i] != [3]byte{} {
			all = false
			break
		}
	}
	switch {
	case all && (int(f.FirmwareNum) == imageNum || f.NVFlag[0] == retryStarted):
		if ret == nil {
			return write(ResultUpdateSuccess)
		}
		return write(u.result)
	case ret == nil:
		if f.CompleteFlag == completeHalf {
			return nil // already marked half done
		}
		return u.writeFlagU32(flagOffCompleteFlag, completeHalf)
	case u.result == ResultRetryAllFailed:
		return write(ResultRetryAllFailed)
	}
	return nil // an image failed with retries left: the next boot retries
}
