package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/ws63emu/ws63emu/flash"
)

// TestSweepErrors produces every sweep sentinel.
func TestSweepErrors(t *testing.T) {
	good := parseSweep(t, smallSweep)
	noBlock := parseSweep(t, "device layout=compress\n")
	empty := parseSweep(t, "device layout=compress\nsweep-begin\nsweep-end\n")
	cutInside := parseSweep(t, strings.Replace(smallSweep, "store up\n", "store up\ncut op=3\n", 1))
	noApp := parseSweep(t, strings.Replace(smallSweep, "power-on\n", "", 1))
	rep, err := Sweep(good, SweepOptions{Stride: 50})
	if err != nil {
		t.Fatal(err)
	}
	b, err := rep.EncodeJSON()
	if err != nil {
		t.Fatal(err)
	}
	other := *rep
	other.Script = "0000"
	tests := []struct {
		name string
		err  func() error
		want error
	}{
		{"negative stride", func() error { _, err := Sweep(good, SweepOptions{Stride: -1}); return err }, ErrSweepOptions},
		{"bad shard", func() error { _, err := Sweep(good, SweepOptions{Shard: 3, Shards: 3}); return err }, ErrSweepOptions},
		{"bad tear", func() error { _, err := ParseTearModels("before,sideways"); return err }, ErrSweepOptions},
		{"no block", func() error { _, err := Sweep(noBlock, SweepOptions{}); return err }, ErrNoSweep},
		{"empty block", func() error { _, err := Sweep(empty, SweepOptions{}); return err }, ErrNoSweep},
		{"cut in block", func() error { _, err := Sweep(cutInside, SweepOptions{}); return err }, ErrSweepBlock},
		{"reference fails in block", func() error { _, err := Sweep(noApp, SweepOptions{}); return err }, ErrSweepBlock},
		{"bad token", func() error { _, err := ParseToken("t.scn@op=x,tear=before"); return err }, ErrToken},
		{"token without op", func() error { _, err := ParseToken("t.scn@tear=before"); return err }, ErrToken},
		{"replay before block", func() error {
			_, _, err := Replay(good, 1, flash.Tear{}, Options{})
			return err
		}, ErrNotCutPoint},
		{"replay beyond block", func() error {
			_, _, err := Replay(good, 1<<40, flash.Tear{}, Options{})
			return err
		}, ErrNotCutPoint},
		{"report garbage", func() error { _, err := DecodeSweepReport("x.json", strings.NewReader("{")); return err }, ErrSweepReport},
		{"report unsorted", func() error {
			bad := strings.Replace(string(b), `"index":0,`, `"index":5,`, 1)
			_, err := DecodeSweepReport("x.json", strings.NewReader(bad))
			return err
		}, ErrSweepReport},
		{"merge nothing", func() error { _, err := MergeSweeps(); return err }, ErrMerge},
		{"merge other scenario", func() error { _, err := MergeSweeps(rep, &other); return err }, ErrMerge},
		{"merge twice", func() error { _, err := MergeSweeps(rep, rep); return err }, ErrMerge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// TestTokenRoundTrip: Token.String and ParseToken agree, whatever the
// path holds (an '@' included).
func TestTokenRoundTrip(t *testing.T) {
	for _, tok := range []Token{
		{File: "a/b@c/w1.scn", Op: 12345, Tear: flash.Tear{Kind: flash.TearBits, Seed: 7}, Sum: "abcdef012345"},
		{File: "x.scn", Op: 0, Tear: flash.Tear{Kind: flash.TearPrefix, K: 17}, Sum: "000000000000"},
		{File: "x.scn", Op: 9, Tear: flash.Tear{Kind: flash.TearAfter}, Sum: "ff00ff00ff00ff00"},
		{File: "x.scn", Op: 9, Tear: flash.Tear{Kind: flash.TearBefore}, Engine: EngineSDK, Sum: "ff00ff00ff00ff00"},
		{File: "x.scn", Op: 9, Tear: flash.Tear{Kind: flash.TearBefore}, Engine: EngineGo},
	} {
		got, err := ParseToken(tok.String())
		if err != nil || got != tok {
			t.Errorf("ParseToken(%q) = %+v, %v", tok, got, err)
		}
	}
}

// TestTokenRefusesShortSumAndRepeats: a script hash shorter than the
// printed one is a bad token (not "the scenario changed"), and a field
// given twice is refused, not the last one taken.
func TestTokenRefusesShortSumAndRepeats(t *testing.T) {
	for _, s := range []string{
		"x.scn@op=9,tear=after,script=fa8c91",
		"x.scn@op=1500,op=1600,tear=before",
		"x.scn@op=1500,tear=before,tear=after",
		"x.scn@op=1500,tear=before,engine=rust",
		"x.scn@op=1500,tear=before,engine=sdk,engine=go",
	} {
		if _, err := ParseToken(s); !errors.Is(err, ErrToken) {
			t.Errorf("ParseToken(%q) = %v, want ErrToken", s, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add("testdata/sweeps/w1.scn@op=23700,tear=prefix:128,script=9cc0936e4d10")
	f.Add("x@op=1,tear=bits:18446744073709551615")
	f.Add("@@op=,tear=")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			return
		}
		back, err := ParseToken(tok.String())
		if err != nil || back != tok {
			t.Fatalf("round trip of %q: %+v, %v", s, back, err)
		}
	})
}

func FuzzDecodeSweepReport(f *testing.F) {
	s, err := Parse("t.scn", strings.NewReader(smallSweep))
	if err != nil {
		f.Fatal(err)
	}
	rep, err := Sweep(s, SweepOptions{Stride: 200, Tears: []TearModel{{Kind: flash.TearBefore}, {Kind: flash.TearBits}}})
	if err != nil {
		f.Fatal(err)
	}
	b, err := rep.EncodeJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"shards":1,"shard_list":[0],"total":1,"points":[{"index":0}]}`))
	f.Add([]byte(`{"points":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeSweepReport("f.json", strings.NewReader(string(data)))
		if err != nil {
			return
		}
		// A report that decodes encodes, merges with itself refused, and
		// summarises without panicking.
		if _, err := r.EncodeJSON(); err != nil {
			t.Fatal(err)
		}
		if _, err := MergeSweeps(r, r); err == nil && len(r.ShardList) > 0 {
			t.Fatal("merging a report with itself succeeded")
		}
		var sb strings.Builder
		r.WriteSummary(&sb, 3)
		if _, err := r.JUnit(); err != nil {
			t.Fatal(err)
		}
	})
}
