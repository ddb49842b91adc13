package recorder

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rtmock/rtmock/cassette"
)

// A cassette directory that cannot be written to fails New, with the
// directory and the reason, instead of every session with 500.
func TestUnwritableDirFailsAtStart(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	dirs := map[string]string{
		"a file":           file,
		"a missing path":   filepath.Join(t.TempDir(), "missing"),
		"a read-only tree": readOnlyDir(t),
	}
	for name, dir := range dirs {
		if dir == "" {
			continue
		}
		_, err := New(&Options{Upstream: "http://127.0.0.1:9", Dir: dir})
		if err == nil || !strings.Contains(err.Error(), "cassette directory") || !strings.Contains(err.Error(), filepath.Base(dir)) && name != "a missing path" {
			t.Errorf("%s: New = %v, want an error naming the cassette directory", name, err)
		}
	}
}

// readOnlyDir is a directory the test's user cannot create files in: one
// without write permission, or for root (whom permissions do not stop) a
// read-only tmpfs where the system lets the test mount one; "" otherwise.
func readOnlyDir(t *testing.T) string {
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return dir
	}
	if err := mountTmpfs(dir, "size=64k,mode=0755", true); err != nil {
		t.Logf("no read-only directory for root here (%v): that case is left out", err)
		return ""
	}
	t.Cleanup(func() { unmount(dir) })
	return dir
}

// smallDiskFile is a cassette file on a disk that has room for only so
// much after the header: a write takes what fits and fails with ENOSPC,
// as write(2) does; truncating frees room again.
type smallDiskFile struct {
	*os.File
	mu    sync.Mutex
	room  int64 // after the first write (the header); -1 until then
	limit int64 // once known: the size the file cannot pass
	size  int64
}

func (f *smallDiskFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limit < 0 {
		f.limit = int64(len(p)) + f.room
		if f.room < 0 { // no room even for the header
			f.limit = 10
		}
	}
	n := min(int64(len(p)), max(f.limit-f.size, 0))
	m, err := f.File.Write(p[:n])
	f.size += int64(m)
	if err == nil && m < len(p) {
		err = &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return m, err
}

func (f *smallDiskFile) Truncate(n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size = n
	return f.File.Truncate(n)
}

// smallDisk makes Options.createFile give files with room bytes after
// their header (-1: no room for the header either).
func smallDisk(room int64) func(string) (cassetteFile, error) {
	return func(path string) (cassetteFile, error) {
		f, err := createOSFile(path)
		if err != nil {
			return nil, err
		}
		return &smallDiskFile{File: f.(*os.File), room: room, limit: -1}, nil
	}
}

// eventLine is the length of the cassette line of a server event relayed
// in the first ten seconds.
func eventLine(t *testing.T, data []byte) int {
	var buf bytes.Buffer
	w, err := cassette.NewWriter(&buf, cassette.Header{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	header := buf.Len()
	w.WriteFrame(cassette.Frame{T: time.Millisecond, Dir: cassette.Server, Kind: cassette.KindText, Data: data})
	w.Flush()
	return buf.Len() - header
}

// A full disk stops the recording, not the session: the cassette ends
// with a frame that says why, its frames before it intact, and Close
// reports the error.
func TestDiskFullStopsTheRecording(t *testing.T) {
	t.Parallel()
	event := []byte(`{"type":"response.text.delta","delta":"` + strings.Repeat("d", 900) + `"}`)
	const n = 20
	up := newUpstream(t, func(c *websocket.Conn) {
		for range n {
			send(t, c, textMsg(string(event)))
		}
		closeStatus(c)
	})
	line := int64(eventLine(t, event))
	var logs syncBuffer
	rec, u := serveRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), Logger: jsonLogger(&logs), createFile: smallDisk(3*line + line/2)}, false)
	c := dial(t, u+"/v1/realtime?model=gpt-realtime", nil)
	if got := readN(t, c, n); len(got) != n {
		t.Fatalf("client got %d of %d events", len(got), n)
	}
	c.Close(websocket.StatusNormalClosure, "")
	err := rec.Close()
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("Close = %v, want the write error", err)
	}
	cas := onlyCassette(t, rec)
	if cas.Truncated() != nil {
		t.Errorf("the cassette ends with a cut line: %v", cas.Truncated())
	}
	if cas.Len() != 4 || !strings.Contains(cas.Stopped(), "ENOSPC") {
		t.Errorf("%d frames, stopped %q; want 3 events and a recording-stopped frame naming ENOSPC", cas.Len(), cas.Stopped())
	}
	if !bytes.Contains(logs.Bytes(), []byte("recording stopped")) {
		t.Errorf("the log does not say the recording stopped:\n%s", logs.Bytes())
	}
}

// When not even the header can be written, the session is refused and no
// empty cassette is left behind.
func TestDiskFullAtStartLeavesNoCassette(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) { closeStatus(c) })
	dir := t.TempDir()
	rec, u := serveRecorder(t, &Options{Upstream: up.srv.URL, Dir: dir, createFile: smallDisk(-1)}, false)
	_, resp, err := websocket.Dial(context.Background(), u+"/v1/realtime?model=gpt-realtime", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("dial = %v, %v; want 500", resp, err)
	}
	if err := rec.Close(); err == nil {
		t.Error("Close reported no error")
	}
	if files := cassettePaths(t, dir); len(files) != 0 || len(rec.Cassettes()) != 0 {
		t.Errorf("cassettes left: %v %v", files, rec.Cassettes())
	}
}

// Two recorders writing to one directory with one fixed name each find a
// free name instead of refusing sessions.
func TestSharedNameTemplateFindsAFreeName(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"session.created"}`))
		closeStatus(c)
	})
	dir := t.TempDir()
	var urls []string
	var recs []*Recorder
	for range 2 {
		rec, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: dir, Name: "session.jsonl"})
		recs, urls = append(recs, rec), append(urls, u)
	}
	for i := range 3 {
		c := dial(t, urls[i%2]+"/v1/realtime?model=gpt-realtime", nil)
		readN(t, c, 1)
		c.Close(websocket.StatusNormalClosure, "")
	}
	for _, rec := range recs {
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, p := range cassettePaths(t, dir) {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != "session-2.jsonl session-3.jsonl session.jsonl" {
		t.Errorf("cassettes %v, want session.jsonl, session-2.jsonl, session-3.jsonl", names)
	}
}

// blockingFile holds every write after the header until released: a disk
// that has stopped keeping up.
type blockingFile struct {
	*os.File
	header  bool
	release chan struct{}
}

func (f *blockingFile) Write(p []byte) (int, error) {
	if f.header {
		<-f.release
	}
	f.header = true
	return f.File.Write(p)
}

// When the queue between the relay and a slow disk is full, frames are
// left out of the cassette, never out of the conversation, and the log
// names the bound that was hit: the queue.
func TestFullQueueIsLoggedAsTheQueue(t *testing.T) {
	t.Parallel()
	const n = 50
	event := `{"type":"response.text.delta","delta":"` + strings.Repeat("q", 1000) + `"}`
	up := newUpstream(t, func(c *websocket.Conn) {
		for range n {
			send(t, c, textMsg(event))
		}
		closeStatus(c)
	})
	release := make(chan struct{})
	var logs syncBuffer
	rec, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), QueueBytes: 4096, Logger: jsonLogger(&logs),
		createFile: func(path string) (cassetteFile, error) {
			f, err := createOSFile(path)
			if err != nil {
				return nil, err
			}
			return &blockingFile{File: f.(*os.File), release: release}, nil
		}})
	c := dial(t, u+"/v1/realtime?model=gpt-realtime", nil)
	readN(t, c, n) // the conversation goes on while the disk is stuck
	close(release)
	c.Close(websocket.StatusNormalClosure, "")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	dropped := 0
	for _, f := range onlyCassette(t, rec).All() {
		if f.Kind == cassette.KindDropped {
			dropped += f.Code
		}
	}
	log := logs.Bytes()
	if dropped == 0 || !bytes.Contains(log, []byte("write queue was full")) || !bytes.Contains(log, []byte(`"queue_bytes":4096`)) || bytes.Contains(log, []byte("too slow")) {
		t.Errorf("%d frames dropped; want some, and a log naming the queue bound:\n%s", dropped, log)
	}
}

// Verbose logging logs every frame, with what a peer chooses (its type, an
// error) cut short: a 1 MB type string does not make a 1 MB log line.
func TestVerboseLogIsBounded(t *testing.T) {
	t.Parallel()
	hugeType := strings.Repeat("t", 1<<20)
	up := newUpstream(t, func(c *websocket.Conn) {
		readN(t, c, 1)
		send(t, c, textMsg(`{"type":"`+hugeType+`"}`))
		closeStatus(c)
	})
	var logs syncBuffer
	rec, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), Logger: jsonLogger(&logs)})
	c := dial(t, u+"/v1/realtime?model=gpt-realtime", &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {strings.Repeat("u", 32<<10)}}})
	send(t, c, textMsg(`{"type":"`+hugeType+`"}`))
	readN(t, c, 1)
	c.Close(websocket.StatusNormalClosure, "")
	// A refused Origin and Host are logged too.
	websocket.Dial(context.Background(), u+"/v1/realtime", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://" + strings.Repeat("o", 32<<10)}}})
	websocket.Dial(context.Background(), u+"/v1/realtime", &websocket.DialOptions{Host: strings.Repeat("h", 32<<10)})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	log := logs.Bytes()
	if n := bytes.Count(log, []byte(`"msg":"frame"`)); n != 2 {
		t.Errorf("%d frame lines logged, want 2:\n%.2000s", n, log)
	}
	for i, line := range bytes.Split(log, []byte("\n")) {
		if len(line) > 2048 {
			t.Errorf("log line %d is %d bytes: %.300s…", i+1, len(line), line)
		}
	}
	if !bytes.Contains(log, []byte("(1048576 bytes)")) {
		t.Errorf("the type was not cut with its length:\n%.2000s", log)
	}
}

// An upstream URL that already ends in an API path would have the
// client's path added after it (a doubled path and a 404): it is refused
// with the base URL to give instead. A gateway prefix is fine.
func TestUpstreamURLWithAnAPIPath(t *testing.T) {
	t.Parallel()
	for in, base := range map[string]string{
		"https://x.openai.azure.com/openai/realtime":    "https://x.openai.azure.com",
		"https://x.openai.azure.com/openai/v1/realtime": "https://x.openai.azure.com",
		"https://x.openai.azure.com/openai/":            "https://x.openai.azure.com",
		"https://api.openai.com/v1":                     "https://api.openai.com",
		"wss://gw.example/team/v1/realtime":             "wss://gw.example/team",
	} {
		_, err := New(&Options{Upstream: in, Dir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "give the service's base URL, "+base) {
			t.Errorf("New(%q) = %v, want an error giving %s", in, err, base)
		}
	}
	rec, err := New(&Options{Upstream: "https://gw.example/team-a", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	rec.Close()
	if _, err := New(&Options{Upstream: "https://x.openai.azure.com", Dir: filepath.Join(t.TempDir(), "missing")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing directory: %v", err)
	}
}
