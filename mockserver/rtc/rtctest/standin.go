// Package rtctest provides a stand-in for the mock's session core, to test
// the WebRTC transport (package rtc) and the clients that use it without
// the core: the tests of rtc and the browser tests in e2e/webrtc drive
// whole calls against it.
//
// A StandIn answers the events a WebRTC client needs to connect and talks
// back with a tone:
//
//   - session.created when the call is made (it goes out when the data
//     channel opens), session.updated for every session.update;
//   - an energy detector on the decoded microphone audio: the first 20 ms
//     frame at or above Threshold is the speech onset
//     (input_audio_buffer.speech_started with its audio_start_ms), and
//     SilenceMs of frames below it after speech is the end
//     (input_audio_buffer.speech_stopped), after which it replies;
//   - a reply (to the end of speech, or to response.create): response.created,
//     ToneMs of a ToneHz sine on the audio track, output_audio_buffer.started
//     and .stopped as the transport reports playback, response.done;
//   - output_audio_buffer.clear: the transport stops the audio and the
//     StandIn sends output_audio_buffer.cleared.
//
// It records what it received (client events, the decoded audio with the
// times it arrived, playback reports, the cleared position) for the test
// to check. It is not the mock: no conversation, no validation.
package rtctest

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/mockserver/rtc"
)

// Options configure the StandIns of a Factory; zero fields take the
// defaults named on each.
type Options struct {
	ToneHz    float64 // 440
	ToneMs    int     // 1000
	Threshold float64 // dBFS of a 20 ms frame that counts as speech; −40
	SilenceMs int     // silence that ends speech; 500
	// ReplyToSpeech makes the StandIn reply when speech ends; otherwise only
	// response.create starts a reply.
	ReplyToSpeech bool
}

// Factory makes a StandIn for every call; its NewSession is an
// rtc.Options.NewSession.
type Factory struct {
	opts    Options
	mu      sync.Mutex
	all     []*StandIn
	created chan *StandIn
}

// NewFactory returns a Factory whose StandIns use opts (nil: defaults).
func NewFactory(opts *Options) *Factory {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.ToneHz == 0 {
		o.ToneHz = 440
	}
	if o.ToneMs == 0 {
		o.ToneMs = 1000
	}
	if o.Threshold == 0 {
		o.Threshold = -40
	}
	if o.SilenceMs == 0 {
		o.SilenceMs = 500
	}
	return &Factory{opts: o, created: make(chan *StandIn, 64)}
}

// NewSession implements rtc.Options.NewSession.
func (f *Factory) NewSession(info *rtc.CallInfo) (rtc.Session, error) {
	s := &StandIn{opts: f.opts, info: *info, call: info.Call, closed: make(chan struct{}), audioIn: make(chan struct{}, 1)}
	s.send(map[string]any{"type": "session.created", "session": s.sessionJSON()})
	f.mu.Lock()
	f.all = append(f.all, s)
	f.mu.Unlock()
	f.created <- s
	return s, nil
}

// Next waits for the next StandIn made, or for timeout.
func (f *Factory) Next(timeout time.Duration) (*StandIn, error) {
	select {
	case s := <-f.created:
		return s, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("rtctest: no call within %v", timeout)
	}
}

// Playback is one playback report from the transport.
type Playback struct {
	Started    bool
	ResponseID string
	At         time.Time
}

// Cleared is what a ClearAudio returned.
type Cleared struct {
	ResponseID, ItemID string
	PlayedMs           int
	At                 time.Time
}

// StandIn is one call's stand-in session. Its accessors are safe to call
// from the test while the call runs.
type StandIn struct {
	opts Options
	info rtc.CallInfo
	call rtc.Call

	mu         sync.Mutex
	events     []string // client event types, in order
	audio      []byte   // all decoded client audio
	firstAudio time.Time
	onsetMs    int // -1 until speech is found
	speaking   bool
	silentMs   int
	playbacks  []Playback
	cleared    []Cleared
	replies    int
	closeErr   error
	closed     chan struct{}
	audioIn    chan struct{} // a ClientAudio arrived
}

// Info is the CallInfo the StandIn was made with.
func (s *StandIn) Info() rtc.CallInfo { return s.info }

// Call is the StandIn's transport.
func (s *StandIn) Call() rtc.Call { return s.call }

func (s *StandIn) sessionJSON() map[string]any {
	return map[string]any{"id": "sess_standin", "object": "realtime.session", "model": s.info.Model}
}

func (s *StandIn) send(ev map[string]any) {
	b, _ := json.Marshal(ev)
	s.call.SendEvent(b)
}

// ClientEvent implements rtc.Session.
func (s *StandIn) ClientEvent(data []byte, at time.Time) {
	var ev struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		s.send(map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error", "code": "invalid_json", "message": err.Error()}})
		return
	}
	s.mu.Lock()
	s.events = append(s.events, ev.Type)
	s.mu.Unlock()
	switch ev.Type {
	case "session.update":
		s.send(map[string]any{"type": "session.updated", "session": s.sessionJSON()})
	case "response.create":
		s.reply()
	case "output_audio_buffer.clear":
		s.clear(at)
	}
}

// clear stops the audio and reports it as the service does.
func (s *StandIn) clear(at time.Time) {
	rid, iid, ms := s.call.ClearAudio()
	s.mu.Lock()
	s.cleared = append(s.cleared, Cleared{rid, iid, ms, at})
	s.mu.Unlock()
	s.send(map[string]any{"type": "output_audio_buffer.cleared", "response_id": rid})
}

// reply plays the tone as a response.
func (s *StandIn) reply() {
	s.mu.Lock()
	s.replies++
	n := s.replies
	s.mu.Unlock()
	rid, iid := fmt.Sprintf("resp_standin%d", n), fmt.Sprintf("item_standin%d", n)
	s.send(map[string]any{"type": "response.created", "response": map[string]any{"id": rid, "status": "in_progress"}})
	tone, err := audio.NewTone(audio.PCM16, s.opts.ToneHz, 0.5)
	if err != nil {
		panic(err)
	}
	pcm := tone.AppendBytes(nil, 0, s.opts.ToneMs*48)
	// Hand the audio over in 100 ms chunks, as the core would.
	for off := 0; off < len(pcm); off += 4800 {
		s.call.PlayAudio(rid, iid, pcm[off:min(off+4800, len(pcm))])
	}
	s.call.EndAudio(rid)
	s.send(map[string]any{"type": "response.done", "response": map[string]any{"id": rid, "status": "completed"}})
}

// ClientAudio implements rtc.Session: it records the audio and runs the
// energy detector over it in 20 ms frames.
func (s *StandIn) ClientAudio(pcm []byte, at time.Time) {
	s.mu.Lock()
	if len(s.audio) == 0 {
		s.firstAudio = at
		s.onsetMs = -1
	}
	start := len(s.audio) / 960 * 960 // frames already judged
	s.audio = append(s.audio, pcm...)
	var events []map[string]any
	reply := false
	for off := start; off+960 <= len(s.audio); off += 960 {
		loud := audio.LevelDBFS(audio.PCM16, s.audio[off:off+960]) >= s.opts.Threshold
		ms := off / 48
		switch {
		case loud && !s.speaking:
			s.speaking, s.silentMs = true, 0
			if s.onsetMs < 0 {
				s.onsetMs = ms
			}
			events = append(events, map[string]any{"type": "input_audio_buffer.speech_started", "audio_start_ms": ms, "item_id": "item_user"})
		case loud:
			s.silentMs = 0
		case s.speaking:
			s.silentMs += 20
			if s.silentMs >= s.opts.SilenceMs {
				s.speaking = false
				events = append(events, map[string]any{"type": "input_audio_buffer.speech_stopped", "audio_end_ms": ms + 20 - s.silentMs, "item_id": "item_user"})
				reply = s.opts.ReplyToSpeech
			}
		}
	}
	s.mu.Unlock()
	select {
	case s.audioIn <- struct{}{}:
	default:
	}
	for _, ev := range events {
		s.send(ev)
	}
	if reply {
		s.reply()
	}
}

// WaitAudio waits until at least samples samples of client audio have
// arrived, and returns the audio then; it fails after timeout.
func (s *StandIn) WaitAudio(samples int, timeout time.Duration) ([]byte, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		got, _ := s.Audio()
		if len(got)/2 >= samples {
			return got, nil
		}
		select {
		case <-s.audioIn:
		case <-deadline.C:
			return got, fmt.Errorf("rtctest: %d samples of client audio in %v, want %d", len(got)/2, timeout, samples)
		}
	}
}

// PlaybackStarted implements rtc.Session.
func (s *StandIn) PlaybackStarted(responseID string, at time.Time) {
	s.playback(Playback{true, responseID, at})
	s.send(map[string]any{"type": "output_audio_buffer.started", "response_id": responseID})
}

// PlaybackStopped implements rtc.Session.
func (s *StandIn) PlaybackStopped(responseID string, at time.Time) {
	s.playback(Playback{false, responseID, at})
	s.send(map[string]any{"type": "output_audio_buffer.stopped", "response_id": responseID})
}

func (s *StandIn) playback(p Playback) {
	s.mu.Lock()
	s.playbacks = append(s.playbacks, p)
	s.mu.Unlock()
}

// Closed implements rtc.Session.
func (s *StandIn) Closed(err error) {
	s.mu.Lock()
	s.closeErr = err
	s.mu.Unlock()
	close(s.closed)
}

// Done is closed when the call has ended; Err then says why.
func (s *StandIn) Done() <-chan struct{} { return s.closed }

// Err is what Closed got.
func (s *StandIn) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeErr
}

// Events returns the types of the client events received so far.
func (s *StandIn) Events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// Audio returns the decoded client audio so far (PCM16 LE 24 kHz mono)
// and when its first bytes arrived.
func (s *StandIn) Audio() ([]byte, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.audio...), s.firstAudio
}

// OnsetMs is where the detector found speech in the client audio, in ms
// from its start; false when it has not (yet).
func (s *StandIn) OnsetMs() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.onsetMs, len(s.audio) > 0 && s.onsetMs >= 0
}

// Playbacks returns the playback reports so far.
func (s *StandIn) Playbacks() []Playback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Playback(nil), s.playbacks...)
}

// ClearedAudio returns what each ClearAudio returned.
func (s *StandIn) ClearedAudio() []Cleared {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Cleared(nil), s.cleared...)
}
