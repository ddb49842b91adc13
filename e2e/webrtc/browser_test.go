package webrtc

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/conformance"
	pagerun "github.com/rtmock/rtmock/conformance/browser"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/mockserver/rtc/rtctest"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

const (
	apiKey      = "test-key"
	pageTimeout = 90 * time.Second
)

// pageResult is what harness.js publishes as window.rtmock.
type pageResult struct {
	Done        bool     `json:"done"`
	Error       string   `json:"error"`
	Events      []string `json:"events"`
	MicOpenedAt float64  `json:"micOpenedAt"` // epoch ms
	CallID      string   `json:"callId"`
	BargeIn     *struct {
		TruncatedMs   int `json:"truncatedMs"`
		PacketsBefore int `json:"packetsBefore"`
		PacketsAfter  int `json:"packetsAfter"`
	} `json:"bargeIn"`
	Audio struct {
		PacketsReceived      int     `json:"packetsReceived"`
		PacketsLost          int     `json:"packetsLost"`
		TotalSamplesReceived int     `json:"totalSamplesReceived"`
		ConcealedSamples     int     `json:"concealedSamples"`
		TotalAudioEnergy     float64 `json:"totalAudioEnergy"`
		TotalSamplesDuration float64 `json:"totalSamplesDuration"`
		PeakHz               float64 `json:"peakHz"`
		LoudFrames           int     `json:"loudFrames"`
	} `json:"audio"`
}

// chromium returns the path of Debian's chromium, installing it with
// scripts/install-chromium when it is missing; it skips the test when
// chromium cannot be had.
func chromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	out, err := exec.Command(filepath.Join("..", "..", "scripts", "install-chromium")).CombinedOutput()
	if p, lerr := exec.LookPath("chromium"); lerr == nil {
		return p
	}
	t.Skipf("chromium is not installed and scripts/install-chromium could not install it (%v): %s", err, out)
	return ""
}

// agentsBundle returns the folder of @openai/agents-realtime's browser
// bundle, installing the pinned npm packages when they are missing.
func agentsBundle(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "node_modules", "@openai", "agents-realtime", "dist", "bundle"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "openai-realtime-agents.mjs")); err == nil {
		return dir
	}
	if out, err := exec.Command(filepath.Join("..", "install.sh")).CombinedOutput(); err != nil {
		t.Fatalf("e2e/install.sh: %v\n%s", err, out)
	}
	return dir
}

// leadMs is silence put before the speech fixture for the fake
// microphone: the browser drops what it captures before the call connects,
// and the speech must come after that however long connecting takes.
const leadMs = 2000

// microphoneWAV writes the speech fixture with leadMs more silence before
// it (24 kHz 16-bit mono, which chromium's fake capture reads as it is) and
// returns its path and samples.
func microphoneWAV(t *testing.T) (string, []int16) {
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
	s := append(make([]int16, leadMs*24), w.Mono()...)
	path := filepath.Join(t.TempDir(), "microphone.wav")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := audio.WriteWAV(out, audio.PCM16, pcmBytes(s)); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path, s
}

func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

// pageServer serves the pages, the agents bundle, and a token service that
// mints ephemeral keys from the mock with the standard key, as an app's
// own server does.
func pageServer(t *testing.T, bundle, mock string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir(".")))
	mux.Handle("/agents/", http.StripPrefix("/agents/", http.FileServer(http.Dir(bundle))))
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		path, body := "/v1/realtime/client_secrets", `{"session":{"type":"realtime","model":"gpt-realtime"}}`
		hdr, val := "Authorization", "Bearer "+apiKey
		if r.URL.Query().Get("provider") == "azure" {
			path, body = "/openai/v1/realtime/client_secrets", `{"session":{"type":"realtime","model":"gpt-realtime-deployment"}}`
			hdr, val = "api-key", apiKey
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, mock+path, strings.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(hdr, val)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// browser starts headless chromium with a fake microphone playing wav once.
func browser(t *testing.T, exe, wav string) context.Context {
	t.Helper()
	dir, err := os.MkdirTemp("", "rtmock-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's child processes may still write for a moment after it
		// stops.
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav+"%noloop"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// runPage opens url in a new tab and waits for the page to finish.
func runPage(t *testing.T, browserCtx context.Context, url string) pageResult {
	t.Helper()
	ctx, cancelTimeout := context.WithTimeout(browserCtx, pageTimeout)
	defer cancelTimeout()
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	err := chromedp.Do(tab, chromedp.Navigate(url))
	if err == nil {
		_, err = chromedp.Run(tab, chromedp.Poll[bool](`!!(window.rtmock && window.rtmock.done)`, chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	raw, rerr := chromedp.Run(tab, chromedp.Evaluate[string](`JSON.stringify(window.rtmock || null)`))
	if err != nil || rerr != nil {
		t.Fatalf("page %s: %v %v; state: %s", url, err, rerr, raw)
	}
	var r pageResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("page result: %v: %s", err, raw)
	}
	if r.Error != "" {
		t.Fatalf("page %s failed: %s; events: %v", url, r.Error, r.Events)
	}
	return r
}

// TestBrowser makes calls from chromium with both pages and checks that
// each connects, that its microphone's speech reaches the session, and that
// it receives the server events and the whole reply tone.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	bundle := agentsBundle(t)
	wav, wavSamples := microphoneWAV(t)

	factory := rtctest.NewFactory(&rtctest.Options{ReplyToSpeech: true})
	h, err := rtc.NewHandler(&rtc.Options{NewSession: factory.NewSession, APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	mock := httptest.NewServer(h)
	t.Cleanup(func() {
		mock.Close()
		h.Close()
	})
	pages := pageServer(t, bundle, mock.URL)
	ctx := browser(t, exe, wav)

	cases := []struct {
		name     string
		page     string
		replies  int
		provider rtc.Provider
		dialect  realtime.Dialect
		model    string
		events   []string // in this order, among others
		withheld []string // must not arrive
	}{
		{
			name: "agents-realtime WebRTC transport", page: "agents.html", replies: 1,
			provider: rtc.OpenAI, dialect: realtime.GA, model: "gpt-realtime",
			events: []string{"session.created", "session.updated", "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
				"response.created", "output_audio_buffer.started", "output_audio_buffer.stopped"},
		},
		{
			name: "Azure GA quickstart with webrtcfilter", page: "quickstart.html?flow=ga", replies: 2,
			provider: rtc.Azure, dialect: realtime.GA, model: "gpt-realtime-deployment",
			events: []string{"output_audio_buffer.started", "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
				"output_audio_buffer.started", "output_audio_buffer.stopped"},
			withheld: []string{"session.created", "response.created", "response.done"},
		},
		{
			name: "Azure preview quickstart", page: "quickstart.html?flow=preview&key=" + apiKey, replies: 1,
			provider: rtc.Azure, dialect: realtime.Preview, model: "gpt-4o-mini-realtime-preview",
			events: []string{"session.created", "session.updated", "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
				"response.created", "output_audio_buffer.started", "output_audio_buffer.stopped"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sep := "?"
			if strings.Contains(tc.page, "?") {
				sep = "&"
			}
			url := fmt.Sprintf("%s/%s%smock=%s&replies=%d", pages.URL, tc.page, sep, mock.URL, tc.replies)
			r := runPage(t, ctx, url)
			s, err := factory.Next(time.Second)
			if err != nil {
				t.Fatal(err)
			}
			info := s.Info()
			if info.Provider != tc.provider || info.Dialect != tc.dialect || info.Model != tc.model || info.ID != r.CallID || !info.Ephemeral {
				t.Errorf("CallInfo %+v, page call id %q; want %s %s %s with an ephemeral key", info, r.CallID, tc.provider, tc.dialect, tc.model)
			}
			checkEvents(t, r.Events, tc.events, tc.withheld)
			checkMicrophone(t, s, r, wavSamples)
			checkReply(t, r, tc.replies)
		})
	}
}

// checkEvents checks that want arrived in this order (among others) and
// that none of withheld did.
func checkEvents(t *testing.T, got, want, withheld []string) {
	t.Helper()
	i := 0
	for _, ev := range got {
		if i < len(want) && ev == want[i] {
			i++
		}
		if slices.Contains(withheld, ev) {
			t.Errorf("event %s arrived; the filter should withhold it", ev)
		}
	}
	if i < len(want) {
		t.Errorf("events %v; want %v in this order (missing from %s)", got, want, want[i])
	}
}

// checkMicrophone checks that the speech of the fake microphone reached
// the session where it belongs on the session's audio timeline.
//
// The fake microphone plays the WAV from when capture starts, but the
// session's audio starts with the first packet after the call connected:
// the browser drops what it captured before. So the session's audio is the
// WAV less its first skip ms, and skip is found by aligning the two. The
// speech onset the session's detector finds must then be the WAV's onset
// (by the same detector) less skip.
func checkMicrophone(t *testing.T, s *rtctest.StandIn, r pageResult, wav []int16) {
	t.Helper()
	pcm, first := s.Audio()
	got := samples(pcm)
	onset, ok := s.OnsetMs()
	if !ok {
		t.Fatalf("no speech found in the %d ms of microphone audio the session got", len(got)/24)
	}
	skip, corr := align(got, wav)
	wavOnset := onsetMs(wav)
	if skip >= wavOnset {
		t.Fatalf("the browser dropped the first %d ms of the microphone, past the speech onset at %d ms", skip, wavOnset)
	}
	expected := wavOnset - skip
	waited := float64(first.UnixNano())/1e6 - r.MicOpenedAt
	t.Logf("microphone: %d ms of audio, the WAV less its first %d ms (correlation %.3f; capture opened %.0f ms before the first packet); speech onset at %d ms, expected %d ms (the fixture's onset, 1000 ms, is at %d ms of the WAV by the same detector): offset %+d ms",
		len(got)/24, skip, corr, waited, onset, expected, wavOnset, onset-expected)
	if corr < 0.5 {
		t.Errorf("the session's audio matches the WAV with correlation %.3f only", corr)
	}
	if onset < expected-40 || onset > expected+40 {
		t.Errorf("speech onset at %d ms of the session's audio, want %d ± 40 ms", onset, expected)
	}
}

func samples(pcm []byte) []int16 {
	s := make([]int16, len(pcm)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
	}
	return s
}

// onsetMs is the rtctest detector's rule: the first 20 ms frame at or
// above −40 dBFS.
func onsetMs(s []int16) int {
	for off := 0; off+480 <= len(s); off += 480 {
		var sum float64
		for _, v := range s[off : off+480] {
			sum += float64(v) * float64(v)
		}
		if 10*math.Log10(sum/480/(32767*32767/2)+1e-12) >= -40 {
			return off / 24
		}
	}
	return -1
}

// align finds how many ms of the start of wav are missing from got (got[i]
// is wav[i+skip]): first by the energy envelopes in 5 ms steps, then to the
// sample around it. It returns skip in whole ms and the correlation there.
func align(got, wav []int16) (skipMs int, corr float64) {
	const step = 120 // 5 ms
	env := func(s []int16) []float64 {
		e := make([]float64, len(s)/step)
		for i := range e {
			for _, v := range s[i*step : (i+1)*step] {
				e[i] += math.Abs(float64(v))
			}
		}
		return e
	}
	eg, ew := env(got), env(wav)
	best, coarse := -2.0, 0
	for l := 0; l < len(ew)/2; l++ {
		if c := correlation64(eg, ew[l:]); c > best {
			best, coarse = c, l*step
		}
	}
	best, fine := -2.0, coarse
	for l := max(0, coarse-step); l <= coarse+step && l < len(wav); l++ {
		if c := correlation16(got, wav[l:]); c > best {
			best, fine = c, l
		}
	}
	return fine / 24, best
}

func correlation64(x, y []float64) float64 {
	n := min(len(x), len(y))
	var sxy, sxx, syy float64
	for i := range n {
		sxy += x[i] * y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
	}
	return sxy / math.Sqrt(sxx*syy+1e-9)
}

func correlation16(x, y []int16) float64 {
	n := min(len(x), len(y))
	var sxy, sxx, syy float64
	for i := range n {
		a, b := float64(x[i]), float64(y[i])
		sxy += a * b
		sxx += a * a
		syy += b * b
	}
	return sxy / math.Sqrt(sxx*syy+1e-9)
}

// fixtureOnsetMs is where speech begins in audio/testdata/speech-24k.wav
// (its README), so leadMs later in the microphone's WAV.
const fixtureOnsetMs = 1000

// checkSpeechStarted holds the server VAD of a call on the session core to
// the speech the browser sent: the transcript's microphone audio (its
// audio frames, the VAD's timeline) is the WAV less what the browser
// dropped before the call connected, found by aligning the two; the first
// speech_started must then say the speech's onset there less the 300 ms of
// prefix padding, within ±150 ms.
func checkSpeechStarted(t *testing.T, tr *mockserver.Transcript, wav []int16) {
	t.Helper()
	var pcm []byte
	start := -1
	for _, f := range tr.Frames {
		switch {
		case f.Kind == cassette.KindAudio && f.Dir == cassette.Client:
			pcm = append(pcm, f.Data...)
		case f.Kind == cassette.KindText && f.Dir == cassette.Server && f.Type == "input_audio_buffer.speech_started" && start < 0:
			var ev struct {
				AudioStartMs int `json:"audio_start_ms"`
			}
			if err := json.Unmarshal(f.Data, &ev); err != nil {
				t.Fatal(err)
			}
			start = ev.AudioStartMs
		}
	}
	if start < 0 || len(pcm) == 0 {
		t.Fatalf("the transcript has %d bytes of microphone audio and speech_started at %d", len(pcm), start)
	}
	skip, corr := align(samples(pcm), wav)
	onset := leadMs + fixtureOnsetMs - skip
	want := onset - 300
	t.Logf("VAD: the browser dropped the first %d ms (correlation %.3f); speech begins at %d ms of the session's audio; speech_started.audio_start_ms %d, want %d (onset less 300 ms of padding): offset %+d ms",
		skip, corr, onset, start, want, start-want)
	if start < want-150 || start > want+150 {
		t.Errorf("speech_started.audio_start_ms %d, want %d ± 150 ms", start, want)
	}
}

// checkReply checks that every packet of the replies arrived and that it
// was the 440 Hz tone.
func checkReply(t *testing.T, r pageResult, replies int) {
	t.Helper()
	a := r.Audio
	t.Logf("received: %d packets (%d lost), %d samples (%d concealed), %.3f s of samples, peak %.1f Hz in %d loud 20 ms frames",
		a.PacketsReceived, a.PacketsLost, a.TotalSamplesReceived, a.ConcealedSamples, a.TotalSamplesDuration, a.PeakHz, a.LoudFrames)
	if a.PacketsReceived != 50*replies || a.PacketsLost != 0 {
		t.Errorf("%d packets received, %d lost; want %d (%d × 1 s of 20 ms packets)", a.PacketsReceived, a.PacketsLost, 50*replies, replies)
	}
	if math.Abs(a.PeakHz-440) > 12 {
		t.Errorf("the received audio peaks at %.1f Hz, want the 440 Hz tone", a.PeakHz)
	}
}

// coreScenario answers every response with one second of a 440 Hz tone,
// so that each reply is 50 packets of 20 ms on the track. The user's speech
// does not interrupt a reply: the Azure GA page's first reply (to its text
// greeting) may still play when the looping microphone speaks again on a
// slow machine, and webrtcfilter withholds the cleared event that would
// tell the page; each reply then plays out whole.
const coreScenario = `name: webrtc-core
description: Every response is one second of a 440 Hz tone.
session:
  turn_detection: {type: server_vad, interrupt_response: false}
turns:
  - when: response
    repeat: true
    reply:
      transcript: "Hello from the mock."
      audio: {tone: 440Hz, duration: 1s, chunk: 100ms}
`

// coreServer starts rtmock's own server on coreScenario, keeping
// transcripts (sent to ended as each call ends), and the pages that call it.
func coreServer(t *testing.T, calls int) (*mockserver.Server, chan *mockserver.Transcript, *httptest.Server) {
	t.Helper()
	sc, err := scenarios.Parse("webrtc-core.yaml", []byte(coreScenario))
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan *mockserver.Transcript, calls)
	srv, err := mockserver.New(&mockserver.Options{APIKey: apiKey, Scenario: sc, DisableTLS: true, Seed: 1, KeepTranscripts: true,
		OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, ended, pageServer(t, agentsBundle(t), srv.URL())
}

// TestBrowserOnTheCore makes the same calls from Chromium against
// rtmock's own server: the WebRTC routes on its port, each call a session
// of the session core, the page's microphone on its server VAD, the reply
// on the track and the WebRTC-only events from its playback.
func TestBrowserOnTheCore(t *testing.T) {
	exe := chromium(t)
	srv, ended, pages := coreServer(t, 8)
	wavPath, wavPCM := microphoneWAV(t)
	ctx := browser(t, exe, wavPath)
	cases := []struct {
		name, page string
		replies    int
		events     []string
		withheld   []string
	}{
		{"agents-realtime WebRTC transport", "agents.html", 1,
			[]string{"session.created", "session.updated", "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
				"response.created", "output_audio_buffer.started", "output_audio_buffer.stopped"}, nil},
		{"Azure GA quickstart with webrtcfilter", "quickstart.html?flow=ga", 2,
			[]string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "output_audio_buffer.started", "output_audio_buffer.stopped"},
			[]string{"session.created", "response.created", "response.done"}},
		{"Azure preview quickstart", "quickstart.html?flow=preview&key=" + apiKey, 1,
			[]string{"session.created", "session.updated", "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
				"response.created", "output_audio_buffer.started", "output_audio_buffer.stopped"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sep := "?"
			if strings.Contains(tc.page, "?") {
				sep = "&"
			}
			r := runPage(t, ctx, fmt.Sprintf("%s/%s%smock=%s&replies=%d", pages.URL, tc.page, sep, srv.URL(), tc.replies))
			checkEvents(t, r.Events, tc.events, tc.withheld)
			checkReply(t, r, tc.replies)
			select {
			case tr := <-ended:
				if tr.Transport != "webrtc" {
					t.Errorf("the session's transport is %q", tr.Transport)
				}
				checkSpeechStarted(t, tr, wavPCM)
				judge(t, tr)
			case <-time.After(pageTimeout):
				t.Error("the call's session did not end when the page hung up")
			}
		})
	}
}

// voiceBargeInScenario answers each spoken turn with 6 s of tone, and lets
// speech interrupt it (interrupt_response is on by default).
const voiceBargeInScenario = `name: webrtc-voice-barge-in
description: Every spoken turn gets a six-second reply that speech may interrupt.
session:
  turn_detection: {type: server_vad, silence_duration_ms: 500}
turns:
  - when: user_speech
    repeat: true
    reply:
      transcript: "Let me tell you a long story about the sea and the lighthouse."
      audio: {tone: 440Hz, duration: 6s, chunk: 100ms}
`

// TestBrowserVoiceBargeIn: the user talks over the reply. Chromium's
// microphone says the speech fixture twice; the first utterance gets a 6 s
// reply, and the second starts about 1.5 s into it. The server's VAD hears
// it on the call's RTP, clears the track (output_audio_buffer.cleared) and
// truncates the reply at the audio that went out, which is exactly the
// packets of the reply the call sent; conformance judges the call's
// barge-in (RT-BARGEIN-TRUNCATE) and passes it, as the service stopped the
// audio itself.
func TestBrowserVoiceBargeIn(t *testing.T) {
	exe := chromium(t)
	sc, err := scenarios.Parse("webrtc-voice-barge-in.yaml", []byte(voiceBargeInScenario))
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan *mockserver.Transcript, 1)
	srv, err := mockserver.New(&mockserver.Options{APIKey: apiKey, Scenario: sc, DisableTLS: true, Seed: 1, KeepTranscripts: true,
		OnSessionEnd: func(tr *mockserver.Transcript) { ended <- tr }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	pages := pageServer(t, agentsBundle(t), srv.URL())
	_, once := microphoneWAV(t)
	twice := append(slices.Clone(once), once[leadMs*24:]...) // the fixture again, right after
	wav := filepath.Join(t.TempDir(), "twice.wav")
	if err := os.WriteFile(wav, wavBytes(t, twice), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, exe, wav)
	r := runPage(t, ctx, fmt.Sprintf("%s/bargein.html?mode=voice&mock=%s", pages.URL, srv.URL()))
	checkEvents(t, r.Events, []string{"input_audio_buffer.speech_started", "output_audio_buffer.started",
		"output_audio_buffer.cleared", "conversation.item.truncated"}, nil)
	var tr *mockserver.Transcript
	select {
	case tr = <-ended:
	case <-time.After(pageTimeout):
		t.Fatal("the call's session did not end when the page hung up")
	}
	sent := replyPackets(tr)
	t.Logf("voice barge-in: truncated at %d ms; the call sent %d packets of the reply (%d ms) before clearing; the browser received %d",
		r.BargeIn.TruncatedMs, sent, 20*sent, r.BargeIn.PacketsAfter)
	if r.BargeIn.TruncatedMs != 20*sent || sent == 0 {
		t.Errorf("truncated at %d ms, want the %d ms the call sent", r.BargeIn.TruncatedMs, 20*sent)
	}
	if r.BargeIn.TruncatedMs >= 6000 {
		t.Errorf("truncated at %d ms: the second utterance did not interrupt the 6 s reply", r.BargeIn.TruncatedMs)
	}
	judge(t, tr)
	for _, v := range conformance.Check([]*conformance.Rule{conformance.RuleByID(conformance.RuleBargeInTruncate)}, conformance.FromTranscript(tr)) {
		if v.Status != conformance.Pass {
			t.Errorf("%s is %s (%s), want the barge-in judged and passed", v.Rule, v.Status, v.Why)
		}
	}
}

// wavBytes is s as a 24 kHz PCM16 WAV file.
func wavBytes(t *testing.T, s []int16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := audio.WriteWAV(&b, audio.PCM16, pcmBytes(s)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// replyPackets counts the first reply's packets in a call's transcript: the
// first burst of the server's audio frames, RTP timestamps 960 apart (a
// later burst's timestamps count the pause before it). The audio frames
// reach the transcript through the call's inbox, so their order against
// the events is not the order they were sent in: count by RTP.
func replyPackets(tr *mockserver.Transcript) int {
	sent := 0
	var last uint32
	for _, f := range tr.Frames {
		if f.Kind != cassette.KindAudio || f.Dir != cassette.Server {
			continue
		}
		if sent > 0 && f.RTP.Timestamp-last != 960 {
			break
		}
		sent, last = sent+1, f.RTP.Timestamp
	}
	return sent
}

// TestBrowserBargeIn cuts a reply off from Chromium with
// @openai/agents-realtime's session.interrupt() (response.cancel and
// output_audio_buffer.clear) 400 ms into its playback: the server clears
// the track, sends output_audio_buffer.cleared and truncates the item at
// the played position itself. That position is exactly the packets of the
// reply the call sent (the transcript's audio frames, by their RTP
// timestamps), and the browser received those packets.
func TestBrowserBargeIn(t *testing.T) {
	exe := chromium(t)
	srv, ended, pages := coreServer(t, 1)
	wavPath, _ := microphoneWAV(t)
	ctx := browser(t, exe, wavPath)
	r := runPage(t, ctx, fmt.Sprintf("%s/bargein.html?mock=%s", pages.URL, srv.URL()))
	checkEvents(t, r.Events, []string{"output_audio_buffer.started", "output_audio_buffer.cleared", "conversation.item.truncated"}, nil)
	if r.BargeIn == nil {
		t.Fatal("the page recorded no barge-in")
	}
	var tr *mockserver.Transcript
	select {
	case tr = <-ended:
	case <-time.After(pageTimeout):
		t.Fatal("the call's session did not end when the page hung up")
	}
	sent := replyPackets(tr)
	judge(t, tr)
	b := r.BargeIn
	t.Logf("barge-in: truncated at %d ms; the call sent %d packets of the reply (%d ms) before clearing; the browser had %d packets when it interrupted and %d after",
		b.TruncatedMs, sent, 20*sent, b.PacketsBefore, b.PacketsAfter)
	if b.TruncatedMs != 20*sent {
		t.Errorf("truncated at %d ms, want the %d ms the call sent", b.TruncatedMs, 20*sent)
	}
	if b.TruncatedMs < 400 || b.TruncatedMs >= 1000 {
		t.Errorf("truncated at %d ms, want at least the 400 ms the page let play and less than the 1000 ms reply", b.TruncatedMs)
	}
	if b.PacketsAfter < sent-2 || b.PacketsAfter > sent {
		t.Errorf("the browser received %d packets, want the %d the call sent (two may be lost in flight)", b.PacketsAfter, sent)
	}
}

// judge holds a page's call to every conformance rule, as rtmock
// conformance judges a WebRTC client: the third-party clients in these
// pages must not be failed by a rule (a false red), and the verdicts are
// logged.
func judge(t *testing.T, tr *mockserver.Transcript) {
	t.Helper()
	s := conformance.FromTranscript(tr)
	for _, v := range conformance.Check(conformance.Rules(), s) {
		t.Logf("conformance: %-5s %-22s %s", v.Status, v.Rule, v.Why)
		if v.Status == conformance.Fail {
			t.Errorf("conformance fails the page's call on %s: %+v", v.Rule, v.Findings)
		}
	}
}

// TestBrowserPageIsJudged runs a voice agent page (agent.html, on
// @openai/agents-realtime's WebRTC transport) through rtmock conformance
// as a browser client: Chromium opens it with the run's endpoint, its
// microphone speaks the scenario's user turn, and its call is judged by
// every rule. The page does nothing wrong, so every run passes without a
// warning, the spoken turn, the barge-in, the tool call (the SDK runs the
// page's get_weather) and the end of an expired session judged, not n/a;
// the same page sending an event the API does not have fails
// RT-EVENT-TYPES.
func TestBrowserPageIsJudged(t *testing.T) {
	exe := chromium(t)
	pages := pageServer(t, agentsBundle(t), "")
	tests := []struct {
		name, page string
		want       map[string]map[string]conformance.Status // scenario → rule → status
		failed     bool
	}{
		{"a page that does its part", "agent.html", map[string]map[string]conformance.Status{
			"audio-turn":      {conformance.RuleConfigFirst: conformance.Pass, conformance.RuleCloseNormal: conformance.Pass, "EXPECT-1": conformance.Pass},
			"barge-in":        {conformance.RuleBargeInTruncate: conformance.Pass, conformance.RuleCloseNormal: conformance.Pass},
			"function-call":   {conformance.RuleFunctionCall: conformance.Pass, "EXPECT-1": conformance.Pass},
			"session-expired": {conformance.RuleSessionEnd: conformance.Pass},
		}, false},
		{"a page that sends a ping", "agent.html?misbehave=ping", map[string]map[string]conformance.Status{
			"audio-turn": {conformance.RuleEventTypes: conformance.Fail},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := pagerun.Client(&pagerun.Options{Page: pages.URL + "/" + tt.page, Chromium: exe})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for sc := range tt.want {
				names = append(names, sc)
			}
			rep, err := conformance.Run(context.Background(), &conformance.Options{
				Func: fn, Name: tt.page + " in Chromium", Scenarios: names, Dialects: []realtime.Dialect{realtime.GA}, Parallel: 2,
			})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			rep.WriteText(&b)
			t.Log(b.String())
			for _, run := range rep.Runs {
				if run.Failed() != tt.failed {
					t.Errorf("%s: failed = %v, want %v", run.Name(), run.Failed(), tt.failed)
				}
				for _, v := range run.Verdicts {
					want, ok := tt.want[run.Scenario][v.Rule]
					switch {
					case ok && v.Status != want:
						t.Errorf("%s: %s is %s (%s), want %s", run.Name(), v.Rule, v.Status, v.Why, want)
					case !ok && v.Status == conformance.Fail:
						t.Errorf("%s: %s %s fails: %+v", run.Name(), v.Severity, v.Rule, v.Findings)
					}
				}
			}
		})
	}
}
