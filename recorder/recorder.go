package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// DefaultName is the default cassette file name template.
const DefaultName = "{{.Time}}-{{.ID}}.jsonl"

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("recorder closed")

// TokenSource gives bearer tokens for the upstream, such as Microsoft Entra
// ID tokens for Azure OpenAI.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenFunc adapts a function to TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// Options configures a Recorder. Only Upstream is required; every other
// zero field means the default given with it.
type Options struct {
	// Upstream is the service's base URL: https://my-resource.openai.azure.com,
	// https://api.openai.com, or a ws:// or wss:// URL (http dials ws,
	// https dials wss). A path in it is put before the client's path.
	Upstream string

	// Dir is the directory cassettes are written to. "" means the current
	// directory. It must exist.
	Dir string

	// Name is the cassette file name, a text/template with .Time (UTC,
	// 2026-11-25T12-00-00Z, no colons), .ID (the session's UUID), .Seq (1, 2, … per
	// Recorder), .Provider (azure or openai), .Dialect (preview or ga) and
	// .Deployment (the deployment or model asked for, made file-name-safe).
	// It must give a plain file name. "" means DefaultName.
	Name string

	// Redact lists more secret values to scrub from cassettes and logs.
	Redact []string

	// ElideAudio records audio as markers that keep its format and size
	// instead of inline base64 (see package cassette).
	ElideAudio bool

	// APIKey is sent as the api-key header for clients that bring no
	// credentials. "" sends none.
	APIKey string

	// TokenSource gives a bearer token for clients that bring no
	// credentials when APIKey is "". Nil sends none.
	TokenSource TokenSource

	// Logger receives a line per session and every problem. Nil discards.
	Logger *slog.Logger

	// HTTPClient dials the upstream. Nil means a client of the Recorder's
	// own, whose idle connections Close closes.
	HTTPClient *http.Client

	// OriginPatterns are the browser origins allowed to connect besides
	// the request's own host: path.Match patterns on the origin's host:port.
	// Nil allows loopback origins only (localhost, 127.0.0.1 and [::1], any
	// port), so that no web page can use the credentials the recorder
	// adds. Clients that send no Origin, such as SDKs outside browsers, are
	// always allowed. Refused clients get 403 before anything is dialed.
	OriginPatterns []string

	// QueueBytes bounds the frame bytes of one session waiting for the
	// disk. 0 means 16 MiB. Once that much waits, frames are left out of
	// the cassette (never out of the conversation) and a "dropped" line
	// says how many; the frame that crosses the bound is still recorded.
	QueueBytes int

	// DialTimeout bounds the upstream handshake. 0 means 30 seconds.
	DialTimeout time.Duration

	// Recorder names the recorder in cassette headers. "" means "rtrecord".
	Recorder string

	// Now is the clock for cassette headers and file names. Nil means
	// time.Now. Frame times are measured on the monotonic clock.
	Now func() time.Time

	// relayOnly relays without recording: the benchmark's baseline.
	relayOnly bool
}

// Recorder is the recording proxy, an http.Handler. Use Serve to run it on
// a listener, Close to end every session.
type Recorder struct {
	opts      Options
	upstream  *url.URL
	redactor  *cassette.Redactor
	name      *template.Template
	client    *http.Client
	transport *http.Transport // our own, when opts.HTTPClient is nil
	log       *slog.Logger

	dialCtx    context.Context // cancelled by Close: aborts handshakes in flight
	cancelDial context.CancelFunc

	mu        sync.Mutex
	closed    bool
	sessions  map[*session]struct{}
	servers   []*http.Server
	cassettes []string
	seq       int
	errs      []error
	wg        sync.WaitGroup // every session
	done      chan struct{}  // closed when Close has finished
}

// New returns a Recorder for opts.
func New(opts *Options) (*Recorder, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	up, err := parseUpstream(o.Upstream)
	if err != nil {
		return nil, err
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	name, err := template.New("name").Option("missingkey=error").Parse(o.Name)
	if err != nil {
		return nil, fmt.Errorf("cassette name template: %w", err)
	}
	if _, err := fileName(name, nameData{Time: "2026-11-25T12-00-00Z", ID: "id", Seq: 1, Provider: "azure", Dialect: "ga", Deployment: "gpt-realtime"}); err != nil {
		return nil, err
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 16 << 20
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 30 * time.Second
	}
	if o.Recorder == "" {
		o.Recorder = "rtrecord"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OriginPatterns == nil {
		o.OriginPatterns = []string{"localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*", `\[::1\]`, `\[::1\]:*`}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rec := &Recorder{
		opts:     o,
		upstream: up,
		redactor: cassette.NewRedactor(append([]string{o.APIKey}, o.Redact...)...),
		name:     name,
		client:   o.HTTPClient,
		log:      log,
		sessions: map[*session]struct{}{},
		done:     make(chan struct{}),
	}
	if rec.client == nil {
		rec.transport = http.DefaultTransport.(*http.Transport).Clone()
		rec.client = &http.Client{Transport: rec.transport}
	}
	rec.dialCtx, rec.cancelDial = context.WithCancel(context.Background())
	return rec, nil
}

// parseUpstream checks the upstream URL and gives it a WebSocket scheme.
func parseUpstream(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("upstream URL missing")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("upstream URL: %w", err)
	}
	switch u.Scheme {
	case "https", "wss":
		u.Scheme = "wss"
	case "http", "ws":
		u.Scheme = "ws"
	default:
		return nil, fmt.Errorf("upstream URL %q: want https://host (or http, ws, wss)", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("upstream URL %q has no host", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("upstream URL %q: only scheme, host and path are allowed", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Upstream is the WebSocket base URL sessions are relayed to.
func (rec *Recorder) Upstream() string { return rec.upstream.String() }

// Serve accepts connections on l and serves them until Close, then returns
// nil. It returns ErrClosed when called after Close.
func (rec *Recorder) Serve(l net.Listener) error {
	srv := &http.Server{
		Handler:           rec,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(rec.log.Handler(), slog.LevelDebug),
	}
	rec.mu.Lock()
	if rec.closed {
		rec.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	rec.servers = append(rec.servers, srv)
	rec.mu.Unlock()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the servers started by Serve, closes every live session with
// 1001 (going away) on both sides, waits for every session's goroutines and
// for its cassette to be flushed, synced and closed. It returns the errors
// met while writing cassettes. Close is idempotent.
func (rec *Recorder) Close() error {
	rec.mu.Lock()
	if rec.closed {
		rec.mu.Unlock()
		<-rec.done
		return rec.closeErr()
	}
	rec.closed = true
	servers := rec.servers
	sessions := make([]*session, 0, len(rec.sessions))
	for s := range rec.sessions {
		sessions = append(sessions, s)
	}
	rec.mu.Unlock()

	rec.cancelDial()
	for _, srv := range servers {
		srv.Close() // listeners and connections not yet upgraded
	}
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(s.stop)
	}
	wg.Wait()
	rec.wg.Wait()
	if rec.transport != nil {
		rec.transport.CloseIdleConnections()
	}
	close(rec.done)
	return rec.closeErr()
}

func (rec *Recorder) closeErr() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return errors.Join(rec.errs...)
}

// Cassettes lists the cassette files written so far, in the order their
// sessions started.
func (rec *Recorder) Cassettes() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.cassettes...)
}

// ServeHTTP relays one realtime session; it returns when the session has
// ended and its cassette is closed.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !isRealtimePath(r.URL.Path) {
		http.Error(w, "rtrecord: not a realtime path (want /openai/realtime, /openai/v1/realtime or /v1/realtime)", http.StatusNotFound)
		return
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "rtrecord: this endpoint relays realtime WebSocket sessions", http.StatusUpgradeRequired)
		return
	}
	s := rec.begin()
	if s == nil {
		http.Error(w, "rtrecord: shutting down", http.StatusServiceUnavailable)
		return
	}
	defer rec.end(s)
	s.serve(w, r)
}

// begin registers a new session, or returns nil after Close.
func (rec *Recorder) begin() *session {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.closed {
		return nil
	}
	rec.seq++
	s := &session{rec: rec, seq: rec.seq}
	rec.sessions[s] = struct{}{}
	rec.wg.Add(1)
	return s
}

func (rec *Recorder) end(s *session) {
	rec.mu.Lock()
	delete(rec.sessions, s)
	if s.err != nil {
		rec.errs = append(rec.errs, s.err)
	}
	rec.mu.Unlock()
	rec.wg.Done()
}

func (rec *Recorder) addCassette(path string) {
	rec.mu.Lock()
	rec.cassettes = append(rec.cassettes, path)
	rec.mu.Unlock()
}

func isRealtimePath(p string) bool {
	switch strings.TrimSuffix(p, "/") {
	case "/openai/realtime", "/openai/v1/realtime", "/v1/realtime":
		return true
	}
	return false
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
