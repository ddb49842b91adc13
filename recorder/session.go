package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// shutdownReason is the close reason sent to both sides by Close.
const shutdownReason = "rtrecord is shutting down"

// forwardHeaders are the handshake headers passed to the upstream.
var forwardHeaders = []string{"api-key", "Authorization", "OpenAI-Beta", "x-ms-client-request-id", "User-Agent"}

// recordedHeaders are the forwarded headers that carry no secret and go
// into the cassette header.
var recordedHeaders = []string{"OpenAI-Beta", "x-ms-client-request-id", "User-Agent"}

const insecureKeyPrefix = "openai-insecure-api-key."

// session is one relayed WebSocket session.
type session struct {
	rec *Recorder
	seq int
	id  string
	log *slog.Logger

	redactor *cassette.Redactor
	start    time.Time // the upgrade: frame times count from here
	q        *queue    // nil when not recording

	mu       sync.Mutex
	stopped  bool // Close has asked the session to end
	client   *websocket.Conn
	upstream *websocket.Conn

	finishOnce sync.Once
	discard    bool  // the upstream was never reached: remove the cassette
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
	created := rec.opts.Now().UTC()

	subprotocols := offeredSubprotocols(r.Header)
	secrets := clientSecrets(r, subprotocols)
	header := http.Header{}
	for _, h := range forwardHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			header[http.CanonicalHeaderKey(h)] = v
		}
	}
	if len(secrets) == 0 {
		switch {
		case rec.opts.APIKey != "":
			header.Set("api-key", rec.opts.APIKey)
		case rec.opts.TokenSource != nil:
			tok, err := rec.opts.TokenSource.Token(r.Context())
			if err != nil {
				msg := rec.redactor.RedactString(err.Error())
				s.log.Error("get a token for the upstream", "err", msg)
				http.Error(w, "rtrecord: get a token for the upstream: "+msg, http.StatusBadGateway)
				return
			}
			secrets = append(secrets, tok, "Bearer "+tok)
			header.Set("Authorization", "Bearer "+tok)
		}
	}
	s.redactor = rec.redactor.With(secrets...)

	provider, dialect := classify(r, subprotocols)
	h := cassette.Header{
		Created:  created,
		ID:       s.id,
		Dialect:  dialect,
		Provider: provider,
		Endpoint: cassette.Endpoint{
			Path:         r.URL.Path,
			Query:        recordedQuery(r),
			Header:       recordedHeader(r.Header),
			Subprotocols: recordedSubprotocols(subprotocols),
		},
		Recorder: rec.opts.Recorder,
	}

	// Open the cassette before dialing: a directory we cannot write to
	// should fail the session before it costs anything upstream.
	var file *os.File
	if !rec.opts.relayOnly {
		path, f, err := s.createCassette(created, h)
		if err != nil {
			s.log.Error("create cassette", "err", err)
			http.Error(w, "rtrecord: "+err.Error(), http.StatusInternalServerError)
			return
		}
		file = f
		s.log = s.log.With("cassette", filepath.Base(path))
		defer s.closeFile(file)
	}

	target := *rec.upstream
	target.Path = rec.upstream.Path + r.URL.Path
	target.RawQuery = r.URL.RawQuery
	s.log.Info("session started", "path", r.URL.Path, "dialect", string(dialect), "provider", provider)

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
	upstream.SetReadLimit(cassette.MaxFrameSize)
	h.Endpoint.Subprotocol = upstream.Subprotocol()
	if file != nil {
		if err := s.startWriter(file, h); err != nil {
			upstream.Close(websocket.StatusInternalError, "rtrecord could not write its cassette")
			http.Error(w, "rtrecord: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}

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
		msg := s.redactor.RedactString(err.Error())
		s.log.Warn("client handshake failed", "err", msg)
		s.record(cassette.Frame{T: time.Since(s.start), Dir: cassette.Client, Kind: cassette.KindError, Reason: "client handshake failed: " + msg})
		upstream.Close(websocket.StatusGoingAway, "client handshake failed")
		s.endWriter()
		return
	}
	client.SetReadLimit(cassette.MaxFrameSize)

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

// createCassette creates the session's cassette file, empty.
func (s *session) createCassette(created time.Time, h cassette.Header) (string, *os.File, error) {
	rec := s.rec
	name, err := fileName(rec.name, nameData{
		Time:       created.Format("2006-01-02T15-04-05Z"),
		ID:         s.id,
		Seq:        s.seq,
		Provider:   h.Provider,
		Dialect:    string(h.Dialect),
		Deployment: safeName(deployment(h.Endpoint.Query)),
	})
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(rec.opts.Dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("create cassette: %w", err)
	}
	rec.addCassette(path)
	return path, f, nil
}

// refused handles a failed upstream handshake: an HTTP answer from the
// upstream goes to the client as it came and into the cassette; a failure
// to reach the upstream is a 502 and leaves no cassette.
func (s *session) refused(w http.ResponseWriter, file *os.File, h cassette.Header, resp *http.Response, err error) {
	msg := s.redactor.RedactString(err.Error())
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
		s.record(cassette.Frame{T: time.Since(s.start), Dir: dir, Kind: kind, Data: data})
		if err := dst.Write(ctx, typ, data); err != nil {
			return // dst is closed; its own reader reports why
		}
	}
}

// finish records how the session ended, the first time it is called, and
// passes it on: a close frame from one side is sent to the other with the
// same code and reason, a failed connection drops the other, and a
// shutdown closes both with 1001.
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
		default:
			msg := s.redactor.RedactString(cause.Error())
			s.record(cassette.Frame{T: t, Dir: dir, Kind: cassette.KindError, Reason: msg})
			s.log.Warn("connection failed", "side", string(dir), "err", msg)
			other.CloseNow()
		}
	})
}

// record queues f for the cassette.
func (s *session) record(f cassette.Frame) {
	if s.q != nil {
		s.q.push(f)
	}
}

// startWriter writes the cassette header and starts the writer goroutine.
func (s *session) startWriter(file *os.File, h cassette.Header) error {
	w, err := cassette.NewWriter(file, h, &cassette.WriterOptions{
		Redactor:   s.redactor,
		ElideAudio: s.rec.opts.ElideAudio,
	})
	if err != nil {
		s.log.Error("write cassette", "err", err)
		s.err = fmt.Errorf("session %s: %w", s.id, err)
		return err
	}
	s.q = newQueue(s.rec.opts.QueueBytes)
	s.q.wg.Go(func() { s.writeLoop(w) })
	return nil
}

// writeLoop drains the queue into the cassette, flushing whenever the
// queue runs empty.
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
			s.err = fmt.Errorf("session %s: %w", s.id, werr)
			s.log.Error("cassette write failed; the rest of the session is not recorded", "err", werr)
		}
		clear(batch)
		spare = batch[:0]
		s.q.release(n)
	}
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
		s.log.Warn("frames left out of the cassette: the disk was too slow", "dropped", dropped)
	}
	s.log.Info("session ended", "frames", recorded, "dropped", dropped, "duration", time.Since(s.start).Round(time.Millisecond).String())
	s.q = nil
}

// closeFile syncs and closes the cassette file, or removes it when the
// session never reached the upstream.
func (s *session) closeFile(f *os.File) {
	s.endWriter()
	if s.discard {
		f.Close()
		os.Remove(f.Name())
		s.rec.removeCassette(f.Name())
		return
	}
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("session %s: close cassette: %w", s.id, err)
		s.log.Error("close cassette", "err", err)
	}
}

func (rec *Recorder) removeCassette(path string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, p := range rec.cassettes {
		if p == path {
			rec.cassettes = append(rec.cassettes[:i], rec.cassettes[i+1:]...)
			return
		}
	}
}

// checkOrigin lets clients without an Origin header in (SDKs outside
// browsers), and browsers whose origin is the request's host or matches a
// pattern (path.Match on the origin's host:port, case-insensitive).
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("origin %q is not a URL with a host", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return nil
		}
	}
	return fmt.Errorf("origin %q is not allowed (see the origin patterns)", u.Host)
}

// offeredSubprotocols lists the subprotocols of the client's handshake.
func offeredSubprotocols(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// clientSecrets lists the credentials the client brought: api-key and
// Authorization headers, api-key and authorization query values, and
// openai-insecure-api-key.* subprotocols. The bearer token of an
// Authorization value is listed on its own as well.
func clientSecrets(r *http.Request, subprotocols []string) []string {
	var out []string
	add := func(v string) {
		if v == "" {
			return
		}
		out = append(out, v)
		if tok, ok := cutBearer(v); ok && tok != "" {
			out = append(out, tok)
		}
	}
	for _, v := range r.Header.Values("api-key") {
		add(v)
	}
	for _, v := range r.Header.Values("Authorization") {
		add(v)
	}
	for k, vs := range r.URL.Query() {
		if isSecretParam(k) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	for _, p := range subprotocols {
		if key, ok := strings.CutPrefix(p, insecureKeyPrefix); ok {
			add(key)
		}
	}
	return out
}

func cutBearer(v string) (string, bool) {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:]), true
	}
	return "", false
}

func isSecretParam(k string) bool {
	return strings.EqualFold(k, "api-key") || strings.EqualFold(k, "authorization")
}

// classify tells the provider and dialect from the path and, on the
// OpenAI path, from the beta header or subprotocol.
func classify(r *http.Request, subprotocols []string) (string, realtime.Dialect) {
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/openai/realtime":
		return "azure", realtime.Preview
	case "/openai/v1/realtime":
		return "azure", realtime.GA
	}
	for _, v := range r.Header.Values("OpenAI-Beta") {
		if strings.Contains(v, "realtime=v1") {
			return "openai", realtime.Preview
		}
	}
	for _, p := range subprotocols {
		if p == "openai-beta.realtime-v1" {
			return "openai", realtime.Preview
		}
	}
	return "openai", realtime.GA
}

// recordedQuery is the query for the cassette header, credentials
// replaced.
func recordedQuery(r *http.Request) map[string]string {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		v := strings.Join(vs, ",")
		if isSecretParam(k) {
			v = cassette.Redacted
		}
		out[k] = v
	}
	return out
}

func recordedHeader(h http.Header) map[string]string {
	var out map[string]string
	for _, name := range recordedHeaders {
		if v := h.Get(name); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = v
		}
	}
	return out
}

func recordedSubprotocols(offered []string) []string {
	var out []string
	for _, p := range offered {
		if strings.HasPrefix(p, insecureKeyPrefix) {
			p = insecureKeyPrefix + cassette.Redacted
		}
		out = append(out, p)
	}
	return out
}

// keptResponseHeaders are the headers of a refused upgrade passed to the
// client and recorded: content type, retry hints, authentication
// challenges and request ids.
func keptResponseHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		lk := strings.ToLower(k)
		switch {
		case lk == "content-type", lk == "retry-after", lk == "retry-after-ms", lk == "www-authenticate",
			lk == "apim-request-id", lk == "x-request-id",
			strings.HasPrefix(lk, "x-ms-"), strings.HasPrefix(lk, "x-ratelimit-"), strings.HasPrefix(lk, "openai-"):
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

func deployment(q map[string]string) string {
	if d := q["deployment"]; d != "" {
		return d
	}
	return q["model"]
}

// safeName keeps letters, digits, '.', '-' and '_' of a client-chosen
// value that goes into a file name.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return strings.Trim(string(b), ".")
}

// nameData are the fields of the cassette name template.
type nameData struct {
	Time       string
	ID         string
	Seq        int
	Provider   string
	Dialect    string
	Deployment string
}

// fileName executes the name template and checks that it gives a plain
// file name.
func fileName(t *template.Template, d nameData) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("cassette name template: %w", err)
	}
	name := b.String()
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("cassette name template gives %q, not a plain file name", name)
	}
	return name, nil
}
