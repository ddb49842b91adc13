package faults

import "github.com/rtmock/rtmock/cassette"

// reorder holds a matching server frame back and sends it after the next
// server frame of another type.
type reorder struct {
	pass
	f    Fault
	env  Env
	held *cassette.Frame
}

func bindReorder(f Fault, env Env) Layer { return &reorder{f: f, env: env} }

func (r *reorder) Out(f *cassette.Frame, next Next) {
	if r.held == nil {
		if r.f.Matches(f.Type) && hit(r.env, r.f.Probability) {
			r.env.Note(Server, "reorder "+f.Type)
			r.held = hold(f)
			return
		}
		next(f)
		return
	}
	if f.Type == r.held.Type {
		next(f)
		return
	}
	h := r.held
	r.held = nil
	next(f)
	next(h)
}
