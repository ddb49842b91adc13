package conformance_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
	"github.com/thesyncim/gopus"
)

// rtcBehaviour is how a WebRTC test client treats barge-in.
type rtcBehaviour struct {
	interruptOff  bool // session.update turns turn_detection.interrupt_response off
	clearOnSpeech bool // on speech_started: response.cancel, then output_audio_buffer.clear
}

// webrtcClient is a browser-like voice agent over WebRTC: it offers a
// receive-only audio track and an oai-events data channel, asks for one
// reply, waits until the reply has played (output_audio_buffer.stopped or
// .cleared) and hangs up.
func webrtcClient(b rtcBehaviour) func(context.Context, conformance.Env) error {
	return func(ctx context.Context, env conformance.Env) error { return runRTCClient(ctx, env, b) }
}

func runRTCClient(ctx context.Context, env conformance.Env, b rtcBehaviour) error {
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	defer pc.Close()
	mic, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "client")
	if err != nil {
		return err
	}
	if _, err := pc.AddTrack(mic); err != nil {
		return err
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
		}
	})
	dc, err := pc.CreateDataChannel("oai-events", nil)
	if err != nil {
		return err
	}
	played := make(chan struct{})
	dc.OnOpen(func() {
		if !b.interruptOff {
			dc.SendText(`{"type":"response.create"}`)
			return
		}
		dc.SendText(`{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":200,"interrupt_response":false}}}}}`)
	})
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		fmt.Fprintln(env.Stdout, string(m.Data))
		if b.interruptOff && bytes.Contains(m.Data, []byte(`"type":"session.updated"`)) {
			dc.SendText(`{"type":"response.create"}`) // once the update applies
		}
		if b.clearOnSpeech && bytes.Contains(m.Data, []byte(`"type":"input_audio_buffer.speech_started"`)) {
			dc.SendText(`{"type":"response.cancel"}`)
			dc.SendText(`{"type":"output_audio_buffer.clear"}`)
		}
		if bytes.Contains(m.Data, []byte(`"type":"output_audio_buffer.stopped"`)) || bytes.Contains(m.Data, []byte(`"type":"output_audio_buffer.cleared"`)) {
			select {
			case <-played:
			default:
				close(played)
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.Endpoint+"/openai/v1/realtime/calls", strings.NewReader(offer.SDP))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.APIKey)
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("offer: %s %s", resp.Status, answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return err
	}
	go speakSilence(ctx, mic)
	select {
	case <-played:
	case <-ctx.Done():
	}
	return nil
}

// speakSilence streams a quiet microphone, 20 ms Opus packets in real time,
// as a browser's open microphone does.
func speakSilence(ctx context.Context, mic *webrtc.TrackLocalStaticSample) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		return
	}
	pcm, buf := make([]int16, 960), make([]byte, 1000)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := enc.EncodeInt16(pcm, buf)
		if err != nil || mic.WriteSample(media.Sample{Data: append([]byte(nil), buf[:n]...), Duration: 20 * time.Millisecond}) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// TestWebRTCClientIsJudged runs WebRTC clients (pion, an open quiet
// microphone, one reply asked for on the data channel) through the
// conformance runner: a call is a session of the run's mock and is judged
// by the same rules as a WebSocket client. A hang-up (closing the peer
// connection) is a normal end, not a dropped connection; a client that
// streams audio meets the barge-in scenarios' premises; their expectation
// of a client truncate is n/a, since on WebRTC the service truncates
// itself; and the playback rules read the RTP stream: the simulated user's
// barge-in is judged (not n/a), the service's own clear passes, a client
// that turns the service's clearing off and lets the audio play on fails,
// and one that clears the buffer itself passes.
func TestWebRTCClientIsJudged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		b         rtcBehaviour
		scenarios []string
		failed    bool              // whether the barge-in run fails
		want      map[string]string // rule → status in the barge-in run
	}{
		{"the service clears", rtcBehaviour{}, []string{"hello", "barge-in", "barge-in-late"}, false,
			map[string]string{conformance.RuleBargeInTruncate: "pass", conformance.RuleBargeInReaction: "n/a"}},
		{"the client clears", rtcBehaviour{interruptOff: true, clearOnSpeech: true}, []string{"barge-in"}, false,
			map[string]string{conformance.RuleBargeInTruncate: "pass", conformance.RuleBargeInReaction: "pass"}},
		{"nobody clears", rtcBehaviour{interruptOff: true}, []string{"barge-in"}, true,
			map[string]string{conformance.RuleBargeInTruncate: "fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := conformance.Run(context.Background(), &conformance.Options{
				Func: webrtcClient(tt.b), Name: "pion WebRTC client", Scenarios: tt.scenarios, Dialects: []realtime.Dialect{realtime.GA},
			})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			rep.WriteText(&b)
			t.Log(b.String())
			for _, run := range rep.Runs {
				if run.Scenario != "barge-in" {
					if run.Failed() {
						t.Errorf("%s failed", run.Name())
					}
					continue
				}
				if run.Failed() != tt.failed {
					t.Errorf("%s: failed = %v, want %v", run.Name(), run.Failed(), tt.failed)
				}
				for _, v := range run.Verdicts {
					if want, ok := tt.want[v.Rule]; ok && string(v.Status) != want {
						t.Errorf("%s: %s is %s (%s), want %s", run.Name(), v.Rule, v.Status, v.Why, want)
					}
				}
			}
		})
	}
}
