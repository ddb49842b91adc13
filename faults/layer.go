package faults

import (
	"math/rand/v2"
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// Env is what a fault's layer may do to its session. The session calls
// layers with its lock held and provides Env under the same lock, so
// layers need no locking of their own.
type Env interface {
	// Now is the session's clock; Started is when the session began.
	Now() time.Time
	Started() time.Time
	// At runs fn at t on the session's clock (under the session's lock).
	At(t time.Time, fn func())
	// Rand is the session's fault randomness: seeded, separate from ids.
	Rand() *rand.Rand
	// Disconnect closes the connection with code and reason; 1006 drops
	// it without a close frame.
	Disconnect(code int, reason string)
	// InjectError sends an error event now.
	InjectError(errType, code, message string)
	// Expire ends the session as its maximum duration would.
	Expire(after time.Duration)
	// Note records that the fault fired, for transcripts and viewers.
	Note(dir Direction, what string)
	// Dropped records a frame the fault swallowed.
	Dropped(f *cassette.Frame)
	// Media is the call's media plane on a WebRTC session, nil on others.
	Media() Media
}

// Media is what faults may do to a WebRTC call beyond its events.
type Media interface {
	// SetPacketFault decides the fate of each outgoing audio packet from
	// now on: lost, or held back for delay. It is called from the call's
	// pacing, not under the session's lock.
	SetPacketFault(decide func(seq uint16) (drop bool, delay time.Duration))
	// CloseDataChannel fails the data channel; the call ends.
	CloseDataChannel()
}

// Next passes a frame on to the next layer (towards the client for server
// frames, towards the session for client frames).
type Next func(f *cassette.Frame)

// Layer is a fault bound to one session.
type Layer interface {
	// Out sees a server frame on its way to the client.
	Out(f *cassette.Frame, next Next)
	// In sees a client frame on its way to the session.
	In(f *cassette.Frame, next Next)
	// Sent is told of a server frame that went out on the wire.
	Sent(f *cassette.Frame)
}

// pass is a Layer that changes nothing; kinds embed it and override what
// they act on.
type pass struct{}

func (pass) Out(f *cassette.Frame, next Next) { next(f) }
func (pass) In(f *cassette.Frame, next Next)  { next(f) }
func (pass) Sent(*cassette.Frame)             {}

// binders is the table of kinds that act inside a session. Handshake
// faults act before there is one (see [Fault.RefusesUpgrade]).
var binders = map[Kind]func(Fault, Env) Layer{
	Latency:    bindLatency,
	Stall:      bindStall,
	Disconnect: bindDisconnect,
	Drop:       bindDrop,
	Duplicate:  bindDuplicate,
	Reorder:    bindReorder,
	Error:      bindError,
	Expire:     bindExpire,
	RateLimits: bindRateLimits,

	RTP:              bindRTP,
	DataChannelClose: bindDataChannelClose,
}

// Bind makes the fault's layer for one session, or nil when the fault does
// not act inside sessions.
func (f Fault) Bind(env Env) Layer {
	if b := binders[f.Kind]; b != nil {
		return b(f, env)
	}
	return nil
}

// hit draws whether a fault with probability p applies this time.
func hit(env Env, p float64) bool {
	return p <= 0 || p >= 1 || env.Rand().Float64() < p
}

// hold copies a frame that a layer keeps past the call: the session reuses
// its buffer for the next frame.
func hold(f *cassette.Frame) *cassette.Frame {
	c := *f
	c.Data = append([]byte(nil), f.Data...)
	return &c
}

// fifo is the order of one direction's stream through a layer that holds
// frames: a frame that could pass now still waits while an earlier one is
// held, as on one TCP stream. A held frame's release at t may run after
// other work at t, so "t is not after now" alone would let a later frame
// overtake it.
type fifo struct {
	last time.Time // when the last held frame is released
	held int       // frames held and not yet released
}

// release passes f on at t, or later if an earlier frame is still held.
func (q *fifo) release(env Env, f *cassette.Frame, t time.Time, next Next) {
	if t.Before(q.last) {
		t = q.last
	}
	if q.held == 0 && !t.After(env.Now()) {
		next(f)
		return
	}
	q.last = t
	q.held++
	h := hold(f)
	env.At(t, func() {
		q.held--
		next(h)
	})
}

// RefusesUpgrade reports whether a handshake fault refuses this upgrade,
// drawing on rng, and with which HTTP status.
func (f Fault) RefusesUpgrade(rng *rand.Rand) (int, bool) {
	if f.Kind != Handshake {
		return 0, false
	}
	if f.Probability <= 0 || f.Probability >= 1 || rng.Float64() < f.Probability {
		return f.Code, true
	}
	return 0, false
}

// trigger is a fault that fires once: at the fault's At, or after the Nth
// server event of type On has gone out.
type trigger struct {
	pass
	on    string
	nth   int
	count int
	fire  func()
}

func newTrigger(f Fault, env Env, fire func()) *trigger {
	t := &trigger{on: f.On, nth: f.Nth, fire: fire}
	if f.On == "" {
		env.At(env.Started().Add(f.At), fire)
	}
	return t
}

func (t *trigger) Sent(f *cassette.Frame) {
	if t.on == "" || f.Type != t.on {
		return
	}
	if t.count++; t.count == t.nth {
		t.fire()
	}
}
