package mockserver

import (
	"encoding/json"
	"testing"

	"github.com/rtmock/rtmock/realtime"
)

// FuzzSessionUpdate feeds arbitrary session objects to the session.update
// decoder of both dialects: it must never panic, a rejected update must
// leave the configuration as it was, and an accepted one must render as
// JSON.
func FuzzSessionUpdate(f *testing.F) {
	for _, s := range []string{
		`{"voice":"shimmer","turn_detection":null}`,
		`{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"turn_detection":{"type":"semantic_vad","eagerness":"low"}},"output":{"voice":"marin","speed":1.2}}}`,
		`{"modalities":["text"],"input_audio_format":"g711-ulaw","temperature":0.7,"max_response_output_tokens":"inf"}`,
		`{"type":"realtime","output_modalities":["text"],"tools":[{"type":"function","name":"f"}],"max_output_tokens":4096}`,
		`{"turn_detection":{"type":"server_vad","threshold":0.9,"prefix_padding_ms":0,"silence_duration_ms":1000,"create_response":false}}`,
		`[]`, `null`, `{"input_audio_transcription":{"model":"whisper-1","language":"de"}}`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, ga bool) {
		d, p := realtime.Preview, Azure
		if ga {
			d, p = realtime.GA, OpenAI
		}
		cur := defaultSessionConfig(d, "")
		before, _ := json.Marshal(cur.render(d))
		next, err := parseSessionUpdate(d, p, cur, json.RawMessage(raw), false)
		if err != nil {
			after, _ := json.Marshal(next.render(d))
			if string(after) != string(before) {
				t.Fatalf("a rejected update (%v) changed the session:\n%s\n%s", err, before, after)
			}
			if err.Message == "" || err.Code == "" && err.Message == "" {
				t.Fatalf("error without a message: %+v", err)
			}
			return
		}
		if _, jerr := json.Marshal(next.render(d)); jerr != nil {
			t.Fatalf("accepted update renders as invalid JSON: %v", jerr)
		}
	})
}
