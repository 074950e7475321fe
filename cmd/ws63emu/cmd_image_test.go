package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/image"
	"github.com/ws63emu/ws63emu/internal/testutil"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), exitCode(err)
}

// field is how inspect prints one header field.
func field(name, val string) string { return fmt.Sprintf("  %-20s %s\n", name, val) }

func TestImageBuildInspect(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "app.bin")
	out, errs, code := runCLI(t, "image", "build", "--kind", "app", "--version", "2.0.1", "--version-ext", "0x3",
		"--size", "64KiB", "--seed", "7", "-o", img)
	if code != 0 {
		t.Fatalf("build exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "wrote "+img) {
		t.Errorf("build output %q", out)
	}
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != image.HeaderLen+64<<10 {
		t.Errorf("image of %d bytes", len(data))
	}
	// The file is what the library builds for the same inputs.
	want, _ := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "2.0.1", VersionExt: 3, Seed: 7}, 64<<10, nil)
	if !bytes.Equal(data, want) {
		t.Error("CLI image differs from image.Synthetic")
	}

	out, errs, code = runCLI(t, "image", "inspect", img)
	if code != 0 {
		t.Fatalf("inspect exit %d: %s", code, errs)
	}
	for _, s := range []string{"app image", "0x4B0F2D1E", "0x4B0F2D2D", field("version_ext", "0x00000003"),
		"hash-only (SignSuite=4), both valid", `synthetic app "2.0.1" version_ext 0x00000003 seed 7`, "body hash   ok",
		field("code_area_len", "0x00010000")} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, out)
		}
	}

	out, _, code = runCLI(t, "image", "inspect", "--json", img)
	if code != 0 {
		t.Fatalf("inspect --json exit %d", code)
	}
	var v imageView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	if v.Kind != "app" || !v.BodyHashOK || v.Ident == nil || v.Ident.Version != "2.0.1" || v.Ident.Seed != 7 ||
		v.CodeInfo.VersionExt != "0x00000003" || v.Length != len(data) || v.KeyArea.KeyOwnerID != 1 {
		t.Errorf("inspect --json: %+v", v)
	}
}

func TestImageBuildSigned(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "app.pem")
	parent := filepath.Join(dir, "flash.pem")
	for _, k := range []string{key, parent} {
		if _, errs, code := runCLI(t, "keygen", "-o", k); code != 0 {
			t.Fatalf("keygen: %s", errs)
		}
	}
	img := filepath.Join(dir, "fb.bin")
	if _, errs, code := runCLI(t, "image", "build", "--kind", "flashboot", "--version", "fb", "--size", "4096",
		"--sign-key", key, "--parent-key", parent, "-o", img); code != 0 {
		t.Fatalf("build exit %d: %s", code, errs)
	}
	im, err := image.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := image.LoadPrivateKey(parent)
	if err := image.Verify(im, image.VerifyOptions{SecureBoot: true, ParentKey: pk.XY()}); err != nil {
		t.Errorf("verify: %v", err)
	}
	out, _, code := runCLI(t, "image", "inspect", img)
	if code != 0 || !strings.Contains(out, "ECDSA: code info verifies under ext_public_key") {
		t.Errorf("inspect exit %d:\n%s", code, out)
	}
}

// TestImageInspectBad: a malformed file is bad input (exit 2, one line
// naming the file and the offset); a body hash mismatch is a failed
// verification (exit 1) that still prints every field.
func TestImageInspectBad(t *testing.T) {
	dir := t.TempDir()
	good, err := image.Synthetic(image.Ident{Kind: image.KindApp, Version: "1"}, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short.bin", good[:0x100])
	badID := write("badid.bin", append([]byte{0}, good[1:]...))
	tooLong := write("long.bin", good[:len(good)-16])
	for _, tc := range []struct {
		file, offset string
	}{
		{short, "offset 256 (0x100)"},
		{badID, "offset 0 (0x0)"},
		{tooLong, "offset 292 (0x124)"},
	} {
		out, errs, code := runCLI(t, "image", "inspect", tc.file)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", tc.file, code)
		}
		if !strings.Contains(errs, tc.file) || !strings.Contains(errs, tc.offset) || strings.Count(errs, "\n") != 0 {
			t.Errorf("%s: error %q does not name the file and %s on one line", tc.file, errs, tc.offset)
		}
		if out != "" {
			t.Errorf("%s: printed %q", tc.file, out)
		}
	}

	body := append([]byte(nil), good...)
	body[image.HeaderLen+200] ^= 0xFF
	p := write("body.bin", body)
	out, errs, code := runCLI(t, "image", "inspect", p)
	if code != 1 {
		t.Errorf("body hash: exit %d, want 1 (%s)", code, errs)
	}
	if !strings.Contains(out, "body hash   MISMATCH") || !strings.Contains(out, "code_area_hash") {
		t.Errorf("body hash: output\n%s", out)
	}
	if !strings.Contains(errs, p) {
		t.Errorf("body hash: error %q does not name the file", errs)
	}

	if _, _, code := runCLI(t, "image", "inspect", filepath.Join(dir, "absent.bin")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

func TestImageBuildBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("junk"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no output", []string{"--kind", "app"}, "-o FILE"},
		{"bad kind", []string{"--kind", "nv"}, "unknown image kind"},
		{"version_ext not a run", []string{"--version-ext", "2"}, "run of ones"},
		{"bad size", []string{"--size", "lots"}, "bad size"},
		{"size too big", []string{"--size", "5MiB"}, "bad size"},
		{"size below record", []string{"--size", "10"}, "ident record"},
		{"long version", []string{"--version", strings.Repeat("v", 32)}, "longer than 31"},
		{"both modes", []string{"--hash-only", "--sign-key", junk}, "excludes"},
		{"parent only", []string{"--parent-key", junk}, "needs --sign-key"},
		{"bad key", []string{"--sign-key", junk}, "junk.pem"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.bin")
			args := append([]string{"image", "build"}, tc.args...)
			if tc.name != "no output" {
				args = append(args, "-o", out)
			}
			_, errs, code := runCLI(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("error %q lacks %q", errs, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "junk.pem" {
					t.Errorf("left %s behind", e.Name())
				}
			}
		})
	}
	if _, _, code := runCLI(t, "image"); code != 2 {
		t.Errorf("image with no subcommand: exit %d", code)
	}
	if _, _, code := runCLI(t, "image", "frob"); code != 2 {
		t.Errorf("image frob: exit %d", code)
	}
}

func TestImageInspectSDK(t *testing.T) {
	p := testutil.Reference(t, "sdk-made/flashboot_v1_sign.bin")
	out, errs, code := runCLI(t, "image", "inspect", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range []string{"flashboot image, 36768 bytes", "ident       none", "body hash   ok", "hash-only (SignSuite=4), both valid"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"65536", 65536}, {"0x10000", 65536}, {"64KiB", 65536}, {"64K", 65536}, {"2MiB", 2 << 20}, {"1M", 1 << 20}} {
		got, err := parseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-1", "4097KiB", "1G", "x"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) succeeded", in)
		}
	}
}
