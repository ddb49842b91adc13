package cassette

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(c)
	want := &Summary{
		Header:       c.Header(),
		Frames:       11,
		Duration:     9870 * time.Millisecond,
		ClientEvents: map[string]int{"input_audio_buffer.append": 1, "response.create": 1},
		ServerEvents: map[string]int{"session.created": 1, "response.created": 1, "response.audio.delta": 1, "response.audio_transcript.done": 1, "response.done": 1, "error": 1},
		NotJSON:      1,
		Binary:       1,
		Responses: []Response{{
			ID: "resp_1", Status: "completed", Start: 400 * time.Millisecond, End: 500 * time.Millisecond,
			Audio: 100 * time.Millisecond, Transcript: "Hello there.",
		}},
		AudioIn:  Audio{Events: 1, Bytes: 12, Duration: 250 * time.Microsecond},
		AudioOut: Audio{Events: 1, Bytes: 4800, Duration: 100 * time.Millisecond, Elided: 1},
		Close:    &Frame{T: 9870 * time.Millisecond, Dir: Client, Kind: KindClose, Code: 1000},
		Problems: []Problem{{T: 800 * time.Millisecond, Dir: Server, Message: "error invalid_request_error/invalid_value: Invalid value: 'ping'."}},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}

	// Inspect streams to the same result.
	f, err := os.Open("testdata/session.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := Inspect(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, streamed); diff != "" {
		t.Errorf("Inspect differs from Summarize (-Summarize +Inspect):\n%s", diff)
	}
}

func TestSummarizeProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []Problem
	}{
		{"failed.jsonl", []Problem{{Dir: Server, Message: `upgrade refused: HTTP 401: {"error":{"code":"401","message":"Access denied due to invalid subscription key."}}`}}},
		{"truncated.jsonl", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			c, err := Load("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(c)
			if diff := cmp.Diff(tt.want, s.Problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if (s.Truncated != nil) != (c.Truncated() != nil) {
				t.Errorf("Summary.Truncated = %v, want %v", s.Truncated, c.Truncated())
			}
		})
	}
}

func TestSummarizeTransportProblems(t *testing.T) {
	t.Parallel()
	c := cassetteOf(t,
		Frame{T: time.Second, Dir: Server, Kind: KindDropped, Code: 4},
		Frame{T: 2 * time.Second, Dir: Server, Kind: KindClose, Code: 3000, Reason: "invalid_request_error.invalid_api_key"},
		Frame{T: 3 * time.Second, Dir: Client, Kind: KindError, Reason: "EOF"},
		Frame{T: 4 * time.Second, Dir: Server, Kind: KindText, Data: []byte(`{"type":"response.done","response":{"id":"r9","status":"failed","status_details":{"type":"failed","error":{"code":"server_error","message":"boom"}}}}`)},
	)
	s := Summarize(c)
	want := []Problem{
		{T: time.Second, Dir: Server, Message: "4 frames were not recorded"},
		{T: 2 * time.Second, Dir: Server, Message: `closed with 3000 "invalid_request_error.invalid_api_key"`},
		{T: 3 * time.Second, Dir: Client, Message: "connection failed: EOF"},
		{T: 4 * time.Second, Dir: Server, Message: "response r9 failed: server_error boom"},
	}
	if diff := cmp.Diff(want, s.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// cassetteOf writes frames as a cassette and parses it back.
func cassetteOf(t *testing.T, frames ...Frame) *Cassette {
	t.Helper()
	c, err := Parse(bytes.NewReader(write(t, testHeader, nil, frames...)), "test.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
