package scenarios

import (
	"embed"
	"io/fs"
)

//go:embed testdata/*.scn
var lessonFiles embed.FS

// Lessons returns the guide's situations, the scripts of
// scenarios/testdata (the ones the tests run), embedded in the binary so
// that ws63emu lab offers them without the source tree. Names are the
// file names (compressed-upgrade.scn, …).
func Lessons() fs.FS {
	sub, err := fs.Sub(lessonFiles, "testdata")
	if err != nil {
		panic(err) // a constant path
	}
	return sub
}

// VerdictOrder lists the verdicts of counts in the order reports use:
// docs/design.md §5's, then "off", then any other alphabetically.
func VerdictOrder(counts map[string]int) []string { return verdictOrder(counts) }
