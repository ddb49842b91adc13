package mockserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/scenarios"
)

// Options configure a Server. A nil *Options, and every zero field, means the
// documented default.
type Options struct {
	// Addr is the TCP address New listens on. Default "127.0.0.1:0" (a free
	// loopback port). Ignored by NewHandler.
	Addr string
	// APIKey, when set, is the only key accepted. Azure paths answer a wrong
	// or missing key with HTTP 401 before the upgrade; the OpenAI path with
	// 101, an invalid_api_key error and close 3000, as the services do. Empty
	// accepts any key (or none).
	APIKey string
	// Scenario scripts what the assistant says and when; nil uses the
	// built-in default reply for every response.
	Scenario *scenarios.Scenario
	// Cassette, when set, replays a recorded session instead of simulating
	// one (see the package documentation on replay). It is parsed once and
	// shared by every session.
	Cassette *cassette.Cassette
	// Faults disturb every session (see package faults); a scenario's own
	// faults are added to these.
	Faults []faults.Fault
	// ReplayStrict answers a client event that differs from the cassette
	// with an error event; otherwise differences are only logged. Either
	// way they are listed in the session's Transcript.
	ReplayStrict bool
	// Pace is how fast the server answers. Default live: the live service's
	// latencies (Latencies) with audio streamed faster than playback.
	Pace scenarios.Pace
	// Latencies of the live pace. Zero fields take DefaultLatencies.
	Latencies Latencies
	// Seed makes ids and noise deterministic: the same seed and the same
	// client input give the same session byte for byte (in instant pace).
	// Zero derives a seed from the time; sessions get seed+n for the n-th
	// connection.
	Seed int64
	// Clock drives all pacing. Default: the system clock.
	Clock Clock
	// Logger receives one line per session and per protocol error. Default:
	// discard.
	Logger *slog.Logger
	// MaxMessageBytes is the WebSocket read limit. Default 16 MiB, enough
	// for the service's 15 MiB audio appends (base64 grows them by 4/3, so
	// the limit is raised to fit a 15 MiB decoded append).
	MaxMessageBytes int64
	// MaxSessions limits concurrent sessions; more get HTTP 429. Default 10000.
	MaxSessions int
	// SessionMaxDuration ends a session with session_expired. Default 60
	// minutes (the GA service's limit); a scenario's expires_after wins.
	SessionMaxDuration time.Duration
	// RateLimitsAfterDone sends rate_limits.updated after response.done (as
	// observed on GA in 2026 and documented by Azure) rather than right after
	// response.created. Default true; set RateLimitsAtStart to move it.
	RateLimitsAtStart bool
	// DisableTLS serves plain HTTP only. By default the port also answers
	// TLS (wss://, https://) with a self-signed loopback certificate, for
	// SDKs that only dial wss://; see Server.CertPEM.
	DisableTLS bool
	// KeepTranscripts keeps every session's frames for Server.Transcripts.
	KeepTranscripts bool
	// OnSessionEnd, when set, is called with each session's transcript when
	// it ends (frames are included only with KeepTranscripts).
	OnSessionEnd func(*Transcript)
}

// Latencies are the live pace's delays, measured on the live service.
type Latencies struct {
	SessionUpdated      time.Duration // session.update → session.updated (~260 ms)
	ResponseCreated     time.Duration // trigger → response.created (~280 ms)
	FirstDelta          time.Duration // trigger → first text/audio delta (~480 ms)
	Committed           time.Duration // commit → input_audio_buffer.committed (~145 ms, manual commits)
	TranscriptionDelta  time.Duration // commit → first input transcription delta (~1.2 s)
	TranscriptionDone   time.Duration // commit → transcription completed
	RateLimitsAfterDone time.Duration // response.done → rate_limits.updated (~43 ms)
	AudioSpeed          float64       // audio generation speed as a multiple of playback (default 3)
}

// DefaultLatencies are the live service's observed latencies (protocol
// reference §4).
var DefaultLatencies = Latencies{
	SessionUpdated:      260 * time.Millisecond,
	ResponseCreated:     280 * time.Millisecond,
	FirstDelta:          480 * time.Millisecond,
	Committed:           145 * time.Millisecond,
	TranscriptionDelta:  1200 * time.Millisecond,
	TranscriptionDone:   1500 * time.Millisecond,
	RateLimitsAfterDone: 43 * time.Millisecond,
	AudioSpeed:          3,
}

func (l Latencies) withDefaults() Latencies {
	d := DefaultLatencies
	set := func(dst *time.Duration, v time.Duration) {
		if v != 0 {
			*dst = v
		}
	}
	set(&d.SessionUpdated, l.SessionUpdated)
	set(&d.ResponseCreated, l.ResponseCreated)
	set(&d.FirstDelta, l.FirstDelta)
	set(&d.Committed, l.Committed)
	set(&d.TranscriptionDelta, l.TranscriptionDelta)
	set(&d.TranscriptionDone, l.TranscriptionDone)
	set(&d.RateLimitsAfterDone, l.RateLimitsAfterDone)
	if l.AudioSpeed > 0 {
		d.AudioSpeed = l.AudioSpeed
	}
	return d
}

// config is Options with every default applied; immutable once built.
type config struct {
	Options
	lat    Latencies
	replay *replayPlan
}

func newConfig(opts *Options) (*config, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Pace.Mode == scenarios.PaceDefault {
		if o.Scenario != nil && o.Scenario.Pace.Mode != scenarios.PaceDefault {
			o.Pace = o.Scenario.Pace
		} else {
			o.Pace = scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}
		}
	}
	if o.Pace.Factor <= 0 {
		o.Pace.Factor = 1
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 21 << 20 // 15 MiB of audio is 20 MiB of base64
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = 10000
	}
	if o.SessionMaxDuration == 0 {
		o.SessionMaxDuration = 60 * time.Minute
	}
	c := &config{Options: o, lat: o.Latencies.withDefaults()}
	if o.Cassette != nil {
		c.replay = newReplayPlan(o.Cassette)
	}
	return c, nil
}

// Server is a running mock of the realtime service, like an
// httptest.Server: New starts it, URL tells where, Close stops it and every
// session it carries.
type Server struct {
	cfg      *config
	ln       net.Listener
	hs       *http.Server
	url      string
	handler  *Handler
	serveErr chan error
	closeOne sync.Once
	certPEM  []byte
}

// New starts a Server listening on opts.Addr.
func New(opts *Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", h.cfg.Addr)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("listen on %s: %w", h.cfg.Addr, err)
	}
	var certPEM []byte
	if !h.cfg.DisableTLS {
		cert, pemBytes, err := selfSigned(time.Now())
		if err != nil {
			ln.Close()
			h.Close()
			return nil, fmt.Errorf("make a TLS certificate: %w", err)
		}
		certPEM = pemBytes
		ln = &sniffListener{Listener: ln, cfg: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}}
	}
	s := &Server{
		cfg:      h.cfg,
		ln:       ln,
		certPEM:  certPEM,
		handler:  h,
		url:      "http://" + ln.Addr().String(),
		serveErr: make(chan error, 1),
		hs: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(h.cfg.Logger.Handler(), slog.LevelWarn),
		},
	}
	go func() { s.serveErr <- s.hs.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL, e.g. "http://127.0.0.1:41234". Point an SDK's
// endpoint (Azure) or base URL (OpenAI, with "/v1") at it.
func (s *Server) URL() string { return s.url }

// TLSURL is the server's base URL for TLS clients ("https://…"), or ""
// with Options.DisableTLS. Clients must trust CertPEM.
func (s *Server) TLSURL() string {
	if s.certPEM == nil {
		return ""
	}
	return "https://" + s.ln.Addr().String()
}

// CertPEM is the PEM of the self-signed certificate the server presents to
// TLS clients (a leaf certificate for localhost, 127.0.0.1 and ::1; see WriteCertFile).
func (s *Server) CertPEM() []byte { return s.certPEM }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handler returns the server's HTTP handler.
func (s *Server) Handler() *Handler { return s.handler }

// Transcripts returns the transcripts of the sessions that have ended so far
// (frames only with Options.KeepTranscripts).
func (s *Server) Transcripts() []*Transcript { return s.handler.Transcripts() }

// Close stops accepting connections, closes every live session with 1001
// (going away) and waits for all of the server's goroutines. It is safe to
// call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOne.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Sessions first: upgraded sockets are not net/http's to close, and
		// each must get its 1001 close frame before the listener goes.
		s.handler.Close()
		err = s.hs.Shutdown(ctx)
		if serr := <-s.serveErr; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	})
	return err
}

// Handler serves the realtime endpoints. Use it to mount the mock inside
// another server; New wraps it in a listening Server.
type Handler struct {
	cfg    *config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	nextID atomic.Int64
	live   atomic.Int64

	mu          sync.Mutex
	closed      bool
	transcripts []*Transcript
	rng         *rand.Rand // handshake faults; guarded by mu
}

// NewHandler returns a Handler. Close it to end its sessions.
func NewHandler(opts *Options) (*Handler, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Handler{cfg: cfg, ctx: ctx, cancel: cancel, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))}, nil
}

// Close ends every session with 1001 and waits for their goroutines.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// Transcripts returns the transcripts of ended sessions.
func (h *Handler) Transcripts() []*Transcript {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Transcript(nil), h.transcripts...)
}

// LiveSessions returns the number of sessions in progress.
func (h *Handler) LiveSessions() int { return int(h.live.Load()) }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()

	if p := h.cfg.replay; p != nil && p.http != nil {
		// The recorded upgrade was refused: refuse this one the same way.
		for k, v := range p.http.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(p.http.Code)
		w.Write(p.http.Data)
		return
	}
	if status := h.handshakeFault(); status != 0 {
		writeJSONError(w, status, fmt.Sprint(status), "Injected fault: the upgrade was refused with "+http.StatusText(status)+".")
		return
	}
	hs, herr := handshake(r, h.cfg)
	if herr != nil {
		herr.writeHTTP(w)
		h.cfg.Logger.Info("handshake refused", "path", r.URL.Path, "status", herr.status, "reason", herr.msg)
		return
	}
	if h.live.Add(1) > int64(h.cfg.MaxSessions) {
		h.live.Add(-1)
		writeJSONError(w, http.StatusTooManyRequests, "429", "Too many concurrent sessions on this rtmock server (limit "+fmt.Sprint(h.cfg.MaxSessions)+").")
		return
	}
	defer h.live.Add(-1)

	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       hs.subprotocols,
		InsecureSkipVerify: true, // browsers and SDKs on any origin may connect to a local mock
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		h.cfg.Logger.Info("upgrade failed", "err", err)
		return
	}
	conn.SetReadLimit(h.cfg.MaxMessageBytes)
	n := h.nextID.Add(1)
	sess := newSession(h.ctx, h.cfg, conn, hs, n)
	tr := sess.run()
	if h.cfg.KeepTranscripts {
		h.mu.Lock()
		h.transcripts = append(h.transcripts, tr)
		h.mu.Unlock()
	}
	if h.cfg.OnSessionEnd != nil {
		h.cfg.OnSessionEnd(tr)
	}
}
