package conformance

import (
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// On a WebRTC call the assistant's audio is no audio delta but RTP,
// recorded as one audio frame per packet (PCM16 24 kHz, cassette.KindAudio),
// and the service keeps a playout buffer that it reports on the data
// channel: output_audio_buffer.started when its first packet goes out,
// .stopped when the response's audio has all gone out, .cleared when a
// barge-in or the client's output_audio_buffer.clear cut it. The service
// paces the packets in real time, so what it has sent is what the client
// has played, give or take its jitter buffer: the playback model reads the
// packets sent by then, not the time since a first delta.

// rtcPlayback is a WebRTC call's playout buffer as the transcript tells it.
type rtcPlayback struct {
	msgOf     map[string]string // response id → its latest assistant message item
	started   map[string]int    // response id → frame of output_audio_buffer.started
	ended     map[string]int    // response id → frame of .stopped or .cleared
	cleared   map[string]int    // response id → frame of .cleared
	playing   string            // the response whose audio is going out, "" when none
	last      string            // the last response whose audio started
	clears    []*event          // the client's output_audio_buffer.clear events
	truncated map[string]int    // item id → frame of the service's conversation.item.truncated
}

func newRTCPlayback() *rtcPlayback {
	return &rtcPlayback{msgOf: map[string]string{}, started: map[string]int{}, ended: map[string]int{},
		cleared: map[string]int{}, truncated: map[string]int{}}
}

// webrtc reports whether the session is a WebRTC call.
func (v *view) webrtc() bool { return v.rtc != nil }

// server follows the playout buffer through server event e (frame i).
func (p *rtcPlayback) server(k realtime.Kind, e *event, i int) {
	resp := str(e.obj, "response_id")
	switch k {
	case realtime.KindOutputItemAdded:
		if str(e.obj, "item.type") == "message" && str(e.obj, "item.role") == "assistant" {
			p.msgOf[resp] = str(e.obj, "item.id")
		}
	case realtime.KindOutputAudioBufferStarted:
		if _, ok := p.started[resp]; !ok {
			p.started[resp] = i
		}
		p.playing, p.last = resp, resp
	case realtime.KindOutputAudioBufferCleared:
		if _, ok := p.cleared[resp]; !ok {
			p.cleared[resp] = i
		}
		p.end(resp, i)
	case realtime.KindOutputAudioBufferStopped:
		p.end(resp, i)
	case realtime.KindItemTruncated:
		if id := str(e.obj, "item_id"); id != "" {
			if _, ok := p.truncated[id]; !ok {
				p.truncated[id] = i
			}
		}
	}
}

func (p *rtcPlayback) end(resp string, i int) {
	if _, ok := p.ended[resp]; !ok {
		p.ended[resp] = i
	}
	if p.playing == resp {
		p.playing = ""
	}
}

// rtcPacket adds one packet the service sent (frame i) to the item whose
// audio is going out. A packet's frame can be recorded just after the
// event that ended its playback, so one that comes when nothing plays
// belongs to the last response that played.
func (v *view) rtcPacket(e *event, i int) {
	p := v.rtc
	resp := p.playing
	if resp == "" {
		resp = p.last
	}
	id := p.msgOf[resp]
	if id == "" {
		return
	}
	it := v.itemBy[id]
	if it == nil {
		it = &aitem{id: id, resp: resp, first: i, format: audio.PCM16}
		v.itemBy[id] = it
		v.items = append(v.items, it)
	}
	e.audioN = len(e.f.Data)
	it.deltas = append(it.deltas, e)
}

// playingAt reports whether the audio of response resp was going out at
// frame i: its buffer started before i and had not stopped or been cleared.
func (p *rtcPlayback) playingAt(resp string, i int) bool {
	s, ok := p.started[resp]
	if !ok || s >= i {
		return false
	}
	e, ok := p.ended[resp]
	return !ok || e > i
}

// rtcFrame reads frame i of a WebRTC call when it is an audio packet, and
// reports whether it was one: the service's packets are its items' audio,
// the client's are its microphone (judged elsewhere).
func (v *view) rtcFrame(e *event, i int) bool {
	f := &v.s.Frames[i]
	if v.rtc == nil || f.Kind != cassette.KindAudio {
		return false
	}
	if f.Dir == cassette.Server {
		v.rtcPacket(e, i)
	}
	return true
}
