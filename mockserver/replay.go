package mockserver

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"time"

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
	call     bool // a WebRTC call's record: its audio is packets, not deltas
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
	var parser realtime.Parser
	cur := replayBlock{kind: anchorConnect}
	var anchorT time.Duration
	prefix := 300
	flush := func(next replayBlock, t time.Duration) {
		if len(cur.frames) > 0 || cur.kind != anchorConnect {
			p.blocks = append(p.blocks, cur)
		}
		cur, anchorT = next, t
	}
	p.call = c.Header().Transport == "webrtc"
	for i, f := range c.All() {
		p.call = p.call || f.Kind == cassette.KindAudio
		switch {
		case f.Kind == cassette.KindHTTP && f.Dir == cassette.Server && i == 0:
			fr := f
			p.http = &fr
			return p
		case f.Dir == cassette.Client && f.Kind == cassette.KindText && f.Type != realtime.ClientInputAppend:
			p.expected = append(p.expected, replayClient{index: i, typ: f.Type})
			flush(replayBlock{kind: anchorClient, clientIdx: len(p.expected) - 1}, f.T)
		case f.Dir == cassette.Server && (f.Type == "input_audio_buffer.speech_started" || f.Type == "input_audio_buffer.speech_stopped"):
			v, _ := parser.Parse(f.Data)
			end, _ := v.Get("audio_end_ms").Int()
			at := int(end)
			if f.Type == "input_audio_buffer.speech_started" {
				start, _ := v.Get("audio_start_ms").Int()
				at = int(start) + prefix
			}
			flush(replayBlock{kind: anchorAudio, audioMs: at}, f.T)
			cur.frames = append(cur.frames, replayFrame{index: i, frame: f})
		case f.Dir == cassette.Server:
			if f.Type == "session.created" || f.Type == "session.updated" {
				if v, err := parser.Parse(f.Data); err == nil {
					d := p.c.Header().Dialect
					if d == "" {
						d = realtime.Preview
						if v.Path("session", "audio").Exists() {
							d = realtime.GA
						}
					}
					conf := realtime.ReadSession(d, v.Get("session"))
					p.format = conf.InputFormat
					if conf.TurnDetection != nil {
						prefix = conf.TurnDetection.PrefixPaddingMs
					}
				}
			}
			cur.frames = append(cur.frames, replayFrame{index: i, offset: f.T - anchorT, frame: f,
				elided: bytes.Contains(f.Data, elisionMarker)})
		}
	}
	flush(replayBlock{}, 0)
	return p
}

// replayer plays a recording back: the mode of every session of a Handler
// with a cassette. It shares the session's scheduler and writer with the
// simulation.
type replayer struct {
	*session
	plan      *replayPlan
	nextBlock int
	nextExp   int
	audioMs   int
	audioRem  int // bytes appended beyond whole milliseconds
	rtc       rtcReplay
}

func newReplayer(s *session) *replayer { return &replayer{session: s, plan: s.cfg.replay} }

func (r *replayer) start() {
	r.setID("replay-" + r.ids.make("sess_"))
	if h := r.plan.c.Header(); h.Dialect != "" && h.Dialect != r.dialect {
		r.mismatch(fmt.Sprintf("the cassette was recorded in the %s dialect but this session speaks %s (path %s)", h.Dialect, r.dialect, r.hs.path), -1)
	}
	r.scheduleExpiry(r.cfg.SessionMaxDuration)
	r.releaseBlocks()
}

// latency is none: a recording's own gaps pace the replay.
func (r *replayer) latency(*realtime.ClientEvent) time.Duration { return 0 }

// audio counts microphone audio (PCM16 24 kHz, from a WebRTC call) onto
// the timeline, which counts bytes of the recorded input format.
func (r *replayer) audio(pcm []byte) {
	r.countAudio(len(pcm) / audio.PCM16.BytesPerMs() * r.plan.format.BytesPerMs())
}

// elisionMarker starts every elided audio string (see cassette.Elision).
var elisionMarker = []byte(`"rtmock-elided:`)

// releaseBlocks schedules every block whose anchor has been reached, in
// recorded order.
func (r *replayer) releaseBlocks() {
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
		now := r.clock.Now()
		for _, f := range b.frames {
			r.at(now.Add(r.replayGap(f.offset)), nil, func() { r.replayFrame(f) })
		}
	}
}

func (r *replayer) replayGap(d time.Duration) time.Duration {
	p := r.pace()
	if p.Mode == "instant" {
		return 0
	}
	return time.Duration(float64(d) / p.Factor)
}

func (r *replayer) replayFrame(f replayFrame) {
	switch f.frame.Kind {
	case cassette.KindText:
		data := f.frame.Data
		if f.elided {
			data = r.restore(data)
		}
		if r.toCall(&f.frame, data) {
			return
		}
		// Found once at load: most frames go out as recorded, unscanned.
		r.write(f.frame.Type, data)
	case cassette.KindAudio:
		r.playPacket(&f.frame)
	case cassette.KindBinary:
		b := cassette.Frame{Dir: cassette.Server, Kind: cassette.KindBinary, Data: f.frame.Data}
		r.deliver(&b)
	case cassette.KindClose:
		r.closeWith(f.frame.Code, f.frame.Reason)
	case cassette.KindError:
		r.closeWith(1006, f.frame.Reason)
	}
}

// restore re-synthesises the elided audio of a recorded event as a tone of
// its length.
func (r *replayer) restore(data []byte) []byte {
	out, _, err := cassette.RestoreAudio(data, func(format string, n int) []byte {
		fm, ferr := audio.ParseFormatLenient(format)
		if ferr != nil {
			return cassette.Silence(format, n)
		}
		return r.h.tones.get(fm, 440, 0.3).AppendBytes(nil, 0, n)
	})
	if err != nil {
		return data
	}
	return out
}

// handle matches a client event against the recording; what the table of
// client events finds wrong is the recording's business, not the replay's.
func (r *replayer) handle(ev *realtime.ClientEvent, _ *realtime.Error) {
	if ev.Type == realtime.ClientInputAppend {
		if raw, ok := ev.Member("audio").RawString(); ok {
			if n := base64.StdEncoding.DecodedLen(len(raw)) - padding(raw); n > 0 {
				r.countAudio(n)
			}
		}
		return
	}
	if r.nextExp >= len(r.plan.expected) {
		r.mismatch(fmt.Sprintf("client sent %s after the end of the recording", ev.Type), -1)
		return
	}
	want := r.plan.expected[r.nextExp]
	if want.typ == ev.Type {
		r.nextExp++
		r.releaseBlocks()
		return
	}
	// Resynchronise on the next recorded event of this type, reporting the
	// ones the client skipped; an event the recording never has again is
	// reported and ignored.
	for j := r.nextExp + 1; j < len(r.plan.expected); j++ {
		if r.plan.expected[j].typ == ev.Type {
			for k := r.nextExp; k < j; k++ {
				r.mismatch(fmt.Sprintf("the client did not send %s", r.plan.expected[k].typ), r.plan.expected[k].index)
			}
			r.nextExp = j + 1
			r.releaseBlocks()
			return
		}
	}
	r.mismatch(fmt.Sprintf("expected %s, got %s", want.typ, ev.Type), want.index)
}

// countAudio advances the client's audio timeline by n bytes.
func (r *replayer) countAudio(n int) {
	per := r.plan.format.BytesPerMs()
	r.audioRem += n
	r.audioMs += r.audioRem / per
	r.audioRem %= per
	r.releaseBlocks()
}

func padding(raw []byte) int {
	n := 0
	for i := len(raw) - 1; i >= 0 && raw[i] == '='; i-- {
		n++
	}
	return n
}

// mismatch reports a difference between the client and the recording.
func (r *replayer) mismatch(msg string, frame int) {
	where := r.plan.c.Path()
	if frame >= 0 {
		where = fmt.Sprintf("%s:%d", where, replayLine(frame))
	}
	full := "replay " + where + ": " + msg
	r.tr.Mismatches = append(r.tr.Mismatches, full)
	r.cfg.Logger.Warn("replay mismatch", "session", r.info.ID, "cassette", where, "msg", truncateForLog(msg))
	if r.cfg.ReplayStrict {
		r.sendError(&realtime.Error{Type: realtime.InvalidRequestError, Code: "rtmock_replay_mismatch", Message: full}, "")
	}
}
