package conformance

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
)

// The runner watches every session of a run as it happens, to hang up
// when the conversation is over rather than after a fixed time. The mock
// server reports transcripts only when sessions end, so the runner taps
// the upgraded connections: tapHandler wraps the mock's handler, and the
// connection it hands over on Hijack copies every WebSocket frame, both
// ways, to a small frame parser. Nothing is changed on the wire.

// liveRun is what the runner knows, live, about the sessions of one run.
type liveRun struct {
	mu      sync.Mutex
	conns   []*liveConn
	changed chan struct{} // a token whenever something happened
}

// liveConn is one connection to the mock.
type liveConn struct {
	started      time.Time
	header       map[string]string
	subprotocols []string
	upgraded     bool
	sessionID    string

	ended    bool
	endedAt  time.Time
	closedBy Direction // who sent the first close frame; "" when none
	close    Close     // that close frame; At is not set
	closedAt time.Time

	lastFrame time.Time
	active    map[string]bool // responses in progress
	done      int             // responses finished
	userTurn  bool            // speech_started without its commit yet
	outFormat audio.Format

	playItem  string
	playStart time.Time
	playMs    float64
	stopped   bool
	bargeIns  int
}

func newLiveRun() *liveRun { return &liveRun{changed: make(chan struct{}, 1)} }

func (r *liveRun) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// safeHeaders are the handshake headers a session record keeps.
var safeHeaders = []string{"OpenAI-Beta", "User-Agent", "X-Ms-Client-Request-Id"}

func (r *liveRun) connect(req *http.Request) *liveConn {
	c := &liveConn{started: time.Now(), header: map[string]string{}, active: map[string]bool{}}
	for _, h := range safeHeaders {
		if v := req.Header.Get(h); v != "" {
			c.header[h] = v
		}
	}
	for _, line := range req.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(line, ",") {
			if p = strings.TrimSpace(p); p != "" && !strings.HasPrefix(p, "openai-insecure-api-key.") {
				c.subprotocols = append(c.subprotocols, p)
			}
		}
	}
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
	return c
}

func (r *liveRun) disconnect(c *liveConn) {
	r.mu.Lock()
	c.ended, c.endedAt = true, time.Now()
	r.mu.Unlock()
	r.notify()
}

// connInfo is what the tap saw of one session.
type connInfo struct {
	header       map[string]string
	subprotocols []string
	close        Close // the first close frame; By is "" when there was none
	closedAt     time.Time
}

// info returns what the tap saw of session id.
func (r *liveRun) info(id string) (connInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		if c.sessionID == id {
			return connInfo{c.header, c.subprotocols, c.close, c.closedAt}, true
		}
	}
	return connInfo{}, false
}

// open reports whether a session is still open.
func (r *liveRun) open() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		if c.upgraded && !c.ended {
			return true
		}
	}
	return false
}

// frame records one WebSocket message of connection c.
func (r *liveRun) frame(c *liveConn, dir Direction, op byte, data []byte) {
	now := time.Now()
	defer r.notify()
	r.mu.Lock()
	defer r.mu.Unlock()
	c.lastFrame = now
	switch {
	case op == opClose:
		if c.closedBy == "" {
			c.closedBy, c.closedAt = dir, now
			c.close = Close{By: dir, Code: 1005}
			if len(data) >= 2 {
				c.close.Code = int(binary.BigEndian.Uint16(data))
				c.close.Reason = string(data[2:])
			}
		}
		return
	case op != opText || dir != FromServer:
		return
	}
	h, err := realtime.Peek(data)
	if err != nil {
		return
	}
	switch h.Type {
	case "session.created", "session.updated":
		var ev struct {
			Session map[string]any `json:"session"`
		}
		if json.Unmarshal(data, &ev) != nil || ev.Session == nil {
			return
		}
		if c.sessionID == "" {
			c.sessionID = str(ev.Session, "id")
		}
		c.outFormat = parseSessionCfg(ev.Session, sessionCfg{outFormat: c.outFormat}).outFormat
	case "response.created", "response.done":
		var ev struct {
			Response struct {
				ID string `json:"id"`
			} `json:"response"`
		}
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		if h.Type == "response.created" {
			c.active[ev.Response.ID] = true
		} else {
			delete(c.active, ev.Response.ID)
			c.done++
		}
	case "input_audio_buffer.speech_started":
		c.userTurn = true
		if c.playingAt(now) {
			c.bargeIns++
		}
		c.stopped = true
	case "input_audio_buffer.committed":
		c.userTurn = false
	case "response.audio.delta", "response.output_audio.delta":
		item, _, _ := realtime.StringField(data, "item_id")
		b64, _, _ := realtime.StringField(data, "delta")
		if string(item) != c.playItem {
			c.playItem, c.playStart, c.playMs, c.stopped = string(item), now, 0, false
		}
		n, _ := base64Size(b64)
		c.playMs += float64(n) / float64(c.outFormat.BytesPerMs())
	}
}

// playingAt reports whether the client is still playing assistant audio at
// t under the playback model: real time from the item's first delta.
func (c *liveConn) playingAt(t time.Time) bool {
	return c.playItem != "" && !c.stopped && t.Before(c.playEnd())
}

func (c *liveConn) playEnd() time.Time {
	return c.playStart.Add(time.Duration(c.playMs * float64(time.Millisecond)))
}

// hangUpPolicy says when a run's call is over.
type hangUpPolicy struct {
	quiet       time.Duration // no frame for this long, after a response finished
	quietLong   time.Duration // … or for this long when none has yet
	grace       time.Duration // after a session ended, time to reconnect
	interrupts  int           // barge-ins the scenario scripts
	expires     bool          // the scenario expires its sessions: wait for that
	expireAfter time.Duration
	cap         time.Duration // hang up this long after the first connect anyway; 0 = no cap
}

// decide tells whether to hang up now, and otherwise when to look again
// (zero: at the next change). slack is how late the process's timers run
// lately: on a busy machine frames are read late and a quiet spell may be
// a stall, so every wait is stretched by twice as much.
func (r *liveRun) decide(now time.Time, p hangUpPolicy, slack time.Duration) (bool, time.Time) {
	p.quiet += 2 * slack
	p.quietLong += 2 * slack
	p.grace += 2 * slack
	r.mu.Lock()
	defer r.mu.Unlock()
	var conns []*liveConn
	done, serverClosed, barges := 0, false, 0
	for _, c := range r.conns {
		if !c.upgraded {
			continue
		}
		conns = append(conns, c)
		done += c.done
		barges += c.bargeIns
		if c.closedBy == FromServer {
			serverClosed = true
		}
	}
	if len(conns) == 0 {
		return false, time.Time{}
	}
	var wake time.Time
	at := func(t time.Time) (bool, time.Time) {
		if !now.Before(t) {
			return true, time.Time{}
		}
		if wake.IsZero() || t.Before(wake) {
			return false, t
		}
		return false, wake
	}
	if p.cap > 0 {
		hang, w := at(conns[0].started.Add(p.cap))
		if hang {
			return true, time.Time{}
		}
		wake = w
	}
	c := conns[len(conns)-1]
	if c.ended {
		return at(c.endedAt.Add(p.grace))
	}
	switch {
	case len(c.active) > 0, c.userTurn:
		return false, wake
	case barges < p.interrupts && c.playingAt(now):
		_, w := at(c.playEnd())
		return false, w
	case p.expires && !serverClosed:
		_, w := at(conns[0].started.Add(p.expireAfter + p.grace))
		return false, w
	}
	quiet := p.quiet
	if done == 0 && !serverClosed {
		quiet = p.quietLong
	}
	last := c.lastFrame
	if last.IsZero() {
		last = c.started
	}
	return at(last.Add(quiet))
}

// tapHandler serves the mock through a tap.
type tapHandler struct {
	next http.Handler
	run  *liveRun
}

func (h tapHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	c := h.run.connect(req)
	h.next.ServeHTTP(&tapWriter{ResponseWriter: w, run: h.run, conn: c}, req)
	h.run.disconnect(c)
}

// tapWriter hands the mock a tapped connection when it upgrades.
type tapWriter struct {
	http.ResponseWriter
	run  *liveRun
	conn *liveConn
}

func (w *tapWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("conformance: the response writer cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if brw.Writer.Buffered() > 0 {
		if err := brw.Writer.Flush(); err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
	var pre []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		pre = bytes.Clone(p)
	}
	r, c := w.run, w.conn
	tc := &tapConn{
		Conn: nc,
		pre:  pre,
		in:   &frameParser{deliver: func(op byte, data []byte) { r.frame(c, FromClient, op, data) }},
		out:  &frameParser{deliver: func(op byte, data []byte) { r.frame(c, FromServer, op, data) }},
	}
	r.mu.Lock()
	c.upgraded = true
	r.mu.Unlock()
	r.notify()
	return tc, bufio.NewReadWriter(bufio.NewReader(tc), bufio.NewWriter(tc)), nil
}

// tapConn copies what passes through a connection to two frame parsers.
// Reads come from one goroutine and writes from one at a time, so each
// parser is used by one goroutine at a time.
type tapConn struct {
	net.Conn
	pre     []byte // bytes the HTTP server had read ahead
	in, out *frameParser
}

func (c *tapConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		c.in.feed(p[:n])
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.in.feed(p[:n])
	}
	return n, err
}

// Write parses what the server sends before it is on the wire, so that a
// reply of the client (to a close frame, say) is never seen first.
func (c *tapConn) Write(p []byte) (int, error) {
	c.out.feed(p)
	return c.Conn.Write(p)
}

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opClose        = 0x8
)

// frameParser reassembles WebSocket messages from a byte stream cut
// anywhere, unmasking client frames. It does not validate: the mock does.
type frameParser struct {
	buf     []byte
	msg     []byte
	msgOp   byte
	deliver func(op byte, data []byte) // data is valid during the call only
}

func (p *frameParser) feed(b []byte) {
	p.buf = append(p.buf, b...)
	off := 0
	for {
		n := p.next(p.buf[off:])
		if n == 0 {
			break
		}
		off += n
	}
	switch {
	case off == len(p.buf):
		p.buf = p.buf[:0]
	case off > 0:
		p.buf = append(p.buf[:0], p.buf[off:]...)
	}
}

// next parses one frame at the start of b and returns its length, or 0
// when b does not hold a whole frame yet.
func (p *frameParser) next(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	fin, op := b[0]&0x80 != 0, b[0]&0x0f
	masked := b[1]&0x80 != 0
	n, h := uint64(b[1]&0x7f), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return 0
		}
		n, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0
		}
		n, h = binary.BigEndian.Uint64(b[2:]), 10
	}
	var key []byte
	if masked {
		if len(b) < h+4 {
			return 0
		}
		key, h = b[h:h+4], h+4
	}
	if uint64(len(b)-h) < n {
		return 0
	}
	payload := b[h : h+int(n)]
	if masked {
		for i := range payload {
			payload[i] ^= key[i&3]
		}
	}
	switch {
	case op >= opClose:
		p.deliver(op, payload)
	case op == opContinuation:
		p.msg = append(p.msg, payload...)
	default:
		p.msg, p.msgOp = append(p.msg[:0], payload...), op
	}
	if fin && op < opClose {
		p.deliver(p.msgOp, p.msg)
		p.msg = p.msg[:0]
	}
	return h + int(n)
}
