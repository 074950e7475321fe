package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestBuildInfo: the version, revision and modified flag come from the
// build information as go build stamps it.
func TestBuildInfo(t *testing.T) {
	rev := "3ca87b8497b0bd3272592785a526226d8b2e8395"
	for _, tc := range []struct {
		name      string
		bi        *debug.BuildInfo
		tool      string
		textParts []string
	}{
		{"tagged", &debug.BuildInfo{Main: debug.Module{Path: "github.com/ws63emu/ws63emu", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-04T17:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			"ws63emu v1.2.3", []string{"ws63emu v1.2.3\n", "revision " + rev + "\n", "time     2026-12-04T17:00:00Z"}},
		{"devel, dirty", &debug.BuildInfo{Main: debug.Module{Path: "github.com/ws63emu/ws63emu", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}},
			"ws63emu (devel) 3ca87b8497b0+dirty", []string{"revision " + rev + " (modified)\n"}},
		{"no VCS", &debug.BuildInfo{Main: debug.Module{Path: "github.com/ws63emu/ws63emu"}}, "ws63emu (devel)", []string{"module   github.com/ws63emu/ws63emu\n"}},
		{"no build info", nil, "ws63emu (devel)", []string{"go       go1."}},
	} {
		b := buildInfoFrom(tc.bi, tc.bi != nil)
		if got := b.tool(); got != tc.tool {
			t.Errorf("%s: tool %q, want %q", tc.name, got, tc.tool)
		}
		text := b.text()
		for _, p := range tc.textParts {
			if !strings.Contains(text, p) {
				t.Errorf("%s: text lacks %q:\n%s", tc.name, p, text)
			}
		}
		if tc.bi != nil && len(tc.bi.Settings) == 0 && strings.Contains(text, "revision") {
			t.Errorf("%s: a revision without VCS information:\n%s", tc.name, text)
		}
	}
}
