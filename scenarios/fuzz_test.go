package scenarios

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FuzzParse feeds arbitrary text to Parse: it must not panic, must return a
// *SyntaxError or a script, must allocate in proportion to its input, and
// a script's canonical form must parse back to itself.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.scn"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"device layout=compress\npower-on\n",
		"device layout=ab seed=0x10 root-key=none\ncut op=1 tear=bits:5\nfault bitflip part=fota off=0x10 bit=3\n",
		"image a kind=app version=1 size=1K\npackage p images=a compress=none\n",
		"device layout=compress\nexpect retries app=0|finished\nexpect verdict upgraded|kept-old\n",
		"sweep-begin\nsweep-end\n",
		"# only a comment\n\r\n\t\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := Parse("fuzz.scn", bytes.NewReader(data))
		runtime.ReadMemStats(&after)
		// Parse reads the whole input, then builds commands from it:
		// allocation is linear in the input with a small constant.
		if n := after.TotalAlloc - before.TotalAlloc; n > 64*uint64(len(data))+1<<20 {
			t.Errorf("Parse of %d bytes allocated %d bytes", len(data), n)
		}
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error is not a syntax error: %v", err)
			}
			return
		}
		text := s.String()
		s2, err := Parse("fuzz.scn", bytes.NewReader([]byte(text)))
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, text)
		}
		if got := s2.String(); got != text {
			t.Fatalf("canonical form changed:\n%s\nvs\n%s", text, got)
		}
	})
}
