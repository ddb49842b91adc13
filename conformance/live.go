package conformance

import (
	"sync"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
)

// The runner watches every session of a run as it happens, to hang up
// when the conversation is over rather than after a fixed time. It
// subscribes to the mock's observer: every frame of every session, typed
// and timed, without touching the socket.

// liveRun is what the runner knows, live, about the sessions of one run.
// It is the run's mockserver.Observer.
type liveRun struct {
	mu      sync.Mutex
	conns   []*liveConn
	byInfo  map[*mockserver.SessionInfo]*liveConn
	parser  realtime.Parser
	changed chan struct{} // a token whenever something happened
}

// liveConn is one session of the run.
type liveConn struct {
	started      time.Time
	header       map[string]string
	subprotocols []string
	sessionID    string

	ended    bool
	endedAt  time.Time
	closedBy cassette.Direction // who sent the first close frame; "" when none
	close    Close              // that close frame; At is not set
	closedAt time.Time

	lastFrame time.Time
	active    map[string]bool // responses in progress
	done      int             // responses finished
	userTurn  bool            // speech_started without its commit yet
	outFormat audio.Format

	playItem   string
	playStart  time.Time
	playMs     float64
	stopped    bool
	rtcPlaying bool // a WebRTC call: between output_audio_buffer.started and .stopped or .cleared
	bargeIns   int
}

func newLiveRun() *liveRun {
	return &liveRun{changed: make(chan struct{}, 1), byInfo: map[*mockserver.SessionInfo]*liveConn{}}
}

func (r *liveRun) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// SessionStarted registers a session.
func (r *liveRun) SessionStarted(s *mockserver.SessionInfo) {
	c := &liveConn{started: time.Now(), header: s.Header, subprotocols: s.Subprotocols, active: map[string]bool{}}
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.byInfo[s] = c
	r.mu.Unlock()
	r.notify()
}

// SessionEnded marks a session over.
func (r *liveRun) SessionEnded(s *mockserver.SessionInfo, _ *mockserver.Transcript) {
	r.mu.Lock()
	if c := r.byInfo[s]; c != nil {
		c.ended, c.endedAt, c.sessionID = true, time.Now(), s.ID
	}
	r.mu.Unlock()
	r.notify()
}

// connInfo is what the observer saw of one session.
type connInfo struct {
	header       map[string]string
	subprotocols []string
	close        Close // the first close frame; By is "" when there was none
	closedAt     time.Time
}

// info returns what the observer saw of session id.
func (r *liveRun) info(id string) (connInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		if c.sessionID == id {
			return connInfo{c.header, c.subprotocols, c.close, c.closedAt}, true
		}
	}
	return connInfo{}, false
}

// open reports whether a session is still open.
func (r *liveRun) open() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		if !c.ended {
			return true
		}
	}
	return false
}

// Frame records one frame of a session.
func (r *liveRun) Frame(s *mockserver.SessionInfo, o *mockserver.Observed) {
	now := time.Now()
	defer r.notify()
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.byInfo[s]
	if c == nil {
		return
	}
	if c.sessionID == "" {
		c.sessionID = s.ID
	}
	f := &o.Frame
	if f.Kind == cassette.KindAudio {
		// A WebRTC call's RTP packets: a browser's open microphone streams
		// without end, so they are no sign of life for the quiet rule (the
		// service's audio keeps the call up through its playout buffer).
		return
	}
	c.lastFrame = now
	switch {
	case f.Kind == cassette.KindClose || f.Kind == cassette.KindError:
		if c.closedBy == "" {
			c.closedBy, c.closedAt = f.Dir, now
			c.close = Close{By: f.Dir, Code: f.Code, Reason: f.Reason}
			if f.Kind == cassette.KindError {
				c.close.Code = 1006
			}
		}
	case f.Kind == cassette.KindText && f.Dir == cassette.Server:
		r.serverEvent(c, o.Kind, f.Data, now)
	}
}

// serverEvent follows responses, user turns and playback.
func (r *liveRun) serverEvent(c *liveConn, k realtime.Kind, data []byte, now time.Time) {
	switch k {
	case realtime.KindSessionCreated, realtime.KindSessionUpdated, realtime.KindResponseCreated, realtime.KindResponseDone,
		realtime.KindAudioDelta:
	case realtime.KindSpeechStarted:
		c.userTurn = true
		if c.playingAt(now) {
			c.bargeIns++
		}
		c.stopped = true
		return
	case realtime.KindInputCommitted:
		c.userTurn = false
		return
	case realtime.KindOutputAudioBufferStarted:
		c.rtcPlaying = true // a WebRTC call's audio goes out as RTP, not deltas
		return
	case realtime.KindOutputAudioBufferStopped, realtime.KindOutputAudioBufferCleared:
		c.rtcPlaying = false
		return
	default:
		return
	}
	v, err := r.parser.Parse(data)
	if err != nil {
		return
	}
	switch k {
	case realtime.KindSessionCreated, realtime.KindSessionUpdated:
		c.outFormat = realtime.ReadSession(guessDialectOf(v), v.Get("session")).OutputFormat
	case realtime.KindResponseCreated:
		id, _ := v.Path("response", "id").Str()
		c.active[id] = true
	case realtime.KindResponseDone:
		id, _ := v.Path("response", "id").Str()
		delete(c.active, id)
		c.done++
	case realtime.KindAudioDelta:
		item, _ := v.Get("item_id").Str()
		b64, _ := v.Get("delta").RawString()
		if item != c.playItem {
			c.playItem, c.playStart, c.playMs, c.stopped = item, now, 0, false
		}
		n, _ := base64Size(b64)
		c.playMs += float64(n) / float64(c.outFormat.BytesPerMs())
	}
}

// guessDialectOf tells a session object's dialect by its shape.
func guessDialectOf(ev realtime.Value) realtime.Dialect {
	if ev.Path("session", "audio").Exists() {
		return realtime.GA
	}
	return realtime.Preview
}

// playingAt reports whether the client is still playing assistant audio at
// t under the playback model: real time from the item's first delta, or,
// on a WebRTC call, while the service's playout buffer sends it.
func (c *liveConn) playingAt(t time.Time) bool {
	return c.rtcPlaying || c.playItem != "" && !c.stopped && t.Before(c.playEnd())
}

func (c *liveConn) playEnd() time.Time {
	return c.playStart.Add(time.Duration(c.playMs * float64(time.Millisecond)))
}

// hangUpPolicy says when a run's call is over.
type hangUpPolicy struct {
	quiet       time.Duration // no frame for this long, after a response finished
	quietLong   time.Duration // … or for this long when none has yet
	grace       time.Duration // after a session ended, time to reconnect
	interrupts  int           // barge-ins the scenario scripts
	expires     bool          // the scenario expires its sessions: wait for that
	expireAfter time.Duration
	cap         time.Duration // hang up this long after the first connect anyway; 0 = no cap
}

// decide tells whether to hang up now, and otherwise when to look again
// (zero: at the next change). slack is how late the process's timers run
// lately: on a busy machine frames are read late and a quiet spell may be
// a stall, so every wait is stretched by twice as much.
func (r *liveRun) decide(now time.Time, p hangUpPolicy, slack time.Duration) (bool, time.Time) {
	p.quiet += 2 * slack
	p.quietLong += 2 * slack
	p.grace += 2 * slack
	r.mu.Lock()
	defer r.mu.Unlock()
	var conns []*liveConn
	done, serverClosed, barges := 0, false, 0
	for _, c := range r.conns {
		conns = append(conns, c)
		done += c.done
		barges += c.bargeIns
		if c.closedBy == cassette.Server {
			serverClosed = true
		}
	}
	if len(conns) == 0 {
		return false, time.Time{}
	}
	var wake time.Time
	at := func(t time.Time) (bool, time.Time) {
		if !now.Before(t) {
			return true, time.Time{}
		}
		if wake.IsZero() || t.Before(wake) {
			return false, t
		}
		return false, wake
	}
	if p.cap > 0 {
		hang, w := at(conns[0].started.Add(p.cap))
		if hang {
			return true, time.Time{}
		}
		wake = w
	}
	c := conns[len(conns)-1]
	if c.ended {
		return at(c.endedAt.Add(p.grace))
	}
	switch {
	case len(c.active) > 0, c.userTurn:
		return false, wake
	case barges < p.interrupts && c.playingAt(now):
		_, w := at(c.playEnd())
		return false, w
	case p.expires && !serverClosed:
		_, w := at(conns[0].started.Add(p.expireAfter + p.grace))
		return false, w
	}
	quiet := p.quiet
	if done == 0 && !serverClosed {
		quiet = p.quietLong
	}
	last := c.lastFrame
	if last.IsZero() {
		last = c.started
	}
	return at(last.Add(quiet))
}
