package rtc

import (
	"time"

	"github.com/rtmock/rtmock/clock"
)

// Clock is the time source of a call's pacing and of key expiry; nil in
// Options means the system clock. ClockOf makes one of a clock.Clock (the
// mock's session clock, or a clock.Manual in tests).
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

// ClockOf is c as a Clock: its timers are c's AfterFunc calls that send on
// a channel.
func ClockOf(c clock.Clock) Clock { return afClock{c} }

type afClock struct{ c clock.Clock }

func (c afClock) Now() time.Time { return c.c.Now() }

func (c afClock) NewTimer(d time.Duration) Timer {
	t := &chanTimer{ch: make(chan time.Time, 1), clk: c.c}
	t.t = c.c.AfterFunc(d, t.fire)
	return t
}

// chanTimer is a channel timer on a clock.Clock's AfterFunc.
type chanTimer struct {
	ch  chan time.Time
	clk clock.Clock
	t   clock.Timer
}

func (t *chanTimer) fire() {
	select {
	case t.ch <- t.clk.Now():
	default:
	}
}

func (t *chanTimer) C() <-chan time.Time   { return t.ch }
func (t *chanTimer) Stop() bool            { return t.t.Stop() }
func (t *chanTimer) Reset(d time.Duration) { t.t.Reset(d) }
