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
	"github.com/rtmock/rtmock/internal/hostcheck"
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

	// Redact lists secret values to replace with [REDACTED] everywhere in
	// cassettes and logs, the conversation included (a password a user
	// speaks or types, say). Credentials need not be listed: they are
	// scrubbed where they stand (see package doc). A value short or plain
	// enough to change ordinary text is still replaced; New logs a warning.
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

	// AllowedHosts are the names, besides loopback ones, that a request's
	// Host header may carry (see package internal/hostcheck: host names or
	// IP addresses without a port, "*.example.com", or "*" for any). Nil
	// allows loopback names only (localhost, 127.0.0.0/8, ::1), so that a
	// web page cannot reach the recorder through DNS rebinding. Refused
	// requests get 403 before anything else is looked at.
	AllowedHosts []string

	// OriginPatterns are the browser origins allowed to connect:
	// path.Match patterns on the origin's host:port. Nil allows loopback
	// origins only (localhost, 127.0.0.1 and [::1], any port), so that no
	// web page can use the credentials the recorder adds. An origin equal
	// to the request's Host is allowed only when that host is loopback.
	// Clients that send no Origin, such as SDKs outside browsers, are
	// always allowed. Refused clients get 403 before anything is dialed.
	OriginPatterns []string

	// QueueBytes bounds the frame bytes of one session waiting for the
	// disk. 0 means 16 MiB. Once that much waits, frames are left out of
	// the cassette (never out of the conversation) and a "dropped" line
	// says how many; the frame that crosses the bound is still recorded.
	QueueBytes int

	// MaxMessageBytes is the largest WebSocket message relayed, either
	// way. 0 means cassette.MaxFrameSize (24 MiB), room for the service's
	// 15 MiB audio appends. A larger message closes the session: the side
	// that sent it gets 1009 from the WebSocket library, the other side
	// 1009 with a reason that names the limit.
	MaxMessageBytes int64

	// DialTimeout bounds the upstream handshake. 0 means 30 seconds.
	DialTimeout time.Duration

	// ReadHeaderTimeout bounds reading a request's headers. 0 means 10
	// seconds.
	ReadHeaderTimeout time.Duration

	// ReadTimeout bounds reading a request, body included, and everything
	// up to a WebSocket upgrade, which waits for the upstream's handshake.
	// 0 means DialTimeout plus 30 seconds. Upgraded sessions have no
	// deadline: they last as long as both sides keep them open.
	ReadTimeout time.Duration

	// IdleTimeout closes a keep-alive connection that carries no request
	// for this long. 0 means 60 seconds. Upgraded sessions are not idle
	// connections and are never cut by it.
	IdleTimeout time.Duration

	// MaxHeaderBytes bounds a request's line and headers; a larger request
	// gets 431. 0 means 64 KiB (net/http allows 4 KiB more than this).
	MaxHeaderBytes int

	// Recorder names the recorder in cassette headers. "" means "rtrecord".
	Recorder string

	// Now is the clock for cassette headers and file names. Nil means
	// time.Now. Frame times are measured on the monotonic clock.
	Now func() time.Time

	// relayOnly relays without recording: the benchmark's baseline.
	relayOnly bool

	// createFile creates a cassette file exclusively; nil means
	// os.OpenFile. Tests put a failing file system here.
	createFile func(path string) (cassetteFile, error)
}

// Recorder is the recording proxy, an http.Handler. Use Serve to run it on
// a listener, Close to end every session.
type Recorder struct {
	opts      Options
	upstream  *url.URL
	hosts     *hostcheck.Checker
	redactor  *cassette.Redactor // the Redact values: scrubbed everywhere, payloads included
	apiKey    []string           // Options.APIKey when it is safe to scrub by value
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
	hosts, err := hostcheck.New(o.AllowedHosts)
	if err != nil {
		return nil, err
	}
	o.setDefaults()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !o.relayOnly {
		if err := checkDir(o.Dir); err != nil {
			return nil, err
		}
	}
	rec := &Recorder{
		opts:     o,
		upstream: up,
		hosts:    hosts,
		redactor: cassette.NewRedactor(o.Redact...),
		name:     name,
		client:   o.HTTPClient,
		log:      log,
		sessions: map[*session]struct{}{},
		done:     make(chan struct{}),
	}
	rec.apiKey = rec.scrubbable("the API key", o.APIKey)
	for _, v := range o.Redact {
		if why := unsafeToScrub(v); why != "" {
			log.Warn("a --redact value "+why+": it is still replaced everywhere, as asked, so ordinary text, ids and audio that contain it will be changed in cassettes",
				"length", len(v))
		}
	}
	if rec.client == nil {
		rec.transport = http.DefaultTransport.(*http.Transport).Clone()
		rec.client = &http.Client{Transport: rec.transport}
	}
	rec.dialCtx, rec.cancelDial = context.WithCancel(context.Background())
	return rec, nil
}

// setDefaults fills the zero fields of o, New's clone of the caller's
// Options.
func (o *Options) setDefaults() {
	if o.QueueBytes <= 0 {
		o.QueueBytes = 16 << 20
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = cassette.MaxFrameSize
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 30 * time.Second
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = 10 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = o.DialTimeout + 30*time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 64 << 10
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
	if o.createFile == nil {
		o.createFile = createOSFile
	}
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
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("upstream URL %q: only scheme, host and path are allowed", clip(s, 200))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if p := apiPathSuffix(u.Path); p != "" {
		base := strings.TrimSuffix(strings.TrimSuffix(s, "/"), p)
		return nil, fmt.Errorf("upstream URL %q ends in the API path %s: the client's own path (/openai/realtime, /openai/v1/realtime or /v1/realtime) is added to the upstream URL, so it would be repeated; give the service's base URL, %s",
			clip(s, 200), p, clip(base, 200))
	}
	return u, nil
}

// apiPathSuffix is the API path an upstream URL ends in, such as
// "/openai/realtime" or "/v1", or "". The client's path starts with one of
// those, so the upstream's path must not end in one: a gateway prefix
// (https://gateway.example/team-a) is fine.
func apiPathSuffix(p string) string {
	lp := strings.ToLower(p)
	for _, suffix := range []string{"/openai/v1/realtime", "/openai/realtime", "/v1/realtime", "/openai/v1", "/openai", "/v1"} {
		if strings.HasSuffix(lp, suffix) {
			return p[len(p)-len(suffix):]
		}
	}
	return ""
}

// Upstream is the WebSocket base URL sessions are relayed to.
func (rec *Recorder) Upstream() string { return rec.upstream.String() }

// Serve accepts connections on l and serves them until Close, then returns
// nil. It returns ErrClosed when called after Close.
func (rec *Recorder) Serve(l net.Listener) error {
	// Timeouts and the header bound apply to connections that are not
	// upgraded; net/http clears the deadlines of a hijacked connection, so
	// sessions are never cut by them.
	srv := &http.Server{
		Handler:           rec,
		ReadHeaderTimeout: rec.opts.ReadHeaderTimeout,
		ReadTimeout:       rec.opts.ReadTimeout,
		IdleTimeout:       rec.opts.IdleTimeout,
		MaxHeaderBytes:    rec.opts.MaxHeaderBytes,
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
	if err := rec.hosts.Check(r.Host); err != nil {
		rec.log.Warn("request refused", "err", err)
		http.Error(w, "rtrecord: "+err.Error()+"; start rtrecord with --allow-host NAME to accept this name", http.StatusForbidden)
		return
	}
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
