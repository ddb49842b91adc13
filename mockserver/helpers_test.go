package mockserver_test

import (
	"context"
	"github.com/rtmock/rtmock/clock"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/rttest"
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
	// The openai-beta case dials /v1/realtime with the beta header: the
	// test servers keep that retired dialect (TestOpenAIRefusals tests
	// the default).
	opts.OpenAIBeta = true
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

// client is the shared test client (internal/rttest) with what these
// tests add: the server's frame counter for sendSync, and a flag that
// records whether anything was sent.
type client struct {
	*rttest.Client
	t     *testing.T
	conn  *websocket.Conn
	ctx   context.Context
	sent  bool // set by every send
	cnt   *counter
	nSent int // frames sent
	nRead int // frames read
}

// event is rttest.Event with the short accessors these tests use.
type event struct{ rttest.Event }

func (e event) str(path string) string  { return e.Str(path) }
func (e event) num(path string) float64 { return e.Num(path) }
func (e event) get(path string) any     { return e.Get(path) }

func dial(t *testing.T, srv *mockserver.Server, d dialectCase) *client {
	t.Helper()
	h := http.Header{"api-key": {"test-key"}}
	for k, v := range d.header {
		h[k] = v
	}
	rc := rttest.Dial(t, srv.URL()+d.path, &rttest.DialOptions{Header: h})
	c := &client{Client: rc, t: t, conn: rc.Conn, ctx: rc.Ctx}
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
	if err := c.Write(v); err != nil {
		return err
	}
	c.sent = true
	c.nSent = c.Sent
	return nil
}

// tryNext is next, but reports a closed connection instead of failing.
func (c *client) tryNext() (event, bool) {
	c.t.Helper()
	e, ok := c.TryNext()
	c.nRead = c.Read
	return event{e}, ok
}

func (c *client) next() event {
	c.t.Helper()
	e := c.Next()
	c.nRead = c.Read
	return event{e}
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

// sendLive sends a client event to a session at the live pace on a manual
// clock and moves the clock by the reply latency, when its answer is due.
func (c *client) sendLive(clk *clock.Manual, v any) {
	c.t.Helper()
	c.sendSync(v)
	at := clk.Now().Add(mockserver.DefaultLatencies.Reply)
	if !clk.AwaitTimer(at, c.ctx.Done()) {
		c.t.Fatal("the event's answer was never scheduled")
	}
	clk.Advance(at.Sub(clk.Now()))
}
