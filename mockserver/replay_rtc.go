package mockserver

import (
	"encoding/base64"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/realtime"
)

// Replay to a WebRTC call. The service sends no audio deltas on a call's
// data channel: the assistant's audio goes on the RTP track. So a recorded
// audio delta (a WebSocket cassette) is not sent; its audio, as PCM16
// 24 kHz, goes to the call's track under its response and item, and the
// response's audio ends at its response.done. A WebRTC cassette's own
// audio frames (the service's packets) play on the track at their recorded
// place. The call reports its own output_audio_buffer.started and
// .stopped as the audio plays, so the recorded ones are not sent again;
// the recorded .cleared is not either (the call clears on a barge-in of its
// own only). The client's microphone advances the replay's audio timeline
// as appends do.

// rtcReplay is what a replay to a call keeps between frames.
type rtcReplay struct {
	p    realtime.Parser // the session's is the client events'
	out  audio.Format    // the recorded output format
	resp string          // the response whose audio the recording plays
	item string          // … and its item
}

// kindOfRecorded classifies a recorded server event by its name in either
// dialect.
func kindOfRecorded(typ string) realtime.Kind {
	if k := realtime.KindOf(realtime.GA, typ); k != realtime.KindUnknown {
		return k
	}
	return realtime.KindOf(realtime.Preview, typ)
}

// toCall takes recorded server event data (its frame f) on a WebRTC call,
// and reports whether it went to the track instead of the data channel.
func (r *replayer) toCall(f *cassette.Frame, data []byte) bool {
	if r.sink == nil {
		return false
	}
	switch kindOfRecorded(f.Type) {
	case realtime.KindSessionCreated, realtime.KindSessionUpdated:
		if _, out, _, ok := realtime.AnnouncedFormats(&r.rtc.p, data); ok {
			r.rtc.out = out
		}
	case realtime.KindOutputItemAdded:
		if v, err := r.rtc.p.Parse(data); err == nil {
			r.rtc.resp, _ = v.Get("response_id").Str()
			r.rtc.item, _ = v.Path("item", "id").Str()
		}
	case realtime.KindAudioDelta:
		r.playDelta(data)
		return true
	case realtime.KindResponseDone:
		if v, err := r.rtc.p.Parse(data); err == nil && !r.plan.call {
			id, _ := v.Path("response", "id").Str()
			r.sink.EndAudio(id)
		}
	case realtime.KindOutputAudioBufferStopped, realtime.KindOutputAudioBufferCleared:
		r.endRecordedPlayback(data)
		return true
	case realtime.KindOutputAudioBufferStarted:
		return true
	}
	return false
}

// packetLag is how late a call's last packets may be recorded after the
// output_audio_buffer event that ended their playback (they reach the
// transcript through the call's inbox).
const packetLag = 200 * time.Millisecond

// endRecordedPlayback ends a response's audio in the replay of a WebRTC
// call's record: its packets play on after response.done, so the audio
// ends where the recording's playback did, once the packets recorded just
// after that event have been played.
func (r *replayer) endRecordedPlayback(data []byte) {
	if !r.plan.call {
		return
	}
	v, err := r.rtc.p.Parse(data)
	if err != nil {
		return
	}
	id, _ := v.Get("response_id").Str()
	r.at(r.clock.Now().Add(r.replayGap(packetLag)), nil, func() { r.sink.EndAudio(id) })
}

// playDelta plays a recorded audio delta on the call's track.
func (r *replayer) playDelta(data []byte) {
	v, err := r.rtc.p.Parse(data)
	if err != nil {
		return
	}
	resp, _ := v.Get("response_id").Str()
	item, _ := v.Get("item_id").Str()
	b64, _ := v.Get("delta").Str()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return
	}
	r.sink.PlayAudio(resp, item, toPCM24(r.rtc.out, raw))
}

// playPacket plays one recorded packet of a WebRTC cassette (PCM16 24 kHz)
// under the response whose item the recording last announced.
func (r *replayer) playPacket(f *cassette.Frame) {
	if r.sink != nil && f.Dir == cassette.Server {
		r.sink.PlayAudio(r.rtc.resp, r.rtc.item, f.Data)
	}
}

// toPCM24 converts audio of format f to the track's PCM16 24 kHz.
func toPCM24(f audio.Format, raw []byte) []byte {
	if f == audio.PCM16 || !f.Valid() {
		return raw
	}
	s := audio.Resample(audio.AppendSamples(nil, f, raw), f.SampleRate(), audio.PCM16.SampleRate())
	return audio.AppendEncoded(nil, audio.PCM16, s)
}
