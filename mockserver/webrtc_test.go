package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/coder/websocket"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
	"github.com/thesyncim/gopus"
)

// rtcWait bounds how long a test waits for what the network delivers; it
// fails a test that hangs, it measures nothing.
const rtcWait = 30 * time.Second

// rtcClient is a WebRTC client written with pion, as a browser is: an
// audio track, an "oai-events" data channel, the offer posted raw.
type rtcClient struct {
	t       *testing.T
	pc      *webrtc.PeerConnection
	mic     *webrtc.TrackLocalStaticSample
	dc      *webrtc.DataChannel
	open    chan struct{}
	mu      sync.Mutex
	events  []map[string]any
	evCh    chan struct{}
	packets int
	callID  string // from the answer's Location
}

func newRTCClient(t *testing.T, url string, tweaks ...func(*webrtc.SettingEngine)) *rtcClient {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	for _, tweak := range tweaks {
		tweak(&se)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &rtcClient{t: t, pc: pc, open: make(chan struct{}), evCh: make(chan struct{}, 1)}
	t.Cleanup(func() { pc.Close() })
	mic, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "client")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(mic); err != nil {
		t.Fatal(err)
	}
	c.mic = mic
	if c.dc, err = pc.CreateDataChannel("oai-events", nil); err != nil {
		t.Fatal(err)
	}
	c.dc.OnOpen(func() { close(c.open) })
	c.dc.OnMessage(func(msg webrtc.DataChannelMessage) {
		var ev map[string]any
		if json.Unmarshal(msg.Data, &ev) != nil {
			return
		}
		c.mu.Lock()
		c.events = append(c.events, ev)
		c.mu.Unlock()
		select {
		case c.evCh <- struct{}{}:
		default:
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			c.mu.Lock()
			c.packets++
			c.mu.Unlock()
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(offer.SDP)))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer test-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, answer)
	}
	loc := resp.Header.Get("Location")
	c.callID = loc[strings.LastIndexByte(loc, '/')+1:]
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.open:
	case <-time.After(rtcWait):
		t.Fatalf("the data channel did not open (connection %s)", pc.ConnectionState())
	}
	return c
}

func (c *rtcClient) send(ev string) {
	c.t.Helper()
	if err := c.dc.SendText(ev); err != nil {
		c.t.Fatal(err)
	}
}

// until waits for the next event of type typ from *from on and returns
// the types seen on the way, typ included.
func (c *rtcClient) until(typ string, from *int) []string {
	c.t.Helper()
	deadline := time.After(rtcWait)
	var seen []string
	for {
		c.mu.Lock()
		for *from < len(c.events) {
			ev := c.events[*from]
			*from++
			s, _ := ev["type"].(string)
			seen = append(seen, s)
			if s == typ {
				c.mu.Unlock()
				return seen
			}
		}
		c.mu.Unlock()
		select {
		case <-c.evCh:
		case <-deadline:
			c.t.Fatalf("no %s; seen %v", typ, seen)
		}
	}
}

func (c *rtcClient) last(typ string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.events) - 1; i >= 0; i-- {
		if c.events[i]["type"] == typ {
			return c.events[i]
		}
	}
	return nil
}

// TestWebRTCCallOnTheSessionCore: a call made on the mock's own port is a
// session of the core: events on the data channel, the assistant's audio
// on the RTP track (no audio delta events), the playback events, and the
// client's output_audio_buffer.clear cutting a reply off.
func TestWebRTCCallOnTheSessionCore(t *testing.T) {
	t.Parallel()
	ended := make(chan *mockserver.Transcript, 1)
	srv := startServer(t, &mockserver.Options{OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
	c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
	n := 0
	c.until("session.created", &n)

	c.send(`{"type":"response.create"}`)
	seen := c.until("output_audio_buffer.stopped", &n)
	for _, want := range []string{"response.created", "output_audio_buffer.started", "response.done"} {
		if !contains(seen, want) {
			t.Errorf("a reply over WebRTC: no %s in %v", want, seen)
		}
	}
	if contains(seen, "response.output_audio.delta") {
		t.Errorf("audio delta events on a WebRTC call: %v", seen)
	}
	c.mu.Lock()
	packets := c.packets
	c.mu.Unlock()
	if packets == 0 {
		t.Error("no RTP packet of the reply's audio")
	}

	// The client cuts the next reply off while it plays (its
	// response.done may have come already: the service generates faster
	// than the track plays).
	c.send(`{"type":"response.create"}`)
	c.until("output_audio_buffer.started", &n)
	started := c.last("output_audio_buffer.started")["response_id"]
	c.send(`{"type":"output_audio_buffer.clear"}`)
	c.until("output_audio_buffer.cleared", &n)
	if id := c.last("output_audio_buffer.cleared")["response_id"]; id != started {
		t.Errorf("cleared response %v, want the playing %v", id, started)
	}
	// The service cuts the item to what played and says so itself.
	c.until("conversation.item.truncated", &n)
	if ms, _ := c.last("conversation.item.truncated")["audio_end_ms"].(float64); ms <= 0 || ms >= 1750 || int(ms)%20 != 0 {
		t.Errorf("truncated at %v ms, want the played position: a whole number of 20 ms packets short of the 1750 ms reply", ms)
	}
	if done := c.last("response.done"); done["response"].(map[string]any)["id"] == started {
		if st := done["response"].(map[string]any)["status"]; st != "completed" && st != "cancelled" {
			t.Errorf("the cut reply ended %v", st)
		}
	}

	c.pc.Close()
	select {
	case tr := <-ended:
		if tr.Transport != "webrtc" || tr.Dialect != "ga" {
			t.Errorf("transcript: transport %q, dialect %q", tr.Transport, tr.Dialect)
		}
	case <-time.After(rtcWait):
		t.Fatal("the session did not end after the client hung up")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// speak sends 24 kHz PCM16 as a browser's microphone does: 48 kHz Opus in
// 20 ms packets, in real time (the mock's VAD runs on the audio timeline
// the packets' timestamps make).
func (c *rtcClient) speak(pcm []byte) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: 48000, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		c.t.Errorf("speak: %v", err)
		return
	}
	s24 := make([]int16, len(pcm)/2)
	for i := range s24 {
		s24[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
	}
	s48 := make([]int16, 2*len(s24))
	for i, v := range s24 {
		next := v
		if i+1 < len(s24) {
			next = s24[i+1]
		}
		s48[2*i], s48[2*i+1] = v, int16((int32(v)+int32(next))/2)
	}
	buf := make([]byte, 4000)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for off := 0; off+960 <= len(s48); off += 960 {
		n, err := enc.EncodeInt16(s48[off:off+960], buf)
		if err != nil {
			c.t.Errorf("speak: %v", err)
			return
		}
		if err := c.mic.WriteSample(media.Sample{Data: append([]byte(nil), buf[:n]...), Duration: 20 * time.Millisecond}); err != nil {
			return // the call ended
		}
		<-tick.C
	}
}

// TestWebRTCVoiceTurn: the client's microphone, Opus over RTP, feeds the
// same server VAD as WebSocket audio: the speech is detected, committed
// and answered on the track.
func TestWebRTCVoiceTurn(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Builtin("audio-turn")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, &mockserver.Options{Scenario: sc})
	c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
	n := 0
	c.until("session.created", &n)
	raw, err := os.ReadFile(filepath.Join("..", "audio", "testdata", "speech-24k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audio.ReadWAV(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	speech := append(w.Convert(audio.PCM16), make([]byte, 48*1200)...) // then 1.2 s of silence
	go c.speak(speech)
	seen := c.until("output_audio_buffer.started", &n)
	for _, want := range []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "response.created"} {
		if !contains(seen, want) {
			t.Errorf("a spoken turn over WebRTC: no %s in %v", want, seen)
		}
	}
}

// TestWebRTCFaults: the rtp fault loses the reply's packets on the way
// (the call still plays them out: output_audio_buffer.stopped comes), and
// datachannel-close fails the channel and ends the call.
func TestWebRTCFaults(t *testing.T) {
	t.Parallel()
	t.Run("every packet lost", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, &mockserver.Options{Faults: mustFaults(t, "rtp:p=1")})
		c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
		n := 0
		c.until("session.created", &n)
		c.send(`{"type":"response.create"}`)
		c.until("output_audio_buffer.stopped", &n)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.packets != 0 {
			t.Errorf("%d RTP packets arrived through rtp:p=1", c.packets)
		}
	})
	t.Run("data channel fails", func(t *testing.T) {
		t.Parallel()
		ended := make(chan *mockserver.Transcript, 1)
		srv := startServer(t, &mockserver.Options{Faults: mustFaults(t, "datachannel-close:at=1s"),
			OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }, KeepTranscripts: true})
		newRTCClient(t, srv.URL()+"/v1/realtime/calls")
		select {
		case tr := <-ended:
			if tr.CloseCode != 1006 {
				t.Errorf("the call ended with %d, want 1006 (the channel failed)", tr.CloseCode)
			}
			noted := false
			for _, f := range tr.Frames {
				noted = noted || f.Kind == cassette.KindFault && f.Reason == "datachannel-close"
			}
			if !noted {
				t.Error("the transcript does not note the fault")
			}
		case <-time.After(rtcWait):
			t.Fatal("the call did not end")
		}
	})
}

// TestWebRTCTranscriptHasTheAudio: a WebRTC call's transcript holds its
// audio both ways as cassette audio frames, PCM with each packet's RTP
// timing: the microphone's packets as the session decoded them, the
// reply's packets as the call produced them, 20 ms each with consecutive
// sequence numbers and timestamps 960 ticks (20 ms at 48 kHz) apart.
func TestWebRTCTranscriptHasTheAudio(t *testing.T) {
	t.Parallel()
	ended := make(chan *mockserver.Transcript, 1)
	srv := startServer(t, &mockserver.Options{KeepTranscripts: true, OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
	c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
	n := 0
	c.until("session.created", &n)
	c.speak(make([]byte, 48*400)) // 400 ms of silence: 20 packets
	c.send(`{"type":"response.create"}`)
	c.until("output_audio_buffer.stopped", &n)
	c.pc.Close()
	var tr *mockserver.Transcript
	select {
	case tr = <-ended:
	case <-time.After(rtcWait):
		t.Fatal("the session did not end after the client hung up")
	}
	var in, out []cassette.Frame
	for _, f := range tr.Frames {
		switch {
		case f.Kind == cassette.KindAudio && f.Dir == cassette.Client:
			in = append(in, f)
		case f.Kind == cassette.KindAudio:
			out = append(out, f)
		}
	}
	if len(in) < 15 {
		t.Errorf("%d microphone packets in the transcript, want about 20", len(in))
	}
	// The default reply is 1750 ms of audio: 88 packets, the last padded.
	if len(out) != 88 {
		t.Errorf("%d reply packets in the transcript, want 88", len(out))
	}
	for i := 1; i < len(out); i++ {
		a, b := out[i-1], out[i]
		if b.RTP.Seq != a.RTP.Seq+1 || b.RTP.Timestamp-a.RTP.Timestamp != 960 || len(b.Data) != 960 {
			t.Fatalf("reply packets %d and %d: seq %d→%d, ts %d→%d, %d bytes; want consecutive, 960 ticks apart, 20 ms of PCM",
				i-1, i, a.RTP.Seq, b.RTP.Seq, a.RTP.Timestamp, b.RTP.Timestamp, len(b.Data))
		}
	}
	var buf bytes.Buffer
	if err := tr.WriteCassette(&buf, nil); err != nil {
		t.Fatal(err)
	}
	back, err := cassette.Parse(&buf, "call.jsonl")
	if err != nil {
		t.Fatalf("the transcript does not read back as a cassette: %v", err)
	}
	if tp := back.Header().Transport; tp != "webrtc" {
		t.Errorf("the cassette's header says transport %q, want webrtc", tp)
	}
	audioBack := 0
	for _, f := range back.All() {
		if f.Kind == cassette.KindAudio {
			audioBack++
		}
	}
	if audioBack != len(in)+len(out) {
		t.Errorf("%d audio frames read back, want %d", audioBack, len(in)+len(out))
	}
}

// TestWebRTCBargeInAfterResponseDone: the playout buffer outlives its
// response (output_audio_buffer.stopped comes after response.done), so
// speech while a finished response's audio still goes out clears it and
// truncates the item at what went out, as speech does during the response.
func TestWebRTCBargeInAfterResponseDone(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("long-reply.yaml", []byte("name: long-reply\nturns:\n  - when: response.create\n    reply: {transcript: a long reply, audio: {duration: 8s, chunk: 1s}, pace: instant}\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, &mockserver.Options{Scenario: sc})
	c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
	n := 0
	c.until("session.created", &n)
	c.send(`{"type":"response.create"}`)
	seen := c.until("response.done", &n)
	if contains(seen, "output_audio_buffer.stopped") {
		t.Fatalf("the 8 s reply stopped playing before its response.done: %v", seen)
	}
	started := c.last("response.created")["response"].(map[string]any)["id"]
	tone, err := audio.NewTone(audio.PCM16, 440, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	go c.speak(tone.AppendBytes(nil, 0, 48*1500))
	seen = c.until("output_audio_buffer.cleared", &n)
	if !contains(seen, "input_audio_buffer.speech_started") || contains(seen, "output_audio_buffer.stopped") {
		t.Errorf("after response.done, speech during playout: %v, want speech_started then output_audio_buffer.cleared", seen)
	}
	if id := c.last("output_audio_buffer.cleared")["response_id"]; id != started {
		t.Errorf("cleared response %v, want the one playing, %v", id, started)
	}
	c.until("conversation.item.truncated", &n)
	if ms, _ := c.last("conversation.item.truncated")["audio_end_ms"].(float64); ms <= 0 || ms >= 8000 || int(ms)%20 != 0 {
		t.Errorf("truncated at %v ms, want the audio that went out: whole 20 ms packets short of 8 s", ms)
	}
}

// TestWebRTCEventsFitTheDataChannel: the client's data channel takes
// messages up to the size its offer names (a=max-message-size); a longer
// one makes libwebrtc abort the channel. A retrieved item whose audio does
// not fit comes without its audio bytes; any other event too long is not
// sent and noted in the transcript; either way the call goes on.
func TestWebRTCEventsFitTheDataChannel(t *testing.T) {
	t.Parallel()
	ended := make(chan *mockserver.Transcript, 1)
	srv := startServer(t, &mockserver.Options{KeepTranscripts: true, OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
	c := newRTCClient(t, srv.URL()+"/v1/realtime/calls", func(se *webrtc.SettingEngine) { se.SetSCTPMaxMessageSize(16384) })
	n := 0
	c.until("session.created", &n)

	// A user item with 1 s of audio: 64 KB of base64, four times the limit.
	tone, err := audio.NewTone(audio.PCM16, 440, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	c.send(fmt.Sprintf(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_audio","audio":%q}]}}`,
		base64.StdEncoding.EncodeToString(tone.AppendBytes(nil, 0, 48*1000))))
	c.until("conversation.item.added", &n)
	id := c.last("conversation.item.added")["item"].(map[string]any)["id"].(string)
	c.send(`{"type":"conversation.item.retrieve","item_id":"` + id + `"}`)
	c.until("conversation.item.retrieved", &n)
	part := c.last("conversation.item.retrieved")["item"].(map[string]any)["content"].([]any)[0].(map[string]any)
	if _, has := part["audio"]; has || part["format"] == nil {
		t.Errorf("retrieved part %v, want its format without the audio bytes", part)
	}

	// A session.updated of 20 KB of instructions does not fit either.
	c.send(`{"type":"session.update","session":{"type":"realtime","instructions":"` + strings.Repeat("x", 20000) + `"}}`)
	c.send(`{"type":"response.create"}`)
	seen := c.until("response.done", &n)
	if contains(seen, "session.updated") {
		t.Errorf("a session.updated longer than the data channel takes was sent: %v", seen)
	}
	c.pc.Close()
	tr := <-ended
	noted := false
	for _, f := range tr.Frames {
		noted = noted || f.Kind == cassette.KindFault && strings.Contains(f.Reason, "session.updated is larger than the client's data channel takes")
	}
	if !noted || tr.CloseCode != 1000 {
		t.Errorf("noted %v, closed %d; want the unsent event noted and the call ended by the client's hang-up", noted, tr.CloseCode)
	}
}

// TestReplayToAWebRTCCall: a cassette replayed to a WebRTC call plays its
// assistant audio on the track, not as audio deltas on the data channel,
// the call reporting output_audio_buffer.started and .stopped once each:
// a WebSocket recording (its audio deltas, elided ones re-synthesised) and
// a WebRTC call's own transcript (its packets).
func TestReplayToAWebRTCCall(t *testing.T) {
	t.Parallel()
	recordWS := func(t *testing.T) *mockserver.Transcript {
		srv := startServer(t, &mockserver.Options{KeepTranscripts: true})
		c := dial(t, srv, dialects[3])
		c.next()
		c.send(`{"type":"response.create"}`)
		c.until("rate_limits.updated")
		c.conn.Close(websocket.StatusNormalClosure, "")
		srv.Close()
		return srv.Transcripts()[0]
	}
	recordCall := func(t *testing.T) *mockserver.Transcript {
		ended := make(chan *mockserver.Transcript, 1)
		srv := startServer(t, &mockserver.Options{KeepTranscripts: true, OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
		c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
		n := 0
		c.until("session.created", &n)
		c.send(`{"type":"response.create"}`)
		c.until("output_audio_buffer.stopped", &n)
		c.pc.Close()
		return <-ended
	}
	cases := []struct {
		name   string
		record func(*testing.T) *mockserver.Transcript
		elide  bool
	}{
		{"WebSocket recording", recordWS, false},
		{"its audio elided", recordWS, true},
		{"a WebRTC call's transcript", recordCall, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cas := toCassette(t, tc.record(t), tc.elide)
			srv := startServer(t, &mockserver.Options{Cassette: cas})
			c := newRTCClient(t, srv.URL()+"/v1/realtime/calls")
			n := 0
			c.until("session.created", &n)
			c.send(`{"type":"response.create"}`)
			seen := c.until("output_audio_buffer.stopped", &n)
			c.mu.Lock()
			packets := c.packets
			c.mu.Unlock()
			// The default reply is 1750 ms of audio: 88 packets of 20 ms
			// (the last one part silence); two may be in flight still.
			if packets < 86 || packets > 88 {
				t.Errorf("%d RTP packets of the replayed reply, want 88", packets)
			}
			counts := map[string]int{}
			for _, s := range seen {
				counts[s]++
			}
			if counts["response.output_audio.delta"] != 0 || counts["output_audio_buffer.started"] != 1 || counts["output_audio_buffer.stopped"] != 1 {
				t.Errorf("data channel: %d audio deltas, %d started, %d stopped; want 0, 1, 1 (%v)", counts["response.output_audio.delta"],
					counts["output_audio_buffer.started"], counts["output_audio_buffer.stopped"], seen)
			}
		})
	}
}
