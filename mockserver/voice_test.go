package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"github.com/rtmock/rtmock/clock"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// speechFixture is "What is the weather like today" with speech from
// 1000 ms to 2520.6 ms (see audio/testdata/README.md).
func speechFixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../audio/testdata/speech-24k.wav")
	if err != nil {
		t.Fatal(err)
	}
	w, err := audio.ReadWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return w.Convert(audio.PCM16)
}

func (c *client) appendAudio(pcm []byte, chunk int) {
	c.t.Helper()
	for len(pcm) > 0 {
		n := min(chunk, len(pcm))
		c.send(map[string]any{"type": "input_audio_buffer.append", "audio": base64.StdEncoding.EncodeToString(pcm[:n])})
		pcm = pcm[n:]
	}
}

func TestServerVADOnClientAudio(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			c.next()
			c.appendAudio(speech, 4800)
			evs := c.until("response.done")
			want := []string{"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed"}
			want = append(want, itemCreated(d)...)
			want = append(want, "response.created")
			if diff := cmp.Diff(want, types(evs[:len(want)])); diff != "" {
				t.Fatalf("turn events (-want +got):\n%s", diff)
			}
			started, stopped, committed, item := evs[0], evs[1], evs[2], evs[3]
			// Speech runs from 1000 ms to 2520.6 ms: start minus 300 ms of
			// prefix padding, end plus the 200 ms silence window.
			if got := started.num("audio_start_ms"); got != 700 {
				t.Errorf("audio_start_ms = %v, want 700", got)
			}
			if got := stopped.num("audio_end_ms"); got != 2720 {
				t.Errorf("audio_end_ms = %v, want 2720", got)
			}
			id := started.str("item_id")
			for _, e := range []event{stopped, committed} {
				if e.str("item_id") != id {
					t.Errorf("%s item_id = %q, want %q from speech_started", e.Type, e.str("item_id"), id)
				}
			}
			if item.str("item.id") != id || item.str("item.role") != "user" || item.get("item.content") == nil {
				t.Errorf("user item = %s", item.Raw)
			}
			// Silence after the turn produces nothing more.
			c.appendAudio(make([]byte, 48000), 4800)
			c.send(`{"type":"conversation.item.retrieve","item_id":"` + id + `"}`)
			for {
				e := c.next()
				if e.Type == "rate_limits.updated" {
					continue
				}
				if e.Type != "conversation.item.retrieved" {
					t.Fatalf("silence produced %s", e.Type)
				}
				break
			}
		})
	}
}

func TestManualCommitMode(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			c.next()
			if d.ga {
				c.send(`{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}`)
			} else {
				c.send(`{"type":"session.update","session":{"turn_detection":{"type":"none"}}}`)
			}
			if e := c.next(); e.Type != "session.updated" {
				t.Fatalf("got %s", e.Raw)
			}
			c.appendAudio(speechFixture(t), 4800)
			c.send(`{"type":"input_audio_buffer.commit"}`)
			evs := c.until(itemCreated(d)[len(itemCreated(d))-1])
			if evs[0].Type != "input_audio_buffer.committed" {
				t.Fatalf("manual mode sent %v", types(evs))
			}
			c.send(`{"type":"input_audio_buffer.commit","event_id":"c2"}`)
			e := c.next()
			if e.str("error.code") != "input_audio_buffer_commit_empty" || !strings.Contains(e.str("error.message"), "0.00ms") {
				t.Errorf("second commit: %s", e.Raw)
			}
		})
	}
}

func TestBargeInFromClientAudio(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			clock := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := startServer(t, &mockserver.Options{Clock: clock, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}})
			c := dial(t, srv, d)
			c.next()
			t0 := clock.Now()
			c.send(`{"type":"response.create"}`)
			clock.AwaitTimer(t0.Add(280*time.Millisecond), c.ctx.Done())
			clock.Advance(280 * time.Millisecond)
			clock.AwaitTimer(t0.Add(480*time.Millisecond), c.ctx.Done())
			clock.Advance(200 * time.Millisecond)
			pre := c.until(d.name2("response.audio.delta"))
			assistant := ""
			for _, e := range pre {
				if e.Type == "response.output_item.added" {
					assistant = e.str("item.id")
				}
			}
			// The user talks over the assistant: VAD cancels the response.
			c.appendAudio(speech[:48*1200], 4800)
			evs := c.until("response.done")
			var got []string
			for _, e := range evs {
				if !strings.HasSuffix(e.Type, ".delta") {
					got = append(got, e.Type)
				}
			}
			want := []string{"input_audio_buffer.speech_started", d.name2("response.audio.done"), d.name2("response.audio_transcript.done"), "response.content_part.done"}
			if d.ga {
				want = append(want, "conversation.item.done")
			}
			want = append(want, "response.output_item.done", "response.done")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("barge-in (-want +got):\n%s", diff)
			}
			done := evs[len(evs)-1]
			if done.str("response.status") != "cancelled" || done.str("response.status_details.reason") != "turn_detected" {
				t.Errorf("response.done = %s", done.Raw)
			}
			// Only 100 ms (4800 bytes) of audio went out before the cancel.
			tests := []struct {
				name, ev, wantCode string
			}{
				{"beyond the audio received", `{"type":"conversation.item.truncate","item_id":"` + assistant + `","content_index":0,"audio_end_ms":1500}`, "invalid_value"},
				{"at zero", `{"type":"conversation.item.truncate","item_id":"` + assistant + `","content_index":0,"audio_end_ms":0}`, "unsupported_content_type"},
			}
			for _, tt := range tests {
				c.sendLive(clock, tt.ev)
				e := c.next()
				for e.Type == "rate_limits.updated" {
					e = c.next()
				}
				if e.str("error.code") != tt.wantCode {
					t.Errorf("truncate %s: %s", tt.name, e.Raw)
				}
			}
			c.sendLive(clock, `{"type":"conversation.item.truncate","item_id":"`+assistant+`","content_index":0,"audio_end_ms":80}`)
			e := c.next()
			if e.Type != "conversation.item.truncated" || e.num("audio_end_ms") != 80 || e.str("item_id") != assistant {
				t.Errorf("valid truncate answered %s", e.Raw)
			}
		})
	}
}

func TestSimulatedUserInterrupts(t *testing.T) {
	t.Parallel()
	scn := &scenarios.Scenario{Name: "barge-in", Turns: []scenarios.Turn{
		{When: scenarios.OnResponseCreate,
			Reply:     &scenarios.Reply{Transcript: "Let me tell you a long story about the sea.", Audio: &scenarios.AudioSpec{ToneHz: 440, Duration: 5 * time.Second, Chunks: []time.Duration{100 * time.Millisecond}}},
			Interrupt: &scenarios.Interrupt{AfterPlayed: 1200 * time.Millisecond, Speech: 600 * time.Millisecond, Transcript: "Wait, stop."}},
		{When: scenarios.OnUserSpeech, Reply: &scenarios.Reply{Transcript: "Sure."}},
	}}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			clock := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := startServer(t, &mockserver.Options{Clock: clock, Scenario: scn, Pace: scenarios.Pace{Mode: scenarios.PaceRealtime, Factor: 1}})
			c := dial(t, srv, d)
			c.next()
			t0 := clock.Now()
			c.send(`{"type":"response.create"}`)
			// Move time from deadline to deadline until the interruption.
			var evs []event
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					e := c.next()
					evs = append(evs, e)
					if e.Type == "input_audio_buffer.speech_started" {
						return
					}
				}
			}()
			runClock(clock, t0.Add(3*time.Second), done)
			<-done
			played := 0
			for _, e := range evs {
				if e.Type == d.name2("response.audio.delta") {
					b, _ := base64.StdEncoding.DecodeString(e.str("delta"))
					played += len(b) / 48
				}
			}
			// First delta at 480 ms, interruption 1200 ms of playback later.
			if played < 1200 || played > 1300 {
				t.Errorf("%d ms of audio sent before the interruption, want about 1200", played)
			}
			rest := c.until("response.done")
			if r := rest[len(rest)-1]; r.str("response.status_details.reason") != "turn_detected" {
				t.Errorf("interrupted response: %s", r.Raw)
			}
		})
	}
}

// runClock moves clock from deadline to deadline, up to limit, until done
// is closed.
func runClock(clock *clock.Manual, limit time.Time, done <-chan struct{}) {
	for clock.AwaitTimer(limit, done) {
		if next, ok := clock.Next(); ok && !next.After(limit) {
			clock.Advance(next.Sub(clock.Now()))
		}
	}
}
