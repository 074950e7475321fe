package cliio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	write(t, small, "12345")
	if b, err := ReadFile(small, 5, "x"); err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	_, err := ReadFile(small, 4, "a key")
	var le *LimitError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), small+": offset 4: larger than the 4-byte limit for a key") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadFile("/dev/zero", 1000, "x"); !errors.As(err, &le) {
		t.Fatalf("/dev/zero: %v", err)
	}
	if _, err := Open("/dev/zero", 1000, "x"); !errors.As(err, &le) {
		t.Fatalf("Open /dev/zero: %v", err)
	}
	// A sparse file is refused from its size, without reading it.
	sparse := filepath.Join(dir, "sparse")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil {
		t.Skip("no sparse files here:", err)
	}
	f.Close()
	if _, err := Open(sparse, ImageLimit, "an image"); !errors.As(err, &le) {
		t.Fatalf("sparse: %v", err)
	}
	_, err = ReadFile(dir, 10, "x")
	if err == nil || err.Error() != dir+": is a directory" {
		t.Fatalf("directory: %v", err)
	}
	_, err = ReadFile(filepath.Join(dir, "nope"), 10, "x")
	if err == nil || strings.Count(err.Error(), "nope") != 1 {
		t.Fatalf("missing file: %v (want the path once)", err)
	}
}

func TestCheckRefusesConflicts(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.bin")
	write(t, in, "input")
	link := filepath.Join(dir, "link.bin")
	if err := os.Symlink("in.bin", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		inputs  []string
		outputs []string
		want    string // "" = ok
	}{
		{"distinct", []string{in}, []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}, ""},
		{"output is input", []string{in}, []string{in}, "is also the input"},
		{"output is input via ..", []string{in}, []string{dir + "/x/../in.bin"}, "is also the input"},
		{"output is input by symlink", []string{in}, []string{link}, "is also the input"},
		{"output is input, relative", []string{in}, []string{rel(t, in)}, "is also the input"},
		{"two outputs", nil, []string{filepath.Join(dir, "a"), filepath.Join(dir, "./a")}, "is also the output"},
		{"missing folder", nil, []string{"/nonexistent/x.xml"}, "folder /nonexistent does not exist"},
		{"directory", nil, []string{dir}, "is a directory"},
		{"two stdout", nil, []string{"-", "-"}, "two outputs on standard output"},
		{"stdin and stdout", []string{"-"}, []string{"-"}, ""},
		{"dev null twice", nil, []string{"/dev/null", "/dev/null"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := New(&bytes.Buffer{})
			for _, p := range tc.inputs {
				fs.Input("--in", p)
			}
			for _, p := range tc.outputs {
				fs.Output("-o", p)
			}
			err := fs.Check()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Check: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
		})
	}
	if read(t, in) != "input" {
		t.Fatal("Check changed the input")
	}
}

func rel(t *testing.T, p string) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	r, err := filepath.Rel(wd, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWriteThroughSymlinkAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.pem")
	write(t, real, "old")
	link := filepath.Join(dir, "link.pem")
	if err := os.Symlink("real.pem", link); err != nil {
		t.Fatal(err)
	}
	fs := New(nil)
	if err := fs.Write(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st, err)
	}
	if got := read(t, real); got != "new" {
		t.Fatalf("target holds %q, want new", got)
	}
	// A dangling symlink is written through too: the target is created.
	dang := filepath.Join(dir, "dangling")
	if err := os.Symlink("made.bin", dang); err != nil {
		t.Fatal(err)
	}
	if err := fs.Write(dang, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if read(t, filepath.Join(dir, "made.bin")) != "x" {
		t.Fatal("dangling link target not written")
	}
	// A device is written in place, not replaced by a regular file.
	if err := fs.Write("/dev/null", []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", st, err)
	}
	// "-" is standard output.
	var out bytes.Buffer
	if err := New(&out).Write("-", []byte("to stdout"), 0o644); err != nil || out.String() != "to stdout" {
		t.Fatalf("stdout: %q %v", out.String(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCommitAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	write(t, a, "old a")
	fs := New(nil)
	fs.Stage(a, []byte("new a"), 0o644)
	fs.Stage(filepath.Join(dir, "gone", "b.xml"), []byte("b"), 0o644)
	if err := fs.Commit(); err == nil {
		t.Fatal("Commit into a missing folder succeeded")
	}
	if got := read(t, a); got != "old a" {
		t.Fatalf("a.json is %q after a failed commit, want it unchanged", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCheckRefusesReadOnlyFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write anywhere")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	fs := New(nil)
	fs.Output("--json", filepath.Join(dir, "x.json"))
	if err := fs.Check(); err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Fatalf("Check: %v, want a not-writable error", err)
	}
}

func TestToStdout(t *testing.T) {
	fs := New(nil)
	fs.Output("-o", filepath.Join(t.TempDir(), "a"))
	if fs.ToStdout() {
		t.Fatal("a file is not standard output")
	}
	fs.Output("--json", "-")
	if !fs.ToStdout() {
		t.Fatal(`"-" is standard output`)
	}
}
