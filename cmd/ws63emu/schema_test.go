package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ws63emu/ws63emu/scenarios"
	"github.com/ws63emu/ws63emu/upg"
)

const schemaBase = "https://github.com/ws63emu/ws63emu/docs/schema/"

// loadSchemas compiles the schemas of docs/schema, by file name.
func loadSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	dir := filepath.Join("..", "..", "docs", "schema")
	files, err := filepath.Glob(filepath.Join(dir, "*.schema.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema in %s: %v", dir, err)
	}
	c := jsonschema.NewCompiler()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource(schemaBase+filepath.Base(f), doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, f := range files {
		s, err := c.Compile(schemaBase + filepath.Base(f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: not JSON: %v", name, err)
		return
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s does not match its schema: %v\n%.400s", name, err, data)
	}
}

// TestReportsMatchSchemas makes every kind of JSON report — sweep (with
// double cuts and the determinism check, sharded, merged, partial), run
// (one script, several), replay (a point, a double cut), pkg verify (ok,
// failed) — and validates each against its schema in docs/schema.
func TestReportsMatchSchemas(t *testing.T) {
	schemas := loadSchemas(t)
	sweepS, runS, pkgS := schemas["sweep-report.schema.json"], schemas["run-report.schema.json"], schemas["pkg-verify.schema.json"]
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	read := func(name string) []byte {
		b, err := os.ReadFile(file(name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cli := func(want int, args ...string) string {
		t.Helper()
		out, errs, code := runCLI(t, args...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d: %s", args, code, want, errs)
		}
		return out
	}

	script := writeScript(t, sweepScript+"power-on\nexpect verdict upgraded\n") // some points fail
	cli(exitFailed, "sweep", script, "--tears", "before,prefix", "--stride", "7", "--double", "2", "--verify-determinism", "2", "--json", file("full.json"))
	cli(exitFailed, "sweep", script, "--stride", "7", "--shard", "0/2", "--json", file("s0.json"))
	cli(exitFailed, "sweep", script, "--stride", "7", "--shard", "1/2", "--json", file("s1.json"))
	cli(exitFailed, "sweep", "merge", file("s0.json"), file("s1.json"), "-o", file("merged.json"))
	for _, n := range []string{"full.json", "s0.json", "s1.json", "merged.json"} {
		validate(t, sweepS, n, read(n))
	}
	// A partial report: the context is cancelled at the first progress.
	s, err := scenarios.ParseFile(script)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep, err := scenarios.SweepContext(ctx, s, scenarios.SweepOptions{Stride: 2, Jobs: 1, PhaseProgress: func(string, int, int) { cancel() }})
	if err != nil || rep.Partial == nil {
		t.Fatalf("partial sweep: %v, %+v", err, rep)
	}
	rep.Tool = toolVersion()
	b, err := rep.EncodeJSON()
	if err != nil {
		t.Fatal(err)
	}
	validate(t, sweepS, "partial", b)

	// run and replay
	full := readReport(t, file("full.json"))
	cli(exitOK, "run", writeScript(t, runScript), "--json", file("run1.json"))
	cli(exitFailed, "run", writeScript(t, runScript), writeScript(t, runScript+"expect verdict kept-old\n"), "--json", file("run2.json"))
	p0 := exitOK
	if !full.Points[0].Pass {
		p0 = exitFailed
	}
	cli(p0, "replay", "--quiet", full.Points[0].Token, "--json", file("replay.json"))
	if len(full.Doubles) == 0 {
		t.Fatal("no double cut to replay")
	}
	d := full.Doubles[0]
	want := exitOK
	if !d.Pass {
		want = exitFailed
	}
	cli(want, "replay", "--quiet", d.Token, "--json", file("replay2.json"))
	for _, n := range []string{"run1.json", "run2.json", "replay.json", "replay2.json"} {
		validate(t, runS, n, read(n))
	}
	if !strings.Contains(string(read("replay2.json")), `"double": {`) {
		t.Error("the double cut's replay JSON has no double")
	}

	// pkg verify
	in := newPkgInputs(t)
	_, sha := packFile(t, in, upg.SignSHA256, "sha.fwpkg")
	good := filepath.Join(in.dir, "sha.fwpkg")
	validate(t, pkgS, "pkg verify ok", []byte(cli(exitOK, "pkg", "verify", "--json", good)))
	validate(t, pkgS, "pkg verify failed", []byte(cli(exitFailed, "pkg", "verify", "--json", corrupt(t, in.dir, sha, len(sha)-1))))
}

// TestSchemaRejects: the schemas are not vacuous: a report with a field
// missing, of a wrong type or unknown fails.
func TestSchemaRejects(t *testing.T) {
	schemas := loadSchemas(t)
	for name, doc := range map[string]string{
		"sweep-report.schema.json": `{"format_version":1,"file":"x","seed":0}`,
		"pkg-verify.schema.json":   `{"format_version":1,"tool":"ws63emu x","file":"f","ok":true,"mode":"ECDSA","images":[],"version":"1","extra":1}`,
		"run-report.schema.json":   `{"format_version":1,"tool":"ws63emu x","reports":"none"}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if schemas[name].Validate(inst) == nil {
			t.Errorf("%s accepts %s", name, doc)
		}
	}
}
