package view_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/rtmock/rtmock/internal/view"
)

// FuzzParseSession feeds arbitrary files to the loader: it returns an error
// or a session whose model builds and encodes (no NaN, no panic), and the
// page renders.
func FuzzParseSession(f *testing.F) {
	for _, p := range []string{bargeInCassette, "../../cassette/testdata/session.jsonl", "../../cassette/testdata/truncated.jsonl"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(gaHeader + "\n" + `{"t":1,"dir":"client","event":{"type":"conversation.item.truncate","item_id":"x","audio_end_ms":1e308}}` + "\n"))
	f.Add([]byte(`{"t":0.5,"dir":"server","fault":"drop response.output_audio.delta"}` + "\n"))
	f.Add([]byte(`{"t":0.1,"dir":"server","event":{"type":"response.output_audio.delta","item_id":"i","delta":"rtmock-elided:g711_alaw:80"}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := view.ParseSession(data, "fuzz.jsonl")
		if err != nil {
			return
		}
		m := view.Build(s, nil)
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("the model does not encode: %v", err)
		}
		if len(m.Events) != len(s.Frames) || !(m.End > 0) {
			t.Fatalf("%d events for %d frames, end %v", len(m.Events), len(s.Frames), m.End)
		}
		var b bytes.Buffer
		if err := (&view.Page{Sessions: []*view.Model{m}}).WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseReport feeds arbitrary JSON to the report reader.
func FuzzParseReport(f *testing.F) {
	if b, err := os.ReadFile(slowTruncateDir + "/report.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"runs":[{"transcripts":["a.jsonl"],"verdicts":[{"rule":"R","status":"fail","findings":[{"t":1,"session":7}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := view.ParseReport(data, "fuzz.json")
		if err != nil {
			return
		}
		for _, run := range r.Runs {
			for n := range len(run.Transcripts) + 2 {
				run.Findings(n)
			}
		}
	})
}
