package mockserver_test

import (
	"encoding/base64"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/clock"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// deltaSeq is the interleaving of the default reply: transcript tokens run
// slightly ahead of the eight audio chunks.
func deltaSeq(d dialectCase) []string {
	var out []string
	for k, toks := range []int{3, 1, 1, 1, 1, 1, 1, 0} {
		_ = k
		for range toks {
			out = append(out, d.name2("response.audio_transcript.delta"))
		}
		out = append(out, d.name2("response.audio.delta"))
	}
	return out
}

func itemCreated(d dialectCase) []string {
	if d.ga {
		return []string{"conversation.item.added", "conversation.item.done"}
	}
	return []string{"conversation.item.created"}
}

func TestConnectSendsSessionCreatedFirst(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			// Whatever the client sends first, session.created comes first.
			c.send(`{"type":"input_audio_buffer.clear"}`)
			first := c.next()
			if first.Type != "session.created" {
				t.Fatalf("first event = %s, want session.created", first.Type)
			}
			if !strings.HasPrefix(first.str("session.id"), "sess_") {
				t.Errorf("session.id = %q, want sess_…", first.str("session.id"))
			}
			if d.ga {
				if got := first.str("session.audio.input.format.type"); got != "audio/pcm" {
					t.Errorf("GA input format = %q", got)
				}
				if got := first.num("session.audio.input.turn_detection.silence_duration_ms"); got != 200 {
					t.Errorf("silence_duration_ms = %v, want the service's 200", got)
				}
				if first.get("session.modalities") != nil {
					t.Error("GA session carries the preview field modalities")
				}
			} else {
				if got := first.str("session.input_audio_format"); got != "pcm16" {
					t.Errorf("preview input_audio_format = %q", got)
				}
				if got := first.str("session.turn_detection.type"); got != "server_vad" {
					t.Errorf("turn_detection.type = %q", got)
				}
			}
			if next := c.next(); next.Type != "input_audio_buffer.cleared" {
				t.Errorf("after session.created got %s, want input_audio_buffer.cleared", next.Type)
			}
		})
	}
}

func TestTextInAudioOut(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			c.next()
			c.send(map[string]any{"type": "conversation.item.create", "item": map[string]any{
				"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": "Hi"}}}})
			c.send(`{"type":"response.create","event_id":"rc1"}`)
			evs := c.until("response.done")
			evs = append(evs, c.next())

			want := itemCreated(d)
			want = append(want, "response.created", "response.output_item.added")
			if d.ga {
				want = append(want, "conversation.item.added")
			} else {
				want = append(want, "conversation.item.created")
			}
			want = append(want, "response.content_part.added")
			want = append(want, deltaSeq(d)...)
			want = append(want, d.name2("response.audio.done"), d.name2("response.audio_transcript.done"), "response.content_part.done")
			if d.ga {
				want = append(want, "conversation.item.done")
			}
			want = append(want, "response.output_item.done", "response.done", "rate_limits.updated")
			if diff := cmp.Diff(want, types(evs)); diff != "" {
				t.Fatalf("event sequence (-want +got):\n%s", diff)
			}

			userItem := evs[0].str("item.id")
			respID := evs[len(itemCreated(d))].str("response.id")
			var sizes []int
			var transcript strings.Builder
			for _, e := range evs {
				if strings.HasPrefix(e.Type, "response.") && e.Type != "response.created" && e.Type != "response.done" {
					if got := e.str("response_id"); got != respID {
						t.Errorf("%s response_id = %q, want %q", e.Type, got, respID)
					}
				}
				switch e.Type {
				case d.name2("response.audio.delta"):
					b, err := base64.StdEncoding.DecodeString(e.str("delta"))
					if err != nil {
						t.Fatalf("audio delta is not base64: %v", err)
					}
					sizes = append(sizes, len(b))
				case d.name2("response.audio_transcript.delta"):
					transcript.WriteString(e.str("delta"))
				case "conversation.item.created", "conversation.item.added":
					if e.str("item.role") == "assistant" && e.str("previous_item_id") != userItem {
						t.Errorf("assistant item previous_item_id = %q, want the user item %q", e.str("previous_item_id"), userItem)
					}
				}
			}
			if diff := cmp.Diff([]int{4800, 7200, 12000, 12000, 12000, 12000, 12000, 12000}, sizes); diff != "" {
				t.Errorf("audio delta sizes (-want +got):\n%s", diff)
			}
			if got := transcript.String(); got != "Hello! How can I help you today?" {
				t.Errorf("transcript = %q", got)
			}
			done := evs[len(evs)-2]
			if done.str("response.status") != "completed" || done.get("response.usage.total_tokens") == nil {
				t.Errorf("response.done = %s", done.Raw)
			}
			if got := done.get("response.status_details"); got != nil {
				t.Errorf("status_details of a completed response = %v, want null", got)
			}
			part := evs[len(evs)-4]
			if d.ga {
				part = evs[len(evs)-5]
			}
			if part.Type != "response.content_part.done" || part.str("part.transcript") != "Hello! How can I help you today?" || part.str("part.type") != "audio" {
				t.Errorf("content_part.done = %s", part.Raw)
			}
		})
	}
}

func TestTextOnlyResponse(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			c.next()
			if d.ga {
				c.send(`{"type":"response.create","response":{"output_modalities":["text"]}}`)
			} else {
				c.send(`{"type":"response.create","response":{"modalities":["text"]}}`)
			}
			evs := c.until("response.done")
			var text strings.Builder
			for _, e := range evs {
				switch e.Type {
				case d.name2("response.text.delta"):
					text.WriteString(e.str("delta"))
				case d.name2("response.audio.delta"), d.name2("response.audio_transcript.delta"):
					t.Fatalf("text-only response sent %s", e.Type)
				case d.name2("response.text.done"):
					if e.str("text") != "Hello! How can I help you today?" {
						t.Errorf("text.done text = %q", e.str("text"))
					}
				}
			}
			if text.String() != "Hello! How can I help you today?" {
				t.Errorf("text deltas = %q", text.String())
			}
		})
	}
}

func TestSessionUpdate(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			c.next()
			if d.ga {
				c.send(`{"type":"session.update","session":{"type":"realtime","instructions":"Be brief.","audio":{"input":{"turn_detection":null},"output":{"voice":"shimmer"}}}}`)
			} else {
				c.send(`{"type":"session.update","session":{"instructions":"Be brief.","voice":"shimmer","turn_detection":null}}`)
			}
			up := c.next()
			if up.Type != "session.updated" {
				t.Fatalf("got %s: %s", up.Type, up.Raw)
			}
			voice, td := up.str("session.voice"), up.get("session.turn_detection")
			if d.ga {
				voice, td = up.str("session.audio.output.voice"), up.get("session.audio.input.turn_detection")
			}
			if voice != "shimmer" || td != nil || up.str("session.instructions") != "Be brief." {
				t.Errorf("session.updated does not carry the update: %s", up.Raw)
			}
			// A rejected update changes nothing.
			if d.ga {
				c.send(`{"type":"session.update","event_id":"bad1","session":{"type":"realtime","instructions":"X","input_audio_format":"pcm16"}}`)
			} else {
				c.send(`{"type":"session.update","event_id":"bad1","session":{"instructions":"X","voice":"nobody"}}`)
			}
			e := c.next()
			if e.Type != "error" || e.str("error.event_id") != "bad1" {
				t.Fatalf("rejected update answered with %s", e.Raw)
			}
			wantCode := "invalid_value"
			if d.ga {
				wantCode = "unknown_parameter"
			}
			if e.str("error.code") != wantCode {
				t.Errorf("error.code = %q, want %q", e.str("error.code"), wantCode)
			}
			if d.ga {
				c.send(`{"type":"session.update","session":{"type":"realtime"}}`)
			} else {
				c.send(`{"type":"session.update","session":{}}`)
			}
			again := c.next()
			if again.str("session.instructions") != "Be brief." {
				t.Errorf("a rejected update changed the session: %s", again.Raw)
			}
		})
	}
}

func TestErrorsAreNotFatal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		send      string
		binary    bool
		wantCode  string
		wantParam string
		echoID    bool
	}{
		{name: "not json", send: `{"type":`, wantCode: "invalid_json"},
		{name: "binary frame", send: "\x00\x01", binary: true, wantCode: "invalid_event"},
		{name: "missing type", send: `{"event_id":"e1"}`, wantCode: "invalid_event", echoID: true},
		{name: "invented ping", send: `{"type":"ping","event_id":"e1"}`, wantCode: "invalid_value", wantParam: "type", echoID: true},
		{name: "unknown parameter", send: `{"type":"response.create","event_id":"e1","bogus":1}`, wantCode: "unknown_parameter", wantParam: "bogus", echoID: true},
		{name: "cancel with nothing active", send: `{"type":"response.cancel","event_id":"e1"}`, wantCode: "response_cancel_not_active", echoID: true},
		{name: "commit empty buffer", send: `{"type":"input_audio_buffer.commit","event_id":"e1"}`, wantCode: "input_audio_buffer_commit_empty", echoID: true},
		{name: "bad base64", send: `{"type":"input_audio_buffer.append","event_id":"e1","audio":"!!!"}`, wantCode: "invalid_value", wantParam: "audio", echoID: true},
		{name: "odd pcm16 length", send: `{"type":"input_audio_buffer.append","event_id":"e1","audio":"AAAA"}`, wantCode: "invalid_value", wantParam: "audio", echoID: true},
		{name: "truncate unknown item", send: `{"type":"conversation.item.truncate","event_id":"e1","item_id":"item_x","content_index":0,"audio_end_ms":10}`, wantCode: "item_not_found", echoID: true},
		{name: "retrieve unknown item", send: `{"type":"conversation.item.retrieve","event_id":"e1","item_id":"nope"}`, wantCode: "item_not_found", echoID: true},
	}
	for _, d := range dialects {
		for _, tt := range tests {
			t.Run(d.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, nil)
				c := dial(t, srv, d)
				c.next()
				if tt.binary {
					if err := c.conn.Write(c.ctx, websocket.MessageBinary, []byte(tt.send)); err != nil {
						t.Fatal(err)
					}
				} else {
					c.send(tt.send)
				}
				e := c.next()
				if e.Type != "error" {
					t.Fatalf("got %s, want error", e.Raw)
				}
				if got := e.str("error.code"); got != tt.wantCode {
					t.Errorf("code = %q, want %q (%s)", got, tt.wantCode, e.Raw)
				}
				if tt.wantParam != "" && e.str("error.param") != tt.wantParam {
					t.Errorf("param = %q, want %q", e.str("error.param"), tt.wantParam)
				}
				if tt.echoID && e.str("error.event_id") != "e1" {
					t.Errorf("error.event_id = %v, want the client's e1", e.get("error.event_id"))
				}
				if e.str("error.message") == "" || e.str("error.type") != "invalid_request_error" {
					t.Errorf("error lacks message or type: %s", e.Raw)
				}
				// The session goes on.
				c.send(`{"type":"response.create"}`)
				if got := c.until("response.done"); got[len(got)-1].str("response.status") != "completed" {
					t.Errorf("response after the error did not complete")
				}
			})
		}
	}
}

func TestActiveResponseRaceAndCancel(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			clock := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := startServer(t, &mockserver.Options{Clock: clock, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}})
			c := dial(t, srv, d)
			c.next()
			start := clock.Now()
			c.send(`{"type":"response.create","event_id":"first"}`)
			if !clock.AwaitTimer(start.Add(280*time.Millisecond), c.ctx.Done()) {
				t.Fatal("response.created was never scheduled")
			}
			c.sendSync(`{"type":"response.create","event_id":"second"}`)
			// The service answers in order: the first request's
			// response.created before the second's error (§4(i)).
			clock.Advance(280 * time.Millisecond)
			created := c.next()
			if created.Type != "response.created" || created.str("response.status") != "in_progress" {
				t.Fatalf("got %s", created.Raw)
			}
			e := c.next()
			if e.Type != "error" || e.str("error.code") != "conversation_already_has_active_response" || e.str("error.event_id") != "second" {
				t.Fatalf("second response.create answered with %s", e.Raw)
			}
			if !strings.Contains(e.str("error.message"), created.str("response.id")) {
				t.Errorf("race error does not name the active response: %s", e.str("error.message"))
			}
			c.until("response.content_part.added")
			clock.Advance(200 * time.Millisecond) // first delta at 480 ms
			c.next()
			// The cancel is answered the live pace's reply latency later.
			c.sendLive(clock, `{"type":"response.cancel"}`)
			evs := c.until("response.done")
			want := []string{}
			for _, ev := range evs {
				if strings.HasSuffix(ev.Type, ".delta") {
					continue
				}
				want = append(want, ev.Type)
			}
			exp := []string{d.name2("response.audio.done"), d.name2("response.audio_transcript.done"), "response.content_part.done"}
			if d.ga {
				exp = append(exp, "conversation.item.done")
			}
			exp = append(exp, "response.output_item.done", "response.done")
			if diff := cmp.Diff(exp, want); diff != "" {
				t.Errorf("closing events (-want +got):\n%s", diff)
			}
			done := evs[len(evs)-1]
			if done.str("response.status") != "cancelled" || done.str("response.status_details.reason") != "client_cancelled" {
				t.Errorf("response.done = %s", done.Raw)
			}
			outDone := evs[len(evs)-2]
			if outDone.str("item.status") != "incomplete" {
				t.Errorf("cancelled item status = %q, want incomplete", outDone.str("item.status"))
			}
			// Nothing active now: a second cancel is an error, and the session lives on.
			c.sendLive(clock, `{"type":"response.cancel"}`)
			for {
				e := c.next()
				if e.Type == "rate_limits.updated" {
					continue
				}
				if e.str("error.code") != "response_cancel_not_active" {
					t.Fatalf("got %s", e.Raw)
				}
				break
			}
		})
	}
}

func TestLivePaceLatencies(t *testing.T) {
	t.Parallel()
	clock := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := startServer(t, &mockserver.Options{Clock: clock, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1}, KeepTranscripts: true})
	c := dial(t, srv, dialects[0])
	c.next()
	start := clock.Now()
	c.send(`{"type":"session.update","session":{"voice":"echo"}}`)
	if !clock.AwaitTimer(start.Add(260*time.Millisecond), c.ctx.Done()) {
		t.Fatal("session.updated was never scheduled")
	}
	clock.Advance(259 * time.Millisecond)
	clock.Advance(1 * time.Millisecond)
	if e := c.next(); e.Type != "session.updated" {
		t.Fatalf("got %s", e.Type)
	}
	c.send(`{"type":"response.create"}`)
	t0 := clock.Now()
	if !clock.AwaitTimer(t0.Add(280*time.Millisecond), c.ctx.Done()) {
		t.Fatal("response.created was never scheduled")
	}
	// Let the whole response play out on the manual clock: a reader collects
	// events while the test moves time to each next deadline.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := c.conn.Read(c.ctx)
			if err != nil || strings.Contains(string(data), `"type":"response.done"`) {
				return
			}
		}
	}()
	for clock.AwaitTimer(t0.Add(3*time.Second), done) {
		next, ok := clock.Next()
		if !ok {
			continue
		}
		clock.Advance(next.Sub(clock.Now()))
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	trs := srv.Transcripts()
	if len(trs) != 1 {
		t.Fatalf("%d transcripts", len(trs))
	}
	at := map[string]time.Duration{}
	for _, f := range trs[0].Frames {
		if _, seen := at[f.Type]; !seen && f.Dir == cassette.Server {
			at[f.Type] = f.T
		}
	}
	base := at["session.updated"]
	if got := base; got != 260*time.Millisecond {
		t.Errorf("session.updated at %v, want 260ms", got)
	}
	if got := at["response.created"] - base; got != 280*time.Millisecond {
		t.Errorf("response.created %v after response.create, want 280ms", got)
	}
	if got := at["response.audio.delta"] - base; got != 480*time.Millisecond {
		t.Errorf("first audio delta %v after response.create, want 480ms", got)
	}
	// 1750 ms of audio at 3x playback speed: the last delta goes out 583 ms after the first.
	if got := at["response.done"] - at["response.audio.delta"]; got < 500*time.Millisecond || got > 700*time.Millisecond {
		t.Errorf("audio streamed over %v, want about 1750ms/3", got)
	}
}
