package scenarios

import (
	"encoding/xml"
	"errors"
	"time"
)

// RunOutcome is one script of a ws63emu run: its report, the error Run
// returned, and the wall time it took (measured by the caller).
type RunOutcome struct {
	Report *Report
	Err    error
	Wall   time.Duration
}

// RunsJUnit renders runs as JUnit XML: one suite, one case per script
// (class JUnitClass("run", file)), failing with the error — type
// "expectation" for an *ExpectError, "error" otherwise — and the
// one-line report as text.
func RunsJUnit(runs []RunOutcome) ([]byte, error) {
	suite := junitSuite{Name: "ws63emu run"}
	var total time.Duration
	for _, r := range runs {
		c := junitCase{Name: r.Report.File, Classname: JUnitClass("run", r.Report.File), Time: junitSeconds(r.Wall)}
		if r.Err != nil {
			typ := "error"
			var ee *ExpectError
			if errors.As(r.Err, &ee) {
				typ = "expectation"
			}
			c.Failure = &junitFailure{Message: r.Err.Error(), Type: typ, Text: r.Report.String() + "\n"}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
		total += r.Wall
	}
	suite.Tests, suite.Time = len(suite.Cases), junitSeconds(total)
	doc := junitSuites{Name: "ws63emu run", Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time, Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
