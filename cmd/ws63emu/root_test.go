package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp: help goes to stdout in cobra's one style, with every flag of
// the command found by introspection, whichever way it is asked for.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"root", []string{"help"}, []string{"Available Commands:", "sweep", "Additional help topics:", "scenarios"}},
		{"help sweep", []string{"help", "sweep"}, []string{"Synopsis:", "--tears string", "--verify-determinism int", "Global Flags:", "--log-format"}},
		{"sweep --help", []string{"sweep", "x.scn", "--help"}, []string{"--tears string", "--shard string"}},
		{"verb", []string{"image", "build", "-h"}, []string{"ws63emu image build [flags]", "--kind string", "-o, --output string"}},
		{"sweep merge", []string{"help", "sweep", "merge"}, []string{"ws63emu sweep merge [flags]", "-o, --output string"}},
		{"verbs listed", []string{"help", "pkg"}, []string{"inspect", "verify", "FILE [--root-key PEM]"}},
		{"topic", []string{"help", "scenarios"}, []string{"# Language", "sweep-begin", "# Expectations"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runCLI(t, tc.args...)
			if code != exitOK || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDidYouMean: an unknown command or verb is one line, exit 2, with
// the nearest name.
func TestDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sweeep", "x.scn"}, `unknown command "sweeep" (did you mean "sweep"?)`},
		{[]string{"image", "biuld"}, `unknown subcommand "biuld" (did you mean "build"?)`},
		{[]string{"help", "replya"}, `unknown command "replya" (did you mean "replay"?)`},
		{[]string{"zzz"}, `unknown command "zzz"; run 'ws63emu help'`},
	} {
		out, _, code := runCLI(t, tc.args...)
		err := run(tc.args, new(strings.Builder), new(strings.Builder))
		if code != exitBadInput || err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: exit %d, err %v; want exit 2 and one line with %q (stdout %q)", tc.args, code, err, tc.want, out)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := runCLI(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "ws63emu ") || !strings.Contains(out, "module   github.com/ws63emu/ws63emu") || !strings.Contains(out, "go       go1.") {
			t.Errorf("%v: exit %d:\n%s", args, code, out)
		}
	}
	if _, _, code := runCLI(t, "version", "extra"); code != exitBadInput {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// TestCompletion: the four shells' scripts, and flag completion from the
// introspected flags (cobra's __complete protocol the scripts call).
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out, errs, code := runCLI(t, "completion", sh)
		if code != exitOK || !strings.Contains(out, "ws63emu") || len(out) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", sh, code, len(out), errs)
		}
	}
	out, _, code := runCLI(t, "__complete", "sweep", "--")
	for _, w := range []string{"--tears", "--shard", "--junit", "--log-level"} {
		if code != exitOK || !strings.Contains(out, w) {
			t.Errorf("__complete sweep --: exit %d, lacks %s:\n%s", code, w, out)
		}
	}
	out, _, _ = runCLI(t, "__complete", "image", "")
	if !strings.Contains(out, "build") || !strings.Contains(out, "inspect") {
		t.Errorf("__complete image: no verbs:\n%s", out)
	}
	out, _, _ = runCLI(t, "__complete", "image", "build", "--")
	if !strings.Contains(out, "--kind") || !strings.Contains(out, "--sign-key") {
		t.Errorf("__complete image build --: no verb flags:\n%s", out)
	}
	out, _, _ = runCLI(t, "__complete", "help", "sc")
	if !strings.Contains(out, "scenarios") {
		t.Errorf("__complete help sc: no scenarios topic:\n%s", out)
	}
}

// TestGenDocs: make docs' man pages and Markdown, one per command and
// verb, with the introspected flags.
func TestGenDocs(t *testing.T) {
	dir := t.TempDir()
	man, md := filepath.Join(dir, "man"), filepath.Join(dir, "md")
	if _, errs, code := runCLI(t, "gen-docs", "--man", man, "--markdown", md); code != exitOK {
		t.Fatalf("gen-docs: exit %d: %s", code, errs)
	}
	for _, f := range []string{"md/ws63emu_sweep.md", "md/ws63emu_sweep_merge.md", "md/ws63emu_image_build.md", "md/ws63emu_scenarios.md",
		"man/ws63emu-sweep.1", "man/ws63emu-flash-new.1", "man/ws63emu-scenarios.7"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Error(err)
			continue
		}
		want := map[string]string{"md/ws63emu_sweep.md": "--verify-determinism", "man/ws63emu-sweep.1": "verify-determinism",
			"md/ws63emu_image_build.md": "ws63emu image build --kind app|flashboot|flashboot-backup", "md/ws63emu_sweep_merge.md": "--output", "man/ws63emu-flash-new.1": "layout",
			"md/ws63emu_scenarios.md": "## Language"}[f]
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", f, want)
		}
	}
}
