package faults

import (
	"github.com/rtmock/rtmock/cassette"
)

// disconnect closes the connection at a time or after the nth server
// event of a type; code 1006 (or none) drops it without a close frame.
type disconnect struct {
	pass
	f   Fault
	env Env
	n   onNth
}

func bindDisconnect(f Fault, env Env) Layer {
	d := &disconnect{f: f, env: env, n: onNth{on: f.On, nth: f.Nth}}
	if f.On == "" {
		env.At(env.Started().Add(f.At), d.fire)
	}
	return d
}

func (d *disconnect) Sent(f *cassette.Frame) {
	if d.n.sent(f) {
		d.fire()
	}
}

func (d *disconnect) fire() {
	code := d.f.Code
	if code == 0 {
		code = 1006
	}
	d.env.Note(Server, d.f.String())
	reason := d.f.Reason
	if code == 1006 {
		reason = "fault: connection dropped"
	}
	d.env.Disconnect(code, reason)
}
