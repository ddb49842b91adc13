package faults

import (
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// stall holds every server frame from At for For, then lets them all go
// in order.
type stall struct {
	pass
	from, to time.Time
	env      Env
	noted    bool
	q        fifo
}

func bindStall(f Fault, env Env) Layer {
	from := env.Started().Add(f.At)
	return &stall{from: from, to: from.Add(f.For), env: env}
}

func (s *stall) Out(f *cassette.Frame, next Next) {
	now := s.env.Now()
	if now.Before(s.from) || !now.Before(s.to) {
		s.q.release(s.env, f, now, next) // behind any frame still held
		return
	}
	if !s.noted {
		s.noted = true
		s.env.Note(Server, "stall until "+s.to.Sub(s.env.Started()).String())
	}
	s.q.release(s.env, f, s.to, next)
}
