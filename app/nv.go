package app

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/nv"
	"github.com/ws63emu/ws63emu/partition"
	"github.com/ws63emu/ws63emu/upg"
)

// NVOutcome is what the start-up NV upgrade task did.
type NVOutcome string

// NV task outcomes.
const (
	NVNotRun    NVOutcome = ""           // start-up did not reach the task (uapi_upg_init failed)
	NVNotNeeded NVOutcome = "not-needed" // nv_flag NOT_STARTED or FINISHED ("[NV] Not need to upgrade NV ...")
	NVUpgraded  NVOutcome = "upgraded"   // hash verified, image merged, nv_flag 00 00 00
	NVFailed    NVOutcome = "failed"     // the attempt failed and was consumed; the next start-up retries
	NVGivenUp   NVOutcome = "given-up"   // the third attempt failed: nv_flag 00 00 00, never retried
	NVNoFlag    NVOutcome = "no-flag"    // the flag area could not be read ("[NV] get upgrade flag error!")
)

// NVResult records what the NV task did at start-up.
type NVResult struct {
	Outcome NVOutcome
	// Status is nv_flag's state when the task looked at it.
	Status upg.ImageStatus
	// Err is the attempt's failure (nil when it succeeded or was not
	// needed).
	Err error
	// Merge says which keys the merge wrote and which it kept.
	Merge nv.MergeReport
}

// verifyBuf is VERIFY_BUFF_LEN: the NV task hashes and merges in 4 KiB
// steps.
const verifyBuf = 0x1000

// NVTask is nv_upg_upgrade_task_process, which main.c runs at start-up
// (docs/sdk-mapping.md §4.7). If nv_flag is STARTED (flashboot recorded the NV image, or
// an attempt was interrupted), RETRY (an attempt failed) or INVALID (a
// torn retry byte; every status but NOT_STARTED and FINISHED): mark the
// attempt STARTED, read the 32-byte hash at nv_hash_offset, check the
// SHA-256 of nv_data_len bytes at nv_data_offset (package offsets in the
// fota partition), and merge the image into the NV store (partition 0x10)
// keeping the user's keys and every permanent or non-upgradable one
// (nv.Store.Merge). Success writes nv_flag 00 00 00; failure consumes
// the attempt (0x0F → 0x00): three attempts, one per start-up. A power
// cut inside leaves nv_flag STARTED: the next start-up resumes the same
// attempt, and the merge, which skips keys already merged, converges.
// With nv_flag INVALID the STARTED and RETRY transitions write nothing
// (upg_set_firmware_update_status), so a failure consumes no attempt and
// the task runs again at every start-up; a success writes 00 over the
// torn byte and those after it.
//
// It records what it did in a.NV and returns the attempt's error (nil
// when none was needed). Its messages are the SDK's err-level logs; the
// info-level "[NV] Not need to upgrade NV ..." is not printed.
func (a *App) NVTask() error {
	a.NV = NVResult{}
	// upg_alloc_and_get_upgrade_flag
	st, err := a.upg.NVStatus()
	if err != nil {
		a.NV = NVResult{Outcome: NVNoFlag, Err: err}
		a.b.Print("[NV] get upgrade flag error!")
		return err
	}
	a.NV.Status = st
	// nv_upg.c:37-45: every status but FINISHED and NOT_STARTED runs the
	// task, INVALID (a torn nv_flag byte) included (docs/sdk-mapping.md §4.7).
	if st == upg.ImageFinished || st == upg.ImageNotStarted {
		a.NV.Outcome = NVNotNeeded
		return nil
	}
	a.phase("nv-upgrade")
	if err := a.upg.MarkNVStarted(); err != nil {
		a.b.Print("[NV] upg set update status error")
	}
	f, err := a.upg.ReadFlag()
	if err == nil {
		a.NV.Merge, err = a.nvUpgrade(f)
	}
	a.NV.Err = err
	if err == nil {
		a.b.Print("[NV] kv upgrade success!")
		a.NV.Outcome = NVUpgraded
		return a.upg.FinishNV()
	}
	a.b.Print(fmt.Sprintf("[NV] kv upgrade fail! error code:0x%x", uint32(upg.Code(err))))
	last, ferr := a.upg.FailNV()
	a.NV.Outcome = NVFailed
	if last {
		a.NV.Outcome = NVGivenUp
	}
	if ferr != nil {
		return ferr
	}
	return err
}

// nvUpgrade is kv_upg_upgrade_process: hash check, then merge.
func (a *App) nvUpgrade(f *upg.Flag) (nv.MergeReport, error) {
	var rep nv.MergeReport
	hash := make([]byte, sha256.Size)
	if err := a.readPackage(f.NVHashOffset, hash); err != nil {
		return rep, err
	}
	a.phase("nv-verify")
	h := sha256.New()
	buf := make([]byte, verifyBuf)
	n := (f.NVDataLen + 15) &^ 15 // align16; flashboot already aligned it
	for off := uint32(0); off < n; {
		c := min(verifyBuf, n-off)
		if err := a.readPackage(f.NVDataOffset+off, buf[:c]); err != nil {
			return rep, err
		}
		h.Write(buf[:c])
		off += c
	}
	a.cpu(upg.CPUHash, int(n))
	if !bytes.Equal(h.Sum(nil), hash) {
		a.b.Print("[NV] upg verify fail!")
		return rep, fmt.Errorf("app: NV data hash mismatch: %w", upg.ErrcodeFail)
	}
	a.phase("nv-merge")
	s, err := a.nvStore()
	if err != nil {
		return rep, err
	}
	rep, err = s.Merge(packageReader{a.upg, f.NVDataOffset}, int64(n))
	if errors.Is(err, nv.ErrImageLength) {
		a.b.Print("[NV] kv upgrade data length error!")
		return rep, fmt.Errorf("%w: %w", upg.ErrcodeFail, err)
	}
	return rep, err
}

// readPackage reads exactly len(buf) bytes at package offset off.
func (a *App) readPackage(off uint32, buf []byte) error {
	n, err := a.upg.ReadFotaPkgData(off, buf)
	if err != nil {
		return err
	}
	if n < len(buf) {
		return fmt.Errorf("app: NV data at package offset 0x%x+%d runs past the fota partition: %w", off, len(buf), upg.ErrcodeUpgInvalidParameter)
	}
	return nil
}

// packageReader reads the stored package from a base offset.
type packageReader struct {
	u    *upg.Upg
	base uint32
}

func (r packageReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(^uint32(0)-r.base) {
		return 0, io.EOF
	}
	n, err := r.u.ReadFotaPkgData(r.base+uint32(off), p)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// nvStore opens the NV working store (partition 0x10) as uapi_nv_init
// does: missing store pages are created. The emulated app opens it when
// it first needs it (the NV task, an NV write), not at every start-up.
func (a *App) nvStore() (*nv.Store, error) {
	e, err := a.b.Table().Lookup(partition.NVData)
	if err != nil {
		return nil, fmt.Errorf("app: no NV data partition: %w", err)
	}
	return nv.Open(a.b.Flash(), e.Offset, e.Size)
}

// NVWrite is uapi_nv_write_with_attr: the app writes key id of its NV
// store (a user's setting, say). attr nv.NonUpgrade protects the key from
// NV upgrades; a plain write (attr 0) leaves it upgradable, so an NV image
// carrying the same id replaces it.
func (a *App) NVWrite(id uint16, value []byte, attr nv.Attr) error {
	a.phase("nv-write")
	s, err := a.nvStore()
	if err != nil {
		return err
	}
	return s.Set(id, value, attr)
}

// NVRead is uapi_nv_read_with_attr.
func (a *App) NVRead(id uint16) ([]byte, nv.Attr, error) {
	s, err := a.nvStore()
	if err != nil {
		return nil, 0, err
	}
	return s.Get(id)
}

func (a *App) phase(name string) {
	if h := a.b.UpgOptions().Hooks.Phase; h != nil {
		h(name)
	}
}

func (a *App) cpu(w upg.CPUWork, n int) {
	if h := a.b.UpgOptions().Hooks.CPU; h != nil {
		h(w, n)
	}
}
