package mockserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
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

// counter counts the frames a server's sessions received and sent, as its
// observer sees them: tests on a manual clock use it to know that the
// server has taken what they sent before they move the clock.
type counter struct {
	mu             sync.Mutex
	client, server int
	ended          bool // a session closed
	changed        chan struct{}
}

func newCounter() *counter { return &counter{changed: make(chan struct{})} }

func (c *counter) observer() mockserver.Observer {
	return mockserver.ObserverFuncs{OnFrame: func(_ *mockserver.SessionInfo, o *mockserver.Observed) {
		c.mu.Lock()
		switch {
		case o.Frame.Kind == cassette.KindClose || o.Frame.Kind == cassette.KindError:
			c.ended = true
		case o.Frame.Kind != cassette.KindText && o.Frame.Kind != cassette.KindBinary:
		case o.Frame.Dir == cassette.Client:
			c.client++
		default:
			c.server++
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}}
}

// waitClient waits until the server has taken n client frames; false when
// a session ended first.
func (c *counter) waitClient(ctx context.Context, n int) bool {
	for {
		c.mu.Lock()
		ok, ended, ch := c.client >= n, c.ended, c.changed
		c.mu.Unlock()
		if ok {
			return true
		}
		if ended {
			return false
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (c *counter) serverFrames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server
}

var counters sync.Map // *mockserver.Server → *counter

func startServer(t *testing.T, opts *mockserver.Options) *mockserver.Server {
	t.Helper()
	if opts == nil {
		opts = &mockserver.Options{}
	}
	var cnt *counter
	if opts.Observer == nil {
		cnt = newCounter()
		opts.Observer = cnt.observer()
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
	if cnt != nil {
		counters.Store(srv, cnt)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		counters.Delete(srv)
	})
	return srv
}

// client is a minimal realtime client for tests.
type client struct {
	t     *testing.T
	conn  *websocket.Conn
	ctx   context.Context
	sent  bool // set by every send
	cnt   *counter
	nSent int // frames sent
	nRead int // frames read
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
	c := &client{t: t, conn: conn, ctx: ctx}
	if v, ok := counters.Load(srv); ok {
		c.cnt = v.(*counter)
	}
	return c
}

// sendSync sends v and waits until the server has taken it (the server's
// observer saw it arrive), so that moving a manual clock afterwards cannot
// overtake it. It reports false when the session ended first.
func (c *client) sendSync(v any) bool {
	c.t.Helper()
	if c.cnt == nil {
		c.t.Fatal("sendSync needs the server's frame counter")
	}
	if err := c.write(v); err != nil {
		return false
	}
	if !c.cnt.waitClient(c.ctx, c.nSent) {
		if c.ctx.Err() != nil {
			c.t.Fatalf("the server never took frame %d", c.nSent)
		}
		return false
	}
	return true
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.write(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) write(v any) error {
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
		return err
	}
	c.sent = true
	c.nSent++
	return nil
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
	c.nRead++
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
	c.nRead++
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
