package faults

import "github.com/rtmock/rtmock/cassette"

// errorFault sends an error event at a time or after the nth server event
// of a type.
type errorFault struct {
	pass
	f   Fault
	env Env
	n   onNth
}

func bindError(f Fault, env Env) Layer {
	e := &errorFault{f: f, env: env, n: onNth{on: f.On, nth: f.Nth}}
	if f.On == "" {
		env.At(env.Started().Add(f.At), e.fire)
	}
	return e
}

func (e *errorFault) Sent(f *cassette.Frame) {
	if e.n.sent(f) {
		e.fire()
	}
}

func (e *errorFault) fire() {
	typ := e.f.ErrorType
	if typ == "" {
		typ = "invalid_request_error"
	}
	msg := e.f.Message
	if msg == "" {
		code := e.f.ErrorCode
		if code == "" {
			code = e.f.ErrorType
		}
		msg = "Injected fault: " + code + "."
	}
	e.env.Note(Server, e.f.String())
	e.env.InjectError(typ, e.f.ErrorCode, msg)
}
