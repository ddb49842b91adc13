package mockserver

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/scenarios"
)

// What an operator (an admin API, a CLI, a test) may do to a running
// Handler besides serving: see its sessions, swap its scenario, disturb a
// live session, drain it.

// ErrNoSession is returned for a session that is not live.
var ErrNoSession = errors.New("no live session with that id")

// ErrDraining is returned by Drain when a drain is already under way.
var ErrDraining = errors.New("the handler is already draining")

// Scenario returns the scenario new sessions play (nil: the default reply).
func (h *Handler) Scenario() *scenarios.Scenario { return h.scn.Load() }

// SetScenario makes sessions that start from now on play sc (nil: the
// default reply). Live sessions go on with the scenario they started with.
// Replaying handlers ignore it.
func (h *Handler) SetScenario(sc *scenarios.Scenario) { h.scn.Store(sc) }

// Sessions returns what is known of the live sessions, in no order.
func (h *Handler) Sessions() []SessionInfo {
	h.mu.Lock()
	live := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		live = append(live, s)
	}
	h.mu.Unlock()
	out := make([]SessionInfo, 0, len(live))
	for _, s := range live {
		s.lock()
		out = append(out, s.info)
		s.unlock()
	}
	return out
}

// session returns the live session named id: its sess_… id, or its number.
func (h *Handler) session(id string) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sessions {
		if s.info.ID == id || formatN(s.info.N) == id {
			return s
		}
	}
	return nil
}

func formatN(n int64) string { return strconv.FormatInt(n, 10) }

// InjectFault disturbs the live session id (its sess_… id or its number)
// with f from now on: a fault's At counts from the injection, so
// "disconnect" drops the session at once and "latency:delay=80ms" delays
// every frame from now.
func (h *Handler) InjectFault(id string, f faults.Fault) error {
	return h.withLive(id, func(s *session) {
		f.At += s.clock.Now().Sub(s.started)
		s.faults = s.faults.with(s, f)
		s.note(cassette.Server, "injected "+f.String())
		s.rearm()
	})
}

// CloseSession closes the live session id (its sess_… id or its number)
// with a close frame of code and reason, as the service ends a call: 1000
// when the call is over, 1011 for an internal error. The session's close
// handshake then runs as for any server close.
func (h *Handler) CloseSession(id string, code int, reason string) error {
	return h.withLive(id, func(s *session) { s.closeWith(code, reason) })
}

// withLive runs fn with the live session id locked; ErrNoSession when
// there is none, or it has closed.
func (h *Handler) withLive(id string, fn func(*session)) error {
	s := h.session(id)
	if s == nil {
		return ErrNoSession
	}
	s.lock()
	defer s.unlock()
	if s.closed {
		return ErrNoSession
	}
	fn(s)
	return nil
}

// Drain stops taking sessions (new ones get 503, /readyz says so), waits
// for the live ones to end on their own until ctx is done, then closes
// those left with 1001 (going away), as Close does.
func (h *Handler) Drain(ctx context.Context) error {
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		return ErrDraining
	}
	h.draining = true
	h.mu.Unlock()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for h.live.Load() > 0 {
		select {
		case <-ctx.Done():
			h.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
	h.Close()
	return nil
}
