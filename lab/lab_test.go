package lab_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ws63emu/ws63emu/lab"
)

// start serves a lab for the test and returns it with its base address.
func start(t *testing.T, script string) (*lab.Server, string) {
	t.Helper()
	srv, err := lab.New(script)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := lab.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	})
	return srv, "http://" + ln.Addr().String()
}

type call struct {
	method, path, host, origin, token string
	body                              string
}

func do(t *testing.T, base string, c call) (int, string) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.host != "" {
		req.Host = c.host
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.token != "" {
		req.Header.Set("X-Lab-Token", c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func body(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret.pem") // outside the lesson's folder
	os.WriteFile(secret, []byte("not a key"), 0o600)
	os.Symlink(secret, filepath.Join(dir, "link.pem"))
	os.WriteFile(filepath.Join(dir, "inside.bin"), []byte("x"), 0o644)
	script := filepath.Join(dir, "mine.scn")
	os.WriteFile(script, []byte("# my lesson\ndevice layout=compress seed=1\n"), 0o644)
	srv, base := start(t, script)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	tok := srv.Token()
	good := body(map[string]string{"lesson": "mine.scn", "script": "device layout=compress seed=1\n"})
	withFile := func(lesson, p string) string {
		return body(map[string]string{"lesson": lesson, "script": "device layout=compress seed=1\nimage a file=" + p + " kind=app\n"})
	}
	cases := []struct {
		name   string
		c      call
		status int
		want   string
	}{
		{"good", call{method: "POST", path: "/api/run", token: tok, body: good}, 200, `"page"`},
		{"page", call{method: "GET", path: "/?token=" + tok}, 200, "<!DOCTYPE html>"},
		{"no token", call{method: "GET", path: "/"}, 403, lab.ErrToken.Error()},
		{"wrong token", call{method: "POST", path: "/api/run", token: strings.Repeat("0", 32), body: good}, 403, lab.ErrToken.Error()},
		{"token in the query", call{method: "GET", path: "/api/lessons?token=" + tok}, 200, "mine.scn"},
		{"DNS rebinding: another host name", call{method: "GET", path: "/?token=" + tok, host: "attacker.example:" + port}, 403, lab.ErrHost.Error()},
		{"another port", call{method: "GET", path: "/?token=" + tok, host: "127.0.0.1:1"}, 403, lab.ErrHost.Error()},
		{"localhost is ours", call{method: "GET", path: "/?token=" + tok, host: "localhost:" + port}, 200, "<!DOCTYPE html>"},
		{"foreign origin", call{method: "POST", path: "/api/run", token: tok, origin: "http://attacker.example", body: good}, 403, lab.ErrOrigin.Error()},
		{"a page opened from disk (Origin: null)", call{method: "POST", path: "/api/run", token: tok, origin: "null", body: good}, 403, lab.ErrOrigin.Error()},
		{"own origin", call{method: "POST", path: "/api/run", token: tok, origin: "http://127.0.0.1:" + port, body: good}, 200, `"page"`},
		{"body too long", call{method: "POST", path: "/api/run", token: tok, body: `{"lesson":"mine.scn","script":"` + strings.Repeat("#", lab.MaxBody) + `"}`}, 413, "longer than"},
		{"absolute path", call{method: "POST", path: "/api/run", token: tok, body: withFile("mine.scn", secret)}, 200, lab.ErrPath.Error()},
		{"dot-dot", call{method: "POST", path: "/api/run", token: tok, body: withFile("mine.scn", "../"+filepath.Base(filepath.Dir(secret))+"/secret.pem")}, 200, lab.ErrPath.Error()},
		{"symlink out", call{method: "POST", path: "/api/run", token: tok, body: withFile("mine.scn", "link.pem")}, 200, "symlink"},
		{"inside is allowed", call{method: "POST", path: "/api/run", token: tok, body: withFile("mine.scn", "inside.bin")}, 200, `"page"`},
		{"built-in lesson reads no file", call{method: "POST", path: "/api/run", token: tok, body: withFile("compressed-upgrade.scn", "x.bin")}, 200, "built-in lesson"},
		{"config= too", call{method: "POST", path: "/api/run", token: tok, body: body(map[string]string{"lesson": "mine.scn", "script": "device layout=compress seed=1\nimage a kind=app version=1.0.0\nimage f kind=flashboot version=1.0.0\npackage p images=a,f config=/etc/passwd\n"})}, 200, lab.ErrPath.Error()},
		{"params= too", call{method: "POST", path: "/api/run", token: tok, body: body(map[string]string{"lesson": "mine.scn", "script": "device layout=compress seed=1 params=../x.json\n"})}, 200, lab.ErrPath.Error()},
		{"bad script shows its error", call{method: "POST", path: "/api/run", token: tok, body: body(map[string]string{"lesson": "mine.scn", "script": "device layout=round\n"})}, 200, "mine.scn:1"},
		{"unknown lesson", call{method: "POST", path: "/api/run", token: tok, body: body(map[string]string{"lesson": "nope.scn", "script": ""})}, 404, "no lesson"},
		{"GET on a POST endpoint", call{method: "GET", path: "/api/run", token: tok}, 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, got := do(t, base, tc.c)
			if status != tc.status || !strings.Contains(got, tc.want) {
				t.Errorf("status %d, body %.200q; want %d containing %q", status, got, tc.status, tc.want)
			}
			if strings.Contains(got, `"error"`) && strings.Contains(got, `"page"`) {
				t.Errorf("refused, yet it ran: %.200q", got)
			}
			if strings.Contains(got, "not a key") {
				t.Errorf("the answer has the secret file's contents: %.200q", got)
			}
		})
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	ln, err := lab.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("listening on %v, want 127.0.0.1", ip)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	srv, err := lab.New("")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := lab.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts after Serve returned")
	}
}

func TestCutLesson(t *testing.T) {
	srv, base := start(t, "")
	tok := srv.Token()
	_, text := do(t, base, call{method: "POST", path: "/api/lesson", token: tok, body: body(map[string]string{"lesson": "compressed-upgrade.scn"})})
	var lesson struct{ Script string }
	json.Unmarshal([]byte(text), &lesson)
	if !strings.Contains(lesson.Script, "request-upgrade") {
		t.Fatalf("lesson text: %q", lesson.Script)
	}
	status, text := do(t, base, call{method: "POST", path: "/api/cut", token: tok,
		body: body(map[string]any{"lesson": "compressed-upgrade.scn", "script": lesson.Script, "op": 3, "tear": "before"})})
	if status != 200 || !strings.Contains(text, `"error"`) || !strings.Contains(text, "before the first power-on") {
		t.Errorf("a cut in the factory burn: %d %q; want an error, before the first power-on", status, text)
	}
	status, text = do(t, base, call{method: "POST", path: "/api/cut", token: tok,
		body: body(map[string]any{"lesson": "compressed-upgrade.scn", "script": lesson.Script, "op": 3, "tear": "sideways"})})
	if status != 400 {
		t.Errorf("bad tear: %d %q", status, text)
	}
}
