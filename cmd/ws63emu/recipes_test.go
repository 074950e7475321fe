package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ciDir holds the CI recipes.
var ciDir = filepath.Join("..", "..", "docs", "ci")

// checkCommandLine parses one ws63emu command line (the words after
// "ws63emu") as the CLI would: the command and verb must exist and the
// flags must parse with the command's own flag set (introspected, as for
// help); nothing runs.
func checkCommandLine(words []string) error {
	c := newCLI(io.Discard, io.Discard, false)
	cmd, rest, err := c.root.Find(words)
	if err != nil {
		return err
	}
	if cmd == c.root {
		return fmt.Errorf("unknown command %q", words[0])
	}
	f, ok := c.forms[cmd]
	if !ok {
		return fmt.Errorf("%s takes no flags", cmd.CommandPath())
	}
	if cmd.HasSubCommands() && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") && len(f.prefix) == 0 {
		if _, ok := extraVerbs[cmd.Name()]; !ok {
			return fmt.Errorf("%s: unknown verb %q", cmd.CommandPath(), rest[0])
		}
	}
	rest, err = c.log.extract(rest)
	if err != nil {
		return err
	}
	in := introspect(f.run, f.prefix...)
	if in.flags == nil {
		return fmt.Errorf("%s: no flag set found", cmd.CommandPath())
	}
	in.flags.SetOutput(io.Discard)
	if err := in.flags.Parse(rest); err != nil {
		return fmt.Errorf("%s: %w", cmd.CommandPath(), err)
	}
	if in.flags.NArg() == 0 {
		return fmt.Errorf("%s: no arguments", cmd.CommandPath())
	}
	return nil
}

// shellCommands finds the ws63emu command lines of a YAML recipe's shell
// steps: a line (after "- " or "run: ") starting with ws63emu or
// ./ws63emu, with its backslash continuations, variables replaced by a
// sample value.
func shellCommands(text string, vars map[string]string) [][]string {
	start := regexp.MustCompile(`^\s*(?:-\s+|run:\s+)?(?:\./)?ws63emu\s+(.*)$`)
	var out [][]string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := start.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		cmd := m[1]
		for strings.HasSuffix(strings.TrimSpace(cmd), `\`) && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(strings.TrimSpace(cmd), `\`) + " " + strings.TrimSpace(lines[i])
		}
		for k, v := range vars {
			cmd = strings.ReplaceAll(cmd, k, v)
		}
		out = append(out, strings.Fields(cmd))
	}
	return out
}

// argsCommands finds the exec-form args: ["…"] of a Kubernetes recipe.
func argsCommands(t *testing.T, text string, vars map[string]string) [][]string {
	var out [][]string
	for _, m := range regexp.MustCompile(`(?m)^\s*args:\s*(\[.*\])\s*$`).FindAllStringSubmatch(text, -1) {
		var words []string
		if err := json.Unmarshal([]byte(m[1]), &words); err != nil {
			t.Fatalf("args %s: %v", m[1], err)
		}
		for i := range words {
			for k, v := range vars {
				words[i] = strings.ReplaceAll(words[i], k, v)
			}
		}
		out = append(out, words)
	}
	return out
}

// TestCIRecipes: every ws63emu command line of docs/ci parses with the
// real CLI's flags, each recipe has its sweep and its merge, and the
// structure the docs promise (a merge that runs after a failed leg) is
// there.
func TestCIRecipes(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(ciDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		file     string
		cmds     [][]string
		contains []string
	}{
		{"github-actions.yml", shellCommands(read("github-actions.yml"), map[string]string{"${{ matrix.shard }}": "2"}),
			[]string{"shard: [0, 1, 2, 3]", "needs: sweep", "if: always()", "fail-fast: false"}},
		{"gitlab-ci.yml", shellCommands(read("gitlab-ci.yml"), map[string]string{"$CI_NODE_INDEX": "3"}),
			[]string{"parallel: 4", "when: always", "--shard auto"}},
		{"kubernetes.yaml", argsCommands(t, read("kubernetes.yaml"), map[string]string{"$(JOB_COMPLETION_INDEX)": "1"}),
			[]string{"completionMode: Indexed", "completions: 4", "--shard\", \"auto/4\""}},
		{"kubernetes-merge.yaml", argsCommands(t, read("kubernetes-merge.yaml"), nil), []string{"kind: Job"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			text := read(tc.file)
			for _, w := range tc.contains {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q", w)
				}
			}
			if len(tc.cmds) == 0 {
				t.Fatal("no ws63emu command line found")
			}
			verbs := map[string]bool{}
			for _, words := range tc.cmds {
				if err := checkCommandLine(words); err != nil {
					t.Errorf("ws63emu %s: %v", strings.Join(words, " "), err)
				}
				v := words[0]
				if len(words) > 1 && words[1] == "merge" {
					v += " merge"
				}
				verbs[v] = true
			}
			if !verbs["sweep"] && !verbs["sweep merge"] {
				t.Errorf("no sweep and no merge: %v", tc.cmds)
			}
		})
	}
}

// TestCheckCommandLine: the recipe check rejects what the CLI rejects.
func TestCheckCommandLine(t *testing.T) {
	for _, words := range [][]string{
		{"sweep", "x.scn", "--shard", "0/4"},
		{"sweep", "merge", "a.json", "-o", "m.json", "--junit", "m.xml"},
		{"run", "a.scn", "b.scn", "--junit", "r.xml", "--log-format", "json"},
	} {
		if err := checkCommandLine(words); err != nil {
			t.Errorf("%v: %v", words, err)
		}
	}
	for _, words := range [][]string{
		{"sweeep", "x.scn"},
		{"sweep", "x.scn", "--shards", "0/4"},
		{"sweep", "x.scn", "--jobs", "many"},
		{"image", "biuld", "-o", "x"},
		{"sweep", "--stride", "2"},
	} {
		if err := checkCommandLine(words); err == nil {
			t.Errorf("%v accepted", words)
		}
	}
}

// TestDockerfile builds the image where a Docker daemon answers, and
// checks it runs ws63emu as a non-root user.
func TestDockerfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a container image")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker command: the Dockerfile is not built here")
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("no Docker daemon (%v): the Dockerfile is not built here\n%s", err, lastLineOf(out))
	}
	tag := "ws63emu-test:" + fmt.Sprint(os.Getpid())
	build := exec.Command("docker", "build", "-t", tag, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", tag).Run()
	out, err := exec.Command("docker", "run", "--rm", tag, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "ws63emu ") {
		t.Errorf("docker run version: %v\n%s", err, out)
	}
	sweepOut, err := exec.Command("docker", "run", "--rm", tag, "sweep", "/scenarios/ab.scn", "--stride", "997").CombinedOutput()
	var ee *exec.ExitError
	if (err != nil && !errors.As(err, &ee)) || !strings.Contains(string(sweepOut), "sweep /scenarios/ab.scn: ") {
		t.Errorf("docker run sweep: %v\n%s", err, sweepOut)
	}
	cfg, err := exec.Command("docker", "image", "inspect", "-f", "{{.Config.User}}", tag).Output()
	if err != nil || strings.TrimSpace(string(cfg)) == "" || strings.HasPrefix(string(cfg), "0") || strings.HasPrefix(string(cfg), "root") {
		t.Errorf("image user %q (%v): want a non-root user", cfg, err)
	}
}

func lastLineOf(b []byte) string {
	s := strings.TrimSpace(string(b))
	return s[strings.LastIndex(s, "\n")+1:]
}
