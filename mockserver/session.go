package mockserver

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtmock/rtmock/clock"
	"github.com/rtmock/rtmock/scenarios"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/realtime"
)

// transport carries one session's frames to and from its client: a
// WebSocket, or a WebRTC data channel and audio track. The session calls
// send with its lock held; close runs after the lock is released; abort
// may be called from any goroutine at any time.
type transport interface {
	kind() string
	// send writes one server frame (KindText or KindBinary). It may block
	// until the client takes it; Options.WriteTimeout bounds that.
	send(f *cassette.Frame) error
	// close ends the connection with a close frame and waits briefly for
	// the client's.
	close(code int, reason string)
	// abort drops the connection at once, without a close frame.
	abort()
}

// mode is what a session does with client events: simulate the service
// (sim) or play a recording back (replayer). Methods are called with the
// session lock held.
type mode interface {
	// start runs at connect: session.created, or the recording's first
	// frames.
	start()
	// latency is how long after its arrival a client event is processed:
	// the service answers events in order, each some time later (§4).
	latency(ev *realtime.ClientEvent) time.Duration
	// handle processes one client event in arrival order; verr is what the
	// table of client events found wrong with it, if anything.
	handle(ev *realtime.ClientEvent, verr *realtime.Error)
	// audio takes input audio that came outside events (a WebRTC
	// microphone track), as PCM16 24 kHz.
	audio(pcm []byte)
}

// session is one realtime session: the plumbing every mode and transport
// shares. It has no goroutine of its own. The transport's reader calls
// receive; steps run from the scheduler's timer; both take mu, so the
// session's state has one owner at a time. Writes that block (a client
// that stops reading) are cut by the Handler's watchdog.
type session struct {
	mu      sync.Mutex
	h       *Handler
	cfg     *config
	info    SessionInfo
	clock   clock.Clock
	started time.Time
	dialect realtime.Dialect
	hs      *handshakeInfo
	scn     *scenarios.Scenario // the scenario the session plays, fixed at connect
	pc      scenarios.Pace
	ids     ids
	seed    int64
	parser  realtime.Parser
	t       transport
	sink    audioSink // the assistant's audio when the transport plays it (WebRTC); nil: audio delta events
	q       sched
	pipe    pipeline
	m       mode
	tr      *Transcript
	keep    bool
	faults  *faultChain // nil without faults
	closed  bool
	out     cassette.Frame // reused for every outgoing frame without faults
	seen    Observed       // reused for every call of the observer
	after   []func()       // run once the lock is released
	space   *sync.Cond
	closing sync.WaitGroup // a close handshake in progress

	slow    atomic.Bool  // the watchdog dropped the client for not reading
	writing atomic.Int64 // when the send in progress started (wall clock, UnixNano), 0 when none
	// expireBy is when, on the session's clock, a session whose write is
	// blocked past its expiry is cut (UnixNano; 0: never). abortBy is when,
	// on the wall clock, a shutting-down session is cut whatever it does.
	expireBy atomic.Int64
	abortBy  atomic.Int64
	waiting  atomic.Int32 // readers waiting for the lock
}

func newSession(h *Handler, hs *handshakeInfo, n int64, t transport) *session {
	cfg := h.cfg
	scn := h.Scenario()
	seed := cfg.Seed + n - 1
	if scn != nil && scn.Seed != 0 {
		seed = scn.Seed + n - 1
	}
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32^0x9e3779b97f4a7c15))
	s := &session{
		h: h, cfg: cfg, clock: cfg.Clock, dialect: hs.dialect, hs: hs, scn: scn, ids: ids{rng: rng, clock: cfg.Clock}, seed: seed, t: t,
		keep: cfg.KeepTranscripts,
	}
	s.parser.StrictUTF8 = true
	s.space = sync.NewCond(&s.mu)
	s.q.clock = s.clock
	s.q.fire = s.onTimer
	s.started = s.clock.Now()
	s.info = SessionInfo{N: n, Provider: hs.provider, Dialect: hs.dialect, Transport: t.kind(), Path: hs.path,
		Query: hs.query, Header: hs.header, Subprotocols: hs.offered, Started: s.started}
	s.pc = cfg.Pace
	if scn != nil {
		s.info.Scenario = scn.Name
		if !cfg.paceGiven {
			s.pc = defaultPace(scenarios.Pace{}, scn)
		}
	}
	s.tr = &Transcript{ID: n, Provider: hs.provider, Dialect: hs.dialect, Transport: t.kind(), Path: hs.path, Query: hs.query, Started: s.started}
	if cfg.replay != nil {
		s.m = newReplayer(s)
	} else {
		s.m = newSim(s)
	}
	return s
}

// lock takes the session lock; unlock releases it and then runs what was
// deferred until then (closing the transport, which may wait).
func (s *session) lock() { s.mu.Lock() }

func (s *session) unlock() {
	acts := s.after
	s.after = nil
	s.mu.Unlock()
	for _, a := range acts {
		a()
	}
}

// start announces the session and runs its mode's connect.
func (s *session) start() {
	s.lock()
	defer s.unlock()
	if obs := s.cfg.Observer; obs != nil {
		obs.SessionStarted(&s.info)
	}
	if f := s.hs.fatal; f != nil {
		// The OpenAI service upgrades, reports the problem and closes.
		s.sendError(f, "")
		s.closeWith(s.hs.closeCode, s.hs.closeWhy)
		return
	}
	s.faults = bindFaults(s)
	s.m.start()
	s.rearm()
}

// setID names the session once its mode knows its id.
func (s *session) setID(id string) {
	s.info.ID, s.tr.SessionID = id, id
}

// scheduleExpiry ends the session after d with session_expired; the
// watchdog ends it a little later whatever it is doing.
func (s *session) scheduleExpiry(d time.Duration) {
	at := s.started.Add(d)
	s.q.at(at, nil, func() { s.expire(d) })
	s.expireBy.Store(at.Add(expireGrace).UnixNano())
}

// expireGrace is how long after its expiry a session that cannot send its
// goodbye (a client that stopped reading) is cut by the watchdog.
const expireGrace = 5 * time.Second

// expire ends the session as the service does at its maximum duration:
// a session_expired error, then a close.
func (s *session) expire(after time.Duration) {
	e := realtime.NewSessionExpiredError(int(after / time.Minute))
	if after%time.Minute != 0 {
		e.Message = "Your session hit the maximum duration of " + after.String() + "."
	}
	s.sendError(e, "")
	s.closeWith(1000, "session_expired")
}

// onTimer is the scheduler timer's call: run what is due.
func (s *session) onTimer() {
	s.lock()
	defer s.unlock()
	s.q.armedAt = time.Time{}
	if s.closed {
		return
	}
	s.runDue()
	s.rearm()
}

// runDue runs every step whose time has come. Between steps it lets a
// reader that waits for the lock in, so that a response.cancel lands
// mid-stream even when a whole response is due at once.
func (s *session) runDue() {
	for !s.closed {
		st := s.q.next(s.clock.Now())
		if st == nil {
			return
		}
		fn, at := st.fn, st.at
		s.q.done(st)
		if late := s.cfg.OnStepLate; late != nil {
			late(s.clock.Now().Sub(at))
		}
		fn()
		if s.waiting.Load() > 0 && !s.closed {
			s.mu.Unlock()
			yield()
			s.mu.Lock()
		}
	}
}

// rearm points the scheduler's timer at the next step, running anything
// already due first.
func (s *session) rearm() {
	if s.closed {
		s.q.clear()
		return
	}
	s.runDue()
	if !s.closed {
		s.q.rearm(s.clock.Now())
	}
}

// at schedules fn at t on the session's clock, tied to life when not nil.
func (s *session) at(t time.Time, life *lifetime, fn func()) { s.q.at(t, life, fn) }

// receive takes one frame from the transport's reader.
func (s *session) receive(f cassette.Frame) {
	s.waiting.Add(1)
	s.lock()
	s.waiting.Add(-1)
	defer s.unlock()
	if s.closed {
		return
	}
	if s.faults != nil {
		s.faults.in(&f)
	} else {
		s.accept(&f)
	}
	s.rearm()
}

// waitForSpace blocks the transport's reader while the queue of client
// events waiting to be processed holds more than Options.MaxQueuedBytes:
// a client cannot make the server buffer without bound.
func (s *session) waitForSpace() {
	s.lock()
	for !s.closed && s.pipe.bytes > s.cfg.MaxQueuedBytes {
		s.space.Wait()
	}
	s.unlock()
}

// accept records a client frame and hands it to the mode in order.
func (s *session) accept(f *cassette.Frame) {
	now := s.clock.Now()
	f.T = now.Sub(s.started)
	if f.Kind == cassette.KindBinary {
		s.observe(f, nil, 0)
		s.sendError(realtime.NewBinaryFrameError(), "")
		return
	}
	ev, verr := realtime.DecodeClient(&s.parser, s.dialect, f.Data)
	f.Type = ev.Type
	if ev.BadUTF8 && s.t.kind() == "websocket" {
		// RFC 6455 §8.1: a text frame that is not UTF-8 fails the connection.
		s.observe(f, nil, 0)
		s.closeWith(1007, "invalid UTF-8 in a text frame")
		return
	}
	if ev.Root.Kind() != realtime.JSONObject {
		s.observe(f, nil, 0)
		s.sendError(verr, "")
		return
	}
	s.observe(f, &ev, 0)
	if ev.Kind != realtime.ClientUnknown && len(ev.Kind.Spec().Transports) > 0 && !hasString(ev.Kind.Spec().Transports, s.t.kind()) && verr == nil {
		verr = realtime.NewUnknownEventTypeError(s.dialect, ev.Type).WithEventID(ev.EventID)
	}
	s.pipe.push(s, &ev, verr, now)
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// clientAudio takes microphone audio from a transport that carries it
// outside events.
func (s *session) clientAudio(pcm []byte) {
	s.waiting.Add(1)
	s.lock()
	s.waiting.Add(-1)
	defer s.unlock()
	if !s.closed {
		s.m.audio(pcm)
		s.rearm()
	}
}

// gone records that the connection ended on the client's side: its close
// frame (code > 0) or a dropped connection.
func (s *session) gone(code int, reason string) {
	s.lock()
	defer s.unlock()
	if s.closed {
		if s.tr.ClosedBy == cassette.Client && s.tr.CloseCode <= 0 && code > 0 {
			// A write failed under the client's close: now we know its code.
			s.tr.CloseCode, s.tr.CloseReason = code, reason
		}
		return
	}
	s.closed = true
	s.tr.ClosedBy, s.tr.CloseCode, s.tr.CloseReason = cassette.Client, code, reason
	f := cassette.Frame{T: s.clock.Now().Sub(s.started), Dir: cassette.Client, Kind: cassette.KindClose, Code: code, Reason: reason}
	if code <= 0 {
		s.tr.CloseCode = 1006
		f.Kind, f.Code, f.Reason = cassette.KindError, 0, "the connection dropped without a close frame"
	}
	s.observe(&f, nil, 0)
	s.q.clear()
	s.space.Broadcast()
}

// finish ends the session's bookkeeping once its transport is done.
func (s *session) finish() *Transcript {
	s.lock()
	s.closed = true
	s.q.clear()
	s.space.Broadcast()
	s.tr.Ended = s.clock.Now()
	s.tr.SlowConsumer = s.slow.Load()
	if obs := s.cfg.Observer; obs != nil {
		obs.SessionEnded(&s.info, s.tr)
	}
	s.unlock()
	return s.tr
}

// observe records a frame in the transcript and shows it to the observer.
func (s *session) observe(f *cassette.Frame, ev *realtime.ClientEvent, k realtime.Kind) {
	if s.keep {
		c := *f
		c.Data = append([]byte(nil), f.Data...)
		s.tr.Frames = append(s.tr.Frames, c)
	}
	if obs := s.cfg.Observer; obs != nil {
		s.seen = Observed{Frame: *f, Client: ev, Kind: k}
		obs.Frame(&s.info, &s.seen)
	}
}

// emitKind sends the server event of kind k under its dialect's name.
func (s *session) emitKind(k realtime.Kind, members ...kv) {
	s.emit(s.dialect.Name(k), members...)
}

// emit sends a server event: {"type":…,"event_id":…, members…}.
func (s *session) emit(typ string, members ...kv) {
	b := s.h.frames.get()
	b = append(b, `{"type":`...)
	b = realtime.AppendJSONString(b, typ)
	b = append(b, `,"event_id":"`...)
	b = s.ids.appendEventID(b)
	b = append(b, '"')
	for _, m := range members {
		b = appendMember(b, typ, m)
	}
	b = append(b, '}')
	s.send(typ, b)
}

// send writes a frame built in a buffer of the handler's pool and gives
// the buffer back: nothing holds a frame past its write (fault layers and
// transcripts copy what they keep), so sessions need no buffer of their
// own between frames.
func (s *session) send(typ string, b []byte) {
	s.write(typ, b)
	s.h.frames.put(b)
}

// write sends a server text frame, through the session's faults if any.
// Without faults nothing holds the frame past the call, so one frame of
// the session's is reused for every event.
func (s *session) write(typ string, b []byte) {
	if s.faults != nil {
		f := &cassette.Frame{Dir: cassette.Server, Kind: cassette.KindText, Data: b, Type: typ}
		s.faults.out(f)
		return
	}
	s.out = cassette.Frame{Dir: cassette.Server, Kind: cassette.KindText, Data: b, Type: typ}
	s.deliver(&s.out)
}

// deliver puts a server frame on the wire now.
func (s *session) deliver(f *cassette.Frame) {
	if s.closed {
		return
	}
	f.T = s.clock.Now().Sub(s.started)
	s.observe(f, nil, realtime.KindOf(s.dialect, f.Type))
	s.writing.Store(time.Now().UnixNano())
	err := s.t.send(f)
	s.writing.Store(0)
	if errors.Is(err, rtc.ErrMessageTooLarge) {
		s.tooLarge(f, err)
		return
	}
	if err != nil {
		s.lost()
		return
	}
	if s.faults != nil {
		s.faults.sent(f)
	}
}

// tooLarge records an event a WebRTC call's data channel could not take
// (rtc.ErrMessageTooLarge): it was not sent, and the session goes on.
func (s *session) tooLarge(f *cassette.Frame, err error) {
	s.note(cassette.Server, "not sent: "+f.Type+" is larger than the client's data channel takes")
	s.cfg.Logger.Warn("event not sent", "session", s.info.ID, "type", f.Type, "err", err)
}

// lost handles a write that failed: the client went away (or the
// watchdog cut it).
func (s *session) lost() {
	if s.closed {
		return
	}
	s.closed = true
	if s.tr.ClosedBy == "" {
		s.tr.ClosedBy, s.tr.CloseCode = cassette.Client, 0
	}
	s.q.clear()
}

func (s *session) sendError(e *realtime.Error, clientEventID string) {
	if clientEventID != "" {
		e = e.WithEventID(clientEventID)
	}
	s.tr.Errors++
	b := e.AppendEvent(s.h.frames.get(), string(s.ids.appendEventID(nil)))
	s.cfg.Logger.Debug("error event", "session", s.info.ID, "code", e.Code, "message", truncateForLog(e.Message))
	s.send("error", b)
}

// truncateForLog keeps attacker-sized values out of logs.
func truncateForLog(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// closeWith closes the connection with a close frame, as the server; code
// 1006 drops it without one.
func (s *session) closeWith(code int, reason string) {
	if s.closed {
		return
	}
	s.closed = true
	s.tr.ClosedBy, s.tr.CloseCode, s.tr.CloseReason = cassette.Server, code, reason
	f := cassette.Frame{T: s.clock.Now().Sub(s.started), Dir: cassette.Server, Kind: cassette.KindClose, Code: code, Reason: reason}
	if code == 1006 {
		f.Kind, f.Code = cassette.KindError, 0
	}
	s.observe(&f, nil, 0)
	s.q.clear()
	s.space.Broadcast()
	t := s.t
	if code == 1006 {
		s.after = append(s.after, t.abort)
		return
	}
	// The close handshake waits for the client's close frame: not on
	// whatever goroutine closed (a clock's timer, a test advancing a manual
	// clock), but on its own, which the session's reader waits for.
	s.closing.Add(1)
	s.after = append(s.after, func() {
		go func() {
			defer s.closing.Done()
			t.close(code, reason)
		}()
	})
}

// shutdown ends the session because the server is going away.
func (s *session) shutdown() {
	s.lock()
	s.closeWith(1001, "server shutting down")
	s.unlock()
}

// note records that a fault fired.
func (s *session) note(dir cassette.Direction, what string) {
	f := cassette.Frame{T: s.clock.Now().Sub(s.started), Dir: dir, Kind: cassette.KindFault, Reason: what}
	s.observe(&f, nil, 0)
}

// dropped records a server frame a fault swallowed.
func (s *session) dropped(f *cassette.Frame) {
	s.tr.Dropped++
	s.note(f.Dir, "drop "+f.Type)
}
