package conformance_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
)

// A hand-made WebRTC call: the data-channel events of a GA session and the
// service's RTP packets, 20 ms each, recorded as audio frames.

const (
	rtcItem    = `{"type":"response.output_item.added","event_id":"o","response_id":"resp_1","output_index":0,"item":{"id":"item_1","type":"message","role":"assistant","status":"in_progress","content":[]}}`
	rtcStarted = `{"type":"output_audio_buffer.started","event_id":"b1","response_id":"resp_1"}`
	rtcStopped = `{"type":"output_audio_buffer.stopped","event_id":"b2","response_id":"resp_1"}`
	rtcCleared = `{"type":"output_audio_buffer.cleared","event_id":"b3","response_id":"resp_1"}`
	rtcClear   = `{"type":"output_audio_buffer.clear","event_id":"c7"}`
	rtcRespGA  = `{"type":"response.created","event_id":"e1","response":{"id":"resp_1","status":"in_progress","conversation_id":"conv_1"}}`
)

func rtcTruncated(end int) string {
	return fmt.Sprintf(`{"type":"conversation.item.truncated","event_id":"t","item_id":"item_1","content_index":0,"audio_end_ms":%d}`, end)
}

// rtcFrame is one frame of a hand-made call: an event (ev) or, with ev
// empty, a server RTP packet of 20 ms.
type rtcFrame struct {
	ms  float64
	dir cassette.Direction
	ev  string
}

func rs(ms float64, ev string) rtcFrame { return rtcFrame{ms, cassette.Server, ev} }
func rc(ms float64, ev string) rtcFrame { return rtcFrame{ms, cassette.Client, ev} }

// packets are the service's packets from ms from to ms to, one per 20 ms.
func packets(from, to float64) []rtcFrame {
	var fs []rtcFrame
	for t := from; t < to; t += 20 {
		fs = append(fs, rtcFrame{ms: t, dir: cassette.Server})
	}
	return fs
}

// call assembles a WebRTC call closed by the client at the end.
func call(parts ...[]rtcFrame) *conformance.Session {
	s := &conformance.Session{Dialect: realtime.GA, Transport: "webrtc"}
	var all []rtcFrame
	for _, p := range parts {
		all = append(all, p...)
	}
	var last time.Duration
	seq := uint16(0)
	for _, f := range all {
		t := time.Duration(f.ms * float64(time.Millisecond))
		last = max(last, t)
		if f.ev == "" {
			seq++
			s.Frames = append(s.Frames, cassette.Frame{T: t, Dir: f.dir, Kind: cassette.KindAudio, Data: make([]byte, 960),
				RTP: cassette.RTPStamp{Timestamp: uint32(seq) * 960, Seq: seq}})
			continue
		}
		typ := f.ev[strings.Index(f.ev, `"type":"`)+8:]
		typ = typ[:strings.IndexByte(typ, '"')]
		s.Frames = append(s.Frames, cassette.Frame{T: t, Dir: f.dir, Kind: cassette.KindText, Type: typ, Data: []byte(f.ev)})
	}
	s.Close = conformance.Close{By: cassette.Client, Code: 1000, At: last + time.Second}
	return s
}

func one(fs ...rtcFrame) []rtcFrame { return fs }

// playing is a call whose reply's audio goes out from 300 ms, with the
// user talking at 600 ms, after 300 ms (15 packets) of it.
func playing() []rtcFrame {
	return append(one(rs(0, createdGA), rc(10, respCreate), rs(200, rtcRespGA), rs(250, rtcItem), rs(300, rtcStarted)), packets(300, 600)...)
}

func TestPlaybackRulesReadTheRTPStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		session *conformance.Session
		rule    string
		want    conformance.Status
		problem string
	}{
		{"the service clearing its buffer at the barge-in passes", call(playing(), one(rs(600, speech), rs(601, rtcCleared), rs(601, rtcTruncated(300)))),
			conformance.RuleBargeInTruncate, conformance.Pass, ""},
		{"the service clearing is not the client's reaction", call(playing(), one(rs(600, speech), rs(601, rtcCleared), rs(601, rtcTruncated(300)))),
			conformance.RuleBargeInReaction, conformance.NA, "cleared the audio itself"},
		{"audio going on after a barge-in nobody stops fails", call(playing(), one(rs(600, speech)), packets(600, 2300), one(rs(2300, rtcStopped))),
			conformance.RuleBargeInTruncate, conformance.Fail, "after 300 ms of its audio had gone out, and the audio went on"},
		{"the client's output_audio_buffer.clear passes", call(playing(), one(rs(600, speech)), packets(600, 650), one(rc(650, rtcClear), rs(651, rtcCleared), rs(651, rtcTruncated(350)))),
			conformance.RuleBargeInTruncate, conformance.Pass, ""},
		{"a prompt output_audio_buffer.clear is a timely reaction", call(playing(), one(rs(600, speech)), packets(600, 650), one(rc(650, rtcClear), rs(651, rtcCleared))),
			conformance.RuleBargeInReaction, conformance.Pass, ""},
		{"an output_audio_buffer.clear 800 ms late is slow", call(playing(), one(rs(600, speech)), packets(600, 1400), one(rc(1400, rtcClear), rs(1401, rtcCleared))),
			conformance.RuleBargeInReaction, conformance.Fail, "800 ms after"},
		{"speech after the audio stopped is no barge-in", call(playing(), one(rs(600, rtcStopped), rs(900, speech))),
			conformance.RuleBargeInTruncate, conformance.NA, "no input_audio_buffer.speech_started"},
		{"a client truncate at the audio sent passes", call(playing(), one(rs(600, speech)), packets(600, 640), one(rc(640, truncate("340")))),
			conformance.RuleTruncatePlayed, conformance.Pass, ""},
		{"a client truncate past the audio sent fails", call(playing(), one(rs(600, speech)), packets(600, 640), one(rc(640, truncate("2000")))),
			conformance.RuleTruncatePlayed, conformance.Fail, "only 340 ms"},
		{"two client truncates fail", call(playing(), one(rs(600, speech), rc(640, truncate("300")), rc(700, truncate("300")))),
			conformance.RuleBargeInTruncate, conformance.Fail, "2 times"},
		{"a voice change after the first packet fails", call(playing(), one(rc(700, `{"type":"session.update","session":{"type":"realtime","audio":{"output":{"voice":"verse"}}}}`))),
			conformance.RuleVoiceChange, conformance.Fail, "from alloy to verse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := conformance.Check([]*conformance.Rule{conformance.RuleByID(tt.rule)}, tt.session)[0]
			if v.Status != tt.want {
				t.Fatalf("%s = %s (%s), want %s; findings: %+v", tt.rule, v.Status, v.Why, tt.want, v.Findings)
			}
			text := v.Why
			if len(v.Findings) > 0 {
				text = v.Findings[0].Problem
			}
			if !strings.Contains(text, tt.problem) {
				t.Errorf("%s says %q, want it to mention %q", tt.rule, text, tt.problem)
			}
		})
	}
}

// TestWebRTCCassettesAreJudgedAsCalls: a call written as a cassette and
// judged offline (rtmock conformance check) is judged as a call: the header
// keeps the transport, and a cassette without it that holds audio frames
// is one too. Judged as a WebSocket session, its output_audio_buffer.clear
// would fail RT-EVENT-TYPES.
func TestWebRTCCassettesAreJudgedAsCalls(t *testing.T) {
	t.Parallel()
	s := call(playing(), one(rs(600, speech)), packets(600, 650), one(rc(650, rtcClear), rs(651, rtcCleared)))
	var buf bytes.Buffer
	if err := conformance.WriteSession(&buf, s); err != nil {
		t.Fatal(err)
	}
	withHeader := buf.String()
	bare := withHeader[strings.IndexByte(withHeader, '\n')+1:] // a frame log without the header
	for name, text := range map[string]string{"with its header": withHeader, "without a header": bare} {
		back, err := conformance.ReadSession(strings.NewReader(text), "call.jsonl")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if back.Transport != "webrtc" {
			t.Errorf("%s: transport %q, want webrtc", name, back.Transport)
		}
		for _, v := range conformance.Check([]*conformance.Rule{conformance.RuleByID(conformance.RuleEventTypes), conformance.RuleByID(conformance.RuleBargeInReaction)}, back) {
			if v.Status != conformance.Pass {
				t.Errorf("%s: %s = %s (%s) %+v, want pass", name, v.Rule, v.Status, v.Why, v.Findings)
			}
		}
	}
}
