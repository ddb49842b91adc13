package clock_test

import (
	"slices"
	"testing"
	"time"

	"github.com/rtmock/rtmock/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestAdvanceRunsCallsInTimeOrderAtTheirTimes: every call due within the
// advance runs before it returns, in time order (arming order for equal
// times), with the clock at the call's time; calls armed by calls run too
// when they fall due within the advance.
func TestAdvanceRunsCallsInTimeOrderAtTheirTimes(t *testing.T) {
	c := clock.NewManual(t0)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(t0).String()) }
	}
	c.AfterFunc(300*time.Millisecond, at("c"))
	c.AfterFunc(100*time.Millisecond, at("a"))
	c.AfterFunc(100*time.Millisecond, at("b"))
	c.AfterFunc(time.Second, at("late"))
	c.AfterFunc(200*time.Millisecond, func() {
		at("d")()
		c.AfterFunc(50*time.Millisecond, at("chained"))
	})
	c.Advance(500 * time.Millisecond)
	want := []string{"a@100ms", "b@100ms", "d@200ms", "chained@250ms", "c@300ms"}
	if !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if now := c.Now().Sub(t0); now != 500*time.Millisecond {
		t.Errorf("now %v after the advance, want 500ms", now)
	}
	if next, ok := c.Next(); !ok || next.Sub(t0) != time.Second {
		t.Errorf("next %v %v, want the late call at 1s", next.Sub(t0), ok)
	}
}

func TestStopAndReset(t *testing.T) {
	c := clock.NewManual(t0)
	n := 0
	tm := c.AfterFunc(time.Second, func() { n++ })
	if !tm.Stop() || tm.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	c.Advance(2 * time.Second)
	if n != 0 {
		t.Fatalf("a stopped call ran")
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a stopped timer reported it was pending")
	}
	c.Advance(time.Second)
	if n != 1 {
		t.Fatalf("a reset call ran %d times, want 1", n)
	}
	tm.Reset(0) // again, at once: due at the next advance, even of 0
	c.Advance(0)
	if n != 2 || c.Waiters() != 0 {
		t.Fatalf("ran %d times with %d waiters, want 2 and 0", n, c.Waiters())
	}
}

func TestAwaitTimerSeesCallsArmedByOtherGoroutines(t *testing.T) {
	c := clock.NewManual(t0)
	done := make(chan struct{})
	armed := make(chan bool, 1)
	go func() { armed <- c.AwaitTimer(t0.Add(time.Second), done) }()
	c.AfterFunc(2*time.Second, func() {}) // too late to count
	c.AfterFunc(time.Second, func() {})
	if !<-armed {
		t.Fatal("AwaitTimer did not see the call armed for 1s")
	}
	go func() { armed <- c.AwaitTimer(t0.Add(time.Millisecond), done) }()
	close(done)
	if <-armed {
		t.Fatal("AwaitTimer reported a call that is not due by then")
	}
}
