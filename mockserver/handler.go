package mockserver

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/scenarios"
)

// Handler serves the realtime endpoints. Use it to mount the mock inside
// another server; New wraps it in a listening Server.
type Handler struct {
	cfg    *config
	wg     sync.WaitGroup // one per request being served
	nextID atomic.Int64
	live   atomic.Int64
	tones  toneCache
	frames framePool

	scn         atomic.Pointer[scenarios.Scenario] // what new sessions play
	mu          sync.Mutex
	closed      bool
	draining    bool
	sessions    map[*session]struct{}
	transcripts []*Transcript
	rng         *rand.Rand // handshake faults; guarded by mu
	stopWatch   chan struct{}
	watchDone   chan struct{}
	rtc         *rtc.Handler // the WebRTC routes
}

// NewHandler returns a Handler. Close it to end its sessions.
func NewHandler(opts *Options) (*Handler, error) {
	cfg := newConfig(opts)
	h := &Handler{cfg: cfg, sessions: map[*session]struct{}{}, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed)),
		stopWatch: make(chan struct{}), watchDone: make(chan struct{})}
	h.scn.Store(cfg.Scenario)
	r, err := h.newRTC()
	if err != nil {
		return nil, err
	}
	h.rtc = r
	go h.watch()
	return h, nil
}

// Close ends every session with 1001 and waits for their goroutines. A
// session whose client does not take its close frame is dropped after a
// moment.
func (h *Handler) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.wg.Wait()
		return
	}
	h.closed = true
	live := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		live = append(live, s)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A write blocked on a client that stopped reading holds the
			// session; the watchdog cuts it, so shutdown never hangs.
			s.abortBy.Store(time.Now().Add(shutdownGrace).UnixNano())
			s.shutdown()
		}()
	}
	wg.Wait()
	h.rtc.Close() // ends the calls that were still being set up
	h.wg.Wait()
	close(h.stopWatch)
	<-h.watchDone
}

// shutdownGrace is how long a session may take to say goodbye at shutdown.
const shutdownGrace = 3 * time.Second

// Transcripts returns the transcripts of ended sessions (with
// Options.KeepTranscripts).
func (h *Handler) Transcripts() []*Transcript {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Transcript(nil), h.transcripts...)
}

// LiveSessions returns the number of sessions in progress.
func (h *Handler) LiveSessions() int { return int(h.live.Load()) }

// begin registers a request; false when the handler is closed.
func (h *Handler) begin() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.draining {
		return false
	}
	h.wg.Add(1)
	return true
}

// track registers a live session. It reports false when the handler has
// closed since the session's request began: Close's list of sessions to
// shut down was taken without it, so the session must shut itself down.
func (h *Handler) track(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions[s] = struct{}{}
	return !h.closed
}

// untrack forgets an ended session and keeps or hands on its transcript.
func (h *Handler) untrack(s *session, tr *Transcript) {
	h.mu.Lock()
	delete(h.sessions, s)
	if h.cfg.KeepTranscripts {
		h.transcripts = append(h.transcripts, tr)
	}
	h.mu.Unlock()
	if h.cfg.OnSessionEnd != nil {
		h.cfg.OnSessionEnd(tr)
	}
}

// watch is the handler's one watchdog: it drops the connection of any
// session whose write has blocked longer than Options.WriteTimeout (a
// client that stopped reading) or that is past its hard deadline (expiry or
// shutdown while blocked). Session locks are never taken here.
func (h *Handler) watch() {
	defer close(h.watchDone)
	every := min(h.cfg.WriteTimeout/4, time.Second)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.stopWatch:
			return
		case now := <-t.C:
			h.sweep(now.UnixNano())
		}
	}
}

func (h *Handler) sweep(now int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sessions {
		if h.stuck(s, now) {
			s.t.abort()
		}
	}
}

// stuck reports whether a session must be cut now: a write blocked past
// the write timeout or past the session's expiry (on its own clock), or a
// shutdown grace period over.
func (h *Handler) stuck(s *session, now int64) bool {
	if a := s.abortBy.Load(); a != 0 && now > a {
		return true
	}
	w := s.writing.Load()
	if w == 0 {
		return false
	}
	if now-w > int64(h.cfg.WriteTimeout) {
		if !s.slow.Swap(true) {
			h.cfg.Logger.Info("slow consumer dropped", "session", s.info.N, "write_timeout", h.cfg.WriteTimeout)
		}
		return true
	}
	e := s.expireBy.Load()
	return e != 0 && s.clock.Now().UnixNano() > e
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
		return
	case "/readyz":
		h.ready(w)
		return
	}
	if rtc.Handles(r.URL.Path) {
		h.rtc.ServeHTTP(w, r)
		return
	}
	if !h.begin() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
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
	if herr == nil {
		herr = h.sipControl(hs)
	}
	if herr == nil && h.callControl(w, r, hs) {
		return
	}
	if herr != nil {
		herr.writeHTTP(w)
		h.cfg.Logger.Info("handshake refused", "path", truncateForLog(r.URL.Path), "status", herr.status, "reason", herr.msg)
		return
	}
	if h.live.Add(1) > int64(h.cfg.MaxSessions) {
		h.live.Add(-1)
		writeJSONError(w, http.StatusTooManyRequests, "429", "Too many concurrent sessions on this rtmock server (limit "+fmt.Sprint(h.cfg.MaxSessions)+").")
		return
	}
	defer h.live.Add(-1)
	h.serveWebSocket(w, r, hs)
}

// ready answers /readyz: 200 while the handler takes sessions, 503 once it
// is shutting down or full.
func (h *Handler) ready(w http.ResponseWriter) {
	h.mu.Lock()
	closed, draining := h.closed, h.draining
	h.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	switch {
	case draining && !closed:
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "draining\n")
	case closed:
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "shutting down\n")
	case h.live.Load() >= int64(h.cfg.MaxSessions):
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "full\n")
	default:
		io.WriteString(w, "ready\n")
	}
}

// handshakeFault returns the HTTP status a handshake fault refuses this
// upgrade with, or 0.
func (h *Handler) handshakeFault() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ft := range h.cfg.Faults {
		if code, ok := ft.RefusesUpgrade(h.rng); ok {
			return code
		}
	}
	return 0
}

// run serves one session over transport t until it ends: the caller's
// goroutine is the session's reader.
func (h *Handler) run(s *session, read func(context.Context)) {
	open := h.track(s)
	s.start()
	if !open {
		s.abortBy.Store(time.Now().Add(shutdownGrace).UnixNano())
		s.shutdown()
	}
	read(context.Background())
	s.closing.Wait()
	tr := s.finish()
	h.untrack(s, tr)
}
