// Package lab is `ws63emu lab`: a local web server with an interactive
// lesson. It runs a scenario script, draws it with package htmlreport's
// page script (timeline, flag area, flash map), lets the user step
// through it boot by boot or operation by operation, and cut the power
// anywhere on the timeline: the script is then run again as a plain script
// with a `cut op=K` line and a power-on (htmlreport.CutScript), so the
// page shows flashboot recover, fall back or brick, and the script it
// shows gives the same verdict under ws63emu run.
//
// # Who may talk to it
//
// Scripts read files (file=, flash=, root-key=, config=, params=), so the lab lets
// no one else in:
//
//   - it listens on 127.0.0.1 only (Listen);
//   - every request carries the random token made at start (crypto/rand,
//     128 bits), in the query (?token=) or the X-Lab-Token header, as
//     notebook servers do; the printed address has it;
//   - a request whose Host is not the lab's own address (127.0.0.1:PORT or
//     localhost:PORT) is refused, so a DNS-rebound name cannot reach it,
//     and so is one whose Origin header, when present, is not the lab's
//     own origin, so a page the user visits cannot drive it;
//   - a script's file paths must stay inside its lesson's folder (no
//     absolute path, no "..", no symlink out); the built-in lessons have
//     no folder and may read no file;
//   - request bodies are bounded (MaxBody) and scripts are parsed with
//     the scenario parser's own bounds.
//
// Runs are serialised: one at a time.
package lab

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ws63emu/ws63emu/emulator"
	"github.com/ws63emu/ws63emu/flash"
	"github.com/ws63emu/ws63emu/htmlreport"
	"github.com/ws63emu/ws63emu/scenarios"
)

// MaxBody bounds a request body: a script (scenarios.MaxFileLen) and a
// few fields.
const MaxBody = scenarios.MaxFileLen + 4096

// Tears are the tear models the lab offers for a cut, by the name the
// page sends.
var Tears = map[string]flash.Tear{
	"before": {Kind: flash.TearBefore},
	"after":  {Kind: flash.TearAfter},
	"prefix": {Kind: flash.TearPrefix, K: 16},
	"bits":   {Kind: flash.TearBits, Seed: 1},
}

// Lesson is a script the lab offers.
type Lesson struct {
	Name  string `json:"name"`  // file name, e.g. compressed-upgrade.scn
	About string `json:"about"` // its leading comment
	text  string
	dir   string // the folder its file paths resolve in; "" for a built-in lesson
}

// Server is the lab.
type Server struct {
	token   string
	lessons []Lesson
	port    string

	mu   sync.Mutex // one run at a time
	refs map[string][]emulator.Event
}

// New loads the lessons: the script file when one is given (its folder
// is its lesson folder), then the built-in ones (scenarios.Lessons).
func New(script string) (*Server, error) {
	s := &Server{refs: map[string][]emulator.Event{}}
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("lab: token: %w", err)
	}
	s.token = hex.EncodeToString(tok[:])
	if script != "" {
		f, err := os.Open(script)
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(f, scenarios.MaxFileLen+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("lab: read %s: %w", script, err)
		}
		if len(b) > scenarios.MaxFileLen {
			return nil, fmt.Errorf("lab: %s: longer than %d bytes", script, scenarios.MaxFileLen)
		}
		dir, err := filepath.Abs(filepath.Dir(script))
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		s.lessons = append(s.lessons, Lesson{Name: filepath.Base(script), About: about(string(b)), text: string(b), dir: dir})
	}
	built := scenarios.Lessons()
	names, err := fs.Glob(built, "*.scn")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(built, n)
		if err != nil {
			return nil, err
		}
		if len(s.lessons) > 0 && s.lessons[0].Name == n {
			n = "built-in " + n
		}
		s.lessons = append(s.lessons, Lesson{Name: n, About: about(string(b)), text: string(b)})
	}
	return s, nil
}

// about is a script's leading comment block.
func about(text string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		t := strings.TrimSpace(l)
		if !strings.HasPrefix(t, "#") {
			if len(out) > 0 || t != "" {
				break
			}
			continue
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(t, "#")))
	}
	return strings.Join(out, "\n")
}

// Token is the per-start secret every request must carry.
func (s *Server) Token() string { return s.token }

// Lessons lists the lessons offered.
func (s *Server) Lessons() []Lesson { return s.lessons }

// Listen opens a listener on 127.0.0.1 at a free port.
func Listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// URL is the address to open, token included, for the listener ln.
func (s *Server) URL(ln net.Listener) string {
	return fmt.Sprintf("http://%s/?token=%s", ln.Addr().String(), s.token)
}

// Serve serves on ln until ctx is done, then shuts down, waiting up to
// five seconds for a run in progress.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return err
	}
	s.port = port
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// Handler is the lab's HTTP handler, every request checked (package doc).
// Serve sets the port it checks Host and Origin against; a test may call
// SetPort.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /api/lessons", s.apiLessons)
	mux.HandleFunc("POST /api/lesson", s.apiLesson)
	mux.HandleFunc("POST /api/run", s.apiRun)
	mux.HandleFunc("POST /api/cut", s.apiCut)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.check(r); err != nil {
			writeErr(w, http.StatusForbidden, err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// SetPort sets the port Host and Origin are checked against (Serve does).
func (s *Server) SetPort(port string) { s.port = port }

// Refusals.
var (
	ErrHost   = errors.New("lab: refused: the Host header is not the lab's address (127.0.0.1 or localhost at its port)")
	ErrOrigin = errors.New("lab: refused: the request comes from another origin")
	ErrToken  = errors.New("lab: refused: missing or wrong token (open the address the lab printed)")
	ErrPath   = errors.New("lab: refused: a file path leaves the lesson's folder")
)

func (s *Server) check(r *http.Request) error {
	if s.port == "" || (r.Host != "127.0.0.1:"+s.port && r.Host != "localhost:"+s.port) {
		return ErrHost
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://127.0.0.1:"+s.port && o != "http://localhost:"+s.port {
		return ErrOrigin
	}
	tok := r.URL.Query().Get("token")
	if tok == "" {
		tok = r.Header.Get("X-Lab-Token")
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) != 1 {
		return ErrToken
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// scriptErr answers a request whose script cannot run (it does not parse,
// a path leaves the lesson's folder, the cut is not a cut point): the
// lab answered, and the page shows the error (status 200: an HTTP error
// status would also land in the browser's console).
func scriptErr(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusOK, map[string]string{"error": err.Error()})
}

func writeErr(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	b, err := htmlreport.Render(&htmlreport.Page{Title: "ws63emu lab — cut the power anywhere", Lab: &htmlreport.LabView{Token: s.token}})
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b)
}

func (s *Server) apiLessons(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"lessons": s.lessons})
}

// request is the body of the POST endpoints.
type request struct {
	Lesson string `json:"lesson"`
	Script string `json:"script"`
	Op     uint64 `json:"op"`
	Tear   string `json:"tear"`
}

func (s *Server) read(w http.ResponseWriter, r *http.Request) (*request, *Lesson, bool) {
	var req request
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, fmt.Errorf("lab: request body longer than %d bytes", MaxBody))
			return nil, nil, false
		}
		writeErr(w, http.StatusBadRequest, fmt.Errorf("lab: bad request: %v", err))
		return nil, nil, false
	}
	for i := range s.lessons {
		if s.lessons[i].Name == req.Lesson {
			return &req, &s.lessons[i], true
		}
	}
	writeErr(w, http.StatusNotFound, fmt.Errorf("lab: no lesson %q", req.Lesson))
	return nil, nil, false
}

func (s *Server) apiLesson(w http.ResponseWriter, r *http.Request) {
	_, l, ok := s.read(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"script": l.text, "about": l.About})
}

// script parses the request's script as a file of the lesson's folder and
// checks its file paths.
func (s *Server) script(w http.ResponseWriter, req *request, l *Lesson) (*scenarios.Script, bool) {
	name := path.Join("lessons", l.Name)
	if l.dir != "" {
		name = filepath.Join(l.dir, l.Name)
	}
	sc, err := scenarios.Parse(name, strings.NewReader(req.Script))
	if err == nil {
		err = CheckPaths(sc, l.dir)
	}
	if err != nil {
		scriptErr(w, err)
		return nil, false
	}
	return sc, true
}

// result is what /api/run and /api/cut answer.
type result struct {
	Page     *htmlreport.Page `json:"page"`
	Script   string           `json:"script,omitempty"`
	CutLine  int              `json:"cut_line,omitempty"`
	CutPhase string           `json:"cut_phase,omitempty"`
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	req, l, ok := s.read(w, r)
	if !ok {
		return
	}
	sc, ok := s.script(w, req, l)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := htmlreport.Record(sc)
	s.remember(req.Script, rec.Report.Trace)
	writeJSON(w, http.StatusOK, result{Page: &htmlreport.Page{Run: rec.Run, Flash: rec.Flash}})
}

// remember keeps the trace of a script's uncut run for its cuts (the last
// few scripts).
func (s *Server) remember(text string, trace []emulator.Event) {
	if len(s.refs) >= 8 {
		clear(s.refs)
	}
	s.refs[text] = trace
}

func (s *Server) apiCut(w http.ResponseWriter, r *http.Request) {
	req, l, ok := s.read(w, r)
	if !ok {
		return
	}
	t, ok := Tears[req.Tear]
	if !ok {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("lab: tear %q: want before, after, prefix or bits", req.Tear))
		return
	}
	sc, ok := s.script(w, req, l)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	trace, ok := s.refs[req.Script]
	if !ok {
		rep, _ := scenarios.Run(sc, scenarios.Options{})
		trace = rep.Trace
		s.remember(req.Script, trace)
	}
	rec, text, err := htmlreport.RecordCut(sc, trace, req.Op, t)
	if err != nil {
		scriptErr(w, err)
		return
	}
	_, line, _ := htmlreport.CutScript(sc, trace, req.Op, t)
	res := result{Page: &htmlreport.Page{Run: rec.Run, Flash: rec.Flash}, Script: text, CutLine: line}
	want := fmt.Sprintf("power lost at flash op #%d ", req.Op)
	for _, c := range rec.Run.Cuts {
		if strings.HasPrefix(c.Msg, want) {
			res.CutPhase = strings.Trim(strings.TrimSuffix(strings.TrimPrefix(c.Msg, want+"(phase "), ")"), `"`)
		}
	}
	if res.CutPhase == "" {
		scriptErr(w, fmt.Errorf("lab: the cut at flash op #%d did not fire (the run stopped before it: %s)", req.Op, rec.Run.Failure))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// CheckPaths refuses a script whose file paths leave dir (ErrPath): an
// absolute path, "..", or a symlink out. dir "" (a built-in lesson)
// allows no file at all.
func CheckPaths(s *scenarios.Script, dir string) error {
	for _, c := range s.Commands {
		var paths []string
		switch c := c.(type) {
		case *scenarios.DeviceCmd:
			paths = append(paths, c.Flash, c.DeviceBuild.Params)
			if c.RootKey != "none" {
				paths = append(paths, c.RootKey)
			}
		case *scenarios.ImageCmd:
			paths = append(paths, c.File)
		case *scenarios.PackageCmd:
			paths = append(paths, c.File, c.Config)
		}
		for _, p := range paths {
			if p == "" {
				continue
			}
			if err := inside(dir, p); err != nil {
				return fmt.Errorf("%w: %s:%d: %s: %v", ErrPath, s.File, c.LineNo(), p, err)
			}
		}
	}
	return nil
}

func inside(dir, p string) error {
	switch {
	case dir == "":
		return errors.New("a built-in lesson has no folder to read files from")
	case filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`):
		return errors.New("an absolute path")
	}
	clean := filepath.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) || strings.HasPrefix(clean, "../") {
		return errors.New("outside the lesson's folder")
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(dir, clean))
	if err != nil {
		return errors.New("no such file in the lesson's folder")
	}
	rel, err := filepath.Rel(realDir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return errors.New("a symlink out of the lesson's folder")
	}
	return nil
}
