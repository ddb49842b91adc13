package mockserver

import (
	"math/rand/v2"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/mockserver/rtc"
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
	if s.scn != nil {
		list = append(list, s.scn.Faults...)
	}
	var c *faultChain
	for _, f := range list {
		c = c.with(s, f)
	}
	return c
}

// with binds one more fault to s, creating the chain when c is nil.
func (c *faultChain) with(s *session, f faults.Fault) *faultChain {
	if c == nil {
		c = &faultChain{s: s, rng: rand.New(rand.NewPCG(uint64(s.seed)^0xfa017, uint64(s.seed)>>7))}
	}
	l := f.Bind(c)
	if l == nil {
		if len(c.layers) == 0 {
			return nil
		}
		return c
	}
	c.layers = append(c.layers, l)
	c.link()
	return c
}

// link chains the layers: outs[i] passes a frame to layer i, outs[len]
// delivers it; ins likewise towards the session.
func (c *faultChain) link() {
	s, n := c.s, len(c.layers)
	c.outs = make([]faults.Next, n+1)
	c.ins = make([]faults.Next, n+1)
	c.outs[n] = s.deliver
	c.ins[n] = s.accept
	for i := n - 1; i >= 0; i-- {
		l, nextOut, nextIn := c.layers[i], c.outs[i+1], c.ins[i+1]
		c.outs[i] = func(f *cassette.Frame) { l.Out(f, nextOut) }
		c.ins[i] = func(f *cassette.Frame) { l.In(f, nextIn) }
	}
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

// Media is the call's media plane on a WebRTC session.
func (c *faultChain) Media() faults.Media {
	if m, ok := c.s.sink.(rtc.Faults); ok {
		return rtcMedia{m}
	}
	return nil
}

// rtcMedia gives faults the rtc call's fault controls.
type rtcMedia struct{ f rtc.Faults }

func (m rtcMedia) SetPacketFault(decide func(seq uint16) (bool, time.Duration)) {
	m.f.SetRTPFault(packetFault(decide))
}

func (m rtcMedia) CloseDataChannel() { m.f.CloseDataChannel() }

// packetFault is a decision function as an rtc.RTPFault.
type packetFault func(seq uint16) (bool, time.Duration)

func (p packetFault) Outgoing(pk rtc.Packet) (bool, time.Duration) { return p(pk.Seq) }

func (c *faultChain) Note(dir faults.Direction, what string) {
	c.s.note(cassette.Direction(dir), what)
}

func (c *faultChain) InjectError(errType, code, message string) {
	c.s.sendError(&realtime.Error{Type: errType, Code: code, Message: message}, "")
}
