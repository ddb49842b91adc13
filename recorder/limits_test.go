package recorder

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtmock/rtmock/cassette"
)

// rawRequest sends req on a fresh connection to the recorder at u
// (ws://host:port) and returns the connection and the response's status
// line.
func rawRequest(t *testing.T, u, req string) (net.Conn, *bufio.Reader, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(u, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("no response to %.80q: %v", req, err)
	}
	return c, br, strings.TrimSpace(status)
}

// waitClosed reads from c until the server closes it; the read deadline
// is far beyond the timeouts under test, so only a server that never
// closes fails.
func waitClosed(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Errorf("the server did not close the connection: %v", err)
	}
}

// A keep-alive connection that falls silent after a request, and one that
// never finishes its headers, are closed by the recorder.
func TestIdleAndSlowConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	_, u := startRecorder(t, &Options{Upstream: "http://127.0.0.1:9", Dir: t.TempDir(), IdleTimeout: 100 * time.Millisecond, ReadHeaderTimeout: 100 * time.Millisecond})
	c, br, status := rawRequest(t, u, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	if !strings.Contains(status, " 404 ") {
		t.Errorf("status %q, want 404", status)
	}
	waitClosed(t, c, br)

	slow, err := net.Dial("tcp", strings.TrimPrefix(u, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
	waitClosed(t, slow, bufio.NewReader(slow))
}

// The defaults are those the documentation gives.
func TestServerLimitDefaults(t *testing.T) {
	t.Parallel()
	rec, err := New(&Options{Upstream: "http://127.0.0.1:9", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	o := rec.opts
	if o.IdleTimeout != 60*time.Second || o.ReadHeaderTimeout != 10*time.Second || o.ReadTimeout != 60*time.Second ||
		o.MaxHeaderBytes != 64<<10 || o.MaxMessageBytes != cassette.MaxFrameSize || o.QueueBytes != 16<<20 || o.DialTimeout != 30*time.Second {
		t.Errorf("defaults: idle %v, header %v, read %v, header bytes %d, message %d, queue %d, dial %v",
			o.IdleTimeout, o.ReadHeaderTimeout, o.ReadTimeout, o.MaxHeaderBytes, o.MaxMessageBytes, o.QueueBytes, o.DialTimeout)
	}
}

// A request whose line and headers come to 0.9 MB is refused with 431
// before it costs anything.
func TestHugeRequestHeadIs431(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { t.Error("upstream was dialed") })
	_, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
	query := strings.Repeat("a", 600<<10)
	req := "GET /v1/realtime?model=m&pad=" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + strings.Repeat("b", 300<<10) +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	_, _, status := rawRequest(t, u, req)
	if !strings.Contains(status, " 431 ") {
		t.Errorf("status %q, want 431", status)
	}
}

// Upgraded sessions have no deadline: a session quiet for longer than
// every timeout of the HTTP server still relays both ways.
func TestSessionOutlivesTheServerTimeouts(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) {
		for {
			typ, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			c.Write(context.Background(), typ, data)
		}
	})
	const timeout = 100 * time.Millisecond
	rec, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(),
		IdleTimeout: timeout, ReadHeaderTimeout: timeout, ReadTimeout: timeout, DialTimeout: timeout})
	c := dial(t, u+"/v1/realtime?model=gpt-realtime", nil)
	send(t, c, textMsg(`{"type":"first"}`))
	readN(t, c, 1)
	time.Sleep(10 * timeout) // quiet: longer than any of the server's timeouts
	send(t, c, textMsg(`{"type":"after the silence"}`))
	if got := readN(t, c, 1); string(got[0].data) != `{"type":"after the silence"}` {
		t.Errorf("echo %q", got[0].data)
	}
	c.Close(websocket.StatusNormalClosure, "")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if cas := onlyCassette(t, rec); cas.Len() != 5 {
		t.Errorf("%d frames, want 4 events and the close", cas.Len())
	}
}

// A message over the limit, from either side, closes the other side with
// 1009 and a reason that names the limit; the cassette ends with that
// close.
func TestMessageOverTheLimitClosesWith1009(t *testing.T) {
	t.Parallel()
	const limit = 1024
	big := textMsg(`{"type":"x","pad":"` + strings.Repeat("p", 2*limit) + `"}`)
	for _, fromUpstream := range []bool{true, false} {
		name := "from the client"
		if fromUpstream {
			name = "from the upstream"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			upClose := make(chan websocket.CloseError, 1)
			up := newUpstream(t, func(c *websocket.Conn) {
				send(t, c, textMsg(`{"type":"session.created"}`))
				if fromUpstream {
					send(t, c, big)
				}
				upClose <- closeStatus(c)
			})
			var logs syncBuffer
			rec, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), MaxMessageBytes: limit, Logger: jsonLogger(&logs)})
			c := dial(t, u+"/v1/realtime?model=gpt-realtime", nil)
			readN(t, c, 1)
			if !fromUpstream {
				c.SetReadLimit(1 << 20)
				send(t, c, big)
			}
			ce := closeStatus(c)
			uce := <-upClose
			receiver, receiverCE := ce, "client"
			if !fromUpstream {
				receiver, receiverCE = uce, "upstream"
			}
			if receiver.Code != websocket.StatusMessageTooBig || !strings.Contains(receiver.Reason, "1024-byte limit") {
				t.Errorf("%s saw close %v, want 1009 naming the limit", receiverCE, receiver)
			}
			if ce.Code != websocket.StatusMessageTooBig || uce.Code != websocket.StatusMessageTooBig {
				t.Errorf("client saw %v, upstream %v; want 1009 on both sides", ce, uce)
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			cas := onlyCassette(t, rec)
			last := cas.Frame(cas.Len() - 1)
			if last.Kind != cassette.KindClose || last.Code != 1009 || !strings.Contains(last.Reason, "limit") {
				t.Errorf("last frame %+v, want the 1009 close", last)
			}
			if !bytes.Contains(logs.Bytes(), []byte("message over the limit")) {
				t.Errorf("the log does not say which limit was hit:\n%s", logs.Bytes())
			}
		})
	}
}

// A web page reached through DNS rebinding sends its own name as Host and
// a matching Origin: the recorder refuses it before dialing anything,
// unless the name is allowed; an allowed name still needs an allowed
// Origin, since Origin == Host proves nothing for a name that is not
// loopback.
func TestHostMustNameThisMachine(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"session.created"}`))
		closeStatus(c)
	})
	_, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), APIKey: "injected-key-0123456789", AllowedHosts: []string{"rec.internal"}})
	port := u[strings.LastIndex(u, ":")+1:]
	tests := []struct {
		name   string
		host   string
		origin string
		want   int // 0: the session opens
	}{
		{"a rebinding page", "evil.example:" + port, "http://evil.example:" + port, http.StatusForbidden},
		{"a rebinding page without Origin", "evil.example:" + port, "", http.StatusForbidden},
		{"loopback by name", "localhost:" + port, "", 0},
		{"loopback page on its own host", "localhost:" + port, "http://localhost:" + port, 0},
		{"an allowed name", "rec.internal:" + port, "", 0},
		{"an allowed name with its own origin", "rec.internal:" + port, "http://rec.internal:" + port, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(up.requests())
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			c, resp, err := websocket.Dial(context.Background(), u+"/openai/v1/realtime?model=m", &websocket.DialOptions{Host: tt.host, HTTPHeader: h})
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				readN(t, c, 1)
				c.Close(websocket.StatusNormalClosure, "")
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatal("the session opened")
			}
			if resp == nil || resp.StatusCode != tt.want {
				t.Fatalf("dial = %v, %v; want %d", resp, err, tt.want)
			}
			if len(up.requests()) != before {
				t.Error("the upstream was dialed for a refused request")
			}
		})
	}
}
