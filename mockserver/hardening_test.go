package mockserver_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
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

// longReply is a scenario whose every response streams ten minutes of
// audio at once: 38 MB of base64, far more than loopback socket buffers
// take (a minute, 3.8 MB, fits in them and blocks nothing).
func longReply(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("long.yaml", []byte("name: long\nturns:\n  - when: response.create\n    repeat: true\n    reply: {transcript: long, audio: {duration: 10m, chunk: 1s}, pace: instant}\n"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestSlowConsumerIsDroppedAndHoldsNothing: a client that stops reading
// while the server streams used to pin up to 16 frames of 21 MiB each and
// could never expire. Now the server stops reading from
// it while its write is blocked, and the watchdog drops it after the write
// timeout.
func TestSlowConsumerIsDroppedAndHoldsNothing(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	taken := 0
	ended := make(chan *mockserver.Transcript, 1)
	srv := startServer(t, &mockserver.Options{
		Scenario:     longReply(t),
		WriteTimeout: 300 * time.Millisecond,
		Observer: mockserver.ObserverFuncs{OnFrame: func(_ *mockserver.SessionInfo, o *mockserver.Observed) {
			if o.Frame.Dir == cassette.Client && o.Frame.Kind == cassette.KindText {
				mu.Lock()
				taken++
				mu.Unlock()
			}
		}, Ended: func(_ *mockserver.SessionInfo, tr *mockserver.Transcript) { ended <- tr }},
	})
	c := dial(t, srv, dialects[1])
	c.next() // session.created
	c.send(`{"type":"response.create"}`)
	// Never read again; keep sending 1 MiB frames while the server is stuck.
	junk := fmt.Sprintf(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":%q}]}}`, strings.Repeat("x", 1<<20))
	sent := 0
	for sent < 64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.conn.Write(ctx, websocket.MessageText, []byte(junk))
		cancel()
		if err != nil {
			break
		}
		sent++
	}
	var tr *mockserver.Transcript
	select {
	case tr = <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow consumer was never dropped")
	}
	if !tr.SlowConsumer {
		t.Errorf("transcript does not say the client was dropped for not reading")
	}
	mu.Lock()
	defer mu.Unlock()
	// The server took response.create and at most the frame it was reading
	// when its write blocked: the rest stayed in the client's socket.
	if taken > 3 {
		t.Errorf("the server took %d client frames while its write was blocked (client sent %d)", taken, sent)
	}
}

// TestExpiryFiresWhileAWriteIsBlocked: with a blocked write the session
// could never expire (the socket was still open at 20 s
// with expire at 3 s).
func TestExpiryFiresWhileAWriteIsBlocked(t *testing.T) {
	t.Parallel()
	ended := make(chan struct{})
	srv := startServer(t, &mockserver.Options{
		Scenario: longReply(t), WriteTimeout: time.Hour, SessionMaxDuration: 200 * time.Millisecond,
		Observer: mockserver.ObserverFuncs{Ended: func(*mockserver.SessionInfo, *mockserver.Transcript) { close(ended) }},
	})
	c := dial(t, srv, dialects[1])
	c.next()
	// Ten minutes of audio at once, never read: the write blocks, so the
	// expiry step cannot run; the watchdog ends the session a grace
	// period after its expiry instead.
	c.send(`{"type":"response.create"}`)
	select {
	case <-ended:
	case <-time.After(60 * time.Second):
		t.Fatal("the session outlived its expiry while its write was blocked")
	}
}

// TestIdleKeepAliveConnectionsAreClosed: after one GET /healthz and
// silence, connections were held forever.
func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	srv := startServer(t, &mockserver.Options{IdleTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("an idle keep-alive connection was not closed: read gave %v", err)
	}
}

// TestOversizedHeadersAreRefused: a 0.9 MB query was accepted and such a
// session cost 1.6 MB idle.
func TestOversizedHeadersAreRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	u := srv.URL() + "/openai/v1/realtime?model=gpt-realtime&pad=" + strings.Repeat("a", 900<<10)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", resp.StatusCode)
	}
}

// TestUpgradedSessionsOutliveTheHTTPTimeouts: the idle and read timeouts
// are for plain requests only.
func TestUpgradedSessionsOutliveTheHTTPTimeouts(t *testing.T) {
	t.Parallel()
	srv := startServer(t, &mockserver.Options{IdleTimeout: 100 * time.Millisecond})
	c := dial(t, srv, dialects[1])
	c.next()
	time.Sleep(400 * time.Millisecond) // several idle timeouts pass
	c.send(`{"type":"response.create"}`)
	if evs := c.until("response.done"); evs[len(evs)-1].str("response.status") != "completed" {
		t.Fatal("the session did not survive the idle timeout")
	}
}

// TestInvalidUTF8ClosesWith1007: RFC 6455 §8.1 fails a connection whose
// text frame is not UTF-8.
func TestInvalidUTF8ClosesWith1007(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	c := dial(t, srv, dialects[1])
	c.next()
	if err := c.conn.Write(c.ctx, websocket.MessageText, []byte("{\"type\":\"response.create\",\"event_id\":\"a\xffb\"}")); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.conn.Read(c.ctx)
	if got := websocket.CloseStatus(err); got != 1007 {
		t.Fatalf("close status %d (%v), want 1007", got, err)
	}
}

// TestAppendOver15MiBIsRefused: the service takes at most 15 MiB of audio
// per append.
func TestAppendOver15MiBIsRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	c := dial(t, srv, dialects[1])
	c.next()
	audio := base64.StdEncoding.EncodeToString(make([]byte, 15<<20+2))
	c.send(`{"type":"input_audio_buffer.append","event_id":"big","audio":"` + audio + `"}`)
	e := c.next()
	if e.Type != "error" || e.str("error.event_id") != "big" || !strings.Contains(e.str("error.message"), "15 MiB") {
		t.Fatalf("got %s", truncate(e.Raw))
	}
	c.send(`{"type":"response.create"}`) // and the session goes on
	c.until("response.done")
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestLongConversationsStayBounded: chaining items by previous_item_id
// scanned the conversation for each insert (80,000 items took 54 s) and
// usage reported 50,000,078 input tokens.
func TestLongConversationsStayBounded(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	c := dial(t, srv, dialects[1])
	c.next()
	const n = 4000
	prev := "root"
	text := strings.Repeat("word ", 200) // 1000 characters, ~250 tokens: 4000 items overflow what a session keeps
	for i := range n {
		id := fmt.Sprintf("item_%05d", i)
		c.send(fmt.Sprintf(`{"type":"conversation.item.create","previous_item_id":%q,"item":{"id":%q,"type":"message","role":"user","content":[{"type":"input_text","text":%q}]}}`, prev, id, text))
		prev = id
		for range 2 { // added and done (GA): read as we go, as a client does
			if e := c.next(); e.Type == "error" {
				t.Fatalf("item create failed: %s", e.Raw)
			}
		}
	}
	c.send(`{"type":"response.create"}`)
	evs := c.until("response.done")
	done := evs[len(evs)-1]
	if in := done.num("response.usage.input_tokens"); in <= 0 || in > 128000 {
		t.Errorf("input_tokens = %v, want within the context window", in)
	}
	// The oldest items fell out of what the session keeps; the newest is
	// still there and retrievable.
	c.send(`{"type":"conversation.item.retrieve","item_id":"` + prev + `"}`)
	for {
		e := c.next()
		if e.Type == "conversation.item.retrieved" {
			break
		}
		if e.Type == "error" {
			t.Fatalf("the newest item is gone: %s", e.Raw)
		}
	}
}

// TestAttackerSizedValuesAreNotLoggedWhole: -v logged a 1 MB type string
// .
func TestAttackerSizedValuesAreNotLoggedWhole(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	srv := startServer(t, &mockserver.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := dial(t, srv, dialects[1])
	c.next()
	c.send(`{"type":"` + strings.Repeat("p", 1<<20) + `"}`)
	if e := c.next(); e.Type != "error" {
		t.Fatalf("got %s", truncate(e.Raw))
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	if n := logs.Len(); n > 64<<10 {
		t.Errorf("the log holds %d bytes after one 1 MB event type", n)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}
