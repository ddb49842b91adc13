package rttest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func startMock(t *testing.T) *mockserver.Server {
	t.Helper()
	srv, err := mockserver.New(&mockserver.Options{Seed: 1, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestClientAgainstTheMock plays one text turn against the real server and
// checks what the client read and counted.
func TestClientAgainstTheMock(t *testing.T) {
	srv := startMock(t)
	c := rttest.Dial(t, srv.URL()+"/openai/v1/realtime?model=gpt-realtime", &rttest.DialOptions{Header: http.Header{"api-key": {"k"}}})
	first := c.Next()
	if first.Type != "session.created" || first.Str("session.type") != "realtime" {
		t.Fatalf("first event %s", first.Raw)
	}
	c.Send(map[string]any{"type": "response.create"})
	evs := c.Until("response.done")
	types := rttest.Types(evs)
	if types[0] != "response.created" {
		t.Errorf("first reply %q, want response.created (all: %v)", types[0], types)
	}
	done := evs[len(evs)-1]
	if done.Str("response.status") != "completed" || done.Str("response.output.0.type") != "message" {
		t.Errorf("response.done %s", done.Raw)
	}
	if done.Num("response.usage.total_tokens") <= 0 {
		t.Errorf("no usage in %s", done.Raw)
	}
	if c.Sent != 1 || c.Read != 1+len(evs) {
		t.Errorf("counted %d sent, %d read; want 1 and %d", c.Sent, c.Read, 1+len(evs))
	}
	c.Conn.Close(websocket.StatusNormalClosure, "")
	if _, ok := c.TryNext(); ok {
		t.Error("TryNext read an event after the close")
	}
}

// TestMalformedEventGetsError sends a frame that is not JSON: the mock
// answers with the service's error event and the client keeps reading.
func TestMalformedEventGetsError(t *testing.T) {
	srv := startMock(t)
	c := rttest.Dial(t, srv.URL()+"/v1/realtime?model=gpt-realtime", nil)
	c.Until("session.created")
	c.Send("{not json")
	e := c.Until("error")[0]
	if e.Str("error.type") != "invalid_request_error" {
		t.Errorf("error event %s", e.Raw)
	}
}

// TestWrongKey dials with a wrong key: Azure refuses the upgrade with 401
// (TryDial returns the response); the OpenAI path upgrades, sends the
// error and closes with 3000 (CloseError reports it).
func TestWrongKey(t *testing.T) {
	srv, err := mockserver.New(&mockserver.Options{APIKey: "right"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h := http.Header{"api-key": {"wrong"}}
	_, resp, err := rttest.TryDial(t, srv.URL()+"/openai/v1/realtime?model=m", &rttest.DialOptions{Header: h})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Azure, wrong key: err %v, response %v; want a 401", err, resp)
	}
	c := rttest.Dial(t, srv.URL()+"/v1/realtime?model=gpt-realtime", &rttest.DialOptions{Header: http.Header{"Authorization": {"Bearer wrong"}}})
	if e := c.Next(); e.Type != "error" || e.Str("error.code") != "invalid_api_key" {
		t.Errorf("OpenAI, wrong key: first event %s", e.Raw)
	}
	if ce := c.CloseError(); ce.Code != 3000 {
		t.Errorf("OpenAI, wrong key: closed with %v, want 3000", ce)
	}
}

func TestGetPaths(t *testing.T) {
	e, err := rttest.Decode([]byte(`{"type":"x","a":{"b":[{"c":"d"},2]},"n":1.5}`))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{"type": "x", "a.b.0.c": "d", "a.b.1": 2.0, "n": 1.5, "a.b.2": nil, "a.b.-1": nil, "a.x.y": nil, "n.m": nil} {
		if got := e.Get(path); got != want {
			t.Errorf("Get(%q) = %v, want %v", path, got, want)
		}
	}
	if _, err := rttest.Decode([]byte("{")); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf("Decode of a broken frame: %v", err)
	}
}

func FuzzGet(f *testing.F) {
	f.Add([]byte(`{"a":[{"b":1}]}`), "a.0.b")
	f.Add([]byte(`[1,2]`), "1")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		e, err := rttest.Decode(data)
		if err != nil {
			return
		}
		_ = e.Get(path)
		_ = e.Str(path)
		_ = e.Num(path)
	})
}
