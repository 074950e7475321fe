package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"demo"}, &out, &errb); err != nil {
		t.Fatalf("demo: %v\n%s", err, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"boot 1", "boot 2", "boot 3", // power-on, the upgrade boot, the new app
		"flag: head_magic <- aa 55 aa 55",
		"flag: head_end_magic <- 55 aa 55 aa",
		"flag: firmware_flag[0] <- 0f",
		"flag: complete_flag <- 00 00 00 00",
		"progress: 10% 20%",
		"decompress imageA",
		"verdict: upgraded — running app-v2 after 3 boots",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(got)
	}
}

func TestDemoScriptRuns(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"demo", "--script"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "# ws63emu demo") || !strings.Contains(out.String(), "request-upgrade") {
		t.Fatalf("unexpected script:\n%s", out.String())
	}
	if err := run([]string{"demo", "extra"}, &out, &errb); err == nil || exitCode(err) != exitBadInput {
		t.Fatalf("demo with an argument: %v", err)
	}
}
