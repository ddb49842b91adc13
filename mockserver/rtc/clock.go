package rtc

import "time"

// Clock is the time source of a call's pacing and of key expiry. It has the
// shape of mockserver.Clock, so the mock's clocks (and its ManualClock in
// tests) fit through a three-line adapter; nil in Options means the system
// clock.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer a Clock's timers must have.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration)
}

type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time   { return t.t.C }
func (t sysTimer) Stop() bool            { return t.t.Stop() }
func (t sysTimer) Reset(d time.Duration) { t.t.Reset(d) }
