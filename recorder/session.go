package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// shutdownReason is the close reason sent to both sides by Close.
const shutdownReason = "rtrecord is shutting down"

// session is one relayed WebSocket session.
type session struct {
	rec   *Recorder
	seq   int
	id    string
	log   *slog.Logger
	debug bool // log every frame

	diag     *cassette.Redactor // for the recorder's own texts: see secrets.go
	rawQuery string             // the client's query, as it is dialed
	path     string             // the cassette file
	start    time.Time          // the upgrade: frame times count from here
	q        *queue             // nil when not recording

	mu       sync.Mutex
	stopped  bool // Close has asked the session to end
	client   *websocket.Conn
	upstream *websocket.Conn

	finishOnce sync.Once
	discard    bool  // remove the cassette: the upstream was never reached or nothing could be written
	err        error // the first cassette write error, for Recorder.Close
}

// serve runs the session from handshake to closed cassette.
func (s *session) serve(w http.ResponseWriter, r *http.Request) {
	rec := s.rec
	if err := checkOrigin(r, rec.opts.OriginPatterns); err != nil {
		rec.log.Warn("client refused", "err", err)
		http.Error(w, "rtrecord: "+err.Error(), http.StatusForbidden)
		return
	}
	s.id = uuid.NewString()
	s.log = rec.log.With("session", s.id)
	s.debug = s.log.Enabled(context.Background(), slog.LevelDebug)
	s.rawQuery = r.URL.RawQuery
	created := rec.opts.Now().UTC()

	subprotocols := offeredSubprotocols(r.Header)
	header, ok := s.credentials(w, r, subprotocols)
	if !ok {
		return
	}
	provider, dialect := classify(r, subprotocols)
	h := cassette.Header{
		Created:  created,
		ID:       s.id,
		Dialect:  dialect,
		Provider: provider,
		Endpoint: cassette.Endpoint{
			Path:         r.URL.Path,
			Query:        recordedQuery(r, s.diag),
			Header:       recordedHeader(r.Header, s.diag),
			Subprotocols: recordedSubprotocols(subprotocols),
		},
		Recorder: rec.opts.Recorder,
	}

	// Open the cassette before dialing: a directory we cannot write to
	// should fail the session before it costs anything upstream.
	var file cassetteFile
	if !rec.opts.relayOnly {
		path, f, err := s.createCassette(created, h)
		if err != nil {
			msg := s.scrub(err.Error())
			s.log.Error("create cassette", "err", msg)
			http.Error(w, "rtrecord: "+msg, http.StatusInternalServerError)
			return
		}
		file, s.path = f, path
		s.log = s.log.With("cassette", filepath.Base(path))
		defer s.closeFile(file)
	}

	target := *rec.upstream
	target.Path = rec.upstream.Path + r.URL.Path
	target.RawQuery = r.URL.RawQuery
	s.log.Info("session started", "path", r.URL.Path, "dialect", string(dialect), "provider", provider,
		"upstream", clip(redactURL(target.String()), 2*maxLogValue))

	dialCtx, cancel := context.WithTimeout(rec.dialCtx, rec.opts.DialTimeout)
	upstream, resp, err := websocket.Dial(dialCtx, target.String(), &websocket.DialOptions{
		HTTPClient:   rec.client,
		HTTPHeader:   header,
		Subprotocols: subprotocols,
	})
	cancel()
	s.start = time.Now()
	if err != nil {
		s.refused(w, file, h, resp, err)
		return
	}
	upstream.SetReadLimit(rec.opts.MaxMessageBytes)
	h.Endpoint.Subprotocol = upstream.Subprotocol()
	if file != nil {
		if err := s.startWriter(file, h); err != nil {
			upstream.Close(websocket.StatusInternalError, "rtrecord could not write its cassette")
			http.Error(w, "rtrecord: could not write the cassette: "+s.scrub(err.Error()), http.StatusInternalServerError)
			return
		}
	}
	s.run(w, r, upstream)
}

// credentials picks the headers to dial the upstream with and sets the
// session's scrubbing; false when the client was answered with an error.
func (s *session) credentials(w http.ResponseWriter, r *http.Request, subprotocols []string) (http.Header, bool) {
	rec := s.rec
	own := clientSecrets(r, subprotocols)
	header := http.Header{}
	for _, h := range forwardHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			header[http.CanonicalHeaderKey(h)] = v
		}
	}
	var scrub []string
	for _, v := range own {
		if why := unsafeToScrub(v); why != "" {
			s.log.Warn("the client's credential "+why+": it is kept out of the cassette where credentials are (headers, query, subprotocols), but not searched for in the recorder's logs and messages",
				"length", len(v))
			continue
		}
		scrub = append(scrub, v)
	}
	if len(own) == 0 {
		switch {
		case rec.opts.APIKey != "":
			header.Set("api-key", rec.opts.APIKey)
			scrub = append(scrub, rec.apiKey...)
		case rec.opts.TokenSource != nil:
			tok, err := rec.opts.TokenSource.Token(r.Context())
			if err != nil {
				msg := clip(rec.redactor.RedactString(err.Error()), 4*maxLogValue)
				s.log.Error("get a token for the upstream", "err", msg)
				http.Error(w, "rtrecord: get a token for the upstream: "+msg, http.StatusBadGateway)
				return nil, false
			}
			if unsafeToScrub(tok) == "" {
				scrub = append(scrub, tok)
			}
			header.Set("Authorization", "Bearer "+tok)
		}
	}
	s.diag = rec.redactor.With(scrub...)
	return header, true
}

// scrub makes a text of the recorder's own (an error message) fit for
// logs, cassettes and the client: credential parameters of the dialed
// URL removed by name, credentials removed by value, and cut to a
// reasonable length.
func (s *session) scrub(msg string) string {
	msg = scrubURLs(msg, s.rawQuery)
	return clip(s.diag.RedactString(msg), 4*maxLogValue)
}

// run accepts the client and relays the session until it ends.
func (s *session) run(w http.ResponseWriter, r *http.Request, upstream *websocket.Conn) {
	var accept []string
	if p := upstream.Subprotocol(); p != "" {
		accept = []string{p}
	}
	client, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       accept,
		InsecureSkipVerify: true, // the origin was checked before dialing
	})
	if err != nil {
		// Accept has answered the client; the upstream session it cost is
		// recorded and ended.
		msg := s.scrub(err.Error())
		s.log.Warn("client handshake failed", "err", msg)
		s.record(cassette.Frame{T: time.Since(s.start), Dir: cassette.Client, Kind: cassette.KindError, Reason: "client handshake failed: " + msg})
		upstream.Close(websocket.StatusGoingAway, "client handshake failed")
		s.endWriter()
		return
	}
	client.SetReadLimit(s.rec.opts.MaxMessageBytes)

	if !s.attach(client, upstream) {
		s.finish(cassette.Server, errShutdown)
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.relay(cassette.Server, upstream, client) })
	s.relay(cassette.Client, client, upstream)
	wg.Wait()
	client.CloseNow()
	upstream.CloseNow()
	s.endWriter()
}

// refused handles a failed upstream handshake: an HTTP answer from the
// upstream goes to the client as it came and into the cassette; a failure
// to reach the upstream is a 502 and leaves no cassette.
func (s *session) refused(w http.ResponseWriter, file cassetteFile, h cassette.Header, resp *http.Response, err error) {
	msg := s.scrub(err.Error())
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		s.log.Error("dial upstream", "err", msg)
		s.discard = true
		http.Error(w, "rtrecord: dial upstream: "+msg, http.StatusBadGateway)
		return
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(resp.Body) // coder/websocket keeps the first KiB
	}
	kept := keptResponseHeaders(resp.Header)
	s.log.Warn("upstream refused the upgrade", "status", resp.StatusCode)
	if file != nil {
		if err := s.startWriter(file, h); err == nil {
			s.record(cassette.Frame{Dir: cassette.Server, Kind: cassette.KindHTTP, Code: resp.StatusCode, Header: kept, Data: body})
			s.endWriter()
		}
	}
	for k, v := range kept {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

// attach makes the session's sockets known to stop; false when Close came
// first.
func (s *session) attach(client, upstream *websocket.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client, s.upstream = client, upstream
	return !s.stopped
}

// stop ends the session for Recorder.Close.
func (s *session) stop() {
	s.mu.Lock()
	s.stopped = true
	attached := s.client != nil
	s.mu.Unlock()
	if attached {
		s.finish(cassette.Server, errShutdown)
	}
}

var errShutdown = errors.New("shutdown")

// relay copies messages from src to dst until either fails, recording
// each as a frame of direction dir.
func (s *session) relay(dir cassette.Direction, src, dst *websocket.Conn) {
	ctx := context.Background() // sessions end by closing their sockets
	for {
		typ, data, err := src.Read(ctx)
		if err != nil {
			s.finish(dir, err)
			return
		}
		kind := cassette.KindText
		if typ == websocket.MessageBinary {
			kind = cassette.KindBinary
		}
		if s.debug {
			s.logFrame(dir, kind, data)
		}
		s.record(cassette.Frame{T: time.Since(s.start), Dir: dir, Kind: kind, Data: data})
		if err := dst.Write(ctx, typ, data); err != nil {
			return // dst is closed; its own reader reports why
		}
	}
}

// logFrame logs one relayed frame at debug level, its type cut short: a
// peer chooses how long it is.
func (s *session) logFrame(dir cassette.Direction, kind cassette.Kind, data []byte) {
	typ := ""
	if kind == cassette.KindText {
		if h, err := realtime.Peek(data); err == nil {
			typ = clip(h.Type, 64)
		}
	}
	s.log.Debug("frame", "dir", string(dir), "kind", kind.String(), "type", typ, "bytes", len(data))
}

// sideName names the side that sends frames of direction dir.
func sideName(dir cassette.Direction) string {
	if dir == cassette.Server {
		return "upstream"
	}
	return "client"
}

// finish records how the session ended, the first time it is called, and
// passes it on: a close frame from one side is sent to the other with the
// same code and reason, a message over the limit closes the other side
// with 1009 (its sender got 1009 from the WebSocket library), a failed
// connection drops the other, and a shutdown closes both with 1001.
func (s *session) finish(dir cassette.Direction, cause error) {
	s.finishOnce.Do(func() {
		t := time.Since(s.start)
		s.mu.Lock()
		client, upstream := s.client, s.upstream
		s.mu.Unlock()
		other := upstream
		if dir == cassette.Server {
			other = client
		}
		var ce websocket.CloseError
		switch {
		case errors.Is(cause, errShutdown):
			s.record(cassette.Frame{T: t, Dir: cassette.Server, Kind: cassette.KindClose, Code: int(websocket.StatusGoingAway), Reason: shutdownReason})
			var wg sync.WaitGroup
			wg.Go(func() { client.Close(websocket.StatusGoingAway, shutdownReason) })
			upstream.Close(websocket.StatusGoingAway, shutdownReason)
			wg.Wait()
		case errors.As(cause, &ce):
			s.record(cassette.Frame{T: t, Dir: dir, Kind: cassette.KindClose, Code: int(ce.Code), Reason: ce.Reason})
			other.Close(ce.Code, ce.Reason)
		case errors.Is(cause, websocket.ErrMessageTooBig):
			reason := fmt.Sprintf("rtrecord: the %s sent a message over the %d-byte limit", sideName(dir), s.rec.opts.MaxMessageBytes)
			s.log.Warn("message over the limit: both sides closed with 1009", "from", sideName(dir), "limit", s.rec.opts.MaxMessageBytes)
			s.record(cassette.Frame{T: t, Dir: dir, Kind: cassette.KindClose, Code: int(websocket.StatusMessageTooBig), Reason: reason})
			other.Close(websocket.StatusMessageTooBig, reason)
		default:
			msg := s.scrub(cause.Error())
			s.record(cassette.Frame{T: t, Dir: dir, Kind: cassette.KindError, Reason: msg})
			s.log.Warn("connection failed", "side", sideName(dir), "err", msg)
			other.CloseNow()
		}
	})
}

// record queues f for the cassette. The recorder's own texts in it (close
// and error reasons, a refused upgrade's headers and body) are scrubbed
// here; payloads are never searched for credentials.
func (s *session) record(f cassette.Frame) {
	if s.q == nil {
		return
	}
	switch f.Kind {
	case cassette.KindClose, cassette.KindError:
		f.Reason = s.diag.RedactString(f.Reason)
	case cassette.KindHTTP:
		f.Data = s.diag.Redact(f.Data)
		h := make(map[string]string, len(f.Header)) // the caller's map goes to the client as it came
		for k, v := range f.Header {
			h[k] = s.diag.RedactString(v)
		}
		f.Header = h
	}
	s.q.push(f)
}

// startWriter writes the cassette header and starts the writer goroutine.
// A header that cannot be written leaves no cassette behind.
func (s *session) startWriter(file cassetteFile, h cassette.Header) error {
	w, err := cassette.NewWriter(file, h, &cassette.WriterOptions{
		Redactor:   s.rec.redactor,
		ElideAudio: s.rec.opts.ElideAudio,
	})
	if err != nil {
		s.log.Error("write cassette", "err", err)
		s.err = fmt.Errorf("session %s: %w", s.id, err)
		s.discard = true
		return err
	}
	s.q = newQueue(s.rec.opts.QueueBytes)
	s.q.wg.Go(func() { s.writeLoop(w) })
	return nil
}

// writeLoop drains the queue into the cassette, flushing whenever the
// queue runs empty. After a failed write the recording stops: the
// cassette ends with a frame saying why, and the rest of the session is
// relayed but not recorded.
func (s *session) writeLoop(w *cassette.Writer) {
	var spare []cassette.Frame
	var werr error
	for {
		batch, ok := s.q.take(spare)
		if !ok {
			break
		}
		n := 0
		for _, f := range batch {
			n += len(f.Data)
			if werr == nil {
				werr = w.WriteFrame(f)
			}
		}
		if werr == nil {
			werr = w.Flush()
		}
		if werr != nil && s.err == nil {
			s.stopRecording(w, werr)
		}
		clear(batch)
		spare = batch[:0]
		s.q.release(n)
	}
}

// stopRecording ends a cassette whose writing failed with a last frame
// that says why, as far as the disk allows.
func (s *session) stopRecording(w *cassette.Writer, werr error) {
	s.err = fmt.Errorf("session %s: %w", s.id, werr)
	s.log.Error("cassette write failed: recording stopped; the session goes on, unrecorded", "err", werr)
	if err := w.Stop(time.Since(s.start), stopReason(werr)); err != nil {
		s.log.Error("could not end the cassette with a recording-stopped frame; readers will report a cut last line", "err", err)
	}
}

// stopReason is the short reason a cassette's last frame gives for a
// failed write: the system's error without the file's path, which the log
// has.
func stopReason(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "ENOSPC: " + syscall.ENOSPC.Error()
	case errors.As(err, &errno):
		return errno.Error()
	}
	return clip(err.Error(), maxLogValue)
}

// endWriter closes the queue and waits for the writer to drain it.
func (s *session) endWriter() {
	if s.q == nil {
		return
	}
	s.q.close()
	s.q.wg.Wait()
	recorded, dropped := s.q.counts()
	if dropped > 0 {
		s.log.Warn(fmt.Sprintf("frames left out of the cassette: its write queue was full (%d bytes waiting for the disk, the QueueBytes bound)", s.rec.opts.QueueBytes),
			"dropped", dropped, "queue_bytes", s.rec.opts.QueueBytes)
	}
	s.log.Info("session ended", "frames", recorded, "dropped", dropped, "duration", time.Since(s.start).Round(time.Millisecond).String())
	s.q = nil
}

// headerHasToken reports whether a comma-separated header has token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
