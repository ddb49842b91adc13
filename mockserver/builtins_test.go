package mockserver_test

import (
	"fmt"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/clock"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/internal/invariant"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// TestBuiltinScenariosKeepInvariants plays every built-in scenario in both
// dialects against a generic, well-behaved client on a manual clock (so a
// 75 s monologue takes no real time) and checks everything the server sent
// against the orderings of the protocol reference (internal/invariant).
func TestBuiltinScenariosKeepInvariants(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)
	for _, sc := range scenarios.List() {
		for _, d := range []dialectCase{dialects[0], dialects[1]} {
			dialect := realtime.Preview
			if d.ga {
				dialect = realtime.GA
			}
			if !sc.Serves(dialect) {
				continue
			}
			t.Run(sc.Name+"/"+d.name, func(t *testing.T) {
				t.Parallel()
				clock := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
				srv := startServer(t, &mockserver.Options{Clock: clock, Scenario: sc, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}, KeepTranscripts: true})
				c := dial(t, srv, d)
				playVirtual(c, clock, clock.Now().Add(100*time.Second), genericClient(c, sc, speech))
				c.conn.Close(websocket.StatusNormalClosure, "")
				srv.Close()
				trs := srv.Transcripts()
				if len(trs) != 1 {
					t.Fatalf("%d transcripts", len(trs))
				}
				tr := trs[0]
				outFormat := audio.PCM16
				if sc.Session != nil && strings.HasPrefix(sc.Session.OutputAudioFormat, "g711") {
					outFormat = audio.G711ULaw
				}
				chk := invariant.New(dialect, outFormat.BytesPerSample())
				for _, f := range tr.Frames {
					if f.Dir == cassette.Server && f.Kind == cassette.KindText {
						chk.Add(f.Data)
					}
				}
				rep := chk.Finish(tr.ClosedBy == cassette.Server)
				for _, v := range rep.Violations {
					t.Errorf("invariant: %v", v)
				}
				if rep.Responses == 0 {
					t.Errorf("the scenario produced no response")
				}
				// A completed response's audio is exactly the scenario's duration.
				for _, a := range rep.Audio {
					if a.Status == "completed" && a.Bytes%outFormat.BytesPerSample() != 0 {
						t.Errorf("item %s: %d bytes of audio", a.ItemID, a.Bytes)
					}
				}
				if first := firstReplyDuration(sc); first > 0 && len(rep.Audio) > 0 && rep.Audio[0].Status == "completed" {
					if want := outFormat.Bytes(first); rep.Audio[0].Bytes != want {
						t.Errorf("first reply has %d bytes of audio, want %d (%v)", rep.Audio[0].Bytes, want, first)
					}
				}
			})
		}
	}
}

// firstReplyDuration is the audio duration of the scenario's first
// response.create reply, or 0 when it has none.
func firstReplyDuration(sc *scenarios.Scenario) time.Duration {
	for _, t := range sc.Turns {
		if t.When != scenarios.OnResponseCreate || t.Reply == nil {
			continue
		}
		if t.Reply.Audio != nil {
			return t.Reply.Audio.Duration
		}
		return 0
	}
	return 0
}

// playVirtual runs a session on a manual clock as fast as the machine
// allows while keeping cause and effect in order. It alternates two moves:
// flush (send a side-effect-free barrier event and wait until the server
// has taken it, which proves it is done with everything sent before; then
// read, reacting, every frame the server has sent so far; repeat while the
// reactions sent anything) and advance (move the clock to the next
// deadline). It stops when react says so, the connection closes, or the
// next deadline is past limit.
func playVirtual(c *client, clock *clock.Manual, limit time.Time, react func(event) (stop bool)) {
	c.t.Helper()
	for k := 1; ; {
		for {
			c.sent = false
			if !c.sendSync(map[string]any{"type": "conversation.item.delete", "event_id": fmt.Sprintf("barrier-%d", k), "item_id": "rtmock-test-barrier"}) {
				return
			}
			k++
			c.sent = false
			for c.nRead < c.cnt.serverFrames() {
				e, ok := c.tryNext()
				if !ok {
					return
				}
				if e.Type == "error" && strings.HasPrefix(e.str("error.event_id"), "barrier-") {
					continue
				}
				if react(e) {
					return
				}
			}
			if !c.sent {
				break
			}
		}
		if !clock.AwaitTimer(limit.Add(24*time.Hour), c.ctx.Done()) {
			return
		}
		next, ok := clock.Next()
		if !ok || next.After(limit) {
			return
		}
		// Leap at least 250 ms: every step due by then runs in order, in
		// one go, which keeps long monologues cheap.
		clock.Advance(max(next.Sub(clock.Now()), 250*time.Millisecond))
	}
}

// genericClient behaves like a reasonable voice agent: it speaks (or types)
// once, answers function calls, truncates after barge-in, retries after
// errors, and stops after the first response that is not cancelled.
func genericClient(c *client, sc *scenarios.Scenario, speech []byte) func(event) bool {
	// The client speaks when the scenario's first turn answers speech.
	voice, manual := false, false
	if len(sc.Turns) > 0 {
		w := sc.Turns[0].When
		voice = w == scenarios.OnUserSpeech || w == scenarios.OnCommit
		manual = w == scenarios.OnCommit
	}
	if sc.Session != nil && sc.Session.InputAudioFormat != "" && sc.Session.InputAudioFormat != "pcm16" {
		voice = false // the fixture is PCM16; telephony scenarios are driven by text here
	}
	var pendingCall, playing string
	return func(e event) bool {
		switch e.Type {
		case "session.created":
			if voice {
				pcm := append(append([]byte{}, speech...), make([]byte, 48000)...)
				c.appendAudio(pcm, 4800)
				if manual {
					c.send(`{"type":"input_audio_buffer.commit"}`)
					c.send(`{"type":"response.create"}`)
				}
			} else if !hasTrigger(sc, scenarios.OnConnect) {
				c.send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}}`)
				c.send(`{"type":"response.create"}`)
			}
		case "response.output_item.added":
			if e.str("item.type") == "message" {
				playing = e.str("item.id")
			}
		case "input_audio_buffer.speech_started":
			if playing != "" {
				c.send(map[string]any{"type": "conversation.item.truncate", "item_id": playing, "content_index": 0, "audio_end_ms": 100})
				playing = ""
			}
		case "response.function_call_arguments.done":
			pendingCall = e.str("call_id")
		case "error":
			if e.str("error.code") != "session_expired" {
				c.send(`{"type":"response.create"}`)
			}
		case "response.done":
			if pendingCall != "" {
				c.send(map[string]any{"type": "conversation.item.create", "item": map[string]any{"type": "function_call_output", "call_id": pendingCall, "output": `{"temperature":18}`}})
				c.send(`{"type":"response.create"}`)
				pendingCall = ""
				return false
			}
			// A cancelled response is followed by the interrupting turn.
			return e.str("response.status") != "cancelled"
		}
		return false
	}
}

func hasTrigger(sc *scenarios.Scenario, w scenarios.Trigger) bool {
	for _, t := range sc.Turns {
		if t.When == w {
			return true
		}
	}
	return false
}
