package htmlreport

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/ws63emu/ws63emu/internal/atomicfile"
)

// The page's style and script (package doc, "Model"). They are inlined
// into every page, so a page opens from disk with no network.
var (
	//go:embed assets/report.css
	css string
	//go:embed assets/report.js
	script string
)

// Render returns the page as one self-contained HTML document: the data as
// JSON, the CSS and the script that draws it, nothing loaded from
// elsewhere.
func Render(p *Page) ([]byte, error) {
	data, err := json.Marshal(p) // escapes <, > and &: safe inside <script>
	if err != nil {
		return nil, fmt.Errorf("htmlreport: encode page: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(css) + len(script) + 2048)
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	// No network: the page may load nothing from elsewhere.
	b.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", html.EscapeString(p.Title), css)
	fmt.Fprintf(&b, "<header><h1>%s</h1>", html.EscapeString(p.Title))
	if p.Command != "" {
		fmt.Fprintf(&b, "<p class=\"cmd\"><code>%s</code></p>", html.EscapeString(p.Command))
	}
	b.WriteString("</header>\n<main id=\"app\"><noscript>This report is drawn by its inline script; enable JavaScript to see it.</noscript></main>\n")
	b.WriteString("<div id=\"tip\" role=\"tooltip\"></div>\n")
	b.WriteString("<script id=\"ws63-data\" type=\"application/json\">")
	b.Write(data)
	b.WriteString("</script>\n<script>\n")
	b.WriteString(script)
	b.WriteString("</script>\n</body>\n</html>\n")
	return b.Bytes(), nil
}

// WriteFile renders p to path atomically (internal/atomicfile): a failure
// leaves no half-written file.
func WriteFile(path string, p *Page) error {
	b, err := Render(p)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

func init() {
	// The inlined assets must not close their own element early.
	if strings.Contains(strings.ToLower(script), "</script") || strings.Contains(strings.ToLower(css), "</style") {
		panic("htmlreport: an asset contains its closing tag")
	}
}
