package scenarios

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// TestSweepContextPartial: a sweep whose context is cancelled mid-phase
// keeps a prefix of the points, says how far it got, does not pass, and
// its report reads back and merges (still partial).
func TestSweepContextPartial(t *testing.T) {
	s := parseSweep(t, smallSweep)
	for _, phase := range []string{"points", "double cuts", "determinism"} {
		t.Run(phase, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			o := SweepOptions{Stride: 5, Jobs: 2, Double: 2, VerifyDeterminism: 3,
				PhaseProgress: func(p string, done, total int) {
					if p == phase {
						cancel(errors.New("test stop"))
					}
				}}
			rep, err := SweepContext(ctx, s, o)
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Partial
			if p == nil || p.Phase != phase || p.Done >= p.Of || p.Cause != "test stop" || rep.Passed() {
				t.Fatalf("partial %+v, passed %v", p, rep.Passed())
			}
			if phase == "points" && len(rep.Points) != p.Done {
				t.Errorf("%d points for %d done", len(rep.Points), p.Done)
			}
			for i, pt := range rep.Points {
				if pt.Index != i {
					t.Fatalf("point %d has index %d", i, pt.Index)
				}
			}
			var sum bytes.Buffer
			rep.WriteSummary(&sum, 3)
			if !strings.Contains(sum.String(), "PARTIAL: stopped (test stop) in the "+phase+" phase") {
				t.Errorf("summary:\n%s", sum.String())
			}
			b, err := rep.EncodeJSON()
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeSweepReport("r.json", bytes.NewReader(b))
			if err != nil || back.Partial == nil || *back.Partial != *p || back.FormatVersion != SweepFormatVersion {
				t.Fatalf("read back: %v, %+v", err, back)
			}
			m, err := MergeSweeps(back)
			if err != nil || m.Partial == nil || m.Partial.Done != p.Done || m.Partial.Of != p.Of || m.Passed() {
				t.Errorf("merged: %v, %+v", err, m.Partial)
			}
		})
	}
	// Cancelled before the points: an error, no report.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rep, err := SweepContext(ctx, s, SweepOptions{Stride: 5}); err == nil || rep != nil {
		t.Errorf("cancelled before: %v, %v", rep, err)
	}
}

// TestDecodeNewerFormat: a report of a newer format is refused.
func TestDecodeNewerFormat(t *testing.T) {
	rep, err := Sweep(parseSweep(t, smallSweep), SweepOptions{Stride: 50})
	if err != nil {
		t.Fatal(err)
	}
	rep.FormatVersion = SweepFormatVersion + 1
	b, _ := rep.EncodeJSON()
	if _, err := DecodeSweepReport("r.json", bytes.NewReader(b)); !errors.Is(err, ErrSweepReport) || !strings.Contains(err.Error(), "format_version 2") {
		t.Errorf("err %v", err)
	}
}

// TestJUnitCounts: each failure is counted once (the summary case fails
// only for the run as a whole), the counts add up, and the class name
// has no dot but the two of its package.
func TestJUnitCounts(t *testing.T) {
	s := parseSweep(t, strings.Replace(smallSweep, "expect verdict upgraded|kept-old", "power-on\nexpect verdict upgraded", 1))
	rep, err := Sweep(s, SweepOptions{Stride: 9})
	if err != nil {
		t.Fatal(err)
	}
	nf := len(rep.Failed())
	if nf == 0 {
		t.Fatal("no failing point")
	}
	b, err := rep.JUnitTimed(1500e6)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Time     string `xml:"time,attr"`
		Suites   []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Class   string    `xml:"classname,attr"`
				Time    string    `xml:"time,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 1+nf || doc.Failures != nf || doc.Time != "1.500" || len(doc.Suites) != 2 {
		t.Fatalf("tests %d failures %d time %s suites %d; %d failing points", doc.Tests, doc.Failures, doc.Time, len(doc.Suites), nf)
	}
	sum := doc.Suites[0]
	if len(sum.Cases) != 1 || sum.Cases[0].Name != "summary" || sum.Cases[0].Failure != nil || sum.Failures != 0 {
		t.Errorf("summary suite: %+v", sum)
	}
	cases, failures := 0, 0
	for _, su := range doc.Suites {
		cases += len(su.Cases)
		failures += su.Failures
		for _, c := range su.Cases {
			if c.Time == "" || strings.Count(c.Class, ".") != 2 || !strings.HasPrefix(c.Class, "ws63emu.sweep.") {
				t.Errorf("case %q: class %q time %q", c.Name, c.Class, c.Time)
			}
		}
	}
	if cases != doc.Tests || failures != doc.Failures {
		t.Errorf("cases %d failures %d, totals %d %d", cases, failures, doc.Tests, doc.Failures)
	}
	if got := JUnitClass("sweep", "testdata/sweeps/w1.scn"); got != "ws63emu.sweep.testdata_sweeps_w1_scn" {
		t.Errorf("JUnitClass = %q", got)
	}
}
