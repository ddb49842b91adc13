package conformance

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
)

// Close is how a session ended.
type Close struct {
	By     cassette.Direction // who closed first; "" when the record has no end
	Code   int                // the close code; 1005 for a close frame without one, 1006 when the connection dropped without a close frame
	Reason string             // the close reason
	At     time.Duration      // since the upgrade
}

// Session is the record of one realtime session: every frame both ways
// with its time, as rules judge it. It comes from a run of the suite
// (the runner fills Run), from a cassette ([LoadSession]) or from a
// mockserver.Transcript ([FromTranscript]).
type Session struct {
	ID           string           // the service's session id (sess_…), when known
	Scenario     string           // the scenario the session played, when known
	Dialect      realtime.Dialect // the wire shape the session spoke
	Provider     string           // "azure" or "openai", when known
	Path         string           // the URL path the client connected to
	Transport    string           // "webrtc" for a WebRTC call; "" for a WebSocket session
	Query        map[string]string
	Header       map[string]string // non-secret handshake headers (OpenAI-Beta, User-Agent, …)
	Subprotocols []string          // the subprotocols the client offered, keys left out
	// Frames are the session's frames in order (cassette.Frame, the one
	// frame type of the project): text and binary frames, and what a
	// record marks besides them (dropped frames, injected faults, the close).
	Frames []cassette.Frame
	Close  Close

	// Run is what the runner knew about the client around this session;
	// nil for recorded sessions. Rules that need it are n/a without it.
	Run *RunFacts

	// Limits are the tolerances of the timing rules; zero fields take
	// DefaultLimits.
	Limits Limits

	viewOnce sync.Once
	view     *view
}

// RunFacts is what the runner observed outside the session's frames. Times
// are relative to the session's upgrade, like frame times.
type RunFacts struct {
	// Want is the dialect the client was asked to speak (RTMOCK_DIALECT).
	Want realtime.Dialect
	// Input is the user speech the client was given to stream, nil when
	// it was given text.
	Input *Input
	// HungUp is set when the runner hung up (closed the client's stdin, or
	// cancelled the Go client's context) at HungUpAt.
	HungUp   bool
	HungUpAt time.Duration
	// Ended is set when the client process or function returned at EndedAt.
	Ended   bool
	EndedAt time.Duration
	// Next is set when the client opened another session at NextAt.
	Next   bool
	NextAt time.Duration
	// CallEnded is set when the runner ended the call by closing the
	// session with 1000 after the hang-up's grace period.
	CallEnded bool
	// TornDown is set when the session was still open when the runner shut
	// the server down, which closes it with 1001 on the server's side.
	TornDown bool
	// Jitter is how late the runner's own timers fired during the run: a
	// machine busy with other work delays every goroutine of the process,
	// the mock's time-stamping of frames included. Timing rules whose
	// limit is not well above it are n/a.
	Jitter time.Duration
}

// timingUnreliable reports whether a session's recorded times are too
// skewed by a busy machine to judge against limit, and says so.
func timingUnreliable(s *Session, limit time.Duration) (Result, bool) {
	if s.Run == nil || s.Run.Jitter <= limit/2 {
		return Result{}, false
	}
	return Result{Status: NA, Unreliable: true, Why: fmt.Sprintf("the runner's own timers fired up to %s late during this run (a busy machine), so recorded times are off by as much: too much for a %s limit", fmtMs(ms(s.Run.Jitter)), fmtMs(ms(limit)))}, true
}

// Input describes the user speech the runner gave the client.
type Input struct {
	Path     string        // the WAV file (24 kHz mono PCM16)
	Format   audio.Format  // the format the client was told to send it in
	Duration time.Duration // how long the file plays
	Speech   time.Duration // how long its longest stretch of speech lasts
}

// Limits are the tolerances of the timing rules.
type Limits struct {
	// Tolerance is how far past the played audio a truncate's
	// audio_end_ms may reach. Default 150ms.
	Tolerance time.Duration
	// Reaction is how soon after speech_started the client must truncate
	// the playing item. Default 500ms.
	Reaction time.Duration
	// Grace is how soon after the server closed a session the client must
	// reconnect or end, and how soon after an error a client's own close
	// counts as giving up because of it. Default 2s.
	Grace time.Duration
	// Lead is how far a live audio stream may run ahead of, or fall behind,
	// real time. Default 500ms.
	Lead time.Duration
}

// DefaultLimits are the tolerances used where Limits leave a field zero.
var DefaultLimits = Limits{
	Tolerance: 150 * time.Millisecond,
	Reaction:  500 * time.Millisecond,
	Grace:     2 * time.Second,
	Lead:      500 * time.Millisecond,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Tolerance > 0 {
		d.Tolerance = l.Tolerance
	}
	if l.Reaction > 0 {
		d.Reaction = l.Reaction
	}
	if l.Grace > 0 {
		d.Grace = l.Grace
	}
	if l.Lead > 0 {
		d.Lead = l.Lead
	}
	return d
}

// limits returns the session's limits with defaults applied.
func (s *Session) limits() Limits { return s.Limits.withDefaults() }

// End is when the session's record ends: its close, or its last frame.
func (s *Session) End() time.Duration {
	end := s.Close.At
	if n := len(s.Frames); n > 0 {
		end = max(end, s.Frames[n-1].T)
	}
	return end
}

// FromTranscript converts a mock server transcript (kept with
// mockserver.Options.KeepTranscripts) into a Session.
func FromTranscript(tr *mockserver.Transcript) *Session {
	s := &Session{
		ID:       tr.SessionID,
		Dialect:  tr.Dialect,
		Provider: string(tr.Provider),
		Path:     tr.Path,
		Query:    tr.Query,
		Frames:   tr.Frames,
	}
	if tr.Transport == "webrtc" {
		s.Transport = "webrtc"
	}
	if tr.ClosedBy != "" {
		code := tr.CloseCode
		if code <= 0 {
			code = 1006 // the connection ended without a close frame
		}
		s.Close = Close{By: tr.ClosedBy, Code: code, Reason: tr.CloseReason, At: tr.Ended.Sub(tr.Started)}
	}
	return s
}

// guessDialect tells the dialect of a session from its server events when
// the record does not say: GA-only or preview-only event names settle it.
func guessDialect(frames []cassette.Frame) realtime.Dialect {
	for _, f := range frames {
		if f.Dir != cassette.Server || f.Type == "" {
			continue
		}
		inPreview := realtime.KindOf(realtime.Preview, f.Type) != realtime.KindUnknown
		inGA := realtime.KindOf(realtime.GA, f.Type) != realtime.KindUnknown
		switch {
		case inGA && !inPreview:
			return realtime.GA
		case inPreview && !inGA:
			return realtime.Preview
		}
		if f.Type == "session.created" && strings.Contains(string(f.Data), `"output_modalities"`) {
			return realtime.GA
		}
	}
	return ""
}
