package mockserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// Replay plays a recorded session back. The server's frames go out in their
// recorded order with their recorded gaps (scaled by the pace), each block
// anchored to what preceded it in the recording rather than to the wall
// clock:
//
//   - frames before the first client event are sent on connect;
//   - frames after a client event are sent when the client sends the
//     matching event (by type, in order; audio appends are not matched one
//     by one, since chunking differs between clients);
//   - voice activity events are anchored to the client's audio timeline:
//     speech_started when the client has appended audio_start_ms plus the
//     prefix padding, speech_stopped when it has appended audio_end_ms, and
//     the frames that followed them in the recording with them.
//
// A client event that differs from the recording is a mismatch: in strict
// mode the client gets an error event naming the cassette frame it should
// have sent; otherwise it is logged. Either way the Transcript lists it.
type replayPlan struct {
	c        *cassette.Cassette
	blocks   []replayBlock
	expected []replayClient // the recording's client events, appends left out
	format   audio.Format   // the recorded session's input audio format
	http     *cassette.Frame
}

type anchorKind int

const (
	anchorConnect anchorKind = iota
	anchorClient             // the client sent expected[clientIdx]
	anchorAudio              // the client's audio reached audioMs
)

type replayBlock struct {
	kind      anchorKind
	clientIdx int
	audioMs   int
	frames    []replayFrame
}

type replayFrame struct {
	index  int           // in the cassette
	offset time.Duration // after the anchor, as recorded
	frame  cassette.Frame
	elided bool // holds an audio elision marker to re-synthesize
}

type replayClient struct {
	index int // in the cassette
	typ   string
}

// Line returns the cassette line of frame i: the header is line 1.
func replayLine(i int) int { return i + 2 }

func newReplayPlan(c *cassette.Cassette) *replayPlan {
	p := &replayPlan{c: c}
	cur := replayBlock{kind: anchorConnect}
	var anchorT time.Duration
	prefix := 300
	flush := func(next replayBlock, t time.Duration) {
		if len(cur.frames) > 0 || cur.kind != anchorConnect {
			p.blocks = append(p.blocks, cur)
		}
		cur, anchorT = next, t
	}
	for i, f := range c.All() {
		switch {
		case f.Kind == cassette.KindHTTP && f.Dir == cassette.Server && i == 0:
			fr := f
			p.http = &fr
			return p
		case f.Dir == cassette.Client && f.Kind == cassette.KindText && f.Type != realtime.ClientInputAppend:
			p.expected = append(p.expected, replayClient{index: i, typ: f.Type})
			flush(replayBlock{kind: anchorClient, clientIdx: len(p.expected) - 1}, f.T)
		case f.Dir == cassette.Server && (f.Type == "input_audio_buffer.speech_started" || f.Type == "input_audio_buffer.speech_stopped"):
			var ev struct {
				Start int `json:"audio_start_ms"`
				End   int `json:"audio_end_ms"`
			}
			json.Unmarshal(f.Data, &ev)
			at := ev.End
			if f.Type == "input_audio_buffer.speech_started" {
				at = ev.Start + prefix
			}
			flush(replayBlock{kind: anchorAudio, audioMs: at}, f.T)
			cur.frames = append(cur.frames, replayFrame{index: i, frame: f})
		case f.Dir == cassette.Server:
			if f.Type == "session.created" || f.Type == "session.updated" {
				if fm, pre, ok := recordedInput(f.Data); ok {
					p.format, prefix = fm, pre
				}
			}
			cur.frames = append(cur.frames, replayFrame{index: i, offset: f.T - anchorT, frame: f,
				elided: bytes.Contains(f.Data, elisionMarker)})
		}
	}
	flush(replayBlock{}, 0)
	return p
}

// recordedInput reads the input format and prefix padding of a recorded
// session.created/updated in either dialect.
func recordedInput(data []byte) (audio.Format, int, bool) {
	var ev struct {
		Session struct {
			InputAudioFormat string `json:"input_audio_format"`
			TurnDetection    *struct {
				Prefix *int `json:"prefix_padding_ms"`
			} `json:"turn_detection"`
			Audio struct {
				Input struct {
					Format struct {
						Type string `json:"type"`
					} `json:"format"`
					TurnDetection *struct {
						Prefix *int `json:"prefix_padding_ms"`
					} `json:"turn_detection"`
				} `json:"input"`
			} `json:"audio"`
		} `json:"session"`
	}
	if json.Unmarshal(data, &ev) != nil {
		return 0, 0, false
	}
	name, prefix := ev.Session.InputAudioFormat, 300
	if td := ev.Session.TurnDetection; td != nil && td.Prefix != nil {
		prefix = *td.Prefix
	}
	if name == "" {
		name = ev.Session.Audio.Input.Format.Type
		if td := ev.Session.Audio.Input.TurnDetection; td != nil && td.Prefix != nil {
			prefix = *td.Prefix
		}
	}
	f, err := audio.ParseFormatLenient(name)
	if err != nil {
		return 0, 0, false
	}
	return f, prefix, true
}

// replayState is a session's progress through a plan.
type replayState struct {
	plan      *replayPlan
	nextBlock int
	nextExp   int
	audioMs   int
	audioRem  int // bytes appended beyond whole milliseconds
}

// runReplay serves the session from the cassette; it shares the session's
// loop, scheduler and writer with the simulation.
func (s *session) startReplay() {
	s.replay = &replayState{plan: s.cfg.replay}
	s.tr.SessionID = "replay-" + s.ids.make("sess_")
	if h := s.cfg.replay.c.Header(); h.Dialect != "" && h.Dialect != s.dialect {
		s.mismatch(fmt.Sprintf("the cassette was recorded in the %s dialect but this session speaks %s (path %s)", h.Dialect, s.dialect, s.hs.path), -1)
	}
	s.releaseBlocks()
}

// releaseBlocks schedules every block whose anchor has been reached, in
// recorded order.
// elisionMarker starts every elided audio string (see cassette.Elision).
var elisionMarker = []byte(`"rtmock-elided:`)

func (s *session) releaseBlocks() {
	r := s.replay
	for r.nextBlock < len(r.plan.blocks) {
		b := r.plan.blocks[r.nextBlock]
		switch b.kind {
		case anchorClient:
			if b.clientIdx >= r.nextExp {
				return
			}
		case anchorAudio:
			if r.audioMs < b.audioMs {
				return
			}
		}
		r.nextBlock++
		now := s.clock.Now()
		for _, f := range b.frames {
			f := f
			s.schedule(now.Add(s.replayGap(f.offset)), nil, func() { s.replayFrame(f) })
		}
	}
}

func (s *session) replayGap(d time.Duration) time.Duration {
	p := s.pace()
	switch p.Mode {
	case "instant":
		return 0
	}
	return time.Duration(float64(d) / p.Factor)
}

func (s *session) replayFrame(f replayFrame) {
	switch f.frame.Kind {
	case cassette.KindText:
		if !f.elided {
			// Found once at load: most frames go out as recorded, unscanned.
			s.write(f.frame.Type, f.frame.Data)
			return
		}
		data, _, err := cassette.RestoreAudio(f.frame.Data, func(format string, n int) []byte {
			fm, ferr := audio.ParseFormatLenient(format)
			if ferr != nil {
				return cassette.Silence(format, n)
			}
			return cachedTone(fm, 440, 0.3).AppendBytes(nil, 0, n)
		})
		if err != nil {
			data = f.frame.Data
		}
		s.write(f.frame.Type, data)
	case cassette.KindBinary:
		if !s.closed {
			s.record(FromServer, "", f.frame.Data, true, s.clock.Now())
			s.conn.Write(s.wctx, websocket.MessageBinary, f.frame.Data)
		}
	case cassette.KindClose:
		s.closeWith(websocket.StatusCode(f.frame.Code), f.frame.Reason)
	case cassette.KindError:
		s.closed = true
		s.conn.CloseNow()
	}
}

// replayReceive matches a client frame against the recording.
func (s *session) replayReceive(h realtime.Header, data []byte) {
	r := s.replay
	if h.Type == realtime.ClientInputAppend {
		raw, ok, _ := realtime.StringField(data, "audio")
		if ok {
			if n := base64.StdEncoding.DecodedLen(len(raw)) - padding(raw); n > 0 {
				per := r.plan.format.BytesPerMs()
				r.audioRem += n
				r.audioMs += r.audioRem / per
				r.audioRem %= per
			}
		}
		s.releaseBlocks()
		return
	}
	if r.nextExp >= len(r.plan.expected) {
		s.mismatch(fmt.Sprintf("client sent %s after the end of the recording", h.Type), -1)
		return
	}
	want := r.plan.expected[r.nextExp]
	if want.typ == h.Type {
		r.nextExp++
		s.releaseBlocks()
		return
	}
	// Resynchronise on the next recorded event of this type, reporting the
	// ones the client skipped; an event the recording never has again is
	// reported and ignored.
	for j := r.nextExp + 1; j < len(r.plan.expected); j++ {
		if r.plan.expected[j].typ == h.Type {
			for k := r.nextExp; k < j; k++ {
				s.mismatch(fmt.Sprintf("the client did not send %s", r.plan.expected[k].typ), r.plan.expected[k].index)
			}
			r.nextExp = j + 1
			s.releaseBlocks()
			return
		}
	}
	s.mismatch(fmt.Sprintf("expected %s, got %s", want.typ, h.Type), want.index)
}

func padding(raw []byte) int {
	n := 0
	for i := len(raw) - 1; i >= 0 && raw[i] == '='; i-- {
		n++
	}
	return n
}

// mismatch reports a difference between the client and the recording.
func (s *session) mismatch(msg string, frame int) {
	where := s.cfg.replay.c.Path()
	if frame >= 0 {
		where = fmt.Sprintf("%s:%d", where, replayLine(frame))
	}
	full := "replay " + where + ": " + msg
	s.tr.Mismatches = append(s.tr.Mismatches, full)
	s.cfg.Logger.Warn("replay mismatch", "session", s.tr.SessionID, "cassette", where, "msg", msg)
	if s.cfg.ReplayStrict {
		s.sendError(&realtime.Error{Type: realtime.InvalidRequestError, Code: "rtmock_replay_mismatch", Message: full}, "")
	}
}
