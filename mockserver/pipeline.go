package mockserver

import (
	"runtime"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// pipeline holds client events in arrival order until their time comes.
// The service answers events in the order they were sent, each some time
// after it arrived, like a FIFO pipeline (§4(i)): an event is processed at
// its arrival plus its latency, but never before the event sent before it.
// So the replies to an event never overtake the replies to earlier ones: a
// response.cancel sent right after response.create is answered after the
// response.created it cancels.
type pipeline struct {
	queue  []queued
	cursor time.Time // when the last event was (or will be) processed
	bytes  int       // bytes of the queued events
}

type queued struct {
	ev   realtime.ClientEvent
	verr *realtime.Error
}

// push takes an event that arrived at now: it is processed at once when
// nothing is queued and it is due, otherwise queued for its time.
func (p *pipeline) push(s *session, ev *realtime.ClientEvent, verr *realtime.Error, now time.Time) {
	due := now.Add(s.m.latency(ev))
	if due.Before(p.cursor) {
		due = p.cursor
	}
	p.cursor = due
	if len(p.queue) == 0 && !due.After(now) {
		s.m.handle(ev, verr)
		return
	}
	ev.Detach()
	p.queue = append(p.queue, queued{ev: *ev, verr: verr})
	p.bytes += len(ev.Raw)
	s.at(due, nil, func() { p.pop(s) })
}

// pop processes the first queued event.
func (p *pipeline) pop(s *session) {
	if len(p.queue) == 0 {
		return
	}
	q := p.queue[0]
	p.queue[0] = queued{}
	p.queue = p.queue[1:]
	p.bytes -= len(q.ev.Raw)
	if len(p.queue) == 0 {
		p.queue = nil
	}
	s.space.Broadcast()
	s.m.handle(&q.ev, q.verr)
}

// yield gives a goroutine that waits for the session lock its turn.
func yield() { runtime.Gosched() }
