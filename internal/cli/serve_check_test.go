package cli

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/rttest"
)

// startServe runs rtmock serve with args (and a ready file) until ctx
// ends, and returns its URL and how it ended.
func startServe(t *testing.T, ctx context.Context, stderr io.Writer, args ...string) (string, <-chan error) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "url")
	cmd := NewRootCmd()
	cmd.SetArgs(append(append([]string{"serve"}, args...), "--addr", "127.0.0.1:0", "--no-tls", "--ready-file", ready))
	cmd.SetOut(io.Discard)
	cmd.SetErr(stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	for {
		select {
		case err := <-done:
			t.Fatalf("serve ended before it was ready: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if b, err := os.ReadFile(ready); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b)), done
		}
	}
}

// serveCheck runs rtmock serve SCENARIO --check --check-exit-after 1,
// plays client against it, and returns how serve ended and what it wrote
// to stderr.
func serveCheck(t *testing.T, scenario string, client func(c *rttest.Client)) (error, string) {
	t.Helper()
	var stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url, done := startServe(t, ctx, &stderr, scenario, "--check", "--check-exit-after", "1")
	c := rttest.Dial(t, url+"/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview", nil)
	c.Until("session.created")
	client(c)
	return <-done, stderr.String()
}

// TestServeCheckFailsTheBuild: with --check, a session that breaks a rule
// makes serve print the finding and exit 1; a correct one exits 0.
func TestServeCheckFailsTheBuild(t *testing.T) {
	t.Parallel()
	t.Run("a response.create while one is active", func(t *testing.T) {
		t.Parallel()
		err, out := serveCheck(t, "hello", func(c *rttest.Client) {
			c.Send(`{"type":"response.create"}`)
			c.Send(`{"type":"response.create"}`)
			c.Until("error")
			c.Until("response.done")
			c.Conn.Close(websocket.StatusNormalClosure, "")
		})
		if !errors.Is(err, errFailed) {
			t.Errorf("serve returned %v, want the failure exit", err)
		}
		if !strings.Contains(out, "FAIL") || !strings.Contains(out, "RT-ACTIVE-RESPONSE") || !strings.Contains(out, "1 failed") {
			t.Errorf("stderr does not report the finding:\n%s", out)
		}
	})
	t.Run("a correct session", func(t *testing.T) {
		t.Parallel()
		err, out := serveCheck(t, "hello", func(c *rttest.Client) {
			c.Send(`{"type":"response.create"}`)
			c.Until("response.done")
			c.Conn.Close(websocket.StatusNormalClosure, "")
		})
		if err != nil {
			t.Errorf("serve returned %v, want success\n%s", err, out)
		}
		if !strings.Contains(out, "pass") || !strings.Contains(out, "1 sessions judged, 0 failed") {
			t.Errorf("stderr:\n%s", out)
		}
	})
}

// TestServeDrain: on SIGTERM (here, the command's context ending) with
// --drain, serve refuses new sessions with 503 and reports itself unready,
// lets the live session go on, and returns once it ended.
func TestServeDrain(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, done := startServe(t, ctx, io.Discard, "--drain", "1m", "--pace", "instant")
	c := rttest.Dial(t, url+"/openai/v1/realtime?model=m", nil)
	c.Next()
	cancel() // SIGTERM
	for {    // until the server is draining
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, resp, err := rttest.TryDial(t, url+"/openai/v1/realtime?model=m", nil); err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a new session while draining: %v %v, want 503", resp, err)
	}
	c.Send(`{"type":"response.create"}`)
	c.Until("response.done") // the live session still works
	c.Conn.Close(websocket.StatusNormalClosure, "")
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
}
