package main

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
