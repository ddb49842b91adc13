package view_test

import (
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/internal/view"
)

const gaHeader = `{"rtcassette":1,"created":"2026-11-25T12:00:00Z","dialect":"ga","endpoint":{"path":"/openai/v1/realtime"}}`

// parse builds the model of a cassette written as lines.
func parse(t *testing.T, lines ...string) *view.Model {
	t.Helper()
	s, err := view.ParseSession([]byte(strings.Join(lines, "\n")+"\n"), "test.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return view.Build(s, nil)
}

// tone is ms of a 440 Hz tone in format f, base64.
func tone(t *testing.T, f audio.Format, ms int) string {
	t.Helper()
	tn, err := audio.NewTone(f, 440, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	return string(tn.AppendBase64(nil, 0, f.Bytes(time.Duration(ms)*time.Millisecond)))
}

func frame(t float64, dir, event string) string {
	return fmt.Sprintf(`{"t":%.6f,"dir":%q,"event":%s}`, t, dir, event)
}

func TestFaultsAreMarked(t *testing.T) {
	t.Parallel()
	m := parse(t, gaHeader,
		frame(0.1, "server", `{"type":"session.created","session":{}}`),
		`{"t":0.5,"dir":"server","fault":"drop response.output_audio.delta"}`,
		`{"t":0.6,"dir":"server","dropped":3}`,
		frame(0.7, "server", `{"type":"error","error":{"type":"invalid_request_error","code":"boom","message":"Injected fault: boom."}}`),
		`{"t":0.8,"dir":"client","fault":"latency 80ms"}`,
		`{"t":0.9,"dir":"server","http":{"status":429,"headers":{},"body":""}}`,
		`{"t":1.0,"dir":"server","error":"read: connection reset"}`,
		`{"t":1.1,"dir":"server","close":{"code":1006,"reason":"fault: connection dropped"}}`,
	)
	var got []string
	for _, f := range m.Faults {
		got = append(got, fmt.Sprintf("%.1f %s", f.T, f.Kind))
	}
	want := []string{"0.5 drop", "0.6 dropped", "0.7 error", "0.8 latency", "0.9 refused", "1.0 connection", "1.1 disconnect"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("faults\n got %v\nwant %v", got, want)
	}
	if f := m.Faults[0]; f.Text != "injected: drop response.output_audio.delta" || m.Events[f.Ev].JSON != `{"fault":"drop response.output_audio.delta"}` {
		t.Errorf("the fault frame: %+v, event %+v", f, m.Events[f.Ev])
	}
	for i, e := range m.Events[1:] {
		if !e.Err && e.Kind != "text" && e.Kind != "fault" {
			t.Errorf("event %d (%s) is not marked as an error", i+1, e.Kind)
		}
	}
}

func TestAudioLanes(t *testing.T) {
	t.Parallel()
	chunk := tone(t, audio.PCM16, 100)
	lines := []string{gaHeader, frame(0, "server", `{"type":"session.created","session":{"audio":{"input":{"format":{"type":"audio/pcm","rate":24000}},"output":{"format":{"type":"audio/pcmu"}}}}}`)}
	// A client streaming in real time: 100 ms every 100 ms.
	for i := 1; i <= 5; i++ {
		lines = append(lines, frame(float64(i)*0.1, "client", fmt.Sprintf(`{"type":"input_audio_buffer.append","audio":%q}`, chunk)))
	}
	// Then 1 s at once at t=1.0: squeezed between 0.5 and 1.0.
	lines = append(lines, frame(1.0, "client", fmt.Sprintf(`{"type":"input_audio_buffer.append","audio":%q}`, tone(t, audio.PCM16, 1000))))
	lines = append(lines,
		frame(1.1, "server", `{"type":"response.created","response":{"id":"r1","status":"in_progress"}}`),
		frame(1.2, "server", fmt.Sprintf(`{"type":"response.output_audio.delta","response_id":"r1","item_id":"i1","delta":%q}`, tone(t, audio.G711ULaw, 500))),
		frame(1.3, "server", fmt.Sprintf(`{"type":"response.output_audio.delta","response_id":"r1","item_id":"i1","delta":%q}`, tone(t, audio.G711ULaw, 500))),
		frame(1.4, "server", `{"type":"input_audio_buffer.speech_started","audio_start_ms":1400,"item_id":"u2"}`),
		frame(1.45, "client", `{"type":"conversation.item.truncate","item_id":"i1","content_index":0,"audio_end_ms":250}`),
		frame(1.46, "server", `{"type":"conversation.item.truncated","item_id":"i1","content_index":0,"audio_end_ms":250}`),
		frame(3.0, "client", `{"type":"conversation.item.truncate","item_id":"nope","content_index":0,"audio_end_ms":"ten"}`),
	)
	m := parse(t, lines...)

	in := m.Input
	if in == nil || in.Rate != 24000 || in.Ms != 1500 || len(in.Segs) != 6 {
		t.Fatalf("input track %+v", in)
	}
	for i, s := range in.Segs[:5] {
		if math.Abs(s.T1-float64(i+1)*0.1) > 1e-9 || math.Abs((s.T1-s.T0)-0.1) > 1e-9 {
			t.Errorf("real-time append %d drawn at %v..%v, want the 100 ms before its arrival", i, s.T0, s.T1)
		}
	}
	if s := in.Segs[5]; s.T0 != 0.5 || s.T1 != 1.0 || s.A1-s.A0 != 1000 {
		t.Errorf("a burst is drawn at %+v, want 1000 ms squeezed into 0.5..1.0", s)
	}
	if len(in.Peaks) != 2*150 || in.PeakMs != 10 || in.Audio == "" {
		t.Errorf("input peaks %d, audio %d bytes", len(in.Peaks), len(in.Audio))
	}
	if mx := max(in.Peaks[1], in.Peaks[3]); mx < 60 || mx > 64 { // amplitude 0.5 of full scale: 0.5*128
		t.Errorf("a tone at half scale peaks at %d of 127", mx)
	}

	if len(m.Items) != 1 {
		t.Fatalf("items %+v", m.Items)
	}
	it := m.Items[0]
	if it.Track.Rate != 8000 || it.Track.Format != "g711_ulaw" || it.Received != 1000 || it.Played != 250 || it.Cut != 0 || it.T != 1.2 {
		t.Errorf("item %+v, track %s at %d Hz", it, it.Track.Format, it.Track.Rate)
	}
	if raw, _ := base64.StdEncoding.DecodeString(it.Track.Audio); len(raw) != 8000 {
		t.Errorf("the item's playable audio holds %d samples, want 8000", len(raw))
	}
	tr := m.Truncates[0]
	if math.Abs(tr.CutT-1.45) > 1e-9 || tr.EndMs != 250 || tr.RecvMs != 1000 || math.Abs(tr.PlayedMs-250) > 1e-6 || tr.Answer < 0 {
		t.Errorf("truncate %+v: want the cut at 1.2 s + 250 ms, 250 ms played of 1000 received, answered", tr)
	}
	if bad := m.Truncates[1]; bad.CutT != -1 || bad.EndMs != -1 || bad.Answer != -1 {
		t.Errorf("a truncate of an unknown item with a string audio_end_ms: %+v", bad)
	}
	if len(m.VAD) != 1 || !m.VAD[0].Barge || m.VAD[0].Stop != -1 || m.VAD[0].T1 != m.End {
		t.Errorf("VAD %+v: want one open window, a barge-in, ending with the axis", m.VAD)
	}
	if r := m.Responses[0]; r.Status != "" || r.Done != -1 || r.T1 != m.End {
		t.Errorf("an unfinished response %+v", r)
	}
	if m.End != 3.0 {
		t.Errorf("the axis ends at %v, want the last frame's 3.0", m.End)
	}
	// The JSON shown has the audio elided.
	for _, e := range m.Events {
		if len(e.JSON) > 400 {
			t.Errorf("event %s at %v shows %d bytes: audio not elided", e.Type, e.T, len(e.JSON))
		}
	}
}

func TestBadInputIsShownNotFatal(t *testing.T) {
	t.Parallel()
	m := parse(t, gaHeader,
		frame(0.1, "client", `{"type":"input_audio_buffer.append","audio":"!!!not base64"}`),
		`{"t":0.2,"dir":"client","text":"hello, not JSON"}`,
		frame(0.3, "client", `[1,2,3]`),
		`{"t":0.4,"dir":"client","binary":"AAEC"}`,
		frame(0.5, "server", `{"type":"response.done","response":{"id":"r9","status":"failed","status_details":{"type":"failed","error":{}}}}`),
	)
	if !m.Events[0].Err || m.Input != nil {
		t.Errorf("bad client audio: %+v, input %+v", m.Events[0], m.Input)
	}
	if !strings.Contains(m.Events[1].JSON, "hello, not JSON") || m.Events[2].JSON != "[1,2,3]" || !strings.Contains(m.Events[3].JSON, "3 bytes") {
		t.Errorf("frames that are no event: %q %q %q", m.Events[1].JSON, m.Events[2].JSON, m.Events[3].JSON)
	}
	if r := m.Responses[0]; r.Status != "failed" || r.Created != -1 || r.T0 != 0.5 {
		t.Errorf("a response seen only in response.done: %+v", r)
	}
}

func TestLinesAndHeaderlessFiles(t *testing.T) {
	t.Parallel()
	body := frame(0.1, "server", `{"type":"session.created","session":{}}`) + "\n\n  \n" + frame(0.2, "client", `{"type":"response.create"}`) + "\n"
	for _, tc := range []struct {
		name, text string
		lines      []int
	}{
		{"with header", gaHeader + "\n" + body, []int{2, 5}},
		{"headerless", body, []int{1, 4}},
	} {
		s, err := view.ParseSession([]byte(tc.text), "x.jsonl")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		m := view.Build(s, nil)
		if len(m.Events) != 2 || m.Events[0].Line != tc.lines[0] || m.Events[1].Line != tc.lines[1] {
			t.Errorf("%s: events %+v, want lines %v", tc.name, m.Events, tc.lines)
		}
	}
	_, err := view.ParseSession([]byte("{\"t\":0.1,\"dir\":\"server\",\"event\":{\"type\":\"a\"}}\n{\"t\":0.2,\"dir\":\"sideways\",\"event\":{}}\n"), "bad.jsonl")
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
		t.Errorf("a bad line of a headerless file: %v, want it named as line 2", err)
	}
}

func TestMaxAudio(t *testing.T) {
	t.Parallel()
	s, err := view.ParseSession([]byte(gaHeader+"\n"+frame(0.1, "client", fmt.Sprintf(`{"type":"input_audio_buffer.append","audio":%q}`, tone(t, audio.PCM16, 200)))+"\n"), "x.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		max  time.Duration
		kept bool
	}{{0, true}, {200 * time.Millisecond, true}, {100 * time.Millisecond, false}, {-1, false}} {
		m := view.Build(s, &view.Options{MaxAudio: tc.max})
		if kept := m.Input.Audio != ""; kept != tc.kept || len(m.Input.Peaks) == 0 {
			t.Errorf("MaxAudio %v: audio kept %v, want %v (peaks %d)", tc.max, kept, tc.kept, len(m.Input.Peaks))
		}
		if !tc.kept && len(m.Notes) == 0 {
			t.Errorf("MaxAudio %v: no note says the audio was left out", tc.max)
		}
	}
}

// TestWebRTCAudioPackets: a WebRTC call's audio frames are shown with their
// RTP timing and size, not as errors and not with their samples.
func TestWebRTCAudioPackets(t *testing.T) {
	t.Parallel()
	m := parse(t, gaHeader,
		frame(0.1, "server", `{"type":"session.created","session":{}}`),
		`{"t":0.2,"dir":"client","audio":{"rtp_ts":960,"seq":7,"pcm":"AAAAAA=="}}`,
		`{"t":0.22,"dir":"server","audio":{"rtp_ts":1920,"seq":8,"pcm":"AQACAA=="}}`,
	)
	if len(m.Events) != 3 {
		t.Fatalf("%d events, want 3", len(m.Events))
	}
	for i, want := range []string{`{"audio":{"bytes":4,"rtp_ts":960,"seq":7}}`, `{"audio":{"bytes":4,"rtp_ts":1920,"seq":8}}`} {
		e := m.Events[i+1]
		if e.Kind != "audio" || e.Err || e.JSON != want {
			t.Errorf("audio frame %d shown as %+v, want %s", i, e, want)
		}
	}
	if len(m.Faults) != 0 {
		t.Errorf("audio packets marked as faults: %+v", m.Faults)
	}
}
