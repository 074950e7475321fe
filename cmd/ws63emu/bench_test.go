//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/internal/testutil"
	"github.com/ws63emu/ws63emu/upg"
)

// w1Script is reference workload W1 (docs/design.md §8) on files, as a
// user runs it: the images and the package come from ws63emu's own image
// build and pack commands (BenchmarkW1Process writes them).
const w1Script = `device layout=compress root-key=root.pem
image app-v1 file=app1.bin
image app-v2 file=app2.bin
image fb-v1 file=fb1.bin
image fb-v2 file=fb2.bin
package update file=update.fwpkg
burn fb-v1 app-v1
power-on
store update chunk=4096
request-upgrade
power-on
expect running app-v2
expect verdict upgraded
`

// BenchmarkW1Process times one W1 upgrade as a whole process (`ws63emu run
// w1.scn`, built with go build: start-up, reading the files, the
// upgrade and its checks) beside the host doing the same data work with
// standard tools (`xz --format=lzma -dc` of both LZMA payloads, then
// `sha256sum` of the package), the two run in turn each iteration.
// It reports both medians and their ratio (x-vs-ref; issue 15's target is
// at most 2). Use -benchtime 11x or so for steady medians.
func BenchmarkW1Process(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b)
	cli := func(args ...string) {
		b.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ws63emu %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cli("keygen", "-o", "root.pem")
	cli("keygen", "-o", "sub.pem")
	for _, im := range []struct{ kind, ver, seed, size, out string }{
		{"app", "1.0.0", "1", "2097152", "app1.bin"}, {"app", "2.0.0", "2", "2097152", "app2.bin"},
		{"flashboot", "1.0.0", "1", "61440", "fb1.bin"}, {"flashboot", "2.0.0", "2", "61440", "fb2.bin"},
	} {
		cli("image", "build", "--kind", im.kind, "--version", im.ver, "--seed", im.seed, "--size", im.size, "--hash-only", "-o", im.out)
	}
	cli("pack", "--pkt", "app", "--app", "app2.bin", "--flashboot", "fb2.bin", "--root-key", "root.pem", "--sub-key", "sub.pem", "--ver", "2.0.0", "-o", "update.fwpkg")
	if err := os.WriteFile(filepath.Join(dir, "w1.scn"), []byte(w1Script), 0o644); err != nil {
		b.Fatal(err)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	pkg := read("update.fwpkg")
	var payloads [][]byte
	for _, name := range []string{"app2.bin", "fb2.bin"} {
		z, err := upg.CompressLZMA(read(name))
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(pkg, z) {
			b.Fatalf("%s: its LZMA payload is not in the package", name)
		}
		payloads = append(payloads, z)
	}
	h, haveRef := testutil.NewHostRef(b, b.TempDir(), pkg, payloads...)

	var ours, ref []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cmd := exec.Command(bin, "run", "w1.scn")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		ours = append(ours, time.Since(start))
		if err != nil || !bytes.Contains(out, []byte("verdict upgraded")) {
			b.Fatalf("ws63emu run w1.scn: %v\n%s", err, out)
		}
		if haveRef {
			b.StopTimer()
			ref = append(ref, h.Run(b))
			b.StartTimer()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(testutil.Median(ours).Microseconds())/1e3, "ms-median")
	if haveRef {
		r := testutil.Median(ref)
		b.ReportMetric(float64(r.Microseconds())/1e3, "ref-xz+sha256sum-ms")
		b.ReportMetric(float64(testutil.Median(ours))/float64(r), "x-vs-ref")
	}
}
