package mockserver

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/realtime"
)

// The WebRTC transport binds the rtc package's calls to the session core:
// the data channel carries the same JSON events as a WebSocket (through
// rtcTransport), the microphone's decoded audio feeds the same server VAD
// (session.clientAudio), and the assistant's audio goes to the RTP track
// instead of audio delta events (the session's audioSink). The WebRTC-only
// events output_audio_buffer.started, .stopped and .cleared come from the
// call's playback reports and from clearing it.

// audioSink takes the assistant's audio of a session whose transport plays
// it itself (WebRTC): PCM16 24 kHz mono by response and item.
type audioSink interface {
	PlayAudio(responseID, itemID string, pcm []byte)
	EndAudio(responseID string)
	ClearAudio() (responseID, itemID string, playedMs int)
}

// newRTC makes the handler of the WebRTC and SIP call-control routes,
// bound to h.
func (h *Handler) newRTC() (*rtc.Handler, error) {
	return rtc.NewHandler(&rtc.Options{
		NewSession:    h.newRTCSession,
		APIKey:        h.cfg.APIKey,
		Clock:         rtc.ClockOf(h.cfg.Clock),
		Seed:          h.cfg.Seed,
		Logger:        h.cfg.Logger,
		WebhookURL:    h.cfg.SIPWebhookURL,
		WebhookSecret: h.cfg.SIPWebhookSecret,
		OnSIPCallEnd:  h.endSIPControl,
	})
}

// newRTCSession starts the session core of a new call.
func (h *Handler) newRTCSession(ci *rtc.CallInfo) (rtc.Session, error) {
	if !h.begin() {
		return nil, &rtc.RequestError{Status: http.StatusServiceUnavailable, Message: "The server is shutting down."}
	}
	hs := &handshakeInfo{provider: Provider(ci.Provider), dialect: ci.Dialect, model: ci.Model, path: "/rtc/" + ci.ID,
		query: map[string]string{"call_id": ci.ID}}
	t := &rtcTransport{call: ci.Call}
	s := newSession(h, hs, h.nextID.Add(1), t)
	s.sink = ci.Call
	rs := &rtcSession{h: h, s: s, ended: make(chan struct{})}
	if !h.track(s) {
		s.abortBy.Store(time.Now().Add(shutdownGrace).UnixNano())
	}
	s.start()
	return rs, nil
}

// rtcTransport sends a session's frames on the call's data channel, and
// to the control sockets attached to the call (control.go).
type rtcTransport struct {
	call rtc.Call
	side sideband
}

func (t *rtcTransport) kind() string { return "webrtc" }

func (t *rtcTransport) send(f *cassette.Frame) error {
	if f.Kind != cassette.KindText {
		return nil // a data channel carries JSON text only
	}
	t.side.send(f.Data)
	// SendEvent may queue the frame until the channel opens: it keeps a
	// copy, as the session reuses its buffer.
	return t.call.SendEvent(slices.Clone(f.Data))
}

func (t *rtcTransport) close(_ int, reason string) { t.call.Close(reason) }

func (t *rtcTransport) abort() { t.call.Close("aborted") }

// rtcSession is the session core as a call sees it.
type rtcSession struct {
	h     *Handler
	s     *session
	ended chan struct{}
}

func (r *rtcSession) ClientEvent(data []byte, _ time.Time) {
	r.s.receive(cassette.Frame{Dir: cassette.Client, Kind: cassette.KindText, Data: data})
}

func (r *rtcSession) ClientAudio(pcm []byte, _ time.Time) { r.s.clientAudio(pcm) }

// WantsPackets: only a session that keeps or shows its frames records
// the call's audio.
func (r *rtcSession) WantsPackets() bool { return r.s.keep || r.s.cfg.Observer != nil }

// ClientPacket and ServerPacket record the call's audio in the transcript
// with its RTP timing (cassette.KindAudio), for those who keep or observe
// frames.
func (r *rtcSession) ClientPacket(pcm []byte, ts uint32, seq uint16, at time.Time) {
	r.s.media(cassette.Client, pcm, ts, seq, at)
}

func (r *rtcSession) ServerPacket(pcm []byte, ts uint32, seq uint16, at time.Time) {
	r.s.media(cassette.Server, pcm, ts, seq, at)
}

// media records one RTP packet's audio, when anyone sees the frames, at
// the time it reached the session (the packet's own timing is its RTP
// stamp).
func (s *session) media(dir cassette.Direction, pcm []byte, ts uint32, seq uint16, _ time.Time) {
	s.lock()
	defer s.unlock()
	if s.closed {
		return
	}
	f := cassette.Frame{T: s.clock.Now().Sub(s.started), Dir: dir, Kind: cassette.KindAudio, Data: pcm,
		RTP: cassette.RTPStamp{Timestamp: ts, Seq: seq}}
	s.observe(&f, nil, realtime.KindUnknown)
}

func (r *rtcSession) PlaybackStarted(responseID string, _ time.Time) {
	r.s.playback(realtime.KindOutputAudioBufferStarted, responseID)
}

func (r *rtcSession) PlaybackStopped(responseID string, _ time.Time) {
	r.s.playback(realtime.KindOutputAudioBufferStopped, responseID)
}

// Closed ends the session: the client's hang-up (closing its data channel
// or peer connection, or the hang-up route) is a normal close, as a close
// frame 1000 is on a WebSocket; a failed peer connection, a channel the
// fault closed or a client that never connected is a dropped one.
func (r *rtcSession) Closed(err error) {
	code := 1000
	if errors.Is(err, rtc.ErrPeerClosed) || errors.Is(err, rtc.ErrDataChannelClosed) || errors.Is(err, rtc.ErrConnectTimeout) {
		code = -1
	}
	r.s.gone(code, "")
	go func() {
		r.s.closing.Wait()
		if t, ok := r.s.t.(*rtcTransport); ok {
			t.side.end()
		}
		tr := r.s.finish()
		r.h.untrack(r.s, tr)
		r.h.wg.Done()
		close(r.ended)
	}()
}

// playback sends an output_audio_buffer event of the call's playback.
func (s *session) playback(k realtime.Kind, responseID string) {
	s.lock()
	defer s.unlock()
	if !s.closed {
		s.emitKind(k, kv{"response_id", responseID})
	}
}
