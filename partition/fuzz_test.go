package partition_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ws63emu/ws63emu/partition"
)

var update = flag.Bool("update", false, "rewrite the generated testdata seeds")

// seeds are the generated fuzz seeds in testdata/ (never the reference blob:
// the compress table is only used with custom partitions and fake ECDSA).
func seeds(t testing.TB) map[string][]byte {
	ab, err := partition.BuildParams(partition.Default(partition.LayoutAB), partition.ParamsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := partition.Default(partition.LayoutCompress).WithCustom(partition.Reserve0, 0x3F3000, 0x4000)
	if err == nil {
		custom, err = custom.WithCustom(partition.Reserve1, 0x3F7000, 0x4000)
	}
	if err != nil {
		t.Fatal(err)
	}
	signed, err := partition.BuildParams(custom, partition.ParamsOptions{Root: fakeKey{"root"}, Sub: fakeKey{"sub"}, VersionExt: 1, VersionMask: 0xFF})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"params_ab.bin": ab, "params_custom_signed.bin": signed}
}

// TestSeedFiles keeps testdata/ in step with BuildParams; go test -update
// rewrites it.
func TestSeedFiles(t *testing.T) {
	for name, want := range seeds(t) {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./partition -run TestSeedFiles -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go test ./partition -run TestSeedFiles -update and review", path)
		}
	}
}

func readSeeds(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range []string{"params_ab.bin", "params_custom_signed.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// allocated returns the bytes allocated while running fn.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// maxAlloc bounds what one parse may allocate whatever size it is told.
const maxAlloc = 64 << 10

// hugeReader claims to be enormous but holds only data.
type hugeReader struct{ data []byte }

func (h hugeReader) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(h.data).ReadAt(p, off)
}

func FuzzParse(f *testing.F) {
	for _, s := range readSeeds(f) {
		f.Add(s[partition.TableOffset:])
		f.Add(s[partition.TableOffset : partition.TableOffset+0x20])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tbl partition.Table
		var err error
		if n := allocated(func() { tbl, err = partition.Parse(hugeReader{data}, 1<<62) }); n > maxAlloc {
			t.Fatalf("Parse allocated %d bytes", n)
		}
		tbl2, err2 := partition.Parse(bytes.NewReader(data), int64(len(data)))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("declared size changed the outcome: %v vs %v", err, err2)
		}
		if err != nil {
			if partition.Code(err) != partition.CodeInit {
				t.Fatalf("parse error %v maps to %#x", err, partition.Code(err))
			}
			return
		}
		if d := cmp.Diff(tbl, tbl2); d != "" {
			t.Fatal(d)
		}
		_ = tbl.Validate(partition.FlashSize)
		b, err := tbl.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := partition.Parse(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("re-encoded table does not parse: %v", err)
		}
		if d := cmp.Diff(tbl, back); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}

func FuzzParseParams(f *testing.F) {
	for _, s := range readSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p *partition.Params
		var err error
		if n := allocated(func() { p, err = partition.ParseParams(hugeReader{data}, 1<<62) }); n > maxAlloc {
			t.Fatalf("ParseParams allocated %d bytes", n)
		}
		if err != nil {
			return
		}
		p.VerifyECDSA(fakeVerifier{})
		if p.TableHashOK != (p.TableHash == p.Info.AreaHash) {
			t.Fatal("TableHashOK inconsistent")
		}
		// Rebuilding from the decoded table gives a blob that parses with
		// every hash check passing.
		b, err := partition.BuildParams(p.Table, partition.ParamsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		q, err := partition.ParseParams(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if !q.KeyHashOK || !q.InfoHashOK || !q.TableHashOK {
			t.Fatal("rebuilt blob fails its hash checks")
		}
		if d := cmp.Diff(p.Table, q.Table); d != "" {
			t.Fatal(d)
		}
	})
}
