package faults

import (
	"time"

	"github.com/rtmock/rtmock/cassette"
)

// latency delays the frames of one direction by Delay ± Jitter, keeping
// their order as one TCP stream would.
type latency struct {
	pass
	f   Fault
	env Env
	q   fifo
}

func bindLatency(f Fault, env Env) Layer { return &latency{f: f, env: env} }

func (l *latency) delay(f *cassette.Frame, next Next) {
	if !l.f.Matches(f.Type) || !hit(l.env, l.f.Probability) {
		l.release(f, l.env.Now(), next)
		return
	}
	d := l.f.Delay
	if l.f.Jitter > 0 {
		d += time.Duration((l.env.Rand().Float64()*2 - 1) * float64(l.f.Jitter))
	}
	l.release(f, l.env.Now().Add(max(d, 0)), next)
}

func (l *latency) release(f *cassette.Frame, t time.Time, next Next) {
	l.q.release(l.env, f, t, next)
}

func (l *latency) Out(f *cassette.Frame, next Next) {
	if l.f.Dir == Client {
		next(f)
		return
	}
	l.delay(f, next)
}

func (l *latency) In(f *cassette.Frame, next Next) {
	if l.f.Dir != Client {
		next(f)
		return
	}
	l.delay(f, next)
}
