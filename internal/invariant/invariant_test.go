package invariant_test

import (
	"strings"
	"testing"

	"github.com/rtmock/rtmock/internal/invariant"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/realtime"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// A well-formed preview response, one line per event; the cases below
// break it in one place each.
var good = []string{
	`{"type":"session.created","event_id":"e0","session":{}}`,
	`{"type":"response.created","event_id":"e1","response":{"id":"r1","status":"in_progress","status_details":null,"usage":null,"output":[]}}`,
	`{"type":"response.output_item.added","event_id":"e2","response_id":"r1","output_index":0,"item":{"id":"i1"}}`,
	`{"type":"conversation.item.created","event_id":"e3","previous_item_id":null,"item":{"id":"i1"}}`,
	`{"type":"response.content_part.added","event_id":"e4","response_id":"r1","item_id":"i1","output_index":0,"content_index":0,"part":{}}`,
	`{"type":"response.audio_transcript.delta","event_id":"e5","response_id":"r1","item_id":"i1","content_index":0,"delta":"Hi"}`,
	`{"type":"response.audio.delta","event_id":"e6","response_id":"r1","item_id":"i1","content_index":0,"delta":"AAAAAA=="}`,
	`{"type":"response.audio.done","event_id":"e7","response_id":"r1","item_id":"i1","content_index":0}`,
	`{"type":"response.audio_transcript.done","event_id":"e8","response_id":"r1","item_id":"i1","content_index":0,"transcript":"Hi"}`,
	`{"type":"response.content_part.done","event_id":"e9","response_id":"r1","item_id":"i1","content_index":0,"part":{}}`,
	`{"type":"response.output_item.done","event_id":"e10","response_id":"r1","output_index":0,"item":{"id":"i1"}}`,
	`{"type":"response.done","event_id":"e11","response":{"id":"r1","status":"completed","status_details":null,"usage":{}}}`,
}

func check(events []string) invariant.Report {
	c := invariant.New(realtime.Preview, 2)
	for _, e := range events {
		c.Add([]byte(e))
	}
	return c.Finish(false)
}

func TestGoodStreamPasses(t *testing.T) {
	rep := check(good)
	if len(rep.Violations) != 0 || rep.Responses != 1 || len(rep.Audio) != 1 || rep.Audio[0].Bytes != 4 {
		t.Fatalf("report %+v", rep)
	}
}

func TestEachBrokenInvariantIsReported(t *testing.T) {
	edit := func(f func([]string) []string) []string { return f(append([]string(nil), good...)) }
	tests := []struct {
		name   string
		events []string
		want   string
	}{
		{"GA event in a preview session", edit(func(e []string) []string {
			e[6] = strings.Replace(e[6], "response.audio.delta", "response.output_audio.delta", 1)
			return e
		}), "event of the ga dialect"},
		{"delta after its part is done", edit(func(e []string) []string { return append(e[:10], append([]string{e[6]}, e[10:]...)...) }), "after content_part.done"},
		{"transcript differs from its deltas", edit(func(e []string) []string { e[8] = strings.Replace(e[8], `"Hi"`, `"Hello"`, 1); return e }), "is not its deltas"},
		{"no response.done", good[:11], "never got response.done"},
		{"response.done twice", append(append([]string(nil), good...), strings.Replace(good[11], "e11", "e12", 1)), "done twice"},
		{"event id reused", edit(func(e []string) []string { e[5] = strings.Replace(e[5], `"e5"`, `"e4"`, 1); return e }), "used twice"},
		{"odd audio bytes", edit(func(e []string) []string { e[6] = strings.Replace(e[6], `"AAAAAA=="`, `"AA=="`, 1); return e }), "whole number of samples"},
		{"done before the item is done", edit(func(e []string) []string { return append(e[:10], e[11]) }), "before output_item.done"},
		{"completed with status details", edit(func(e []string) []string {
			e[11] = strings.Replace(e[11], `"status_details":null`, `"status_details":{"type":"x"}`, 1)
			return e
		}), "completed response with status_details"},
	}
	for _, tt := range tests {
		rep := check(tt.events)
		found := false
		for _, v := range rep.Violations {
			if strings.Contains(v.String(), tt.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no violation containing %q in %v", tt.name, tt.want, rep.Violations)
		}
	}
}
