// Package rttest is the realtime test client the project's tests share: it
// dials a realtime endpoint over a real WebSocket, sends client events and
// reads server events decoded into Event values.
//
// Every failure is reported through the testing.TB it was given, so tests
// read as a script:
//
//	c := rttest.Dial(t, srv.URL()+"/openai/v1/realtime?model=gpt-realtime", nil)
//	c.Until("session.created")
//	c.Send(`{"type":"response.create"}`)
//	done := c.Until("response.done")
package rttest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// DialOptions configure Dial. A nil *DialOptions means the defaults.
type DialOptions struct {
	// Header is sent with the upgrade request (an api-key, OpenAI-Beta).
	Header http.Header
	// Subprotocols are offered in Sec-WebSocket-Protocol.
	Subprotocols []string
	// Timeout bounds the whole client's life: every read and write. The
	// default is one minute.
	Timeout time.Duration
	// ReadLimit is the largest server frame accepted; the default, 64 MiB,
	// fits every frame the service sends.
	ReadLimit int64
}

// Client is one realtime session seen from the client side.
type Client struct {
	// Conn is the underlying connection, for what the helpers do not cover
	// (binary frames, close codes).
	Conn *websocket.Conn
	// Ctx is cancelled when the test ends or the Timeout passes.
	Ctx context.Context
	// Sent and Read count the text frames written and read.
	Sent, Read int

	t testing.TB
}

// Event is one server event: its type, its bytes and its decoded members.
type Event struct {
	Type string
	Raw  json.RawMessage
	M    map[string]any
}

// WSURL turns an http(s):// base URL into its ws(s):// form; other URLs are
// returned as they are.
func WSURL(url string) string {
	if strings.HasPrefix(url, "http") {
		return "ws" + strings.TrimPrefix(url, "http")
	}
	return url
}

// Dial connects to url (http://, https://, ws:// or wss://) and fails the
// test if it cannot. The connection is closed when the test ends.
func Dial(t testing.TB, url string, opts *DialOptions) *Client {
	t.Helper()
	c, resp, err := TryDial(t, url, opts)
	if err != nil {
		t.Fatalf("dial %s: %v (response %v)", url, err, resp)
	}
	return c
}

// TryDial is Dial that returns the error and the refused upgrade's response
// instead of failing the test.
func TryDial(t testing.TB, url string, opts *DialOptions) (*Client, *http.Response, error) {
	t.Helper()
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 64 << 20
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	t.Cleanup(cancel)
	conn, resp, err := websocket.Dial(ctx, WSURL(url), &websocket.DialOptions{HTTPHeader: o.Header, Subprotocols: o.Subprotocols})
	if err != nil {
		return nil, resp, err
	}
	conn.SetReadLimit(o.ReadLimit)
	t.Cleanup(func() { conn.CloseNow() })
	return &Client{Conn: conn, Ctx: ctx, t: t}, resp, nil
}

// Write sends v as one text frame: a string or []byte as it is, anything
// else as its JSON.
func (c *Client) Write(v any) error {
	c.t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.t.Fatalf("marshal %T: %v", v, err)
		}
	}
	if err := c.Conn.Write(c.Ctx, websocket.MessageText, b); err != nil {
		return err
	}
	c.Sent++
	return nil
}

// Send is Write that fails the test on error.
func (c *Client) Send(v any) {
	c.t.Helper()
	if err := c.Write(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// TryNext reads the next server event. It reports false when the server
// closed the connection; a timeout, a binary frame or invalid JSON fail the
// test.
func (c *Client) TryNext() (Event, bool) {
	c.t.Helper()
	typ, data, err := c.Conn.Read(c.Ctx)
	if err != nil {
		if websocket.CloseStatus(err) == -1 && c.Ctx.Err() != nil {
			c.t.Fatalf("read: %v", err)
		}
		return Event{}, false
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("server sent a binary frame")
	}
	c.Read++
	e, err := Decode(data)
	if err != nil {
		c.t.Fatalf("%v\n%s", err, data)
	}
	return e, true
}

// Next reads the next server event and fails the test unless it has a
// type and an event_id, as every server event does.
func (c *Client) Next() Event {
	c.t.Helper()
	e, ok := c.TryNext()
	if !ok {
		c.t.Fatalf("read: the server closed the connection (%v)", c.CloseError())
	}
	if e.Type == "" || e.Str("event_id") == "" {
		c.t.Fatalf("server event without type or event_id: %s", e.Raw)
	}
	return e
}

// Until reads events up to and including the first of type typ.
func (c *Client) Until(typ string) []Event {
	c.t.Helper()
	var out []Event
	for {
		e := c.Next()
		out = append(out, e)
		if e.Type == typ {
			return out
		}
	}
}

// CloseError reads until the connection ends and returns how the server
// closed it: Code -1 when it was not a close frame.
func (c *Client) CloseError() websocket.CloseError {
	for {
		if _, _, err := c.Conn.Read(c.Ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce
			}
			return websocket.CloseError{Code: -1, Reason: err.Error()}
		}
	}
}

// Decode decodes one server frame.
func Decode(data []byte) (Event, error) {
	e := Event{Raw: data}
	if err := json.Unmarshal(data, &e.M); err != nil {
		return Event{}, errors.New("server sent invalid JSON: " + err.Error())
	}
	e.Type, _ = e.M["type"].(string)
	return e, nil
}

// Get returns the member at a dotted path ("response.status"), or nil.
// Array elements are addressed by index ("response.output.0.id").
func (e Event) Get(path string) any {
	var cur any = e.M
	for _, p := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			cur = v[p]
		case []any:
			i, ok := index(p, len(v))
			if !ok {
				return nil
			}
			cur = v[i]
		default:
			return nil
		}
	}
	return cur
}

func index(s string, n int) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	i := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		i = i*10 + int(r-'0')
	}
	return i, i < n
}

// Str returns the string at path, or "".
func (e Event) Str(path string) string {
	s, _ := e.Get(path).(string)
	return s
}

// Num returns the number at path, or 0.
func (e Event) Num(path string) float64 {
	f, _ := e.Get(path).(float64)
	return f
}

// Types lists the events' types in order.
func Types(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}
