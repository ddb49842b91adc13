package mockserver

import (
	"container/heap"
	"github.com/rtmock/rtmock/clock"
	"time"
)

// lifetime ends the steps tied to it: steps of a response are dropped when
// the response finishes.
type lifetime struct{ over bool }

// step is something a session does at a time: send the next events of a
// response, fire a simulated barge-in, process a queued client event,
// expire.
type step struct {
	at   time.Time
	seq  uint64
	life *lifetime // nil: lives as long as the session
	fn   func()
}

type stepHeap []*step

func (q stepHeap) Len() int { return len(q) }
func (q stepHeap) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q stepHeap) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *stepHeap) Push(x any)   { *q = append(*q, x.(*step)) }
func (q *stepHeap) Pop() any {
	old := *q
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return s
}

// sched is a session's time-ordered queue of steps, driven by one timer on
// the session's clock. It has no goroutine: the timer's call takes the
// session lock and runs what is due. All methods are called with the
// session lock held.
type sched struct {
	clock   clock.Clock
	steps   stepHeap
	seq     uint64
	timer   clock.Timer
	armedAt time.Time // when timer is set to fire; zero when stopped
	fire    func()    // the timer's call
}

// at schedules fn at t, tied to life when not nil.
func (q *sched) at(t time.Time, life *lifetime, fn func()) {
	q.seq++
	heap.Push(&q.steps, &step{at: t, seq: q.seq, life: life, fn: fn})
}

// next pops the first step due by now that is still alive, or nil.
func (q *sched) next(now time.Time) *step {
	for len(q.steps) > 0 && !q.steps[0].at.After(now) {
		st := heap.Pop(&q.steps).(*step)
		if st.life == nil || !st.life.over {
			return st
		}
	}
	return nil
}

// rearm sets the timer to the first pending step.
func (q *sched) rearm(now time.Time) {
	for len(q.steps) > 0 && q.steps[0].life != nil && q.steps[0].life.over {
		heap.Pop(&q.steps)
	}
	if len(q.steps) == 0 {
		q.stop()
		return
	}
	at := q.steps[0].at
	if !q.armedAt.IsZero() && q.armedAt.Equal(at) {
		return
	}
	q.armedAt = at
	d := at.Sub(now)
	if q.timer == nil {
		q.timer = q.clock.AfterFunc(d, q.fire)
		return
	}
	q.timer.Reset(d)
}

func (q *sched) stop() {
	if q.timer != nil && !q.armedAt.IsZero() {
		q.timer.Stop()
	}
	q.armedAt = time.Time{}
}

// clear drops every step and stops the timer.
func (q *sched) clear() {
	q.stop()
	q.steps = nil
}
