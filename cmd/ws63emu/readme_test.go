package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEScenario runs the scenario shown in README.md, so the example a
// new user copies keeps working.
func TestREADMEScenario(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, "```\ndevice layout")
	if i < 0 {
		t.Fatal("README.md has no scenario block starting with `device layout`")
	}
	j := strings.Index(s[i+4:], "```")
	if j < 0 {
		t.Fatal("README.md scenario block is not closed")
	}
	path := filepath.Join(t.TempDir(), "readme.scn")
	if err := os.WriteFile(path, []byte(s[i+4:i+4+j]), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := run([]string{"run", path}, &out, &errb); err != nil {
		t.Fatalf("README scenario failed: %v\n%s%s", err, out.String(), errb.String())
	}
}
