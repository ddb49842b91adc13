package mockserver

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
)

// A WebRTC call's control WebSocket (GET /v1/realtime?call_id=rtc_…, or
// /openai/v1/realtime?call_id=… on Azure): OpenAI's "sideband" of
// server-side controls, a second connection to the same session, from the
// application's server with its standard key (docs/webrtc.md). It gets
// every event the session sends, as the call's data channel does (and
// those Azure's webrtcfilter withholds from the browser), and the client
// events it sends go into the session's pipeline as the data channel's do,
// in arrival order. The session started with the call: attaching sends no
// session.created. The call's end closes its control sockets with 1000; a
// control socket's close leaves the call up. An id of no call that is up,
// or an ephemeral key, gets the service's 404 call_id_not_found.

// controlQueue bounds the events waiting for a control socket's writer; a
// socket that falls that far behind is closed (1008), not the call.
const controlQueue = 4096

// sideband is the control sockets attached to one call's session.
type sideband struct {
	mu    sync.Mutex
	socks map[*controlSocket]struct{}
	over  bool
}

// controlSocket is one attached control WebSocket: its frames go out from
// their own goroutine, so a slow reader never stalls the session. It is
// attached before the upgrade, so every event sent after the client has
// the 101 reaches it.
type controlSocket struct {
	conn   *websocket.Conn // set before ready closes; nil when the upgrade failed
	ready  chan struct{}   // the upgrade is over
	wait   time.Duration   // how long one write may block (Options.WriteTimeout)
	out    chan []byte     // nil: close with 1000 once what came before is written
	quit   chan struct{}
	done   chan struct{} // the writer returned
	closed chan struct{} // the close that stop started is over
	once   sync.Once
}

func newControlSocket(wait time.Duration) *controlSocket {
	return &controlSocket{ready: make(chan struct{}), wait: wait, out: make(chan []byte, controlQueue),
		quit: make(chan struct{}), done: make(chan struct{}), closed: make(chan struct{})}
}

// add attaches c, unless the call is over.
func (b *sideband) add(c *controlSocket) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.over {
		return false
	}
	if b.socks == nil {
		b.socks = map[*controlSocket]struct{}{}
	}
	b.socks[c] = struct{}{}
	return true
}

func (b *sideband) remove(c *controlSocket) {
	b.mu.Lock()
	delete(b.socks, c)
	b.mu.Unlock()
}

// send queues one event for every attached socket.
func (b *sideband) send(data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.socks {
		select {
		case c.out <- append([]byte(nil), data...):
		default:
			delete(b.socks, c)
			c.stop(websocket.StatusPolicyViolation, "the control socket fell too far behind the call")
		}
	}
}

// end closes every attached socket with 1000 once it has what was sent
// before, and refuses new ones: the call is over.
func (b *sideband) end() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.over = true
	for c := range b.socks {
		select {
		case c.out <- nil:
		default:
			c.stop(websocket.StatusNormalClosure, "call ended")
		}
	}
	b.socks = nil
}

// stop closes the socket now, dropping what is queued. The close handshake
// runs on its own goroutine (stop may be called under the session's lock);
// serveControl waits for it.
func (c *controlSocket) stop(code websocket.StatusCode, reason string) {
	c.once.Do(func() {
		close(c.quit)
		go func() {
			defer close(c.closed)
			if <-c.ready; c.conn != nil {
				c.conn.Close(code, reason)
			}
		}()
	})
}

// write sends the queued events until the socket stops or the call ends.
func (c *controlSocket) write() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case b := <-c.out:
			if b == nil {
				c.stop(websocket.StatusNormalClosure, "call ended")
				return
			}
			if !c.send(b) {
				return
			}
		}
	}
}

// send writes one event; a reader that takes none for the write timeout
// loses its socket, as a slow WebSocket client does.
func (c *controlSocket) send(b []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.stop(websocket.StatusInternalError, "write failed")
		return false
	}
	return true
}

// liveCall returns the session and transport of the WebRTC call id while
// it is up.
func (h *Handler) liveCall(id string) (*session, *rtcTransport) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.sessions {
		if t, ok := s.t.(*rtcTransport); ok && s.hs.query["call_id"] == id {
			return s, t
		}
	}
	return nil, nil
}

// callControl serves ?call_id= of a WebRTC call: the call's control socket,
// or 404 call_id_not_found when no call of that id is up, as the service
// answers a control socket of a call it does not hold, and when the key is
// an ephemeral one, as it answers those (docs/webrtc.md; simulated SIP
// calls are sipControl's). A wrong standard key is refused as on any
// WebSocket (authorize). It reports whether it answered.
func (h *Handler) callControl(w http.ResponseWriter, r *http.Request, hs *handshakeInfo) bool {
	id := hs.query["call_id"]
	if id == "" || hs.accepted != nil {
		return false
	}
	if _, sip := h.rtc.SIPCall(id); sip {
		return false
	}
	key, bearer := credentials(r, offeredSubprotocols(r))
	ephemeral := strings.HasPrefix(key, ephemeralPrefix) || strings.HasPrefix(bearer, ephemeralPrefix)
	if hs.fatal != nil && !ephemeral {
		return false
	}
	s, t := h.liveCall(id)
	c := newControlSocket(h.cfg.WriteTimeout)
	if s == nil || ephemeral || s.ended() || !t.side.add(c) {
		(&httpError{status: http.StatusNotFound, code: "call_id_not_found", openAI: true, param: "",
			msg: "No session found for the provided call_id"}).writeHTTP(w)
		h.cfg.Logger.Info("control socket refused", "call", truncateForLog(id), "ephemeral_key", ephemeral, "call_up", s != nil)
		return true
	}
	h.serveControl(w, r, hs, s, t, c)
	return true
}

// ephemeralPrefix starts the keys the client_secrets routes mint.
const ephemeralPrefix = "ek_"

// ended reports whether the session is over (its call ending).
func (s *session) ended() bool {
	s.lock()
	defer s.unlock()
	return s.closed
}

// serveControl upgrades the request of c, attached to the call's session,
// and serves it until the socket or the call ends.
func (h *Handler) serveControl(w http.ResponseWriter, r *http.Request, hs *handshakeInfo, s *session, t *rtcTransport, c *controlSocket) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: hs.subprotocols, InsecureSkipVerify: true,
		CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		h.cfg.Logger.Info("upgrade failed", "err", err)
		t.side.remove(c)
		close(c.ready)
		c.stop(websocket.StatusNormalClosure, "")
		<-c.closed
		return
	}
	conn.SetReadLimit(h.cfg.MaxMessageBytes)
	c.conn = conn
	close(c.ready)
	go c.write()
	h.cfg.Logger.Info("control socket attached", "call", hs.query["call_id"], "session", s.info.ID)
	for {
		typ, data, err := conn.Read(context.Background())
		if err != nil {
			break
		}
		f := cassette.Frame{Dir: cassette.Client, Kind: cassette.KindText, Data: data}
		if typ == websocket.MessageBinary {
			f.Kind = cassette.KindBinary
		} else if !utf8.Valid(data) {
			// RFC 6455 §8.1 fails this connection; the call goes on.
			c.stop(websocket.StatusInvalidFramePayloadData, "invalid UTF-8 in a text frame")
			break
		}
		s.receive(f)
		s.waitForSpace()
	}
	t.side.remove(c)
	c.stop(websocket.StatusNormalClosure, "")
	<-c.done
	<-c.closed
	conn.CloseNow()
}
