package mockserver

import (
	"math/rand/v2"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/realtime"
)

// faultState is a session's injected faults and their progress.
type faultState struct {
	list      []faults.Fault
	rng       *rand.Rand // separate from the id source, so faults don't shift ids
	counts    []int      // server events seen per fault with On set
	lastOut   time.Time  // release time of the last delayed server frame (FIFO)
	lastIn    time.Time  // the same for client frames
	stalls    [][2]time.Time
	held      *heldFrame // a frame a reorder fault holds back
	exhausted bool       // rate limits report nothing left
}

type heldFrame struct {
	typ  string
	data []byte
}

func (s *session) initFaults(seed int64) {
	list := append([]faults.Fault(nil), s.cfg.Faults...)
	if s.scn != nil {
		list = append(list, s.scn.Faults...)
	}
	if len(list) == 0 {
		return
	}
	f := &faultState{list: list, counts: make([]int, len(list)),
		rng: rand.New(rand.NewPCG(uint64(seed)^0xfa017, uint64(seed)>>7))}
	s.faults = f
	for _, ft := range list {
		ft := ft
		switch {
		case ft.Kind == faults.RateLimits:
			f.exhausted = true
		case ft.Kind == faults.Stall:
			from := s.started.Add(ft.At)
			f.stalls = append(f.stalls, [2]time.Time{from, from.Add(ft.For)})
		case ft.Timed() && ft.On == "":
			s.schedule(s.started.Add(ft.At), nil, func() { s.fireFault(ft) })
		}
	}
}

// hit draws whether a fault with probability p applies this time.
func (f *faultState) hit(p float64) bool {
	return p <= 0 || p >= 1 || f.rng.Float64() < p
}

// fireFault carries out a fault that happens once.
func (s *session) fireFault(ft faults.Fault) {
	switch ft.Kind {
	case faults.Disconnect:
		if ft.Code == 0 || ft.Code == int(websocket.StatusAbnormalClosure) {
			// 1006: the connection just goes away, no close frame.
			s.closed = true
			s.tr.ClosedBy, s.tr.CloseCode, s.tr.CloseReason = FromServer, int(websocket.StatusAbnormalClosure), "fault: connection dropped"
			s.conn.CloseNow()
			return
		}
		s.closeWith(websocket.StatusCode(ft.Code), ft.Reason)
	case faults.Error:
		e := &realtime.Error{Type: orDefault(ft.ErrorType, realtime.InvalidRequestError), Code: ft.ErrorCode, Message: ft.Message}
		if e.Message == "" {
			e.Message = "Injected fault: " + orDefault(ft.ErrorCode, ft.ErrorType) + "."
		}
		s.sendError(e, "")
	case faults.Expire:
		s.expire(ft.At)
	}
}

// writeFaulty is write when faults are on: it drops, duplicates, reorders
// or delays the frame, then counts it for faults that fire on events.
func (s *session) writeFaulty(typ string, b []byte) {
	f := s.faults
	now := s.clock.Now()
	release := now
	dup := false
	for _, ft := range f.list {
		if ft.Dir == faults.Client || !ft.Matches(typ) {
			continue
		}
		switch ft.Kind {
		case faults.Drop:
			if f.hit(ft.Probability) {
				s.tr.Dropped++
				return
			}
		case faults.Duplicate:
			dup = dup || f.hit(ft.Probability)
		case faults.Reorder:
			if f.held == nil && f.hit(ft.Probability) {
				f.held = &heldFrame{typ, append([]byte(nil), b...)}
				return
			}
		case faults.Latency:
			if f.hit(ft.Probability) {
				d := ft.Delay
				if ft.Jitter > 0 {
					d += time.Duration((f.rng.Float64()*2 - 1) * float64(ft.Jitter))
				}
				release = now.Add(max(d, 0))
			}
		}
	}
	for _, st := range f.stalls {
		if !now.Before(st[0]) && now.Before(st[1]) && st[1].After(release) {
			release = st[1]
		}
	}
	if release.Before(f.lastOut) {
		release = f.lastOut // frames stay in order, as on one TCP stream
	}
	held := f.held
	if held != nil && held.typ != typ {
		f.held = nil
	} else {
		held = nil
	}
	n := 1
	if dup {
		n = 2
	}
	if !release.After(now) {
		for range n {
			s.rawWrite(typ, b)
		}
		if held != nil {
			s.rawWrite(held.typ, held.data)
		}
		return
	}
	f.lastOut = release
	frame := append([]byte(nil), b...)
	s.schedule(release, nil, func() {
		for range n {
			s.rawWrite(typ, frame)
		}
		if held != nil {
			s.rawWrite(held.typ, held.data)
		}
	})
}

// afterWrite fires faults that trigger on the Nth server event of a type.
func (s *session) afterWrite(typ string) {
	f := s.faults
	for i, ft := range f.list {
		if ft.On == "" || ft.On != typ || !ft.Timed() {
			continue
		}
		f.counts[i]++
		if f.counts[i] == ft.Nth {
			s.fireFault(ft)
		}
	}
}

// delayInbound reports whether a client frame must wait for a client-side
// latency fault, and schedules it if so.
func (s *session) delayInbound(in inbound) bool {
	f := s.faults
	if f == nil {
		return false
	}
	now := s.clock.Now()
	release := now
	for _, ft := range f.list {
		if ft.Kind != faults.Latency || ft.Dir != faults.Client || !f.hit(ft.Probability) {
			continue
		}
		d := ft.Delay
		if ft.Jitter > 0 {
			d += time.Duration((f.rng.Float64()*2 - 1) * float64(ft.Jitter))
		}
		release = now.Add(max(d, 0))
	}
	if release.Before(f.lastIn) {
		release = f.lastIn
	}
	if !release.After(now) {
		return false
	}
	f.lastIn = release
	s.schedule(release, nil, func() { s.receiveNow(in) })
	return true
}

// handshakeFault returns the HTTP status a handshake fault refuses this
// upgrade with, or 0.
func (h *Handler) handshakeFault() int {
	for _, ft := range h.cfg.Faults {
		if ft.Kind != faults.Handshake {
			continue
		}
		h.mu.Lock()
		hit := ft.Probability <= 0 || ft.Probability >= 1 || h.rng.Float64() < ft.Probability
		h.mu.Unlock()
		if hit {
			return ft.Code
		}
	}
	return 0
}
