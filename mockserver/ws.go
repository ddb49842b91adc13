package mockserver

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
)

// wsTransport carries a session over a WebSocket: every event is one text
// frame.
type wsTransport struct {
	conn *websocket.Conn
}

func (t *wsTransport) kind() string { return "websocket" }

// send writes with a context that never ends: coder/websocket closes the
// connection when a write's context does, and a per-write deadline would
// cost a timer per frame. The Handler's watchdog drops a connection whose
// write blocks too long instead.
func (t *wsTransport) send(f *cassette.Frame) error {
	typ := websocket.MessageText
	if f.Kind == cassette.KindBinary {
		typ = websocket.MessageBinary
	}
	return t.conn.Write(context.Background(), typ, f.Data)
}

func (t *wsTransport) close(code int, reason string) {
	t.conn.Close(websocket.StatusCode(code), reason)
}

func (t *wsTransport) abort() { t.conn.CloseNow() }

// serveWebSocket upgrades the request and runs its session.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request, hs *handshakeInfo) {
	// The server's read and idle timeouts are for plain requests; an
	// upgraded session lasts as long as it lasts.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       hs.subprotocols,
		InsecureSkipVerify: true, // browsers and SDKs on any origin may connect to a local mock
		// The service offers permessage-deflate; rtmock does not, which
		// every client accepts.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		h.cfg.Logger.Info("upgrade failed", "err", err)
		return
	}
	conn.SetReadLimit(h.cfg.MaxMessageBytes)
	t := &wsTransport{conn: conn}
	s := newSession(h, hs, h.nextID.Add(1), t)
	h.run(s, func(ctx context.Context) { readWebSocket(ctx, s, conn) })
	conn.CloseNow()
}

// readWebSocket is a session's reader: it hands every frame to the session
// until the connection ends.
func readWebSocket(ctx context.Context, s *session, conn *websocket.Conn) {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			code, reason := closeOf(err)
			s.gone(code, reason)
			return
		}
		f := cassette.Frame{Dir: cassette.Client, Kind: cassette.KindText, Data: data}
		if typ == websocket.MessageBinary {
			f.Kind = cassette.KindBinary
		}
		s.receive(f)
		s.waitForSpace()
	}
}

// closeOf is the code and reason of the client's close frame that ended a
// read, or -1 when the connection ended without one.
func closeOf(err error) (int, string) {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return int(ce.Code), ce.Reason
	}
	return -1, ""
}
