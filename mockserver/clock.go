package mockserver

import (
	"sort"
	"sync"
	"time"
)

// Clock is the time source of the server's pacing: every latency, audio
// cadence and timeout goes through it, so tests can control time instead of
// sleeping. The zero Options use the system clock.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the server uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer {
	return sysTimer{time.NewTimer(d)}
}

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time   { return t.t.C }
func (t sysTimer) Stop() bool            { return t.t.Stop() }
func (t sysTimer) Reset(d time.Duration) { t.t.Reset(d) }

// ManualClock is a Clock that only moves when told to. Timers fire when
// Advance passes their deadline. Tests use BlockUntil to wait until the
// server is waiting on a timer, then Advance.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*manualTimer
	changed chan struct{}
}

// NewManualClock returns a ManualClock set to start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock reaches Now()+d.
func (c *ManualClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{clock: c, ch: make(chan time.Time, 1)}
	t.armLocked(d)
	return t
}

// Advance moves the clock forward by d and fires every timer whose deadline
// has been reached, in deadline order.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*manualTimer
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.when.After(c.now) {
			due = append(due, t)
		} else {
			kept = append(kept, t)
		}
	}
	c.timers = kept
	sort.Slice(due, func(i, j int) bool { return due[i].when.Before(due[j].when) })
	now := c.now
	c.notifyLocked()
	c.mu.Unlock()
	for _, t := range due {
		select {
		case t.ch <- now:
		default:
		}
	}
}

// Waiters returns the number of armed timers.
func (c *ManualClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the deadline of the earliest armed timer and whether there is one.
func (c *ManualClock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	min := c.timers[0].when
	for _, t := range c.timers[1:] {
		if t.when.Before(min) {
			min = t.when
		}
	}
	return min, true
}

// BlockUntil waits until at least n timers are armed or done is closed.
func (c *ManualClock) BlockUntil(n int, done <-chan struct{}) bool {
	for {
		c.mu.Lock()
		if len(c.timers) >= n {
			c.mu.Unlock()
			return true
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

func (c *ManualClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type manualTimer struct {
	clock *ManualClock
	when  time.Time
	ch    chan time.Time
	armed bool
}

func (t *manualTimer) armLocked(d time.Duration) {
	t.when = t.clock.now.Add(d)
	if d <= 0 {
		select {
		case t.ch <- t.clock.now:
		default:
		}
		return
	}
	t.armed = true
	t.clock.timers = append(t.clock.timers, t)
	t.clock.notifyLocked()
}

func (t *manualTimer) C() <-chan time.Time { return t.ch }

func (t *manualTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			c.notifyLocked()
			return true
		}
	}
	return false
}

func (t *manualTimer) Reset(d time.Duration) {
	t.Stop()
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	t.armLocked(d)
}

// AwaitTimer waits until a timer is armed to fire at or before at, and
// reports whether one was (false when done closed first). Tests use it to
// know the server has scheduled what they are about to advance to.
func (c *ManualClock) AwaitTimer(at time.Time, done <-chan struct{}) bool {
	for {
		c.mu.Lock()
		for _, t := range c.timers {
			if !t.when.After(at) {
				c.mu.Unlock()
				return true
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}
