package realtime_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/realtime"
)

func TestPeek(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    realtime.Header
		wantErr error
	}{
		{"type and event id", `{"type":"response.create","event_id":"e1"}`, realtime.Header{Type: "response.create", EventID: "e1"}, nil},
		{"type after other fields", `{"response":{"modalities":["text"],"x":"}"},"type":"response.create"}`, realtime.Header{Type: "response.create"}, nil},
		{"whitespace everywhere", " {\n \"type\" : \"a\" ,\t\"event_id\":\"b\" } ", realtime.Header{Type: "a", EventID: "b"}, nil},
		{"escaped quote in other value", `{"x":"a\"b\\","type":"t"}`, realtime.Header{Type: "t"}, nil},
		{"escaped type", `{"type":"a\u002eb"}`, realtime.Header{Type: "a.b"}, nil},
		{"event id not a string is ignored", `{"type":"t","event_id":5}`, realtime.Header{Type: "t"}, nil},
		{"numbers and literals", `{"a":-1.5e3,"b":true,"c":null,"d":false,"type":"t"}`, realtime.Header{Type: "t"}, nil},
		{"missing type", `{"event_id":"x"}`, realtime.Header{EventID: "x"}, realtime.ErrMissingType},
		{"empty object", `{}`, realtime.Header{}, realtime.ErrMissingType},
		{"type not a string", `{"type":5}`, realtime.Header{}, realtime.ErrTypeNotText},
		{"not json", `hello`, realtime.Header{}, realtime.ErrNotJSON},
		{"array", `["type"]`, realtime.Header{}, realtime.ErrNotJSON},
		{"truncated", `{"type":"a","audio":"AAAA`, realtime.Header{Type: "a"}, realtime.ErrNotJSON},
		{"trailing garbage", `{"type":"a"} x`, realtime.Header{Type: "a"}, realtime.ErrNotJSON},
		{"unterminated object", `{"type":"a","b":{"c":1}`, realtime.Header{Type: "a"}, realtime.ErrNotJSON},
		{"empty", ``, realtime.Header{}, realtime.ErrNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := realtime.Peek([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Peek(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Peek(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStringField(t *testing.T) {
	t.Parallel()
	raw, ok, err := realtime.StringField([]byte(`{"type":"input_audio_buffer.append","audio":"AAEC\/w=="}`), "audio")
	if err != nil || !ok {
		t.Fatalf("StringField: ok=%v err=%v", ok, err)
	}
	got, err := realtime.Unquote(raw)
	if err != nil || string(got) != "AAEC/w==" {
		t.Fatalf("Unquote(%q) = %q, %v; want AAEC/w==", raw, got, err)
	}
	if _, ok, _ := realtime.StringField([]byte(`{"audio":5}`), "audio"); ok {
		t.Error("a number was reported as a string field")
	}
}

func TestDialectNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind        realtime.Kind
		preview, ga string
	}{
		{realtime.KindAudioDelta, "response.audio.delta", "response.output_audio.delta"},
		{realtime.KindTextDone, "response.text.done", "response.output_text.done"},
		{realtime.KindAudioTranscriptDelta, "response.audio_transcript.delta", "response.output_audio_transcript.delta"},
		{realtime.KindItemCreated, "conversation.item.created", ""},
		{realtime.KindItemAdded, "", "conversation.item.added"},
		{realtime.KindResponseDone, "response.done", "response.done"},
	}
	for _, tt := range tests {
		if got := realtime.Preview.Name(tt.kind); got != tt.preview {
			t.Errorf("Preview.Name(%d) = %q, want %q", tt.kind, got, tt.preview)
		}
		if got := realtime.GA.Name(tt.kind); got != tt.ga {
			t.Errorf("GA.Name(%d) = %q, want %q", tt.kind, got, tt.ga)
		}
		if tt.preview != "" && realtime.KindOf(realtime.Preview, tt.preview) != tt.kind {
			t.Errorf("KindOf(preview, %q) != %d", tt.preview, tt.kind)
		}
	}
	if realtime.IsServerType(realtime.Preview, "response.output_audio.delta") {
		t.Error("a GA-only event is known to the preview dialect")
	}
	if got := realtime.Translate("response.audio.delta", realtime.Preview, realtime.GA); got != "response.output_audio.delta" {
		t.Errorf("Translate = %q", got)
	}
}

func TestErrorEventIsJSON(t *testing.T) {
	t.Parallel()
	e := realtime.NewUnknownEventTypeError(realtime.GA, "ping\n\"x\"").WithEventID("evt_1")
	b := e.AppendEvent(nil, "event_abc")
	var got struct {
		Type    string `json:"type"`
		EventID string `json:"event_id"`
		Error   struct {
			Type    string  `json:"type"`
			Code    *string `json:"code"`
			Message string  `json:"message"`
			Param   *string `json:"param"`
			EventID *string `json:"event_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("error event is not JSON: %v\n%s", err, b)
	}
	if got.Type != "error" || got.EventID != "event_abc" || *got.Error.Code != "invalid_value" ||
		*got.Error.Param != "type" || *got.Error.EventID != "evt_1" || !strings.Contains(got.Error.Message, "'session.update'") {
		t.Errorf("unexpected error event: %s", b)
	}
	nullCode := realtime.NewMissingAuthError().AppendEvent(nil, "e")
	if !strings.Contains(string(nullCode), `"code":null`) || !strings.Contains(string(nullCode), `"event_id":null}`) {
		t.Errorf("empty code and event id must be null: %s", nullCode)
	}
}

func FuzzPeek(f *testing.F) {
	for _, s := range []string{
		`{"type":"response.create","event_id":"e1"}`,
		`{"type":"input_audio_buffer.append","audio":"AAAA"}`,
		`{"a":[1,{"b":"}"}],"type":"x"}`, `{`, `"x"`, `{"type":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := realtime.Peek(data)
		if err != nil {
			return
		}
		// Whenever Peek accepts a frame that encoding/json also accepts, they
		// must agree on the type.
		var v struct {
			Type any `json:"type"`
		}
		if json.Unmarshal(data, &v) == nil {
			if s, ok := v.Type.(string); ok && s != h.Type {
				t.Fatalf("Peek type %q, encoding/json %q", h.Type, s)
			}
		}
	})
}

func BenchmarkPeekAppend(b *testing.B) {
	// A 100 ms PCM16 append at 24 kHz: 4800 bytes of audio, 6400 base64 characters.
	frame := []byte(`{"type":"input_audio_buffer.append","event_id":"evt_123","audio":"` + strings.Repeat("AbCd", 1600) + `"}`)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := realtime.Peek(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeClient decodes client events the way a session does:
// one reused Parser, the event scanned once and read from its tape.
func BenchmarkDecodeClient(b *testing.B) {
	frames := map[string][]byte{
		"append":          []byte(`{"type":"input_audio_buffer.append","event_id":"evt_123","audio":"` + strings.Repeat("AbCd", 1600) + `"}`),
		"response.create": []byte(`{"type":"response.create","response":{"modalities":["audio","text"],"instructions":"Be brief.","voice":"alloy"}}`),
		"session.update":  []byte(`{"type":"session.update","session":{"modalities":["text","audio"],"voice":"alloy","input_audio_format":"pcm16","turn_detection":{"type":"server_vad","threshold":0.5,"silence_duration_ms":500},"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}}`),
	}
	for name, frame := range frames {
		b.Run(name, func(b *testing.B) {
			var p realtime.Parser
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := realtime.DecodeClient(&p, realtime.Preview, frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestAnnouncedFormats(t *testing.T) {
	tests := []struct {
		event       string
		in, out     realtime.Format
		inOK, outOK bool
	}{
		{`{"type":"session.created","session":{"input_audio_format":"pcm16","output_audio_format":"g711_alaw"}}`, realtime.PCM16, realtime.G711ALaw, true, true},
		{`{"type":"session.updated","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcmu"}},"output":{"format":{"type":"audio/pcm","rate":24000}}}}}`, realtime.G711ULaw, realtime.PCM16, true, true},
		{`{"type":"session.updated","session":{"input_audio_format":"g711-ulaw"}}`, realtime.G711ULaw, 0, true, false},
		{`{"type":"session.updated","session":{"instructions":"x"}}`, 0, 0, false, false},
		{`{"type":"session.updated","session":{"input_audio_format":"mp3","audio":{"output":{"format":7}}}}`, 0, 0, false, false},
		{`not json`, 0, 0, false, false},
	}
	var p realtime.Parser
	for _, tt := range tests {
		in, out, inOK, outOK := realtime.AnnouncedFormats(&p, []byte(tt.event))
		if inOK != tt.inOK || outOK != tt.outOK || inOK && in != tt.in || outOK && out != tt.out {
			t.Errorf("%s: got %v %v %v %v, want %v %v %v %v", tt.event, in, out, inOK, outOK, tt.in, tt.out, tt.inOK, tt.outOK)
		}
	}
}

func FuzzAnnouncedFormats(f *testing.F) {
	f.Add([]byte(`{"session":{"audio":{"input":{"format":{"type":"audio/pcma"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p realtime.Parser
		in, out, inOK, outOK := realtime.AnnouncedFormats(&p, data)
		if inOK && !in.Valid() || outOK && !out.Valid() {
			t.Fatalf("an invalid format reported as found: %v %v", in, out)
		}
	})
}
