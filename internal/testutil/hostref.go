package testutil

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// HostRef is the host doing a W1 upgrade's data work with standard tools,
// the reference the W1 benchmarks print beside their figure:
// `xz --format=lzma -dc` of each LZMA payload, then `sha256sum` of the
// package.
type HostRef struct {
	lzma []string
	pkg  string
}

// NewHostRef writes the package and its LZMA payloads (as the package
// holds them: the SDK's 16-byte header, a 13-byte .lzma header stretched
// with 3 zero bytes) as files in dir for xz and sha256sum. ok is false,
// after a log line, when xz or sha256sum is not installed.
func NewHostRef(tb testing.TB, dir string, pkg []byte, payloads ...[]byte) (h *HostRef, ok bool) {
	tb.Helper()
	for _, tool := range []string{"xz", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Logf("%s not found: the xz + sha256sum reference is skipped", tool)
			return nil, false
		}
	}
	h = &HostRef{pkg: filepath.Join(dir, "update.fwpkg")}
	if err := os.WriteFile(h.pkg, pkg, 0o644); err != nil {
		tb.Fatal(err)
	}
	for i, z := range payloads {
		if len(z) < 16 {
			tb.Fatalf("payload %d: %d bytes, shorter than the 16-byte header", i, len(z))
		}
		name := filepath.Join(dir, fmt.Sprintf("payload%d.lzma", i))
		if err := os.WriteFile(name, slices.Concat(z[:13], z[16:]), 0o644); err != nil {
			tb.Fatal(err)
		}
		h.lzma = append(h.lzma, name)
	}
	return h, true
}

// Run times one pass: each payload decoded by xz, the package hashed by
// sha256sum, one process each, as a shell would run them.
func (h *HostRef) Run(tb testing.TB) time.Duration {
	tb.Helper()
	start := time.Now()
	for _, f := range h.lzma {
		cmd := exec.Command("xz", "--format=lzma", "-dc", f)
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			tb.Fatalf("xz %s: %v", f, err)
		}
	}
	if out, err := exec.Command("sha256sum", h.pkg).CombinedOutput(); err != nil {
		tb.Fatalf("sha256sum: %v\n%s", err, out)
	}
	return time.Since(start)
}

// Median returns the median of ds (the upper one of an even count); 0 for
// none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
