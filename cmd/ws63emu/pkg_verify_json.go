package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ws63emu/ws63emu/upg"
)

// reportFormatVersion is the format_version of the JSON the CLI writes
// besides sweep reports (run, replay, pkg verify); the schemas in
// docs/schema describe them.
const reportFormatVersion = 1

// pkgVerifyReport is `ws63emu pkg verify --json`.
type pkgVerifyReport struct {
	FormatVersion int              `json:"format_version"`
	Tool          string           `json:"tool"`
	File          string           `json:"file"`
	OK            bool             `json:"ok"`
	Mode          string           `json:"mode,omitempty"` // hash-only or ECDSA
	Images        []string         `json:"images,omitempty"`
	Version       string           `json:"version,omitempty"`
	Failure       *pkgVerifyFailed `json:"failure,omitempty"`
}

type pkgVerifyFailed struct {
	Step     int    `json:"step"` // 0 when the failure is after the steps
	StepName string `json:"step_name,omitempty"`
	Image    int    `json:"image"` // -1: not an image step
	Result   string `json:"result,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// pkgVerifyJSON verifies as pkg verify does and prints the outcome as
// JSON; the exit status is the same (1 when the package fails, 2 when it
// cannot be read or the key is missing).
func pkgVerifyJSON(path, rootKey string, stdout io.Writer) error {
	rep := pkgVerifyReport{FormatVersion: reportFormatVersion, Tool: toolVersion(), File: path}
	root, err := loadRootKey(rootKey)
	if err != nil {
		return fmt.Errorf("pkg verify: --root-key: %w", err)
	}
	f, size, err := openPkg(path)
	if err != nil {
		return fmt.Errorf("pkg verify: %w", err)
	}
	defer f.Close()
	var head [upg.KeyAreaLen]byte
	if size >= upg.HeaderLen {
		if _, err := f.ReadAt(head[:], 0); err != nil {
			return fmt.Errorf("pkg verify: %s: %w", path, err)
		}
	}
	v := &upg.Verifier{}
	if sigLen := binary.LittleEndian.Uint32(head[12:]); size >= upg.HeaderLen && sigLen != upg.HashOnlySigLen && root == nil {
		return fmt.Errorf("pkg verify: %s is ECDSA-signed (key area signature_length %d at offset 0xC): --root-key PEM is required", path, sigLen)
	}
	if root != nil {
		v.RootKey = *root
	}
	p, err := v.VerifyFile(f, size)
	var ve *upg.VerifyError
	var outcome error
	switch {
	case errors.As(err, &ve):
		rep.Failure = &pkgVerifyFailed{Step: int(ve.Step), StepName: ve.Step.String(), Image: ve.Image, Result: fmt.Sprint(ve.Result), Code: ve.Code.String(), Message: ve.Msg}
		outcome = failed("pkg verify: %s: FAILED at step %d (%s)", path, int(ve.Step), ve.Step)
	case errors.Is(err, upg.ErrTooManyImages):
		rep.Failure = &pkgVerifyFailed{Image: -1, Code: upg.Code(err).String(), Message: err.Error()}
		outcome = failed("pkg verify: %s: FAILED after verification: %v", path, err)
	case err != nil:
		return fmt.Errorf("pkg verify: %s: %w", path, err)
	default:
		rep.OK = true
		for _, n := range p.Nodes {
			rep.Images = append(rep.Images, upg.ImageName(n.ImageID))
		}
		rep.Mode = "hash-only"
		if p.Key.SignatureLength != upg.HashOnlySigLen {
			rep.Mode = "ECDSA"
		}
		rep.Version = p.Version()
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if _, err := stdout.Write(append(b, '\n')); err != nil {
		return err
	}
	return outcome
}
