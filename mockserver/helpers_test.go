package mockserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// dialectCase is a URL path and query for each way of reaching a dialect.
type dialectCase struct {
	name   string
	path   string
	header http.Header
	ga     bool
}

var dialects = []dialectCase{
	{name: "azure-preview", path: "/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview"},
	{name: "azure-ga", path: "/openai/v1/realtime?model=gpt-realtime", ga: true},
	{name: "openai-beta", path: "/v1/realtime?model=gpt-4o-realtime-preview", header: http.Header{"OpenAI-Beta": {"realtime=v1"}}},
	{name: "openai-ga", path: "/v1/realtime?model=gpt-realtime", ga: true},
}

// name returns the wire name for a preview event in the case's dialect.
func (d dialectCase) name2(preview string) string {
	if !d.ga {
		return preview
	}
	r := strings.NewReplacer("response.audio.", "response.output_audio.", "response.audio_transcript.", "response.output_audio_transcript.",
		"response.text.", "response.output_text.")
	return r.Replace(preview)
}

func startServer(t *testing.T, opts *mockserver.Options) *mockserver.Server {
	t.Helper()
	if opts == nil {
		opts = &mockserver.Options{}
	}
	if opts.Pace.Mode == "" {
		opts.Pace = scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	srv, err := mockserver.New(opts)
	if err != nil {
		t.Fatalf("mockserver.New: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

// client is a minimal realtime client for tests.
type client struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
	sent bool // set by every send
}

type event struct {
	Type string
	Raw  json.RawMessage
	M    map[string]any
}

func (e event) str(path string) string {
	v := e.get(path)
	s, _ := v.(string)
	return s
}

func (e event) num(path string) float64 {
	f, _ := e.get(path).(float64)
	return f
}

func (e event) get(path string) any {
	var cur any = e.M
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func dial(t *testing.T, srv *mockserver.Server, d dialectCase) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	h := http.Header{"api-key": {"test-key"}}
	for k, v := range d.header {
		h[k] = v
	}
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL(), "http")+d.path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v (response %v)", d.path, err, resp)
	}
	conn.SetReadLimit(64 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &client{t: t, conn: conn, ctx: ctx}
}

func (c *client) send(v any) {
	c.t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := c.conn.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	c.sent = true
}

// tryNext is next, but reports a closed connection instead of failing.
func (c *client) tryNext() (event, bool) {
	c.t.Helper()
	typ, data, err := c.conn.Read(c.ctx)
	if err != nil {
		if websocket.CloseStatus(err) == -1 && c.ctx.Err() != nil {
			c.t.Fatalf("read: %v", err)
		}
		return event{}, false
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("server sent a binary frame")
	}
	var e event
	e.Raw = data
	if err := json.Unmarshal(data, &e.M); err != nil {
		c.t.Fatalf("server sent invalid JSON: %v\n%s", err, data)
	}
	e.Type, _ = e.M["type"].(string)
	return e, true
}

func (c *client) next() event {
	c.t.Helper()
	typ, data, err := c.conn.Read(c.ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("server sent a binary frame")
	}
	var e event
	e.Raw = data
	if err := json.Unmarshal(data, &e.M); err != nil {
		c.t.Fatalf("server sent invalid JSON: %v\n%s", err, data)
	}
	e.Type, _ = e.M["type"].(string)
	if e.Type == "" || e.str("event_id") == "" {
		c.t.Fatalf("server event without type or event_id: %s", data)
	}
	return e
}

// until reads events up to and including the first of type typ.
func (c *client) until(typ string) []event {
	c.t.Helper()
	var out []event
	for {
		e := c.next()
		out = append(out, e)
		if e.Type == typ {
			return out
		}
	}
}

func types(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
