package faults

import "github.com/rtmock/rtmock/cassette"

// duplicate sends matching server frames twice.
type duplicate struct {
	pass
	f   Fault
	env Env
}

func bindDuplicate(f Fault, env Env) Layer { return &duplicate{f: f, env: env} }

func (d *duplicate) Out(f *cassette.Frame, next Next) {
	if d.f.Matches(f.Type) && hit(d.env, d.f.Probability) {
		d.env.Note(Server, "duplicate "+f.Type)
		h := hold(f)
		next(f)
		next(h)
		return
	}
	next(f)
}
