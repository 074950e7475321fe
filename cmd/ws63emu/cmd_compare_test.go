package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/scenarios"
)

func TestCompareSchemes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings, in order
		absent []string
	}{
		{"no sweep", []string{"--app-size", "64K", "--no-sweep"}, exitOK, []string{
			"(65,536 bytes of synthetic code, a 66,304-byte signed image)",
			// imageA 0x240000 bounds the compressed layout (its package fits
			// the 0x180000-byte storage); region B 0x1E0000 the AB layout.
			"largest app image (bytes) [1]", "2,359,296",
			"1,966,080",
			// AB: region B erased (480 sectors) and the config page (1);
			// the image and the 8-byte config record programmed.
			"flash programmed (bytes)", "66,312",
			"flash erased (4 KiB sectors)", "481 (1,970,176 bytes)",
		}, []string{"power-cut sweep"}},
		{"sweep", []string{"--app-size", "16K", "--stride", "40", "--tears", "before,after"}, exitOK, []string{
			"power-cut sweep (tear before,after, every 40th operation):",
			"cut points (flash operations)",
			"brick (incl. no-boot)",
		}, nil},
		// W1's 2 MiB app: the AB column is empty, and says why.
		{"w1 does not fit AB", []string{"--app-size", "2M", "--no-sweep"}, exitOK, []string{
			"AB: the 2,097,920-byte image does not fit region B (1,966,080 bytes).",
		}, nil},
		{"bad size", []string{"--app-size", "lots"}, exitBadInput, nil, nil},
		{"bad tears", []string{"--tears", "sideways"}, exitBadInput, nil, nil},
		{"extra argument", []string{"x.scn"}, exitBadInput, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(append([]string{"compare-schemes"}, tt.args...), &out, &errb)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit %d (%v), want %d\n%s", got, err, tt.code, out.String())
			}
			text := out.String()
			at := 0
			for _, s := range tt.stdout {
				i := strings.Index(text[at:], s)
				if i < 0 {
					t.Fatalf("output lacks %q (after offset %d):\n%s", s, at, text)
				}
				at += i + len(s)
			}
			for _, s := range tt.absent {
				if strings.Contains(text, s) {
					t.Errorf("output has %q", s)
				}
			}
		})
	}
}

// TestCompareScriptsParse checks that --script prints the two scenarios
// the command runs, and that each runs and passes as a plain scenario.
func TestCompareScriptsParse(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"compare-schemes", "--script", "--app-size", "16K"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(out.String(), "\n\n", 2)
	if len(parts) != 2 {
		t.Fatalf("want two scripts separated by a blank line:\n%s", out.String())
	}
	for i, src := range parts {
		s, err := scenarios.Parse("compare.scn", strings.NewReader(src))
		if err != nil {
			t.Fatalf("script %d: %v\n%s", i, err, src)
		}
		rep, err := scenarios.Run(s, scenarios.Options{})
		if err != nil || !rep.Passed {
			t.Errorf("script %d: %v (%s)", i, err, rep)
		}
	}
}
