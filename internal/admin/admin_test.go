package admin_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/admin"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/monitor"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type fixture struct {
	srv *mockserver.Server
	mon *monitor.Monitor
}

func start(t *testing.T, key string) *fixture {
	t.Helper()
	f := &fixture{mon: monitor.New(nil)}
	var err error
	f.srv, err = mockserver.New(&mockserver.Options{
		APIKey: key, DisableTLS: true, Seed: 1, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1},
		Observer: f.mon.Observer(),
		Wrap: admin.Wrap(&admin.Options{Monitor: f.mon, APIKey: key, Version: "test",
			Handler: func() *mockserver.Handler { return f.srv.Handler() }}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.srv.Close()
		f.mon.Close()
	})
	return f
}

func (f *fixture) do(t *testing.T, method, path, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// oneSession plays a response and a normal close, and waits until the
// monitor judged it.
func (f *fixture) oneSession(t *testing.T, header http.Header) string {
	t.Helper()
	changed := f.mon.Changed()
	c := rttest.Dial(t, f.srv.URL()+"/openai/v1/realtime?model=gpt-realtime", &rttest.DialOptions{Header: header})
	id := c.Next().Str("session.id")
	c.Send(`{"type":"response.create"}`)
	c.Until("response.done")
	c.Conn.Close(websocket.StatusNormalClosure, "")
	<-changed
	return id
}

func TestAdminAPI(t *testing.T) {
	f := start(t, "")
	id := f.oneSession(t, nil)

	code, body := f.do(t, "GET", "/__rtmock/sessions", "", nil)
	var list struct {
		Sessions []struct {
			ID, Verdict string
			Live        bool
		}
	}
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Sessions) != 1 || list.Sessions[0].ID != id || list.Sessions[0].Verdict != "pass" {
		t.Fatalf("GET sessions: %d %s", code, body)
	}

	code, body = f.do(t, "GET", "/__rtmock/sessions/"+id+"/transcript", "", nil)
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("transcript line %d is not JSON: %v", lines+1, err)
		}
		lines++
	}
	if code != 200 || lines < 10 || !strings.Contains(body, `"response.done"`) {
		t.Errorf("GET transcript: %d, %d lines", code, lines)
	}

	code, body = f.do(t, "GET", "/__rtmock/sessions/"+id+"/timeline", "", nil)
	if code != 200 || !strings.Contains(body, "<html") || !strings.Contains(body, id) {
		t.Errorf("GET timeline: %d, %d bytes", code, len(body))
	}
	if code, _ := f.do(t, "GET", "/__rtmock/sessions/sess_nope/transcript", "", nil); code != 404 {
		t.Errorf("an unknown session: %d, want 404", code)
	}

	// A scenario loaded at run time applies to the next session.
	code, body = f.do(t, "PUT", "/__rtmock/scenario", "name: typed\nsession: {modalities: [text]}\nturns:\n  - when: response.create\n    reply: {text: Typed.}\n", nil)
	if code != 200 {
		t.Fatalf("PUT scenario: %d %s", code, body)
	}
	c := rttest.Dial(t, f.srv.URL()+"/openai/v1/realtime?model=gpt-realtime", nil)
	created := c.Next()
	if mods, _ := created.Get("session.output_modalities").([]any); len(mods) != 1 || mods[0] != "text" {
		t.Errorf("after PUT scenario, session.created has output_modalities %v", mods)
	}
	if code, body := f.do(t, "PUT", "/__rtmock/scenario", "name: bad\nturns:\n  - when: sometime\n", nil); code != 400 || !strings.Contains(body, "scenario:3:11") {
		t.Errorf("a broken scenario: %d %s", code, body)
	}

	// A fault injected into the live session.
	live := created.Str("session.id")
	if code, body := f.do(t, "POST", "/__rtmock/sessions/"+live+"/faults", "disconnect:code=1011", nil); code != 200 {
		t.Fatalf("POST fault: %d %s", code, body)
	}
	if ce := c.CloseError(); ce.Code != 1011 {
		t.Errorf("after the injected disconnect the session closed with %v, want 1011", ce)
	}
	if code, _ := f.do(t, "POST", "/__rtmock/sessions/sess_gone/faults", "disconnect", nil); code != 404 {
		t.Errorf("a fault for no session: %d, want 404", code)
	}

	if code, _ := f.do(t, "POST", "/__rtmock/reset", "", nil); code != 200 {
		t.Errorf("reset: %d", code)
	}
	if _, body := f.do(t, "GET", "/__rtmock/sessions", "", nil); strings.Contains(body, id) {
		t.Errorf("after reset the judged session is still listed: %s", body)
	}
}

// TestAdminAPIGuards: other hosts (DNS rebinding) and wrong keys are
// refused; the realtime path is untouched.
func TestAdminAPIGuards(t *testing.T) {
	f := start(t, "the-key")
	if code, _ := f.do(t, "GET", "/__rtmock/sessions", "", nil); code != 401 {
		t.Errorf("no key: %d, want 401", code)
	}
	if code, _ := f.do(t, "GET", "/__rtmock/sessions", "", http.Header{"Api-Key": {"the-key"}}); code != 200 {
		t.Errorf("the key: %d, want 200", code)
	}
	req, _ := http.NewRequest("GET", f.srv.URL()+"/__rtmock/sessions", nil)
	req.Host = "evil.example:80"
	req.Header.Set("api-key", "the-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("Host evil.example: %d, want 403", resp.StatusCode)
	}
	f.oneSession(t, http.Header{"api-key": {"the-key"}})
}
