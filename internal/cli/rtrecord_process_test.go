//go:build unix

package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtmock/rtmock/cassette"
)

// These tests run the rtrecord binary as a separate process, so that it can
// be killed and signalled like the real thing.

// recordBuild builds rtrecord into a temporary directory of t.
func recordBuild(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build rtrecord")
	}
	bin := filepath.Join(t.TempDir(), "rtrecord")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/rtmock/rtmock/cmd/rtrecord").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// recordProc is a running rtrecord.
type recordProc struct {
	cmd    *exec.Cmd
	url    string // ws://127.0.0.1:PORT
	dir    string // its cassettes
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// startRecordProc starts rtrecord relaying to upstream and waits until it
// prints where it listens.
func startRecordProc(t *testing.T, upstream string) *recordProc {
	t.Helper()
	bin := recordBuild(t)
	p := &recordProc{dir: t.TempDir(), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "--upstream", upstream, "--addr", "127.0.0.1:0", "--out", p.dir, "--log-format", "json")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AZURE_OPENAI_API_KEY=") && !strings.HasPrefix(kv, "OPENAI_API_KEY=") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	p.cmd.Stderr = &stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "rtrecord: listening on http://"); ok {
				listening <- "ws://" + u
			}
		}
		close(listening)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("rtrecord stderr:\n%s", stderr.String())
		}
	})
	u, ok := <-listening
	if !ok {
		t.Fatalf("rtrecord exited before listening:\n%s", stderr.String())
	}
	p.url = u
	return p
}

// cassettePath is the one cassette the process wrote.
func (p *recordProc) cassettePath(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(p.dir, "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("%d cassettes in %s, want 1", len(files), p.dir)
	}
	return files[0]
}

// echoUpstream answers every message with "echo:" and the message, and
// reports the close it receives.
func echoUpstream(t *testing.T, closed chan<- websocket.CloseError) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				var ce websocket.CloseError
				errors.As(err, &ce)
				if closed != nil {
					closed <- ce
				}
				return
			}
			if err := c.Write(ctx, typ, append([]byte(`{"type":"echo","of":`), append(data, '}')...)); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func recordEvent(i int) []byte {
	return fmt.Appendf(nil, `{"type":"input_audio_buffer.append","event_id":"e%d","audio":"%s"}`, i, strings.Repeat("AAAA", 1600))
}

// completeFrames counts the frames of whole lines in the cassette file.
func completeFrames(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n") - 1
}

// checkPrefix checks that the cassette's frames are the exchange of the
// first frames sent, in order: e0, echo of e0, e1, echo of e1, …
func checkPrefix(t *testing.T, c *cassette.Cassette) (exchanges int) {
	t.Helper()
	next := map[cassette.Direction]int{}
	for i, f := range c.All() {
		if f.Kind != cassette.KindText {
			continue
		}
		want := string(recordEvent(next[f.Dir]))
		if f.Dir == cassette.Server {
			want = `{"type":"echo","of":` + want + `}`
		}
		if string(f.Data) != want {
			t.Fatalf("frame %d (%s) is not exchange %d", i+1, f.Dir, next[f.Dir])
		}
		next[f.Dir]++
	}
	return next[cassette.Client]
}

func TestRecordSurvivesKill9MidSession(t *testing.T) {
	t.Parallel()
	p := startRecordProc(t, echoUpstream(t, nil))
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, p.url+"/openai/realtime?api-version=2024-10-01-preview&deployment=d",
		&websocket.DialOptions{HTTPHeader: http.Header{"api-key": {"test-key-0000"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()

	// A first stretch, exchanged to the end and flushed.
	const first = 40
	for i := range first {
		if err := c.Write(ctx, websocket.MessageText, recordEvent(i)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	path := p.cassettePath(t)
	// The recorder flushes as soon as its queue runs empty; there is no
	// signal to wait on from outside the process, so look at the file.
	for deadline := time.Now().Add(10 * time.Second); completeFrames(path) < 2*first; {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s the cassette holds %d frames, want %d", completeFrames(path), 2*first)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Then kill it while frames are streaming both ways.
	streaming := make(chan struct{})
	go func() {
		defer close(streaming)
		for i := first; ; i++ {
			if c.Write(ctx, websocket.MessageText, recordEvent(i)) != nil {
				return
			}
		}
	}()
	for range 20 {
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	c.CloseNow()
	<-streaming

	cas, err := cassette.Load(path)
	if err != nil {
		t.Fatalf("a killed recording must load (a torn last line is only a warning): %v", err)
	}
	if tr := cas.Truncated(); tr != nil {
		t.Logf("warning as expected from a kill: %v", tr)
	}
	if n := checkPrefix(t, cas); n < first {
		t.Errorf("the cassette holds %d exchanges, want at least the %d flushed before the kill", n, first)
	}
	for _, f := range cas.All() {
		if f.Kind == cassette.KindDropped {
			t.Errorf("frames were dropped: %+v", f)
		}
	}
}

func TestRecordSIGTERMClosesSessionsAndFlushes(t *testing.T) {
	t.Parallel()
	upClosed := make(chan websocket.CloseError, 1)
	p := startRecordProc(t, echoUpstream(t, upClosed))
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, p.url+"/v1/realtime?model=gpt-realtime",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer test-token-0000"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	const n = 25
	for i := range n {
		if err := c.Write(ctx, websocket.MessageText, recordEvent(i)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var ce websocket.CloseError
	if _, _, err := c.Read(ctx); !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway {
		t.Errorf("client read %v, want close 1001", err)
	}
	if got := <-upClosed; got.Code != websocket.StatusGoingAway {
		t.Errorf("upstream saw close %v, want 1001", got)
	}
	<-p.exited
	if p.err != nil {
		t.Errorf("rtrecord after SIGTERM: %v, want exit status 0", p.err)
	}

	cas, err := cassette.Load(p.cassettePath(t))
	if err != nil {
		t.Fatal(err)
	}
	if cas.Truncated() != nil {
		t.Errorf("a cassette flushed on SIGTERM has a torn last line: %v", cas.Truncated())
	}
	if got := checkPrefix(t, cas); got != n {
		t.Errorf("%d exchanges recorded, want %d", got, n)
	}
	last := cas.Frame(cas.Len() - 1)
	if last.Kind != cassette.KindClose || last.Code != 1001 {
		t.Errorf("last frame %+v, want the shutdown close 1001", last)
	}
}
