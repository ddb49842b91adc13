package recorder

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rtmock/rtmock/internal/rttest"

	"github.com/coder/websocket"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// fakeUpstream is a realtime service written for the tests: it accepts
// WebSocket sessions (choosing the "realtime" subprotocol when offered)
// and runs handle on each.
type fakeUpstream struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []*http.Request // the handshakes it saw
}

func newUpstream(t testing.TB, handle func(c *websocket.Conn)) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.reqs = append(u.reqs, r.Clone(context.Background()))
		u.mu.Unlock()
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"realtime"}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(cassette.MaxFrameSize)
		handle(c)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// refusingUpstream answers every handshake with status, headers and body.
func refusingUpstream(t testing.TB, status int, header map[string]string, body string) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.reqs = append(u.reqs, r.Clone(context.Background()))
		u.mu.Unlock()
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *fakeUpstream) requests() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]*http.Request(nil), u.reqs...)
}

// startRecorder runs a Recorder on a loopback port and returns it with
// its base URL. The test's cleanup closes it and checks Serve's result.
func startRecorder(t testing.TB, opts *Options) (*Recorder, string) {
	t.Helper()
	return serveRecorder(t, opts, true)
}

// serveRecorder is startRecorder; closeMustSucceed false lets a test
// expect Close to report cassette errors.
func serveRecorder(t testing.TB, opts *Options, closeMustSucceed bool) (*Recorder, string) {
	t.Helper()
	rec, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- rec.Serve(l) }()
	t.Cleanup(func() {
		if err := rec.Close(); err != nil && closeMustSucceed {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return rec, "ws://" + l.Addr().String()
}

// dial connects a client to the recorder (the shared test client's
// connection, with the cassette format's frame limit).
func dial(t testing.TB, url string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	o := &rttest.DialOptions{ReadLimit: cassette.MaxFrameSize, Timeout: 5 * time.Minute}
	if opts != nil {
		o.Header, o.Subprotocols = opts.HTTPHeader, opts.Subprotocols
	}
	return rttest.Dial(t, url, o).Conn
}

type message struct {
	typ  websocket.MessageType
	data []byte
}

func readN(t testing.TB, c *websocket.Conn, n int) []message {
	t.Helper()
	var out []message
	for range n {
		typ, data, err := c.Read(context.Background())
		if err != nil {
			t.Fatalf("read message %d of %d: %v", len(out)+1, n, err)
		}
		out = append(out, message{typ, data})
	}
	return out
}

func send(t testing.TB, c *websocket.Conn, msgs ...message) {
	t.Helper()
	for _, m := range msgs {
		if err := c.Write(context.Background(), m.typ, m.data); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

// closeStatus reads until the connection closes and returns how.
func closeStatus(c *websocket.Conn) websocket.CloseError {
	for {
		_, _, err := c.Read(context.Background())
		if err != nil {
			var ce websocket.CloseError
			errors.As(err, &ce)
			return ce
		}
	}
}

// onlyCassette loads the single cassette the recorder wrote.
func onlyCassette(t *testing.T, rec *Recorder) *cassette.Cassette {
	t.Helper()
	files := rec.Cassettes()
	if len(files) != 1 {
		t.Fatalf("%d cassettes, want 1: %v", len(files), files)
	}
	c, err := cassette.Load(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// syncBuffer is a bytes.Buffer safe for a logger shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

func jsonLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func cassettePaths(t *testing.T, dirs ...string) []string {
	var out []string
	for _, d := range dirs {
		m, err := filepath.Glob(filepath.Join(d, "*"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}
