package rtc_test

import (
	"encoding/binary"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/mockserver/rtc/rtctest"
	"github.com/thesyncim/gopus"
)

const testKey = "sk-test"

// rig is a Handler on a real HTTP server with StandIn sessions and a
// manual clock.
type rig struct {
	t       *testing.T
	clock   manualClock
	factory *rtctest.Factory
	h       *rtc.Handler
	srv     *httptest.Server
}

func newRig(t *testing.T, opts *rtc.Options, standIn *rtctest.Options) *rig {
	t.Helper()
	r := &rig{t: t, clock: newManualClock(), factory: rtctest.NewFactory(standIn)}
	o := rtc.Options{}
	if opts != nil {
		o = *opts
	}
	if o.NewSession == nil {
		o.NewSession = r.factory.NewSession
	}
	o.Clock = r.clock
	if o.APIKey == "" {
		o.APIKey = testKey
	}
	o.Seed = 1
	h, err := rtc.NewHandler(&o)
	if err != nil {
		t.Fatal(err)
	}
	r.h = h
	r.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		r.srv.Close()
		h.Close()
	})
	return r
}

// step advances the clock by d once the call's player waits for a moment
// within it.
func (r *rig) step(d time.Duration) {
	r.t.Helper()
	timeout := make(chan struct{})
	timer := time.AfterFunc(wait, func() { close(timeout) })
	defer timer.Stop()
	if !r.clock.AwaitTimer(r.clock.Now().Add(d), timeout) {
		r.t.Fatalf("no timer within %v of %v after %v", d, r.clock.Now(), wait)
	}
	r.clock.Advance(d)
}

// connect makes a call with an ephemeral key and waits for its data
// channel and its session.created.
func (r *rig) connect() (*client, *rtctest.StandIn) {
	r.t.Helper()
	c := newClient(r.t)
	key := mint(r.t, r.srv.URL, testKey)
	c.dial(r.srv.URL+"/v1/realtime/calls", key, "", nil)
	s, err := r.factory.Next(wait)
	if err != nil {
		r.t.Fatal(err)
	}
	c.waitOpen()
	return c, s
}

func loadSpeech(t *testing.T) []int16 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "audio", "testdata", "speech-24k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := audio.ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	return w.Mono()
}

func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func pcmSamples(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// onsetMs runs the StandIn's detector rule over PCM: the first 20 ms frame
// at or above −40 dBFS.
func onsetMs(s []int16) int {
	b := pcmBytes(s)
	for off := 0; off+960 <= len(b); off += 960 {
		if audio.LevelDBFS(audio.PCM16, b[off:off+960]) >= -40 {
			return off / 48
		}
	}
	return -1
}

// TestCall does a whole call with a pion client: offer and answer over
// HTTP, events both ways on the data channel, the speech WAV sent as a
// browser sends it and decoded for the session, a 1 s reply tone paced on
// the manual clock, a reply cleared mid-playback, and a hang-up over HTTP.
func TestCall(t *testing.T) {
	r := newRig(t, nil, nil)
	c, s := r.connect()
	from := 0
	if ev := c.event("session.created", &from); from != 1 {
		t.Fatalf("session.created is event %d, want the first: %v", from, ev)
	}
	c.send(`{"type":"session.update","session":{"type":"realtime","instructions":"hi"}}`)
	c.event("session.updated", &from)
	if got := s.Info(); !got.Ephemeral || got.Model != "gpt-realtime" || got.Provider != rtc.OpenAI || !strings.HasPrefix(got.ID, "rtc_") {
		t.Fatalf("CallInfo = %+v", got)
	}
	if loc := c.resp.Header.Get("Location"); loc != "/v1/realtime/calls/"+s.Info().ID {
		t.Fatalf("Location = %q, want the call id %s", loc, s.Info().ID)
	}

	t.Run("microphone", func(t *testing.T) {
		speech := loadSpeech(t)
		c.sendAudio(speech)
		want := len(speech) / 480 * 480
		got, err := s.WaitAudio(want, wait)
		if err != nil {
			t.Fatal(err)
		}
		if len(got)/2 != want {
			t.Fatalf("ClientAudio got %d samples, want %d (every 20 ms packet of the %d-sample WAV)", len(got)/2, want, len(speech))
		}
		dec := pcmSamples(got)
		lag, corr := bestLag(speech[:want], dec, 480)
		t.Logf("speech through 48 kHz Opus to ClientAudio: lag %d samples, correlation %.4f", lag, corr)
		if corr < 0.95 {
			t.Errorf("correlation %.4f of the decoded speech with the WAV, want ≥ 0.95", corr)
		}
		on, ok := s.OnsetMs()
		if !ok {
			t.Fatalf("no speech onset found in the decoded audio")
		}
		if wantOn := onsetMs(speech); on < wantOn || on > wantOn+20 {
			t.Errorf("speech onset at %d ms in the decoded audio, want %d ms (+ at most one 20 ms frame of codec delay)", on, wantOn)
		}
		c.event("input_audio_buffer.speech_started", &from)
		c.event("input_audio_buffer.speech_stopped", &from)
	})

	var bursts [][]*rtp.Packet
	t.Run("reply", func(t *testing.T) {
		c.send(`{"type":"response.create"}`)
		c.event("output_audio_buffer.started", &from)
		start := r.clock.Now()
		for range 50 {
			r.step(20 * time.Millisecond)
		}
		c.event("output_audio_buffer.stopped", &from)
		pb := s.Playbacks()
		if len(pb) != 2 || !pb[0].Started || !pb[0].At.Equal(start) || pb[1].Started || pb[1].At.Sub(start) != time.Second {
			t.Fatalf("playback reports %+v, want started at %v and stopped 1 s later", pb, start)
		}
		bursts = splitBursts(t, c.waitPackets(50))
		if len(bursts) != 1 || len(bursts[0]) != 50 {
			t.Fatalf("got bursts of %v packets, want one of 50: %s", burstSizes(bursts), describePackets(c.waitPackets(0)))
		}
		checkTone(t, bursts[0], 1000)
	})

	t.Run("clear mid-playback", func(t *testing.T) {
		c.send(`{"type":"response.create"}`)
		c.event("output_audio_buffer.started", &from)
		start := r.clock.Now()
		for range 24 {
			r.step(20 * time.Millisecond)
		}
		// The 25th packet (480 ms) went out; the clock moves on 10 ms more.
		timeout := make(chan struct{})
		time.AfterFunc(wait, func() { close(timeout) })
		if !r.clock.AwaitTimer(r.clock.Now().Add(20*time.Millisecond), timeout) {
			t.Fatal("the player did not schedule its next packet")
		}
		r.clock.Advance(10 * time.Millisecond)
		c.send(`{"type":"output_audio_buffer.clear"}`)
		ev := c.event("output_audio_buffer.cleared", &from)
		cl := s.ClearedAudio()
		if len(cl) != 1 || cl[0].ResponseID != "resp_standin2" || cl[0].ItemID != "item_standin2" || ev["response_id"] != "resp_standin2" {
			t.Fatalf("cleared %+v (event %v), want resp_standin2", cl, ev)
		}
		elapsed := int(r.clock.Now().Sub(start) / time.Millisecond)
		t.Logf("cleared %d ms after playback started; played position %d ms", elapsed, cl[0].PlayedMs)
		if cl[0].PlayedMs != 500 || elapsed != 490 {
			t.Fatalf("played %d ms at %d ms of playback, want 500 ms: the 25 packets sent at 0, 20, …, 480 ms", cl[0].PlayedMs, elapsed)
		}
		// A third reply shows where the cleared one stopped: its first
		// packet follows the 25th of the second in sequence.
		c.send(`{"type":"response.create"}`)
		c.event("output_audio_buffer.started", &from)
		for range 50 {
			r.step(20 * time.Millisecond)
		}
		c.event("output_audio_buffer.stopped", &from)
		bursts = splitBursts(t, c.waitPackets(125))
		if got := burstSizes(bursts); len(got) != 3 || got[0] != 50 || got[1] != 25 || got[2] != 50 {
			t.Fatalf("bursts of %v packets, want 50, 25 (cleared at 500 ms), 50", got)
		}
		checkTone(t, bursts[1], 500)
		checkTone(t, bursts[2], 1000)
	})

	t.Run("hang up", func(t *testing.T) {
		status, body := postJSON(t, r.srv.URL+"/v1/realtime/calls/"+s.Info().ID+"/hangup", map[string]string{"Authorization": "Bearer " + testKey}, "")
		if status != http.StatusOK {
			t.Fatalf("hang-up: %d %v", status, body)
		}
		select {
		case <-s.Done():
		case <-time.After(wait):
			t.Fatal("the session was not closed after the hang-up")
		}
		if !errors.Is(s.Err(), rtc.ErrHangUp) {
			t.Fatalf("Closed(%v), want ErrHangUp", s.Err())
		}
		if err := s.Call().SendEvent([]byte(`{"type":"x"}`)); !errors.Is(err, rtc.ErrClosed) {
			t.Fatalf("SendEvent after the end = %v, want ErrClosed", err)
		}
		status, _ = postJSON(t, r.srv.URL+"/v1/realtime/calls/"+s.Info().ID+"/hangup", map[string]string{"Authorization": "Bearer " + testKey}, "")
		if status != http.StatusNotFound {
			t.Fatalf("second hang-up: %d, want 404", status)
		}
	})
}

// splitBursts splits packets at marker bits, checking that sequence
// numbers run on without a gap and timestamps step by 960 within a burst.
func splitBursts(t *testing.T, ps []*rtp.Packet) [][]*rtp.Packet {
	t.Helper()
	var out [][]*rtp.Packet
	for i, p := range ps {
		if i > 0 && p.SequenceNumber != ps[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: sequence %d after %d", i, p.SequenceNumber, ps[i-1].SequenceNumber)
		}
		if p.Marker || i == 0 {
			out = append(out, nil)
		} else if p.Timestamp-ps[i-1].Timestamp != 960 {
			t.Fatalf("packet %d: timestamp step %d, want 960", i, p.Timestamp-ps[i-1].Timestamp)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}

func burstSizes(b [][]*rtp.Packet) []int {
	var n []int
	for _, x := range b {
		n = append(n, len(x))
	}
	return n
}

// checkTone decodes a burst as a browser does (48 kHz) and checks it holds
// ms of the StandIn's 440 Hz tone at its level.
func checkTone(t *testing.T, ps []*rtp.Packet, ms int) {
	t.Helper()
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	var pcm []int16
	buf := make([]int16, 5760)
	for _, p := range ps {
		n, err := dec.DecodeInt16(p.Payload, buf)
		if err != nil {
			t.Fatal(err)
		}
		pcm = append(pcm, buf[:n]...)
	}
	if got := len(pcm) / 48; got != ms {
		t.Fatalf("received %d ms of audio, want %d", got, ms)
	}
	// Skip the codec's start-up; measure pitch by zero crossings and level.
	body := pcm[48*20:]
	crossings := 0
	var sum float64
	for i := 1; i < len(body); i++ {
		if (body[i-1] < 0) != (body[i] < 0) {
			crossings++
		}
		sum += float64(body[i]) * float64(body[i])
	}
	hz := float64(crossings) / 2 / (float64(len(body)) / 48000)
	rms := math.Sqrt(sum / float64(len(body)))
	wantRMS := 0.5 * 32767 / math.Sqrt2
	if math.Abs(hz-440) > 5 || math.Abs(rms-wantRMS)/wantRMS > 0.1 {
		t.Fatalf("received tone %.1f Hz at RMS %.0f, want 440 Hz at %.0f", hz, rms, wantRMS)
	}
}

// bestLag finds the lag (0..max) of y against x with the highest
// correlation coefficient.
func bestLag(x, y []int16, max int) (int, float64) {
	best, lag := -2.0, 0
	for l := 0; l <= max && l < len(y); l++ {
		n := min(len(x), len(y)-l)
		var sxy, sxx, syy float64
		for i := range n {
			a, b := float64(x[i]), float64(y[i+l])
			sxy += a * b
			sxx += a * a
			syy += b * b
		}
		if c := sxy / math.Sqrt(sxx*syy+1e-9); c > best {
			best, lag = c, l
		}
	}
	return lag, best
}
