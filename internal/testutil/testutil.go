// Package testutil holds test helpers shared by several ws63emu packages.
//
// Tests that need the real SDK reference data find it at ../shared/reference
// from the repository root. A user's clone does not have it, so Reference
// skips the test with a message saying so; CI has it.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ReferenceDir is where the shared reference data lives, or "" when absent.
func ReferenceDir() string {
	dir := filepath.Join(RepoRoot(), "..", "shared", "reference")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	return ""
}

// Reference returns the path of a file under ../shared/reference, skipping
// the test when the reference data or that file is not present.
func Reference(tb testing.TB, rel string) string {
	tb.Helper()
	dir := ReferenceDir()
	if dir == "" {
		tb.Skipf("reference data not found at ../shared/reference (beside the repo root); skipping %s", rel)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("reference file %s not present: %v", rel, err)
	}
	return p
}

// ReadReference reads a reference file, skipping the test when absent.
func ReadReference(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Reference(tb, rel))
	if err != nil {
		tb.Fatalf("read reference %s: %v", rel, err)
	}
	return b
}

// SDKSrcDir is where the vendor's SDK sources live for the SDK engine's
// tests (../shared/sdk-src beside the repository root), or "" when absent.
func SDKSrcDir() string {
	dir := filepath.Join(RepoRoot(), "..", "shared", "sdk-src")
	if st, err := os.Stat(filepath.Join(dir, "src")); err == nil && st.IsDir() {
		return dir
	}
	return ""
}

// SDKSrc returns SDKSrcDir, skipping the test when the SDK sources are
// not there.
func SDKSrc(tb testing.TB) string {
	tb.Helper()
	dir := SDKSrcDir()
	if dir == "" {
		tb.Skip("SDK sources not found at ../shared/sdk-src (beside the repo root); skipping the SDK engine test")
	}
	return dir
}
