package scenarios

import (
	_ "embed" // the package documentation is the language reference
	"go/doc/comment"
	goparser "go/parser"
	"go/token"
	"strings"
)

// docSource is this package's doc.go: its package comment is the script
// language reference, kept in one place.
//
//go:embed doc.go
var docSource string

// LanguageReference returns the scenario language reference (the package
// documentation: language, semantics, expectations, sweeps,
// determinism) as plain text for `ws63emu help scenarios`, or as
// Markdown for the generated docs.
func LanguageReference(markdown bool) string {
	f, err := goparser.ParseFile(token.NewFileSet(), "doc.go", docSource, goparser.ParseComments|goparser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		// doc.go is compiled into this package, so it parses;
		// TestLanguageReference checks it.
		return ""
	}
	var p comment.Parser
	d := p.Parse(f.Doc.Text())
	pr := comment.Printer{TextCodePrefix: "    ", TextWidth: 78, HeadingLevel: 2}
	if markdown {
		return "# Scenario language\n\n" + string(pr.Markdown(d))
	}
	return strings.TrimRight(string(pr.Text(d)), "\n") + "\n"
}
