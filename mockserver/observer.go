package mockserver

import (
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// SessionInfo describes a session to those who watch it. It does not
// change after SessionStarted, except ID, which is set when the session
// announces itself (before its first frame).
type SessionInfo struct {
	N            int64            // 1 for the first session of a Handler, 2 for the next…
	ID           string           // the session's id (sess_…), as session.created reports it
	Provider     Provider         // the service the URL imitates
	Dialect      realtime.Dialect // the wire shape the session speaks
	Transport    string           // "websocket" or "webrtc"
	Path         string           // the URL path the client connected to
	Query        map[string]string
	Header       map[string]string // non-secret handshake headers (OpenAI-Beta, User-Agent, …)
	Subprotocols []string          // the subprotocols the client offered, keys left out
	Scenario     string            // the scenario the session plays, "" for none
	Started      time.Time         // the upgrade, on the server's clock
}

// Observed is one frame of a session as an Observer sees it.
type Observed struct {
	// Frame is the frame with its time since the upgrade and its
	// direction. Its Data is only valid during the call: copy what you keep.
	// Faults show as frames too: KindDropped for a frame a fault swallowed,
	// KindFault for a fault that fired (Reason says which).
	Frame cassette.Frame
	// Client is the client event decoded, for client text frames that are
	// JSON objects; nil otherwise. Only valid during the call.
	Client *realtime.ClientEvent
	// Kind is the server event's kind, for server text frames.
	Kind realtime.Kind
}

// Observer watches sessions. Its methods are called from the session's
// own goroutines, with the session's lock held, in the order things
// happen: they must be quick, and must not call back into the server.
// Different sessions call it concurrently.
type Observer interface {
	SessionStarted(s *SessionInfo)
	Frame(s *SessionInfo, o *Observed)
	SessionEnded(s *SessionInfo, t *Transcript)
}

// ObserverFuncs is an Observer made of functions; nil ones are skipped.
type ObserverFuncs struct {
	Started func(s *SessionInfo)
	OnFrame func(s *SessionInfo, o *Observed)
	Ended   func(s *SessionInfo, t *Transcript)
}

// SessionStarted calls Started.
func (f ObserverFuncs) SessionStarted(s *SessionInfo) {
	if f.Started != nil {
		f.Started(s)
	}
}

// Frame calls OnFrame.
func (f ObserverFuncs) Frame(s *SessionInfo, o *Observed) {
	if f.OnFrame != nil {
		f.OnFrame(s, o)
	}
}

// SessionEnded calls Ended.
func (f ObserverFuncs) SessionEnded(s *SessionInfo, t *Transcript) {
	if f.Ended != nil {
		f.Ended(s, t)
	}
}

// Observers is one Observer made of several, called in order.
func Observers(obs ...Observer) Observer { return observers(obs) }

type observers []Observer

func (o observers) SessionStarted(s *SessionInfo) {
	for _, x := range o {
		x.SessionStarted(s)
	}
}

func (o observers) Frame(s *SessionInfo, f *Observed) {
	for _, x := range o {
		x.Frame(s, f)
	}
}

func (o observers) SessionEnded(s *SessionInfo, t *Transcript) {
	for _, x := range o {
		x.SessionEnded(s, t)
	}
}
