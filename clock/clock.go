// Package clock is the time source of everything rtmock paces: the mock's
// sessions, the WebRTC transport's audio, the conformance runner. System
// is the wall clock; Manual only moves when a test tells it to, so tests
// control time instead of sleeping.
//
// A Clock calls functions when time comes (AfterFunc) rather than
// signalling channels: a session needs no goroutine of its own to wait on
// a timer. Manual.Advance runs every call that falls due, in time order,
// with the clock set to each call's time, before it returns; what those
// calls do (a server writing to a client, say) happens before Advance
// returns too, so a test's client must read concurrently when much falls
// due at once.
//
// The package imports only the standard library.
package clock

import "time"

// Clock is a time source.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine (System) or from
	// Manual.Advance once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call of Clock.AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened yet, and reports
	// whether it did so.
	Stop() bool
	// Reset makes the call happen d from now instead (again, if it
	// already happened).
	Reset(d time.Duration) bool
}

// System is the wall clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
