package clock

import (
	"slices"
	"sync"
	"time"
)

// Manual is a Clock that only moves when told to. Advance runs every
// call that falls due, in time order, before it returns, with the clock set
// to each call's time while it runs. Tests wait with AwaitTimer until the
// server has scheduled what they are about to advance to.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*manualTimer
	seq     uint64
	changed chan struct{}
	advance sync.Mutex // one Advance at a time
}

// NewManual returns a Manual clock set to start.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges for f to be called once the clock reaches Now()+d.
func (c *Manual) AfterFunc(d time.Duration, f func()) Timer {
	t := &manualTimer{clock: c, f: f}
	c.mu.Lock()
	t.armLocked(d)
	c.mu.Unlock()
	return t
}

// Advance moves the clock forward by d, calling every function that falls
// due on the way, in time order (and in the order they were armed for the
// same time). Functions armed by those calls run too when they fall due
// within d.
func (c *Manual) Advance(d time.Duration) {
	c.advance.Lock()
	defer c.advance.Unlock()
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.popDueLocked(target)
		if t == nil {
			c.now = target
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.notifyLocked()
		c.mu.Unlock()
		t.f()
	}
}

// popDueLocked removes and returns the earliest timer due by target.
func (c *Manual) popDueLocked(target time.Time) *manualTimer {
	best := -1
	for i, t := range c.timers {
		if t.when.After(target) {
			continue
		}
		if best < 0 || t.when.Before(c.timers[best].when) || (t.when.Equal(c.timers[best].when) && t.seq < c.timers[best].seq) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	t := c.timers[best]
	c.timers = slices.Delete(c.timers, best, best+1)
	t.armed = false
	return t
}

// Waiters returns the number of pending calls.
func (c *Manual) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next returns the time of the earliest pending call and whether there is one.
func (c *Manual) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	first := c.timers[0].when
	for _, t := range c.timers[1:] {
		if t.when.Before(first) {
			first = t.when
		}
	}
	return first, true
}

// BlockUntil waits until at least n calls are pending or done is closed,
// and reports whether the first happened.
func (c *Manual) BlockUntil(n int, done <-chan struct{}) bool {
	return c.wait(func() bool { return len(c.timers) >= n }, done)
}

// AwaitTimer waits until a call is pending at or before at, and reports
// whether one was (false when done closed first). Tests use it to know the
// server has scheduled what they are about to advance to.
func (c *Manual) AwaitTimer(at time.Time, done <-chan struct{}) bool {
	return c.wait(func() bool {
		for _, t := range c.timers {
			if !t.when.After(at) {
				return true
			}
		}
		return false
	}, done)
}

func (c *Manual) wait(cond func() bool, done <-chan struct{}) bool {
	for {
		c.mu.Lock()
		if cond() {
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

func (c *Manual) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

type manualTimer struct {
	clock *Manual
	f     func()
	when  time.Time
	seq   uint64
	armed bool
}

func (t *manualTimer) armLocked(d time.Duration) {
	c := t.clock
	c.seq++
	t.when, t.seq, t.armed = c.now.Add(max(d, 0)), c.seq, true
	c.timers = append(c.timers, t)
	c.notifyLocked()
}

func (t *manualTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.stopLocked()
}

func (t *manualTimer) stopLocked() bool {
	if !t.armed {
		return false
	}
	c := t.clock
	if i := slices.Index(c.timers, t); i >= 0 {
		c.timers = slices.Delete(c.timers, i, i+1)
	}
	t.armed = false
	c.notifyLocked()
	return true
}

func (t *manualTimer) Reset(d time.Duration) bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	was := t.stopLocked()
	t.armLocked(d)
	return was
}
