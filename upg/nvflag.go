package upg

// The NV image's retry bytes (nv_flag, docs/sdk-mapping.md §3.3) as the app's NV upgrade
// task (nv_upg_upgrade_task_process, docs/sdk-mapping.md §4.7) drives them through
// upg_set_firmware_update_status: flashboot only records where the NV
// data is and marks nv_flag STARTED; the app marks each attempt STARTED,
// and FINISHED (00 00 00) on success or consumes the attempt (0x0F → 0x00)
// on failure. Writes go through the flag-write path, so traces show them.

// NVStatus is the NV image's state from nv_flag
// (upg_get_image_update_status for UPG_IMAGE_ID_NV).
func (u *Upg) NVStatus() (ImageStatus, error) {
	f, err := u.ReadFlag()
	if err != nil {
		return ImageInvalid, err
	}
	return RetryStatus(f.NVFlag), nil
}

// MarkNVStarted marks the attempt started: the first non-zero retry byte,
// if 0xFF, becomes 0x0F (UPG_IMAGE_STATUS_SWITCH_TO_STARTED). An attempt
// already started (a resumed one) is left as it is.
func (u *Upg) MarkNVStarted() error {
	f, err := u.ReadFlag()
	if err != nil {
		return err
	}
	_, err = u.setRetry(flagOffNVFlag, &f.NVFlag, switchStarted)
	return err
}

// FinishNV marks the NV image finished: nv_flag 00 00 00
// (UPG_IMAGE_STATUS_SWITCH_TO_FINISHED).
func (u *Upg) FinishNV() error {
	f, err := u.ReadFlag()
	if err != nil {
		return err
	}
	_, err = u.setRetry(flagOffNVFlag, &f.NVFlag, switchFinished)
	return err
}

// FailNV consumes the started attempt: the first non-zero retry byte, if
// 0x0F, becomes 0x00 (UPG_IMAGE_STATUS_SWITCH_TO_RETRY). last reports that
// it was the third attempt; nv_flag then reads 00 00 00, which the next
// start-up takes for FINISHED: the NV upgrade is given up.
func (u *Upg) FailNV() (last bool, err error) {
	f, err := u.ReadFlag()
	if err != nil {
		return false, err
	}
	return u.setRetry(flagOffNVFlag, &f.NVFlag, switchRetry)
}
