package mockserver_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/clock"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// speechEndMs plays speech then silence into a session of sc and returns
// the audio_end_ms of its speech_stopped.
func speechEndMs(t *testing.T, sc *scenarios.Scenario, d dialectCase, speech []byte) int {
	t.Helper()
	srv := startServer(t, &mockserver.Options{Scenario: sc})
	c := dial(t, srv, d)
	c.next()
	c.appendAudio(speech, 4800)
	c.appendAudio(make([]byte, 9*48000), 4800) // 9 s of silence
	evs := c.until("input_audio_buffer.speech_stopped")
	return int(evs[len(evs)-1].num("audio_end_ms"))
}

// TestSemanticVADEagerness: semantic_vad ends a turn whose words end a
// sentence after a short pause, and one cut off mid-sentence only after
// the eagerness's documented maximum wait (8, 4, 2 s); server_vad ends both
// after its silence. The audio is the same in every case, so the
// differences between the turns' audio_end_ms are exactly the waits.
func TestSemanticVADEagerness(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)
	load := func(td, transcript string) *scenarios.Scenario {
		src := fmt.Sprintf("name: t\nsession:\n  turn_detection: %s\nturns:\n  - when: user_speech\n    user: {transcript: %q}\n    reply: {text: Sure.}\n", td, transcript)
		sc, err := scenarios.Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	complete, cut := "Book a table for two.", "I'd like to book a table for"
	for _, d := range []dialectCase{dialects[0], dialects[1]} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			base := speechEndMs(t, load("{type: server_vad, silence_duration_ms: 200}", cut), d, speech) - 200
			for _, tt := range []struct {
				eagerness          string
				complete, unfinish int
			}{
				{"low", 1000, 8000}, {"medium", 500, 4000}, {"auto", 500, 4000}, {"high", 200, 2000},
			} {
				td := "{type: semantic_vad, eagerness: " + tt.eagerness + "}"
				if got := speechEndMs(t, load(td, complete), d, speech) - base; got != tt.complete {
					t.Errorf("%s, a finished sentence: the turn ended %d ms after the speech, want %d", tt.eagerness, got, tt.complete)
				}
				if got := speechEndMs(t, load(td, cut), d, speech) - base; got != tt.unfinish {
					t.Errorf("%s, cut off mid-sentence: the turn ended %d ms after the speech, want %d", tt.eagerness, got, tt.unfinish)
				}
			}
		})
	}
}

// TestIdleTimeout plays the GA idle timeout on the manual clock: after a
// response's audio has played, idle_timeout_ms without speech sends
// input_audio_buffer.timeout_triggered with the silent stretch, commits it
// and answers with the idle_timeout turn; speech before the deadline
// disarms it.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	src := `name: idle
session:
  turn_detection: {type: server_vad, idle_timeout_ms: 6000}
turns:
  - when: response.create
    reply: {transcript: "Hello there.", audio: {duration: 1s}}
  - when: idle_timeout
    repeat: true
    reply: {transcript: "Are you still there?", audio: {duration: 1s}}
`
	sc, err := scenarios.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []dialectCase{dialects[1], dialects[3]} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := startServer(t, &mockserver.Options{Scenario: sc, Clock: clk})
			c := dial(t, srv, d)
			c.next()
			t0 := clk.Now()
			c.send(`{"type":"response.create"}`)
			c.until("response.done")
			// 2 s of the client's silence, streamed as it plays; the
			// server has taken it before the clock moves.
			silence := base64.StdEncoding.EncodeToString(make([]byte, 4800))
			for range 20 {
				c.sendSync(map[string]any{"type": "input_audio_buffer.append", "audio": silence})
			}
			next, ok := clk.Next()
			for ok && next.Before(t0.Add(7*time.Second)) {
				clk.Advance(next.Sub(clk.Now()))
				next, ok = clk.Next()
			}
			if !ok || !next.Equal(t0.Add(7*time.Second)) {
				t.Fatalf("next step at %v, want the timeout at +7s (1 s of reply audio, then 6 s)", next.Sub(t0))
			}
			clk.Advance(next.Sub(clk.Now()))
			evs := c.until("response.done")
			got := strings.Join(types(evs), " ")
			for _, want := range []string{"input_audio_buffer.timeout_triggered input_audio_buffer.committed conversation.item.added", "response.created"} {
				if !strings.Contains(got, want) {
					t.Errorf("after the timeout: %s; want %s", got, want)
				}
			}
			for _, e := range evs {
				switch e.Type {
				case "input_audio_buffer.timeout_triggered":
					if s, en := e.num("audio_start_ms"), e.num("audio_end_ms"); s != 0 || en != 2000 {
						t.Errorf("timeout_triggered spans %v–%v ms, want the 0–2000 ms of silence streamed", s, en)
					}
				case "response.output_audio_transcript.done":
					if tr := e.str("transcript"); tr != "Are you still there?" {
						t.Errorf("the answer to the timeout says %q", tr)
					}
				}
			}
			// It fires again after the prompt; speech disarms it.
			t1 := clk.Now()
			// The speech up to 300 ms past its onset: it has no pause in which
			// VAD could end the turn and a new reply arm the timeout again.
			c.appendAudio(speechFixture(t)[:1200*48], 4800)
			c.until("input_audio_buffer.speech_started")
			if next, ok := clk.Next(); ok && next.Sub(t1) <= 10*time.Second {
				t.Errorf("a step is pending at +%v after the user began to speak; the next should be the session's expiry", next.Sub(t1))
			}
		})
	}
}

// TestFailedResponses: a scenario's reply with status failed gives
// response.created, then response.done with status failed, no output,
// zero usage and the error of the reason, as the service's rate-limited
// responses are.
func TestFailedResponses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ reason, code, typ string }{
		{"rate_limit_exceeded", "rate_limit_exceeded", "tokens"},
		{"inference_rate_limit_exceeded", "inference_rate_limit_exceeded", "server_error"},
		{"server_error", "", "server_error"},
	} {
		sc, err := scenarios.Parse("f.yaml", []byte("name: f\nturns:\n  - when: response.create\n    reply: {text: Hi., status: failed, reason: "+tt.reason+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dialects {
			srv := startServer(t, &mockserver.Options{Scenario: sc})
			c := dial(t, srv, d)
			c.next()
			c.send(`{"type":"response.create"}`)
			evs := c.until("response.done")
			if got := strings.Join(types(evs), " "); got != "response.created response.done" {
				t.Errorf("%s %s: %s; want response.created response.done", tt.reason, d.name, got)
			}
			done := evs[len(evs)-1]
			code, _ := done.get("response.status_details.error.code").(string)
			if done.str("response.status") != "failed" || code != tt.code || done.str("response.status_details.error.type") != tt.typ ||
				done.num("response.usage.total_tokens") != 0 || len(done.get("response.output").([]any)) != 0 {
				t.Errorf("%s %s: %s", tt.reason, d.name, done.Raw)
			}
		}
	}
}
