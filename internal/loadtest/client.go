package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// readLimit is the clients' WebSocket read limit: larger than any frame a
// cassette may hold.
const readLimit = cassette.MaxFrameSize + 1<<20

// responseCreate is what a scenario turn sends.
var responseCreate = []byte(`{"type":"response.create"}`)

// kind is what the client needs to know of a server event.
type kind uint8

const (
	kindOther kind = iota
	kindSessionCreated
	kindResponseCreated
	kindAudioDelta
	kindResponseDone
	kindError
	kindBinary
)

// eventType returns the type of a server event without decoding it: the
// mock and the service write "type" first, so that is the fast path.
func eventType(data []byte) ([]byte, bool) {
	const prefix = `{"type":"`
	if len(data) > len(prefix) && string(data[:len(prefix)]) == prefix {
		rest := data[len(prefix):]
		if i := bytes.IndexByte(rest, '"'); i > 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			return rest[:i], true
		}
	}
	h, err := realtime.Peek(data)
	if err != nil {
		return nil, false
	}
	return []byte(h.Type), true
}

func classify(data []byte) (kind, bool) {
	typ, ok := eventType(data)
	if !ok {
		return kindOther, false
	}
	switch string(typ) {
	case "session.created":
		return kindSessionCreated, true
	case "response.created":
		return kindResponseCreated, true
	case "response.audio.delta", "response.output_audio.delta":
		return kindAudioDelta, true
	case "response.done":
		return kindResponseDone, true
	case "error":
		return kindError, true
	}
	return kindOther, true
}

// deltaBytes is the decoded size of an audio delta's base64 "delta", which
// the mock writes last.
func deltaBytes(data []byte) int {
	const key = `"delta":"`
	i := bytes.LastIndex(data, []byte(key))
	if i < 0 {
		return 0
	}
	raw := data[i+len(key):]
	end := bytes.IndexByte(raw, '"')
	if end < 0 {
		return 0
	}
	raw = raw[:end]
	pad := 0
	for j := len(raw) - 1; j >= 0 && raw[j] == '='; j-- {
		pad++
	}
	return len(raw)/4*3 - pad
}

// outputBytesPerMs reads the output audio format of a session.created in
// either dialect; 48 (PCM16 at 24 kHz) when it says nothing usable.
func outputBytesPerMs(sessionCreated []byte) int {
	var ev struct {
		Session struct {
			OutputAudioFormat string `json:"output_audio_format"`
			Audio             struct {
				Output struct {
					Format struct {
						Type string `json:"type"`
					} `json:"format"`
				} `json:"output"`
			} `json:"audio"`
		} `json:"session"`
	}
	if json.Unmarshal(sessionCreated, &ev) != nil {
		return 48
	}
	name := ev.Session.OutputAudioFormat
	if name == "" {
		name = ev.Session.Audio.Output.Format.Type
	}
	f, err := audio.ParseFormatLenient(name)
	if err != nil || f.BytesPerMs() <= 0 {
		return 48
	}
	return f.BytesPerMs()
}

// tally is what one session of a phase counted. Each session owns its
// tally; the phase sums them when every session is done.
type tally struct {
	events, bytes  int64
	responses      int // response.done received
	refused        int // turns answered with an error event and no response
	cut            int // turns the phase's deadline interrupted
	errorEvents    int
	protocolErrors int
	firstErr       string
	late, drift    []time.Duration
	finish         time.Time
}

// protocolError is a way the server broke the protocol or the session.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func protocolErrorf(format string, args ...any) error {
	return &protocolError{fmt.Sprintf(format, args...)}
}

// end records how a session's work ended: a cut when the phase's deadline
// passed, else an error.
func (t *tally) end(ctx context.Context, err error) {
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		t.cut++
		return
	}
	t.protocolErrors++
	if t.firstErr == "" {
		t.firstErr = err.Error()
	}
}

// client is one session's connection and its bookkeeping. Its reads and
// writes take no context: a context with a deadline makes every call of
// coder/websocket allocate a context.AfterFunc, which would put the
// client's own work into the measurement. The session's context closes the
// connection instead, once.
type client struct {
	conn     *websocket.Conn
	stop     func() bool // unregisters the close on the session's context
	buf      []byte
	t        *tally
	counting bool // count into t: false before the phase starts
	n        int  // server data frames read on this connection
	keep     bool // keep copies of frames (capture)
	kept     []capturedFrame

	// Pacing. A session is paced when speed > 0 (simulated: offsets from
	// the audio's duration) or offsets != nil (cassette: recorded times).
	speed      float64
	bytesPerMs int
	offsets    []time.Duration

	created    bool // response.created seen in this response
	anchored   bool
	anchorAt   time.Time
	anchorOff  time.Duration
	audioBytes int64 // audio of this response so far
	lastLate   time.Duration
}

type capturedFrame struct {
	at   time.Time // arrival
	typ  websocket.MessageType
	data []byte
}

// newClient wraps conn, which is closed when ctx is done.
func newClient(ctx context.Context, conn *websocket.Conn, t *tally) *client {
	return &client{conn: conn, t: t, bytesPerMs: 48, stop: context.AfterFunc(ctx, func() { conn.CloseNow() })}
}

// close closes the connection now, without a close handshake.
func (c *client) close() {
	c.stop()
	c.conn.CloseNow()
}

// closeNormally closes the connection with a close handshake (1000).
func (c *client) closeNormally() {
	c.stop()
	c.conn.Close(websocket.StatusNormalClosure, "")
}

// read reads one frame into the client's buffer, classifies and counts it,
// and measures its lateness when the session is paced.
func (c *client) read() (kind, []byte, error) {
	typ, r, err := c.conn.Reader(context.Background())
	if err != nil {
		return kindOther, nil, err
	}
	b := c.buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return kindOther, nil, err
		}
	}
	c.buf = b
	at := time.Now()
	n := c.n
	c.n++
	if c.keep {
		c.kept = append(c.kept, capturedFrame{at: at, typ: typ, data: bytes.Clone(b)})
	}
	if c.counting {
		c.t.events++
		c.t.bytes += int64(len(b))
	}
	if typ != websocket.MessageText {
		return kindBinary, b, nil
	}
	k, ok := classify(b)
	if !ok {
		return k, b, protocolErrorf("server frame %d is not a JSON event: %.60q", n+1, b)
	}
	switch k {
	case kindResponseCreated:
		c.endResponse()
		c.created = true
	case kindAudioDelta:
		if c.speed > 0 || c.offsets != nil {
			c.onDelta(at, n, b)
		}
	case kindResponseDone:
		c.endResponse()
		if c.counting {
			c.t.responses++
		}
	case kindError:
		if c.counting {
			c.t.errorEvents++
		}
	case kindSessionCreated:
		c.bytesPerMs = outputBytesPerMs(b)
	}
	return k, b, nil
}

// onDelta measures the lateness of audio delta n (see the package
// documentation for the definition).
func (c *client) onDelta(at time.Time, n int, b []byte) {
	var off time.Duration
	if c.offsets != nil {
		if n < len(c.offsets) {
			off = c.offsets[n]
		}
	} else {
		off = time.Duration(float64(c.audioBytes) * float64(time.Millisecond) / float64(c.bytesPerMs) / c.speed)
		c.audioBytes += int64(deltaBytes(b))
	}
	if !c.anchored {
		// The anchor is on time by definition: it is not a sample.
		c.anchored, c.anchorAt, c.anchorOff, c.lastLate = true, at, off, 0
		return
	}
	late := at.Sub(c.anchorAt) - (off - c.anchorOff)
	c.lastLate = late
	if c.counting {
		c.t.late = append(c.t.late, late)
	}
}

// endResponse closes the lateness bookkeeping of a response: the lateness
// of its last delta is its drift.
func (c *client) endResponse() {
	if c.anchored && c.counting {
		c.t.drift = append(c.t.drift, c.lastLate)
	}
	c.anchored, c.created, c.audioBytes = false, false, 0
}

// turn sends response.create and reads to the response's response.done,
// or to the error event that refuses it.
func (c *client) turn() error {
	if err := c.conn.Write(context.Background(), websocket.MessageText, responseCreate); err != nil {
		return err
	}
	for {
		created := c.created
		k, _, err := c.read()
		if err != nil {
			return err
		}
		switch k {
		case kindAudioDelta:
			if !created {
				return protocolErrorf("an audio delta before response.created")
			}
		case kindResponseDone:
			if !created {
				return protocolErrorf("response.done before response.created")
			}
			return nil
		case kindError:
			if !created {
				if c.counting {
					c.t.refused++
				}
				return nil
			}
		}
	}
}

// turnHead sends response.create and reads to the response's
// response.created (or the error that refuses it): what arrives before it
// is the previous turn's tail.
func (c *client) turnHead() error {
	if err := c.conn.Write(context.Background(), websocket.MessageText, responseCreate); err != nil {
		return err
	}
	for {
		k, _, err := c.read()
		if err != nil {
			return err
		}
		if k == kindResponseCreated || k == kindError {
			return nil
		}
	}
}

// replayScript is what a cassette session does: the recording's client
// frames, each sent once the server frames recorded before it have
// arrived, then the rest of the server frames.
type replayScript struct {
	steps   []replayStep
	serverT []time.Duration // recorded time of each server data frame
	total   int             // server data frames
}

type replayStep struct {
	after int // server data frames recorded before this client frame
	t     time.Duration
	typ   websocket.MessageType
	data  []byte
}

func newReplayScript(c *cassette.Cassette) (*replayScript, error) {
	s := &replayScript{}
	for i, f := range c.All() {
		data := f.Kind == cassette.KindText || f.Kind == cassette.KindBinary
		typ := websocket.MessageText
		if f.Kind == cassette.KindBinary {
			typ = websocket.MessageBinary
		}
		switch {
		case f.Kind == cassette.KindHTTP && i == 0:
			return nil, errors.New("the recorded upgrade was refused: there is no session to replay")
		case f.Dir == cassette.Server && data:
			s.serverT = append(s.serverT, f.T)
			s.total++
		case f.Dir == cassette.Client && data:
			s.steps = append(s.steps, replayStep{after: s.total, t: f.T, typ: typ, data: f.Data})
		}
	}
	if s.total == 0 {
		return nil, errors.New("the recording has no server frames")
	}
	return s, nil
}

// connectFrames is how many server frames the recording has before the
// client's first frame.
func (s *replayScript) connectFrames() int {
	if len(s.steps) == 0 {
		return s.total
	}
	return s.steps[0].after
}

// offsets returns the schedule offset of every server frame at a pace
// factor: its recorded time divided by the factor.
func (s *replayScript) offsets(factor float64) []time.Duration {
	out := make([]time.Duration, len(s.serverT))
	for i, t := range s.serverT {
		out[i] = time.Duration(float64(t) / factor)
	}
	return out
}

// readUntil reads until n server frames have arrived on this connection.
func (c *client) readUntil(n int) error {
	for c.n < n {
		if _, _, err := c.read(); err != nil {
			return err
		}
	}
	return nil
}

// replay plays the rest of a cassette session after its connect frames.
func (c *client) replay(s *replayScript) error {
	for _, st := range s.steps {
		if err := c.readUntil(st.after); err != nil {
			return err
		}
		if err := c.conn.Write(context.Background(), st.typ, st.data); err != nil {
			return err
		}
	}
	return c.readUntil(s.total)
}
