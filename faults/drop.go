package faults

import "github.com/rtmock/rtmock/cassette"

// drop swallows matching server frames.
type drop struct {
	pass
	f   Fault
	env Env
}

func bindDrop(f Fault, env Env) Layer { return &drop{f: f, env: env} }

func (d *drop) Out(f *cassette.Frame, next Next) {
	if d.f.Matches(f.Type) && hit(d.env, d.f.Probability) {
		d.env.Dropped(f)
		return
	}
	next(f)
}
