package mockserver_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/clock"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// burst sends frames back to back on a session at live pace on a manual
// clock, lets the session play out, and returns the server's event types
// in order.
func burst(t *testing.T, d dialectCase, frames ...string) []string {
	var types []string
	for _, f := range burstFrames(t, d, frames...) {
		types = append(types, f.Type)
	}
	return types
}

// burstFrames is burst, returning the server's text frames.
func burstFrames(t *testing.T, d dialectCase, frames ...string) []cassette.Frame {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	srv := startServer(t, &mockserver.Options{Clock: clk, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}, KeepTranscripts: true})
	c := dial(t, srv, d)
	// Every frame is in before the session's clock moves: they arrive at
	// the same instant, as a burst does on the wire.
	c.until("session.created")
	for _, f := range frames {
		c.sendSync(f)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, ok := c.tryNext()
			if !ok || e.Type == "rate_limits.updated" {
				return
			}
		}
	}()
	runClock(clk, start.Add(time.Minute), done)
	<-done
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	var out []cassette.Frame
	for _, f := range srv.Transcripts()[0].Frames {
		if f.Dir == cassette.Server && f.Kind == cassette.KindText {
			out = append(out, f)
		}
	}
	return out
}

// firstDone is the first response.done among frames.
func firstDone(t *testing.T, frames []cassette.Frame) event {
	t.Helper()
	for _, f := range frames {
		if f.Type == "response.done" {
			e, err := rttest.Decode(f.Data)
			if err != nil {
				t.Fatal(err)
			}
			return event{e}
		}
	}
	t.Fatal("no response.done")
	return event{}
}

func before(types []string, a, b string) bool {
	i, j := slices.Index(types, a), slices.Index(types, b)
	return i >= 0 && j >= 0 && i < j
}

// TestRepliesComeInTheOrderOfTheRequests: the service answers client
// events in the order they were sent, each after its own latency but never
// before the answer to an earlier one (docs/live-service.md, item 1).
func TestRepliesComeInTheOrderOfTheRequests(t *testing.T) {
	t.Parallel()
	for _, d := range []dialectCase{dialects[0], dialects[3]} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			r := burst(t, d, `{"type":"response.create"}`, `{"type":"response.cancel"}`)
			if !before(r, "response.created", "response.done") {
				t.Errorf("create then cancel at once: %v; want response.created before response.done", r)
			}
			r = burst(t, d, `{"type":"response.create"}`, `{"type":"response.create"}`)
			if !before(r, "response.created", "error") {
				t.Errorf("two response.create at once: %v; want the first's response.created before the second's error", r)
			}
			// An item created right after a response.create is not part
			// of that response's input: the response's input tokens are
			// those of a response.create alone.
			long := `{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"` + strings.Repeat("Tell me more. ", 100) + `"}]}}`
			alone := firstDone(t, burstFrames(t, d, `{"type":"response.create"}`)).num("response.usage.input_tokens")
			then := firstDone(t, burstFrames(t, d, `{"type":"response.create"}`, long)).num("response.usage.input_tokens")
			if alone == 0 || then != alone {
				t.Errorf("input tokens: %v for response.create alone, %v with an item created right after it; want them equal", alone, then)
			}
			update := `{"type":"session.update","session":{"instructions":"Be brief."}}`
			if d.ga {
				update = `{"type":"session.update","session":{"type":"realtime","instructions":"Be brief."}}`
			}
			r = burst(t, d, update, `{"type":"bogus.event"}`, `{"type":"response.create"}`)
			if !before(r, "session.updated", "error") || !before(r, "error", "response.created") {
				t.Errorf("update, bad event, response.create: %v; want session.updated, error, response.created in that order", r)
			}
			audio := `{"type":"input_audio_buffer.append","audio":"` + strings.Repeat("A", 6400) + `"}`
			r = burst(t, d, update, audio, `{"type":"input_audio_buffer.commit"}`, `{"type":"response.create"}`)
			if !before(r, "session.updated", "input_audio_buffer.committed") {
				t.Errorf("update, append, commit: %v; want session.updated before committed", r)
			}
		})
	}
}
