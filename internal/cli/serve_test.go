package cli

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/scenarios"
	"github.com/spf13/cobra"
)

func TestServeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		want    serveOptions
		wantErr string
	}{
		{args: nil, want: serveOptions{addr: "127.0.0.1:8080", pace: "live", logFormat: "text", maxSess: 10000, maxMsg: 21 << 20, maxCas: 1 << 30,
			maxQueued: 32 << 20, maxHeader: 64 << 10, writeTO: 10 * time.Second, idleTO: time.Minute}},
		{args: []string{"barge-in", "--addr", "127.0.0.1:0", "--pace", "4x", "--api-key", "k", "--seed", "7", "--fault", "drop:p=0.5", "--fault", "expire:at=1s",
			"--write-timeout", "2s", "--idle-timeout", "5s", "--max-queued-bytes", "4096", "--max-header-bytes", "8192"},
			want: serveOptions{addr: "127.0.0.1:0", pace: "4x", apiKey: "k", seed: 7, logFormat: "text", source: "barge-in", faults: []string{"drop:p=0.5", "expire:at=1s"}, maxSess: 10000, maxMsg: 21 << 20, maxCas: 1 << 30,
				maxQueued: 4096, maxHeader: 8192, writeTO: 2 * time.Second, idleTO: 5 * time.Second}},
		{args: []string{"--sip-webhook", "http://127.0.0.1:8000/hook", "--sip-webhook-secret", "whsec_c2VjcmV0"},
			want: serveOptions{addr: "127.0.0.1:8080", pace: "live", logFormat: "text", maxSess: 10000, maxMsg: 21 << 20, maxCas: 1 << 30,
				maxQueued: 32 << 20, maxHeader: 64 << 10, writeTO: 10 * time.Second, idleTO: time.Minute, sipHook: "http://127.0.0.1:8000/hook", sipSecret: "whsec_c2VjcmV0"}},
		{args: []string{"a", "b"}, wantErr: "accepts at most 1 arg"},
		{args: []string{"--nope"}, wantErr: "unknown flag"},
	}
	for _, tt := range tests {
		var got *serveOptions
		cmd := newServeCmd(func(_ *cobra.Command, o *serveOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(serveOptions{})); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"serve", "--pace", "warp"},
		{"serve", "no-such-scenario"},
		{"serve", "--fault", "explode"},
		{"serve", "--log-format", "xml"},
		{"serve", "missing.jsonl"},
		{"serve", "--sip-webhook", "ftp://127.0.0.1/hook"},
		{"serve", "--sip-webhook-secret", "whsec_c2VjcmV0"},
		{"serve", "--sip-webhook", "http://127.0.0.1:8000/hook", "--no-admin"},
		{"serve", "--sip-webhook", "http://127.0.0.1:8000/hook", "--sip-webhook-secret", "whsec_***"},
	} {
		var stderr bytes.Buffer
		if code := run(NewRootCmd(), args, io.Discard, &stderr); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: no error message", args)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine to write
// while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// TestServeEveryBuiltin runs "rtmock serve NAME" for every built-in
// scenario as a user would, connects, and stops it as SIGINT would.
func TestServeEveryBuiltin(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios.List() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			out := serveAndConnect(t, sc.Name)
			if !strings.Contains(out, "scenario "+sc.Name) {
				t.Errorf("banner does not name the scenario:\n%s", out)
			}
		})
	}
}

// TestServeScenarioFileFromCheckout runs the command of the design card
// verbatim from the top of a checkout, where the built-ins are files.
func TestServeScenarioFileFromCheckout(t *testing.T) {
	t.Chdir("../..")
	out := serveAndConnect(t, "scenarios/barge-in.yaml")
	if !strings.Contains(out, "scenario barge-in") {
		t.Errorf("banner does not name the scenario:\n%s", out)
	}
}

// TestServeMissingFileNamesBuiltin serves paths that do not exist but name
// a built-in: the error says which.
func TestServeMissingFileNamesBuiltin(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"scenarios/builtin/barge-in.yaml", "barge-in.yml", "./barge-in.yaml"} {
		var stderr bytes.Buffer
		code := run(NewRootCmd(), []string{"serve", arg}, io.Discard, &stderr)
		if code != ExitUsage || !strings.HasSuffix(stderr.String(), "no such file or directory; did you mean `barge-in`?\n") {
			t.Errorf("serve %s: exit %d, stderr %q", arg, code, stderr.String())
		}
	}
}

// serveAndConnect runs "rtmock serve SOURCE" as a user would, connects a
// session, stops the server as SIGINT would, and returns what serve printed.
func serveAndConnect(t *testing.T, source string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	cmd := NewRootCmd()
	cmd.SetArgs([]string{"serve", source, "--addr", "127.0.0.1:0", "--pace", "instant", "--ca-file", t.TempDir() + "/ca.pem"})
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner: %q", out.String())
		}
	}
	if !strings.Contains(out.String(), "AZURE_OPENAI_ENDPOINT="+url) {
		t.Errorf("banner does not name the endpoint:\n%s", out.String())
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	conn, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(url, "http")+"/openai/v1/realtime?model=m", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 24)
	_, data, err := conn.Read(dctx)
	if err != nil || !strings.Contains(string(data), "session.created") {
		t.Fatalf("first frame %q, %v", data, err)
	}
	cancel() // as SIGINT: sessions are closed with 1001, serve returns nil
	for {
		if _, _, err := conn.Read(dctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusGoingAway {
				t.Errorf("session closed with %v, want 1001", err)
			}
			break
		}
	}
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
	return out.String()
}

// TestServeLogsNoSecret runs the server with a key, at debug level, and has
// clients present the right key and wrong ones in every place a key can
// go; neither ever appears in the logs or the banner.
func TestServeLogsNoSecret(t *testing.T) {
	t.Parallel()
	const right, wrong = "right-key-0123456789", "wrong-key-9876543210"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs syncBuffer
	cmd := NewRootCmd()
	cmd.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--pace", "instant", "--api-key", right, "-v", "--log-format", "json", "--ca-file", t.TempDir() + "/ca.pem"})
	cmd.SetOut(&out)
	cmd.SetErr(&logs)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; time.Sleep(5 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner: %q", out.String())
		}
	}
	ws := "ws" + strings.TrimPrefix(url, "http")
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	try := func(path string, opts *websocket.DialOptions) {
		conn, _, err := websocket.Dial(dctx, ws+path, opts)
		if err != nil {
			return // Azure paths refuse a wrong key before the upgrade
		}
		conn.SetReadLimit(1 << 24)
		conn.Write(dctx, websocket.MessageText, []byte(`{"type":"response.create","event_id":"`+wrong+`"}`))
		for {
			if _, _, err := conn.Read(dctx); err != nil {
				break
			}
			if !strings.Contains(path, "v1/realtime?model=m&x") {
				conn.Close(websocket.StatusNormalClosure, "")
			}
		}
	}
	for _, key := range []string{right, wrong} {
		try("/openai/v1/realtime?model=m", &websocket.DialOptions{HTTPHeader: map[string][]string{"api-key": {key}}})
		try("/openai/realtime?api-version=v&deployment=d&api-key="+key, nil)
		try("/v1/realtime?model=gpt-realtime", &websocket.DialOptions{HTTPHeader: map[string][]string{"Authorization": {"Bearer " + key}}})
		try("/v1/realtime?model=gpt-realtime", &websocket.DialOptions{Subprotocols: []string{"realtime", "openai-insecure-api-key." + key}})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	all := out.String() + logs.String()
	if !strings.Contains(logs.String(), "session ended") {
		t.Fatalf("the sessions were not logged, so the check proves nothing:\n%s", logs.String())
	}
	for _, secret := range []string{right, wrong} {
		if strings.Contains(all, secret) {
			t.Errorf("%s appears in the output:\n%s", secret, all)
		}
	}
}
