package flash_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/flash/flashtest"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	d := flash.New()
	flashtest.MustProgram(t, d, 0x1000, flashtest.Pattern(1, 100<<10))
	flashtest.MustProgram(t, d, flash.Size-1, []byte{0x5A})
	path := filepath.Join(t.TempDir(), "flash.bin")
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Size() != flash.Size {
		t.Fatalf("saved file: %v, %v", st, err)
	}
	// Saving again over an existing file replaces it.
	flashtest.MustProgram(t, d, 0, []byte{0})
	if err := d.Save(path); err != nil {
		t.Fatal(err)
	}
	e, err := flash.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if e.Hash() != d.Hash() {
		t.Fatalf("loaded contents differ: %s", flashtest.Describe(d.Bytes(), e.Bytes()))
	}
	if e.OpCount() != 0 || e.Off() || e.EraseCount(1) != 0 || e.Timing() != flash.DefaultTiming() {
		t.Error("loaded device is not fresh")
	}
	// The loaded device behaves: copy-on-write works on adopted sectors.
	s := e.Snapshot()
	flashtest.MustErase(t, e, 0x1000, flash.SectorSize)
	if s.Hash() != d.Hash() {
		t.Error("snapshot of loaded device changed")
	}
	flashtest.Check(t, e)
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want 1 (no temp files)", len(entries))
	}
}

func TestLoadBadSize(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.bin")
	if err := os.WriteFile(long, make([]byte, flash.Size+1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantOff int64
		wantIn  []string
	}{
		{"truncated", filepath.Join("testdata", "short-1000.bin"), 1000, []string{"short-1000.bin", "1000 bytes", "4194304"}},
		{"empty", filepath.Join("testdata", "empty.bin"), 0, []string{"empty.bin", "0 bytes"}},
		{"too long", long, flash.Size, []string{"long.bin", "4194305 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := flash.Load(tt.path)
			if d != nil || !errors.Is(err, flash.ErrImageSize) {
				t.Fatalf("Load = %v, %v; want ErrImageSize", d, err)
			}
			var fe *flash.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("not a *FormatError: %T", err)
			}
			if diff := cmp.Diff([]any{tt.path, tt.wantOff}, []any{fe.Path, fe.Off}); diff != "" {
				t.Errorf("path/offset (-want +got):\n%s", diff)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "flash: ") {
				t.Errorf("message %q lacks package prefix", msg)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not mention %q", msg, w)
				}
			}
		})
	}
	if _, err := flash.Load(filepath.Join(dir, "missing.bin")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.bin") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := flash.Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Base(dir)) {
		t.Errorf("directory: %v", err)
	}
}

func TestSaveLeavesNoTempOnError(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "out.bin")
	// A non-empty directory in the way: the rename fails after the temporary
	// file has been fully written.
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := flash.New().Save(target); err == nil || !strings.HasPrefix(err.Error(), "flash: save: ") {
		t.Fatalf("Save over a directory: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"out.bin"}, names); diff != "" {
		t.Errorf("directory after failed Save (-want +got):\n%s", diff)
	}
	// Nonexistent directory: error, nothing created.
	if err := flash.New().Save(filepath.Join(dir, "nope", "out.bin")); err == nil {
		t.Error("Save into missing directory succeeded")
	}
}

func TestFromBytes(t *testing.T) {
	b := flashtest.Pattern(3, flash.Size)
	d, err := flash.FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(b)
	b[0] ^= 0xFF // the device holds a copy
	if !bytes.Equal(d.Bytes(), want) {
		t.Error("device aliases the input")
	}
	for _, n := range []int{0, 1, flash.Size - 1, flash.Size + 1} {
		_, err := flash.FromBytes(make([]byte, n))
		var fe *flash.FormatError
		if !errors.As(err, &fe) || !errors.Is(err, flash.ErrImageSize) || fe.Off != int64(min(n, flash.Size)) || fe.Path != "" {
			t.Errorf("FromBytes(%d bytes) = %v", n, err)
		}
	}
}

// FuzzFromBytes: any input is rejected or accepted without panic, and a
// wrong-size input allocates nothing near 4 MiB. Inputs starting with an
// odd byte are also fed to ReadImage claiming the right size (a short
// reader), and inputs starting with 0xA5 are repeated to 4 MiB and must
// round-trip; both cost 4 MiB, so the fuzzer only sometimes takes them.
func FuzzFromBytes(f *testing.F) {
	for _, name := range []string{"short-1000.bin", "empty.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xFF})
	f.Add([]byte{0xA5, 0x00, 0x5A})
	f.Fuzz(func(t *testing.T, in []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d, err := flash.FromBytes(in)
		runtime.ReadMemStats(&after)
		if len(in) != flash.Size {
			if d != nil || !errors.Is(err, flash.ErrImageSize) {
				t.Fatalf("%d bytes accepted: %v", len(in), err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
				t.Fatalf("rejecting %d bytes allocated %d bytes", len(in), grew)
			}
		}
		if len(in) == 0 || len(in) >= flash.Size {
			return
		}
		if in[0]&1 == 1 {
			_, err := flash.ReadImage(bytes.NewReader(in), flash.Size)
			var fe *flash.FormatError
			if !errors.As(err, &fe) || !errors.Is(err, flash.ErrImageSize) || fe.Off != int64(len(in)) {
				t.Fatalf("short reader of %d bytes: %v", len(in), err)
			}
		}
		if in[0] != 0xA5 {
			return
		}
		img := bytes.Repeat(in, flash.Size/len(in)+1)[:flash.Size]
		d, err = flash.FromBytes(img)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.Bytes(), img) {
			t.Fatal("round trip")
		}
		if err := d.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseTear(f *testing.F) {
	file, err := os.Open(filepath.Join("testdata", "tears.txt"))
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text())
	}
	f.Fuzz(func(t *testing.T, s string) {
		tear, err := flash.ParseTear(s)
		if err != nil {
			if !errors.Is(err, flash.ErrBadTear) {
				t.Fatalf("%q: error %v does not wrap ErrBadTear", s, err)
			}
			return
		}
		back, err := flash.ParseTear(tear.String())
		if err != nil || back != tear {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, tear, tear.String(), back, err)
		}
		if tear.K < 0 || tear.K > flash.Block64K {
			t.Fatalf("%q: K = %d", s, tear.K)
		}
	})
}
