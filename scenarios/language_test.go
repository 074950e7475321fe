package scenarios

import (
	"strings"
	"testing"
)

// TestLanguageReference: the help topic holds the whole package documentation,
// every section and the command synopses, in both forms.
func TestLanguageReference(t *testing.T) {
	for _, md := range []bool{false, true} {
		ref := LanguageReference(md)
		for _, want := range []string{"Language", "Semantics", "Expectations", "Sweeps", "Determinism",
			"device layout=compress|ab", "sweep-begin", "request-upgrade"} {
			if !strings.Contains(ref, want) {
				t.Errorf("LanguageReference(%v) lacks %q", md, want)
			}
		}
		if strings.Contains(ref, "// ") {
			t.Errorf("LanguageReference(%v) still has comment markers", md)
		}
	}
	if md := LanguageReference(true); !strings.Contains(md, "## Language") {
		t.Errorf("LanguageReference(true): no Markdown heading for Language:\n%.300s", md)
	}
}
