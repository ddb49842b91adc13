package faults

import (
	"bytes"
	"regexp"

	"github.com/rtmock/rtmock/cassette"
)

// rateLimits rewrites rate_limits.updated so that nothing is left.
type rateLimits struct {
	pass
	env Env
}

func bindRateLimits(_ Fault, env Env) Layer { return &rateLimits{env: env} }

var remaining = regexp.MustCompile(`"remaining":\s*[0-9.eE+-]+`)

func (r *rateLimits) Out(f *cassette.Frame, next Next) {
	if f.Type != "rate_limits.updated" || !bytes.Contains(f.Data, []byte(`"remaining"`)) {
		next(f)
		return
	}
	h := *f
	h.Data = remaining.ReplaceAll(f.Data, []byte(`"remaining":0`))
	r.env.Note(Server, "ratelimits:exhausted")
	next(&h)
}
