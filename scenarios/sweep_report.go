package scenarios

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// MaxSweepReportLen bounds a sweep report file read back (DecodeSweepReport):
// a full sweep of the largest scenarios is a few tens of MiB.
const MaxSweepReportLen = 64 << 20

// verdictOrder is the order summaries list verdicts in: docs/design.md §5's,
// then "off", then anything else alphabetically.
func verdictOrder(counts map[string]int) []string {
	var out []string
	for _, v := range append(slices.Clone(verdicts), "off") {
		if counts[v] > 0 {
			out = append(out, v)
		}
	}
	var rest []string
	for v := range counts {
		if !slices.Contains(out, v) {
			rest = append(rest, v)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func countsText(counts map[string]int) string {
	var parts []string
	for _, v := range verdictOrder(counts) {
		parts = append(parts, fmt.Sprintf("%s %d", v, counts[v]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Window is a run of consecutive cut points (in op order, one tear model)
// that fail the same way in the same phase: an unsafe window of the flow.
type Window struct {
	Model    string
	Phase    string
	FirstOp  uint64
	LastOp   uint64
	Points   int
	Verdict  string
	Example  PointResult // the first point of the window
	Contains []int       // indices of its points
}

// Windows groups the failing points into windows, in op order per tear
// model. Points of a strided sweep are consecutive when no point of the
// same model between them passed.
func (r *SweepReport) Windows() []Window {
	var out []Window
	for _, m := range r.Tears {
		var cur *Window
		for _, p := range r.Points {
			if p.Model != m {
				continue
			}
			if p.Pass {
				cur = nil
				continue
			}
			if cur != nil && cur.Phase == p.Phase && cur.Verdict == p.Verdict {
				cur.LastOp = p.Op
				cur.Points++
				cur.Contains = append(cur.Contains, p.Index)
				continue
			}
			out = append(out, Window{Model: m, Phase: p.Phase, FirstOp: p.Op, LastOp: p.Op, Points: 1,
				Verdict: p.Verdict, Example: p, Contains: []int{p.Index}})
			cur = &out[len(out)-1]
		}
	}
	return out
}

// WriteSummary writes the text summary ws63emu sweep prints: points run,
// verdict counts overall and per tear model, the failing windows and the
// first maxFailures failing points with their reproduction tokens.
func (r *SweepReport) WriteSummary(w io.Writer, maxFailures int) {
	shards := ""
	if r.Shards > 1 {
		shards = fmt.Sprintf(", shards %s of %d", intsText(r.ShardList), r.Shards)
	}
	fmt.Fprintf(w, "sweep %s: %d cut points (flash ops #%d..#%d), tears %s, stride %d%s: %d of %d points run\n",
		r.File, r.Ops, r.FirstOp, r.FirstOp+uint64(r.Ops)-1, strings.Join(r.Tears, ","), r.Stride, shards, len(r.Points), r.Total)
	ref := "pass"
	if !r.Reference.Pass {
		ref = "FAIL: " + r.Reference.Failure
	}
	if r.Partial != nil {
		fmt.Fprintf(w, "PARTIAL: %s\n", r.Partial)
	}
	fmt.Fprintf(w, "reference run (no cut): %s, %d boots, %s\n", r.Reference.Verdict, r.Reference.Boots, ref)
	fmt.Fprintf(w, "verdicts: %s\n", countsText(r.Counts("")))
	if len(r.Tears) > 1 {
		for _, m := range r.Tears {
			fmt.Fprintf(w, "  %-8s %s\n", m+":", countsText(r.Counts(m)))
		}
	}
	if r.Determinism != nil {
		d := r.Determinism
		status := "ok"
		if len(d.Mismatches) > 0 {
			status = fmt.Sprintf("%d MISMATCHES", len(d.Mismatches))
		}
		fmt.Fprintf(w, "determinism: %d points run twice, %d replayed plainly: %s\n", d.Sampled, d.Replayed, status)
		for _, m := range d.Mismatches {
			fmt.Fprintf(w, "  %s\n", m)
		}
	}
	if r.Double > 0 {
		dv := map[string]int{}
		for _, d := range r.Doubles {
			dv[d.Verdict]++
		}
		fd := r.FailedDoubles()
		fmt.Fprintf(w, "double cuts: %d (up to %d in the recovery of each point): %s; failing %d\n", len(r.Doubles), r.Double, countsText(dv), len(fd))
		for _, d := range fd[:min(len(fd), maxFailures)] {
			fmt.Fprintf(w, "  after point #%d, op #%d %s 0x%06x+%d (%s) tear %s: %s after %d boots: %s\n    ws63emu replay %s\n",
				d.First, d.Op, d.Kind, d.Addr, d.Len, d.Phase, d.Tear, d.Verdict, d.Boots, d.Failure, ShellQuote(d.Token))
		}
	}
	failed := r.Failed()
	if len(failed) == 0 {
		fmt.Fprintln(w, "failing points: 0")
		return
	}
	wins := r.Windows()
	fmt.Fprintf(w, "failing points: %d, in %d windows:\n", len(failed), len(wins))
	for _, win := range wins {
		fmt.Fprintf(w, "  ops #%d..#%d (%s), tear %s: %s at %d point%s, e.g. %s\n",
			win.FirstOp, win.LastOp, win.Phase, win.Model, win.Verdict, win.Points, plural(win.Points), win.Example.Token)
	}
	n := min(len(failed), maxFailures)
	fmt.Fprintf(w, "first %d failing points:\n", n)
	for _, p := range failed[:n] {
		fmt.Fprintf(w, "  #%d op #%d %s 0x%06x+%d (%s) tear %s: %s after %d boots: %s\n    ws63emu replay %s\n",
			p.Index, p.Op, p.Kind, p.Addr, p.Len, p.Phase, p.Tear, p.Verdict, p.Boots, p.Failure, ShellQuote(p.Token))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func intsText(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// MarshalJSON-like encoding with one point per line, so that reports diff
// and stream well. EncodeJSON is the --json form; DecodeSweepReport reads
// it back.
func (r *SweepReport) EncodeJSON() ([]byte, error) {
	head := *r
	head.Points = nil
	b, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return nil, err
	}
	// Replace the trailing `"points": null` with the points, one a line.
	i := bytes.LastIndex(b, []byte(`"points": null`))
	if i < 0 {
		return nil, errors.New("scenarios: encode sweep report: no points field")
	}
	var buf bytes.Buffer
	buf.Write(b[:i])
	buf.WriteString(`"points": [`)
	for k, p := range r.Points {
		pb, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if k > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		buf.Write(pb)
	}
	if len(r.Points) > 0 {
		buf.WriteString("\n  ")
	}
	buf.WriteString("]")
	buf.Write(b[i+len(`"points": null`):])
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// DecodeSweepReport reads an EncodeJSON report (at most
// MaxSweepReportLen bytes) and checks that it is consistent: shards
// within range, points sorted by index, unique, and each in one of the
// report's shards.
func DecodeSweepReport(name string, rd io.Reader) (*SweepReport, error) {
	data, err := io.ReadAll(io.LimitReader(rd, MaxSweepReportLen+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrSweepReport, name, err)
	}
	if len(data) > MaxSweepReportLen {
		return nil, fmt.Errorf("%w: %s: longer than %d bytes", ErrSweepReport, name, MaxSweepReportLen)
	}
	var r SweepReport
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%w: %s: offset %d: %v", ErrSweepReport, name, se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%w: %s: offset %d: %v", ErrSweepReport, name, te.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: %s: offset %d: the JSON ends early (a truncated report?)", ErrSweepReport, name, len(data))
		}
		return nil, fmt.Errorf("%w: %s: offset %d: %v", ErrSweepReport, name, dec.InputOffset(), err)
	}
	if r.FormatVersion < 0 || r.FormatVersion > SweepFormatVersion {
		return nil, fmt.Errorf("%w: %s: format_version %d: this ws63emu reads up to %d", ErrSweepReport, name, r.FormatVersion, SweepFormatVersion)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSweepReport, name, err)
	}
	return &r, nil
}

func (r *SweepReport) check() error {
	if r.Shards < 1 {
		return fmt.Errorf("shards %d < 1", r.Shards)
	}
	if len(r.ShardList) == 0 {
		return errors.New("no shard_list")
	}
	for i, s := range r.ShardList {
		if s < 0 || s >= r.Shards || (i > 0 && s <= r.ShardList[i-1]) {
			return fmt.Errorf("shard_list %v: want increasing shard numbers below %d", r.ShardList, r.Shards)
		}
	}
	if p := r.Partial; p != nil && (p.Done < 0 || p.Done > p.Of) {
		return fmt.Errorf("partial: %d of %d done", p.Done, p.Of)
	}
	for i, p := range r.Points {
		if p.Index < 0 || p.Index >= r.Total {
			return fmt.Errorf("point %d: index outside 0..%d", p.Index, r.Total-1)
		}
		if i > 0 && p.Index <= r.Points[i-1].Index {
			return fmt.Errorf("point %d: points not in increasing index order", p.Index)
		}
		if !slices.Contains(r.ShardList, p.Index%r.Shards) {
			return fmt.Errorf("point %d belongs to shard %d, not in shard_list %v", p.Index, p.Index%r.Shards, r.ShardList)
		}
	}
	for i, d := range r.Doubles {
		if d.First < 0 || d.First >= r.Total || !slices.Contains(r.ShardList, d.First%r.Shards) {
			return fmt.Errorf("double cut %d: first point %d is not one of this report's shards", i, d.First)
		}
		if i > 0 && doubleLess(d, r.Doubles[i-1]) {
			return fmt.Errorf("double cut %d: not in (first point, op) order", i)
		}
	}
	return nil
}

func doubleLess(a, b DoubleResult) bool {
	if a.First != b.First {
		return a.First < b.First
	}
	return a.Op < b.Op
}

// MergeSweeps joins shard reports of one sweep (same scenario text, tears,
// stride and shard count) into one report, points in index order. Shards
// may not overlap; a merge of some shards only is allowed and says so in
// ShardList.
func MergeSweeps(parts ...*SweepReport) (*SweepReport, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	a := parts[0]
	out := *a
	out.Points = nil
	out.Doubles = nil
	out.ShardList = nil
	out.Determinism = nil
	out.Partial = nil
	out.FormatVersion = SweepFormatVersion
	var done, of int // Partial of the merge: the stopped parts' counts, the others' points
	seen := map[int]bool{}
	for i, p := range parts {
		switch {
		case p.Script != a.Script:
			return nil, fmt.Errorf("%w: report %d is of another scenario text (script %.12s, first %.12s)", ErrMerge, i+1, p.Script, a.Script)
		case !slices.Equal(p.Tears, a.Tears) || p.Stride != a.Stride || p.Shards != a.Shards || p.Double != a.Double:
			return nil, fmt.Errorf("%w: report %d has other settings (tears %v stride %d shards %d; first %v %d %d)",
				ErrMerge, i+1, p.Tears, p.Stride, p.Shards, a.Tears, a.Stride, a.Shards)
		case p.Ops != a.Ops || p.FirstOp != a.FirstOp || p.Total != a.Total || p.Reference != a.Reference:
			return nil, fmt.Errorf("%w: report %d swept a different reference run (ops %d from #%d; first %d from #%d)",
				ErrMerge, i+1, p.Ops, p.FirstOp, a.Ops, a.FirstOp)
		}
		for _, s := range p.ShardList {
			if seen[s] {
				return nil, fmt.Errorf("%w: shard %d/%d given twice", ErrMerge, s, a.Shards)
			}
			seen[s] = true
			out.ShardList = append(out.ShardList, s)
		}
		if p.Partial != nil {
			if out.Partial == nil {
				out.Partial = &Partial{Phase: p.Partial.Phase, Cause: fmt.Sprintf("report %d: %s", i+1, p.Partial.Cause)}
			}
			done, of = done+p.Partial.Done, of+p.Partial.Of
		} else {
			done, of = done+len(p.Points), of+len(p.Points)
		}
		out.Points = append(out.Points, p.Points...)
		out.Doubles = append(out.Doubles, p.Doubles...)
		if p.Determinism != nil {
			if out.Determinism == nil {
				out.Determinism = &DeterminismCheck{}
			}
			out.Determinism.Sampled += p.Determinism.Sampled
			out.Determinism.Replayed += p.Determinism.Replayed
			out.Determinism.Mismatches = append(out.Determinism.Mismatches, p.Determinism.Mismatches...)
		}
	}
	if out.Partial != nil {
		out.Partial.Done, out.Partial.Of = done, of
	}
	sort.Ints(out.ShardList)
	sort.Slice(out.Points, func(i, j int) bool { return out.Points[i].Index < out.Points[j].Index })
	sort.SliceStable(out.Doubles, func(i, j int) bool { return doubleLess(out.Doubles[i], out.Doubles[j]) })
	if err := out.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMerge, err)
	}
	return &out, nil
}

// JUnit XML (the Ant/Jenkins schema GitLab and Jenkins read).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitClass is the JUnit class name of a scenario file's cases:
// "ws63emu.sweep." and the file with every character other than a
// letter, digit or '_' made '_', so that CI tools, which split a class
// name at its last '.', see package ws63emu.sweep and one class per file.
func JUnitClass(kind, file string) string {
	b := []byte(file)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return "ws63emu." + kind + "." + string(b)
}

func junitSeconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit renders the report as JUnit XML with no times (JUnitTimed).
func (r *SweepReport) JUnit() ([]byte, error) { return r.JUnitTimed(0) }

// JUnitTimed renders the report as JUnit XML in two suites: "summary"
// has one case for the sweep as a whole — failing when the reference
// run fails, the determinism check finds a mismatch or the sweep was
// stopped (Partial) — with the text summary as its output; "points" has
// one failing case per failing point and double cut, whose text has the
// reproduction command. Each failure is counted once. wall is the wall
// time the sweep took (the CLI measures it; 0 when unknown, as after a
// merge): the summary case's and the suites' time attribute; the point
// cases have time 0, as the sweep does not time points one by one.
func (r *SweepReport) JUnitTimed(wall time.Duration) ([]byte, error) {
	failed := r.Failed()
	failedDoubles := r.FailedDoubles()
	class := JUnitClass("sweep", r.File)
	var sum bytes.Buffer
	r.WriteSummary(&sum, 20)
	summary := junitCase{Name: "summary", Classname: class, Time: junitSeconds(wall), SystemOut: sum.String()}
	var why []string
	if r.Partial != nil {
		why = append(why, "interrupted: "+r.Partial.String())
	}
	if !r.Reference.Pass {
		why = append(why, "the reference run failed: "+r.Reference.Failure)
	}
	if r.Determinism != nil && len(r.Determinism.Mismatches) > 0 {
		why = append(why, fmt.Sprintf("the determinism check found %d mismatches", len(r.Determinism.Mismatches)))
	}
	if len(why) > 0 {
		summary.Failure = &junitFailure{Message: strings.Join(why, "; "), Type: "sweep", Text: sum.String()}
	}
	sumSuite := junitSuite{Name: "sweep " + r.File + " summary", Tests: 1, Time: junitSeconds(wall), Cases: []junitCase{summary}}
	if summary.Failure != nil {
		sumSuite.Failures = 1
	}
	points := junitSuite{Name: "sweep " + r.File + " points", Time: junitSeconds(0)}
	for _, p := range failed {
		points.Cases = append(points.Cases, junitCase{
			Name:      fmt.Sprintf("point %d: op %d %s 0x%06x (%s) tear %s", p.Index, p.Op, p.Kind, p.Addr, p.Phase, p.Tear),
			Classname: class,
			Time:      junitSeconds(0),
			Failure: &junitFailure{Message: "verdict " + p.Verdict + ": " + p.Failure, Type: "expectation",
				Text: fmt.Sprintf("%s\nboots after the cut: %d\nflash digest: %s\nreproduce: ws63emu replay %s\n", p.Failure, p.Boots, p.FlashDigest, ShellQuote(p.Token))},
		})
	}
	for _, d := range failedDoubles {
		points.Cases = append(points.Cases, junitCase{
			Name:      fmt.Sprintf("double cut after point %d: op %d %s 0x%06x (%s) tear %s", d.First, d.Op, d.Kind, d.Addr, d.Phase, d.Tear),
			Classname: class,
			Time:      junitSeconds(0),
			Failure: &junitFailure{Message: "verdict " + d.Verdict + ": " + d.Failure, Type: "expectation",
				Text: fmt.Sprintf("%s\nboots after the second cut: %d\nflash digest: %s\nreproduce: ws63emu replay %s\n", d.Failure, d.Boots, d.FlashDigest, ShellQuote(d.Token))},
		})
	}
	points.Tests, points.Failures = len(points.Cases), len(points.Cases)
	doc := junitSuites{Name: "ws63emu sweep", Tests: sumSuite.Tests + points.Tests, Failures: sumSuite.Failures + points.Failures,
		Time: junitSeconds(wall), Suites: []junitSuite{sumSuite}}
	if len(points.Cases) > 0 {
		doc.Suites = append(doc.Suites, points)
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

// ShellQuote quotes s for a POSIX shell: in single quotes, each quote in s
// written as a closing quote, a backslash-escaped quote and an opening
// quote. A reproduction command printed with it can be pasted whatever the
// scenario's file name holds.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
