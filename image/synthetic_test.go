package image

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ulikunitz/xz/lzma"

	"github.com/ws63emu/ws63emu/internal/testutil"
)

// lzmaRatio compresses b as the SDK's lzma_tool is configured (4 KiB
// dictionary, lc=0, lp=0, pb=2, size in header, no end marker) and returns
// compressed/original. The xz dependency belongs to upg; this test-only
// use measures what upg will see.
func lzmaRatio(t testing.TB, b []byte) float64 {
	t.Helper()
	var buf bytes.Buffer
	w, err := lzma.WriterConfig{
		Properties: &lzma.Properties{LC: 0, LP: 0, PB: 2}, DictCap: 4096,
		SizeInHeader: true, Size: int64(len(b)), EOSMarker: false,
	}.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return float64(buf.Len()) / float64(len(b))
}

// TestSyntheticRatio: the synthetic code compresses like real RV32IMC code
// (0.55..0.70) for any seed, from 64 KiB to 2 MiB. The 2 MiB cases take
// about a second; -short leaves them out.
func TestSyntheticRatio(t *testing.T) {
	type tc struct {
		kind Kind
		size int
		seed uint64
	}
	var cases []tc
	for _, seed := range []uint64{0, 1, 0xDEADBEEF} {
		cases = append(cases, tc{KindFlashboot, 60 << 10, seed}, tc{KindApp, 64 << 10, seed}, tc{KindApp, 300000, seed})
	}
	if !testing.Short() {
		cases = append(cases, tc{KindApp, 1 << 20, 7}, tc{KindApp, 2 << 20, 1}, tc{KindApp, 2 << 20, 2})
	}
	for _, c := range cases {
		code := SyntheticCode(Ident{Kind: c.kind, Version: fmt.Sprint("v", c.seed), VersionExt: 1, Seed: c.seed}, c.size)
		r := lzmaRatio(t, code)
		t.Logf("%v %7d bytes seed %#x: ratio %.3f", c.kind, c.size, c.seed, r)
		if r < 0.55 || r > 0.70 {
			t.Errorf("%v %d bytes seed %#x: LZMA ratio %.3f outside [0.55, 0.70]", c.kind, c.size, c.seed, r)
		}
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	id := Ident{Kind: KindApp, Version: "1.0.0", VersionExt: 1, Seed: 42}
	a := SyntheticCode(id, 100000)
	b := SyntheticCode(id, 100000)
	if !bytes.Equal(a, b) {
		t.Fatal("two calls with the same ident and size differ")
	}
	if len(a) != 100000 {
		t.Fatalf("len %d", len(a))
	}
	x, err := Synthetic(id, 100000, nil)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := Synthetic(id, 100000, nil)
	if !bytes.Equal(x, y) {
		t.Fatal("two Synthetic images differ")
	}
}

// sameFraction is the fraction of positions holding equal bytes.
func sameFraction(a, b []byte) float64 {
	n, same := min(len(a), len(b)), 0
	for i := range n {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(n)
}

// TestSyntheticRebuildsDiffer: another version or seed changes the code
// throughout, as a real rebuild does, not just the ident record.
func TestSyntheticRebuildsDiffer(t *testing.T) {
	v1 := SyntheticCode(Ident{Kind: KindApp, Version: "1.0.0", VersionExt: 1, Seed: 1}, 256<<10)
	for _, id := range []Ident{
		{Kind: KindApp, Version: "1.0.1", VersionExt: 1, Seed: 1},
		{Kind: KindApp, Version: "1.0.0", VersionExt: 1, Seed: 2},
		{Kind: KindApp, Version: "1.0.0", VersionExt: 3, Seed: 1},
		{Kind: KindFlashboot, Version: "1.0.0", VersionExt: 1, Seed: 1},
	} {
		v2 := SyntheticCode(id, 256<<10)
		f := sameFraction(v1[IdentLen:], v2[IdentLen:])
		t.Logf("%+v: %.3f of the bytes equal", id, f)
		if f > 0.15 {
			t.Errorf("%+v: %.3f of the bytes equal v1's", id, f)
		}
		// The two together compress no better than apart: no shared runs
		// within the 4 KiB window.
		tail := 64 << 10
		both := append(append([]byte(nil), v1[:tail]...), v2[:tail]...)
		if r := lzmaRatio(t, both); r < 0.55 {
			t.Errorf("%+v: v1+v2 compress to %.3f", id, r)
		}
	}
}

func TestIdentRoundTrip(t *testing.T) {
	for _, id := range []Ident{
		{Kind: KindApp, Version: "1.2.3", VersionExt: 7, Seed: 0xFFFFFFFFFFFFFFFF},
		{Kind: KindFlashboot, Version: "", Seed: 0},
		{Kind: KindFlashbootBackup, Version: "0123456789012345678901234567890", VersionExt: 0xFFFFFFFF, Seed: 9},
	} {
		got, ok := IdentOf(SyntheticCode(id, 4096))
		if !ok {
			t.Fatalf("%+v: no ident read back", id)
		}
		if got != id {
			t.Errorf("read back %+v, want %+v", got, id)
		}
	}
	// Too long a version is cut by SyntheticCode, refused by Synthetic.
	long := Ident{Kind: KindApp, Version: "0123456789012345678901234567890123"}
	if got, ok := IdentOf(SyntheticCode(long, 4096)); !ok || got.Version != long.Version[:IdentVersionMax] {
		t.Errorf("long version read back %+v %v", got, ok)
	}
	if _, err := Synthetic(long, 4096, nil); !errors.Is(err, ErrBadOptions) {
		t.Errorf("Synthetic with a long version: %v", err)
	}
}

func TestIdentOfRejects(t *testing.T) {
	good := SyntheticCode(Ident{Kind: KindApp, Version: "1"}, 256)
	for _, tc := range []struct {
		name string
		mess func([]byte) []byte
	}{
		{"short", func(b []byte) []byte { return b[:IdentLen-1] }},
		{"magic", flip(0)},
		{"format", flip(8)},
		{"kind", flip(9)},
		{"crc", flip(60)},
		{"version byte", flip(24)},
		{"nil", func(b []byte) []byte { return nil }},
	} {
		if _, ok := IdentOf(messWith(good, tc.mess)); ok {
			t.Errorf("%s: IdentOf accepted a damaged record", tc.name)
		}
	}
	if _, ok := IdentOf(make([]byte, 4096)); ok {
		t.Error("IdentOf accepted zeros")
	}
}

func TestSyntheticImage(t *testing.T) {
	id := Ident{Kind: KindFlashboot, Version: "fb-2", VersionExt: 3, Seed: 5}
	k := testKey(t, "synthetic")
	b, err := Synthetic(id, 60<<10, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != HeaderLen+60<<10 {
		t.Errorf("image of %d bytes, want %d", len(b), HeaderLen+60<<10)
	}
	im, err := Parse(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := im.Ident(); !ok || got != id {
		t.Errorf("ident %+v %v", got, ok)
	}
	if im.Info.VersionExt != 3 || im.Kind != KindFlashboot {
		t.Errorf("version_ext %d kind %v", im.Info.VersionExt, im.Kind)
	}
	if err := Verify(im, VerifyOptions{SecureBoot: true, ParentKey: k.XY(), EfuseVersion: 3}); err != nil {
		t.Error(err)
	}
	// Odd size: padded to 16.
	b, err = Synthetic(id, 1001, nil)
	if err != nil || len(b) != HeaderLen+1008 {
		t.Errorf("odd size: len %d err %v", len(b), err)
	}
	for _, bad := range []struct {
		id   Ident
		size int
	}{
		{Ident{Kind: 0}, 4096},
		{id, IdentLen - 1},
		{id, MaxLen},
	} {
		if _, err := Synthetic(bad.id, bad.size, nil); !errors.Is(err, ErrBadOptions) {
			t.Errorf("Synthetic(%+v, %d) err %v, want ErrBadOptions", bad.id, bad.size, err)
		}
	}
	for size := range 700 {
		if c := SyntheticCode(id, size); len(c) != size {
			t.Fatalf("SyntheticCode(%d) gave %d bytes", size, len(c))
		}
	}
	if c := SyntheticCode(id, 0); len(c) != 0 {
		t.Errorf("size 0: %d bytes", len(c))
	}
	if c := SyntheticCode(id, 10); len(c) != 10 || string(c[:8]) != IdentMagic {
		t.Errorf("size 10: %q", c)
	}
}

// BenchmarkSyntheticCode generates 2 MiB of app code. Its LZMA ratio is
// reported beside the ratio of the SDK-made app image (when the reference
// data is present), the real code it imitates.
func BenchmarkSyntheticCode(b *testing.B) {
	const size = 2 << 20
	id := Ident{Kind: KindApp, Version: "bench", Seed: 1}
	b.SetBytes(size)
	for b.Loop() {
		SyntheticCode(id, size)
	}
	b.StopTimer()
	b.ReportMetric(lzmaRatio(b, SyntheticCode(id, size)), "lzma-ratio")
	if testutil.ReferenceDir() != "" {
		ref := testutil.ReadReference(b, "sdk-made/app_v2-sign.bin")
		b.ReportMetric(lzmaRatio(b, ref[HeaderLen:]), "sdk-app-lzma-ratio")
	}
}
