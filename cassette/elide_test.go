package cassette

import (
	"bytes"
	"encoding/base64"
	"github.com/google/go-cmp/cmp"
	"strings"
	"testing"
	"time"
)

func b64(n int, fill byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, n))
}

func TestElideAudio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		dir    Direction
		event  string
		format string
		want   string // "" means unchanged
	}{
		{"client append", Client, `{"type":"input_audio_buffer.append","audio":"` + b64(4800, 1) + `"}`, PCM16,
			`{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:4800"}`},
		{"preview delta", Server, `{"type":"response.audio.delta","response_id":"r","delta":"` + b64(7, 2) + `","x":1}`, PCM16,
			`{"type":"response.audio.delta","response_id":"r","delta":"rtmock-elided:pcm16:7","x":1}`},
		{"GA delta in G.711", Server, `{"type":"response.output_audio.delta","delta":"` + b64(800, 3) + `"}`, G711ULaw,
			`{"type":"response.output_audio.delta","delta":"rtmock-elided:g711_ulaw:800"}`},
		{"escaped slashes count", Client, `{"type":"input_audio_buffer.append","audio":"` + strings.ReplaceAll(b64(300, 0xff), "/", `\/`) + `"}`, PCM16,
			`{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:300"}`},
		{"unpadded", Client, `{"type":"input_audio_buffer.append","audio":"AAE"}`, PCM16,
			`{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:2"}`},
		{"invalid base64 is kept", Client, `{"type":"input_audio_buffer.append","audio":"not base64!"}`, PCM16, ""},
		{"an append from the server is not audio", Server, `{"type":"input_audio_buffer.append","audio":"AAAA"}`, PCM16, ""},
		{"other events are kept", Server, `{"type":"response.audio_transcript.delta","delta":"AAAA"}`, PCM16, ""},
		{"already elided", Client, `{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:4"}`, PCM16, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ElideAudio(tt.dir, []byte(tt.event), tt.format)
			want := tt.want
			if want == "" {
				want = tt.event
			}
			if string(got) != want || ok != (tt.want != "") {
				t.Errorf("ElideAudio =\n %s, %v\nwant\n %s, %v", got, ok, want, tt.want != "")
			}
		})
	}
}

func TestRestoreAudio(t *testing.T) {
	t.Parallel()
	ev := []byte(`{"type":"response.output_audio.delta","delta":"rtmock-elided:g711_alaw:5","item_id":"i"}`)
	out, ok, err := RestoreAudio(ev, nil)
	if err != nil || !ok {
		t.Fatalf("RestoreAudio = %v, %v", ok, err)
	}
	want := `{"type":"response.output_audio.delta","delta":"` + b64(5, 0xD5) + `","item_id":"i"}`
	if string(out) != want {
		t.Errorf("restored\n %s\nwant\n %s", out, want)
	}
	tone := func(format string, n int) []byte { return bytes.Repeat([]byte{7}, n) }
	out, _, _ = RestoreAudio([]byte(`{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:4"}`), tone)
	if string(out) != `{"type":"input_audio_buffer.append","audio":"BwcHBw=="}` {
		t.Errorf("restored with fill: %s", out)
	}
	if _, _, err := RestoreAudio(ev, func(string, int) []byte { return nil }); err == nil {
		t.Error("RestoreAudio accepted fill of the wrong size")
	}
	plain := []byte(`{"type":"input_audio_buffer.append","audio":"AAAA"}`)
	if out, ok, err := RestoreAudio(plain, nil); ok || err != nil || !bytes.Equal(out, plain) {
		t.Errorf("RestoreAudio changed an event without a marker: %s %v %v", out, ok, err)
	}
}

func TestWriterElidesWithSessionFormat(t *testing.T) {
	t.Parallel()
	frames := []Frame{
		{Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"` + b64(48, 0) + `"}`)},
		{Dir: Server, Kind: KindText, Data: []byte(`{"type":"session.updated","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcmu"}},"output":{"format":{"type":"audio/pcma"}}}}}`)},
		{Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"` + b64(80, 0xff) + `"}`)},
		{Dir: Server, Kind: KindText, Data: []byte(`{"type":"response.output_audio.delta","response_id":"r1","delta":"` + b64(160, 0xd5) + `"}`)},
	}
	out := write(t, testHeader, &WriterOptions{ElideAudio: true}, frames...)
	for _, want := range []string{"rtmock-elided:pcm16:48", "rtmock-elided:g711_ulaw:80", "rtmock-elided:g711_alaw:160"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("cassette lacks %s:\n%s", want, out)
		}
	}
	c, err := Parse(bytes.NewReader(out), "")
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(c)
	if s.AudioIn.Duration != 11*time.Millisecond || s.AudioOut.Duration != 20*time.Millisecond {
		t.Errorf("audio in %v out %v, want 11ms (1 pcm16 + 10 µ-law) and 20ms", s.AudioIn.Duration, s.AudioOut.Duration)
	}
	if s.AudioIn.Elided != 2 || s.AudioOut.Elided != 1 {
		t.Errorf("elided in %d out %d, want 2 and 1", s.AudioIn.Elided, s.AudioOut.Elided)
	}
}

func TestParseElision(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "rtmock-elided:", "rtmock-elided:pcm16", "rtmock-elided::4", "rtmock-elided:pcm16:-1", "rtmock-elided:pcm16:x", "elided:pcm16:4"} {
		if _, ok := ParseElision(s); ok {
			t.Errorf("ParseElision(%q) accepted", s)
		}
	}
	el, ok := ParseElision("rtmock-elided:pcm16:4800")
	if !ok || el.Bytes != 4800 || el.Duration() != 100*time.Millisecond {
		t.Errorf("ParseElision = %+v, %v; want 4800 bytes, 100ms", el, ok)
	}
}

func TestCassetteAudio(t *testing.T) {
	t.Parallel()
	out := write(t, testHeader, nil,
		Frame{Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"AQID"}`)},
		Frame{Dir: Server, Kind: KindText, Data: []byte(`{"type":"response.audio.delta","delta":"BAUG"}`)},
		Frame{Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"rtmock-elided:pcm16:2"}`)},
		Frame{Dir: Client, Kind: KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"BwgJ"}`)},
	)
	c, err := Parse(bytes.NewReader(out), "")
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.Audio(Client)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Data, []byte{1, 2, 3, 0, 0, 7, 8, 9}) || in.Events != 3 || in.Elided != 1 || in.Format != PCM16 {
		t.Errorf("client audio = %+v", in)
	}
	outTrack, err := c.Audio(Server)
	if err != nil || !bytes.Equal(outTrack.Data, []byte{4, 5, 6}) {
		t.Errorf("server audio = %+v, %v", outTrack, err)
	}

	mixed := write(t, testHeader, nil,
		Frame{Dir: Server, Kind: KindText, Data: []byte(`{"type":"response.audio.delta","delta":"BAUG"}`)},
		Frame{Dir: Server, Kind: KindText, Data: []byte(`{"type":"session.updated","session":{"output_audio_format":"g711_ulaw"}}`)},
		Frame{Dir: Server, Kind: KindText, Data: []byte(`{"type":"response.audio.delta","delta":"BAUG"}`)},
	)
	c, _ = Parse(bytes.NewReader(mixed), "")
	if _, err := c.Audio(Server); err == nil {
		t.Error("Audio accepted a format change within the track")
	}

	// ReadAudio streams to the same tracks, and places its errors.
	for _, dir := range []Direction{Client, Server} {
		want, _ := cassetteOf(t, mustFrames(t, out)...).Audio(dir)
		r, err := NewReader(bytes.NewReader(out), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadAudio(r, dir)
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("ReadAudio(%s) = %+v, %v; want %+v", dir, got, err, want)
		}
	}
	r, _ := NewReader(bytes.NewReader(mixed), &ReaderOptions{Name: "mixed.jsonl"})
	if _, err := ReadAudio(r, Server); err == nil || !strings.HasPrefix(err.Error(), "cassette mixed.jsonl:4: audio: it is g711_ulaw, before it pcm16") {
		t.Errorf("ReadAudio of a format change = %v", err)
	}
}

// mustFrames reads the frames of a cassette.
func mustFrames(t *testing.T, b []byte) []Frame {
	t.Helper()
	c, err := Parse(bytes.NewReader(b), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []Frame
	for _, f := range c.All() {
		out = append(out, f)
	}
	return out
}

// TestElideWebRTCAudio: with ElideAudio a WebRTC audio frame keeps its RTP
// timing and size, and its PCM reads back as silence of that size.
func TestElideWebRTCAudio(t *testing.T) {
	t.Parallel()
	pcm := []byte{1, 2, 3, 4, 5, 6}
	f := Frame{T: time.Second, Dir: Server, Kind: KindAudio, Data: pcm, RTP: RTPStamp{Timestamp: 960, Seq: 9}}
	out := write(t, testHeader, &WriterOptions{ElideAudio: true}, f)
	if !bytes.Contains(out, []byte(`"pcm":"rtmock-elided:pcm16:6"`)) {
		t.Fatalf("elided audio frame:\n%s", out)
	}
	c, err := Parse(bytes.NewReader(out), "elided.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range c.All() {
		if got.Kind != KindAudio || got.RTP != f.RTP || !bytes.Equal(got.Data, make([]byte, 6)) {
			t.Errorf("read back %+v, want the RTP stamp and 6 bytes of silence", got)
		}
	}
	if bytes.Equal(pcm, make([]byte, 6)) {
		t.Error("the writer changed the caller's frame")
	}
}
