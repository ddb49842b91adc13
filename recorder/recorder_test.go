package recorder

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

func textMsg(s string) message { return message{websocket.MessageText, []byte(s)} }

func appendEvent(n int) message {
	audio := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1, 2, 3}, n/3))
	return textMsg(`{"type":"input_audio_buffer.append","audio":"` + audio + `"}`)
}

func deltaEvent(n int) message {
	audio := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{4, 5, 6}, n/3))
	return textMsg(`{"type":"response.audio.delta","event_id":"event_2","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"` + audio + `"}`)
}

func TestRelayRecordsBothWaysUnchanged(t *testing.T) {
	t.Parallel()
	fromClient := []message{
		appendEvent(4800),
		{websocket.MessageBinary, []byte{0, 1, 2, 0xff}},
		appendEvent(3 << 20), // far over coder/websocket's default 32 KiB limit
		textMsg("not json\nat all"),
		textMsg(`{"type":"response.create",  "response":{}}`),
	}
	fromServer := []message{
		textMsg(`{"type":"session.created","event_id":"event_1","session":{"id":"sess_1"}}`),
		deltaEvent(24000),
		{websocket.MessageBinary, []byte("binary from the server")},
		deltaEvent(6 << 20),
		textMsg(`{"type":"response.done","event_id":"event_3","response":{"id":"resp_1","status":"completed"}}`),
	}
	got := make(chan []message, 1)
	up := newUpstream(t, func(c *websocket.Conn) {
		got <- readN(t, c, len(fromClient))
		send(t, c, fromServer...)
		c.Close(4000, "done here")
	})
	rec, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
	c := dial(t, url+"/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview",
		&websocket.DialOptions{Subprotocols: []string{"realtime"}, HTTPHeader: http.Header{"User-Agent": {"rtclient-test/1.0"}}})
	if c.Subprotocol() != "realtime" {
		t.Errorf("client subprotocol = %q, want the upstream's choice %q", c.Subprotocol(), "realtime")
	}
	send(t, c, fromClient...)
	if diff := cmp.Diff(fromClient, <-got, cmpMessages); diff != "" {
		t.Errorf("upstream received (-sent +received):\n%s", diff)
	}
	if diff := cmp.Diff(fromServer, readN(t, c, len(fromServer)), cmpMessages); diff != "" {
		t.Errorf("client received (-sent +received):\n%s", diff)
	}
	if ce := closeStatus(c); ce.Code != 4000 || ce.Reason != "done here" {
		t.Errorf("client saw close %v, want the upstream's 4000 \"done here\"", ce)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	cas := onlyCassette(t, rec)
	h := cas.Header()
	wantEndpoint := cassette.Endpoint{
		Path:         "/openai/realtime",
		Query:        map[string]string{"api-version": "2024-10-01-preview", "deployment": "gpt-4o-realtime-preview"},
		Header:       map[string]string{"User-Agent": "rtclient-test/1.0"},
		Subprotocols: []string{"realtime"},
		Subprotocol:  "realtime",
	}
	if diff := cmp.Diff(wantEndpoint, h.Endpoint); diff != "" {
		t.Errorf("cassette endpoint (-want +got):\n%s", diff)
	}
	if h.Dialect != realtime.Preview || h.Provider != "azure" || h.ID == "" || h.Created.IsZero() || h.Recorder != "rtrecord" {
		t.Errorf("cassette header = %+v", h)
	}
	var want []cassette.Frame
	for _, m := range fromClient {
		want = append(want, frameOf(cassette.Client, m))
	}
	for _, m := range fromServer {
		want = append(want, frameOf(cassette.Server, m))
	}
	want = append(want, cassette.Frame{Dir: cassette.Server, Kind: cassette.KindClose, Code: 4000, Reason: "done here"})
	var frames []cassette.Frame
	var last time.Duration
	for i, f := range cas.All() {
		if f.T < last {
			t.Errorf("frame %d at %v comes after one at %v", i, f.T, last)
		}
		last = f.T
		f.T, f.Type = 0, ""
		frames = append(frames, f)
	}
	if diff := cmp.Diff(want, frames, cmpBytes); diff != "" {
		t.Errorf("cassette frames (-want +got):\n%s", diff)
	}
}

// cmpBytes compares byte slices as wholes: element by element, cmp takes
// minutes over megabytes of audio.
var cmpBytes = cmp.Comparer(bytes.Equal)

var cmpMessages = cmp.Options{cmp.AllowUnexported(message{}), cmpBytes}

func frameOf(dir cassette.Direction, m message) cassette.Frame {
	kind := cassette.KindText
	if m.typ == websocket.MessageBinary {
		kind = cassette.KindBinary
	}
	return cassette.Frame{Dir: dir, Kind: kind, Data: m.data}
}

func TestClientCloseReachesUpstream(t *testing.T) {
	t.Parallel()
	upClose := make(chan websocket.CloseError, 1)
	up := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"session.created"}`))
		upClose <- closeStatus(c)
	})
	rec, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
	c := dial(t, url+"/v1/realtime?model=gpt-realtime", nil)
	readN(t, c, 1)
	if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("client close: %v", err)
	}
	if ce := <-upClose; ce.Code != websocket.StatusNormalClosure || ce.Reason != "bye" {
		t.Errorf("upstream saw close %v, want 1000 \"bye\"", ce)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	cas := onlyCassette(t, rec)
	if h := cas.Header(); h.Dialect != realtime.GA || h.Provider != "openai" {
		t.Errorf("dialect %s provider %s, want ga openai", h.Dialect, h.Provider)
	}
	last := cas.Frame(cas.Len() - 1)
	if last.Kind != cassette.KindClose || last.Dir != cassette.Client || last.Code != 1000 || last.Reason != "bye" {
		t.Errorf("last frame = %+v, want the client's close 1000 bye", last)
	}
}

func TestFailedHandshakeReachesClientAndCassette(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
	}{
		{"unauthorized", 401, map[string]string{"Content-Type": "application/json"}, `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}`},
		{"not found", 404, map[string]string{"Content-Type": "application/json"}, `{"error":{"code":"404","message":"Resource not found"}}`},
		{"throttled", 429, map[string]string{"Retry-After": "7", "X-Ratelimit-Remaining-Requests": "0"}, "Too many requests"},
		{"server error without body", 500, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := refusingUpstream(t, tt.status, tt.header, tt.body)
			rec, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
			_, resp, err := websocket.Dial(context.Background(), url+"/openai/v1/realtime?model=gpt-realtime", nil)
			if err == nil {
				t.Fatal("dial succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("client got %v, want HTTP %d", resp, tt.status)
			}
			body, _ := io.ReadAll(resp.Body)
			if string(body) != tt.body {
				t.Errorf("client got body %q, want %q", body, tt.body)
			}
			for k, v := range tt.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("client got %s %q, want %q", k, got, v)
				}
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			cas := onlyCassette(t, rec)
			if cas.Len() != 1 {
				t.Fatalf("%d frames, want the one HTTP answer", cas.Len())
			}
			f := cas.Frame(0)
			if f.Kind != cassette.KindHTTP || f.Code != tt.status || string(f.Data) != tt.body || f.Dir != cassette.Server {
				t.Errorf("frame = %+v, want HTTP %d %q", f, tt.status, tt.body)
			}
			for k, v := range tt.header {
				if f.Header[k] != v {
					t.Errorf("recorded headers %v lack %s: %s", f.Header, k, v)
				}
			}
		})
	}
}

func TestUnreachableUpstreamIs502WithoutCassette(t *testing.T) {
	t.Parallel()
	up := refusingUpstream(t, 200, nil, "")
	addr := up.srv.URL
	up.srv.Close() // nothing listens there any more
	dir := t.TempDir()
	rec, url := startRecorder(t, &Options{Upstream: addr, Dir: dir})
	_, resp, err := websocket.Dial(context.Background(), url+"/v1/realtime?model=gpt-realtime", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("dial = %v, %v; want 502", resp, err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if files := cassettePaths(t, dir); len(files) != 0 || len(rec.Cassettes()) != 0 {
		t.Errorf("cassettes left for an unreachable upstream: %v %v", files, rec.Cassettes())
	}
}

func TestRefusedRequests(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { t.Error("upstream was dialed") })
	dir := t.TempDir()
	_, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: dir})
	httpURL := "http" + strings.TrimPrefix(url, "ws")
	tests := []struct {
		name   string
		path   string
		header http.Header
		status int
	}{
		{"not a realtime path", "/v1/chat/completions", nil, http.StatusNotFound},
		{"not a WebSocket request", "/v1/realtime", nil, http.StatusUpgradeRequired},
		{"a web page of another origin", "/v1/realtime", http.Header{"Origin": {"https://attacker.example"}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.name, "a web page") {
				_, resp, err := websocket.Dial(context.Background(), url+tt.path, &websocket.DialOptions{HTTPHeader: tt.header})
				if err == nil || resp == nil || resp.StatusCode != tt.status {
					t.Fatalf("dial = %v, %v; want %d", resp, err, tt.status)
				}
				return
			}
			resp, err := http.Get(httpURL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	http.DefaultClient.CloseIdleConnections()
	if files := cassettePaths(t, dir); len(files) != 0 {
		t.Errorf("cassettes written for refused requests: %v", files)
	}
}

func TestLocalOriginIsAllowed(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { send(t, c, textMsg(`{"type":"session.created"}`)); closeStatus(c) })
	_, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
	c := dial(t, url+"/v1/realtime", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://localhost:5173"}}})
	readN(t, c, 1)
	c.Close(websocket.StatusNormalClosure, "")
}

func TestCloseEndsSessionsWith1001(t *testing.T) {
	t.Parallel()
	upClose := make(chan websocket.CloseError, 1)
	up := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"session.created"}`))
		upClose <- closeStatus(c)
	})
	rec, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
	c := dial(t, url+"/openai/v1/realtime?model=gpt-realtime", nil)
	readN(t, c, 1)
	send(t, c, appendEvent(4800))
	clientClose := make(chan websocket.CloseError, 1)
	go func() { clientClose <- closeStatus(c) }()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if ce := <-clientClose; ce.Code != websocket.StatusGoingAway {
		t.Errorf("client saw close %v, want 1001", ce)
	}
	if ce := <-upClose; ce.Code != websocket.StatusGoingAway {
		t.Errorf("upstream saw close %v, want 1001", ce)
	}
	cas := onlyCassette(t, rec)
	last := cas.Frame(cas.Len() - 1)
	if last.Kind != cassette.KindClose || last.Code != 1001 || last.Dir != cassette.Server {
		t.Errorf("last frame = %+v, want the shutdown close 1001", last)
	}
	if _, _, err := websocket.Dial(context.Background(), url+"/v1/realtime", nil); err == nil {
		t.Error("dial after Close succeeded")
	}
}

func TestUpstreamFailureDropsClient(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"session.created"}`))
		c.CloseNow() // no close frame: the connection just ends
	})
	rec, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir()})
	c := dial(t, url+"/v1/realtime", nil)
	readN(t, c, 1)
	if ce := closeStatus(c); ce.Code != 0 {
		t.Errorf("client saw close %v, want the connection dropped without a close frame", ce)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	cas := onlyCassette(t, rec)
	last := cas.Frame(cas.Len() - 1)
	if last.Kind != cassette.KindError || last.Dir != cassette.Server || last.Reason == "" {
		t.Errorf("last frame = %+v, want the upstream's failure", last)
	}
}

func TestCloseIsIdempotentAndServeAfterCloseFails(t *testing.T) {
	t.Parallel()
	rec, err := New(&Options{Upstream: "https://example.invalid"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Serve(l); !errors.Is(err, ErrClosed) {
		t.Errorf("Serve after Close = %v, want ErrClosed", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no upstream", Options{}, "upstream URL missing"},
		{"no scheme", Options{Upstream: "my-resource.openai.azure.com"}, "want https://host"},
		{"query in upstream", Options{Upstream: "https://h/?api-key=x"}, "only scheme, host and path"},
		{"bad template", Options{Upstream: "https://h", Name: "{{.Nope}}"}, "cassette name template"},
		{"template with a directory", Options{Upstream: "https://h", Name: "../{{.ID}}.jsonl"}, "not a plain file name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(&tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestUpstreamURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://my-resource.openai.azure.com", "wss://my-resource.openai.azure.com"},
		{"http://127.0.0.1:9000/", "ws://127.0.0.1:9000"},
		{"wss://gateway.example/prefix/", "wss://gateway.example/prefix"},
	}
	for _, tt := range tests {
		rec, err := New(&Options{Upstream: tt.in})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.Upstream(); got != tt.want {
			t.Errorf("Upstream(%q) = %q, want %q", tt.in, got, tt.want)
		}
		rec.Close()
	}
}

func TestNameTemplate(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { closeStatus(c) })
	dir := t.TempDir()
	rec, url := startRecorder(t, &Options{
		Upstream: up.srv.URL, Dir: dir,
		Name: "{{.Seq}}-{{.Provider}}-{{.Dialect}}-{{.Deployment}}-{{.Time}}.jsonl",
		Now:  func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	})
	c := dial(t, url+"/openai/realtime?api-version=x&deployment=my/../deploy", nil)
	c.Close(websocket.StatusNormalClosure, "")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	files := cassettePaths(t, dir)
	if len(files) != 1 || !strings.HasSuffix(files[0], "/1-azure-preview-my_.._deploy-2026-11-25T12-00-00Z.jsonl") {
		t.Errorf("cassettes %v, want 1-azure-preview-my_.._deploy-2026-11-25T12-00-00Z.jsonl", files)
	}
	if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("cassette mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

func TestTokenSourceAuthenticatesClientsWithoutCredentials(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { closeStatus(c) })
	calls := 0
	var mu sync.Mutex
	rec, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), TokenSource: TokenFunc(func(context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return "fixed-entra-token", nil
	})})
	// Without credentials: the token source's bearer token.
	c := dial(t, url+"/openai/v1/realtime?model=gpt-realtime", nil)
	c.Close(websocket.StatusNormalClosure, "")
	// With its own key: forwarded as it is, no token asked for.
	c = dial(t, url+"/openai/v1/realtime?model=gpt-realtime", &websocket.DialOptions{HTTPHeader: http.Header{"api-key": {"own-key"}}})
	c.Close(websocket.StatusNormalClosure, "")
	rec.Close()
	reqs := up.requests()
	if len(reqs) != 2 {
		t.Fatalf("upstream saw %d handshakes, want 2", len(reqs))
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer fixed-entra-token" {
		t.Errorf("first session's Authorization = %q, want the token", got)
	}
	if got, auth := reqs[1].Header.Get("api-key"), reqs[1].Header.Get("Authorization"); got != "own-key" || auth != "" {
		t.Errorf("second session's api-key %q, Authorization %q; want only the client's key", got, auth)
	}
	if calls != 1 {
		t.Errorf("token source called %d times, want 1", calls)
	}
}

func TestTokenSourceFailureIs502(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { t.Error("upstream dialed without a token") })
	dir := t.TempDir()
	_, url := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: dir, TokenSource: TokenFunc(func(context.Context) (string, error) {
		return "", errors.New("no credential in the environment")
	})})
	_, resp, err := websocket.Dial(context.Background(), url+"/openai/v1/realtime?model=m", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("dial = %v, %v; want 502", resp, err)
	}
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), "no credential in the environment") {
		t.Errorf("body %q does not say why", body)
	}
	if files := cassettePaths(t, dir); len(files) != 0 {
		t.Errorf("cassettes written: %v", files)
	}
}
