package mockserver

import (
	"math/rand/v2"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/realtime"
)

// faultChain is a session's faults as layers around its transport: server
// frames pass through every layer's Out on their way to the wire, client
// frames through every layer's In on their way to the session. It is the
// faults.Env of its layers.
type faultChain struct {
	s      *session
	rng    *rand.Rand // separate from the id source, so faults don't shift ids
	layers []faults.Layer
	outs   []faults.Next // outs[i] passes a frame to layer i (outs[len] delivers it)
	ins    []faults.Next
}

// bindFaults binds the server's and the scenario's faults to s, or returns
// nil when there are none.
func bindFaults(s *session) *faultChain {
	list := append([]faults.Fault(nil), s.cfg.Faults...)
	if s.cfg.Scenario != nil {
		list = append(list, s.cfg.Scenario.Faults...)
	}
	c := &faultChain{s: s, rng: rand.New(rand.NewPCG(uint64(s.seed)^0xfa017, uint64(s.seed)>>7))}
	for _, f := range list {
		if l := f.Bind(c); l != nil {
			c.layers = append(c.layers, l)
		}
	}
	if len(c.layers) == 0 {
		return nil
	}
	n := len(c.layers)
	c.outs = make([]faults.Next, n+1)
	c.ins = make([]faults.Next, n+1)
	c.outs[n] = s.deliver
	c.ins[n] = s.accept
	for i := n - 1; i >= 0; i-- {
		l, nextOut, nextIn := c.layers[i], c.outs[i+1], c.ins[i+1]
		c.outs[i] = func(f *cassette.Frame) { l.Out(f, nextOut) }
		c.ins[i] = func(f *cassette.Frame) { l.In(f, nextIn) }
	}
	return c
}

func (c *faultChain) out(f *cassette.Frame) { c.outs[0](f) }
func (c *faultChain) in(f *cassette.Frame)  { c.ins[0](f) }

// sent tells every layer a server frame went out.
func (c *faultChain) sent(f *cassette.Frame) {
	for _, l := range c.layers {
		if c.s.closed {
			return
		}
		l.Sent(f)
	}
}

func (c *faultChain) Now() time.Time                { return c.s.clock.Now() }
func (c *faultChain) Started() time.Time            { return c.s.started }
func (c *faultChain) At(t time.Time, fn func())     { c.s.at(t, nil, fn) }
func (c *faultChain) Rand() *rand.Rand              { return c.rng }
func (c *faultChain) Disconnect(code int, r string) { c.s.closeWith(code, r) }
func (c *faultChain) Expire(after time.Duration)    { c.s.expire(after) }
func (c *faultChain) Dropped(f *cassette.Frame)     { c.s.dropped(f) }

func (c *faultChain) Note(dir faults.Direction, what string) {
	c.s.note(cassette.Direction(dir), what)
}

func (c *faultChain) InjectError(errType, code, message string) {
	c.s.sendError(&realtime.Error{Type: errType, Code: code, Message: message}, "")
}
