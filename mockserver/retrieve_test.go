package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// TestRetrievedItemsCarryTheirAudio: conversation.item.retrieved returns an
// item's audio as the service's one published frame does: the client's own
// bytes for a committed user item (as far as a truncate left them), the
// generated audio for the assistant's, each with its format by name.
func TestRetrievedItemsCarryTheirAudio(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)[:24000*2] // 1 s
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, nil)
			c := dial(t, srv, d)
			c.next()
			c.send(`{"type":"session.update","session":` + noVAD(d) + `}`)
			c.until("session.updated")
			c.send(map[string]any{"type": "input_audio_buffer.append", "audio": base64.StdEncoding.EncodeToString(speech)})
			c.send(`{"type":"input_audio_buffer.commit"}`)
			committed := c.until("input_audio_buffer.committed")
			user := committed[len(committed)-1].str("item_id")

			c.send(`{"type":"conversation.item.retrieve","item_id":"` + user + `"}`)
			got := retrievedAudio(t, c)
			if !bytes.Equal(got, speech) {
				t.Errorf("user item: retrieved %d bytes, not the %d appended", len(got), len(speech))
			}

			c.send(`{"type":"response.create"}`)
			done := c.until("response.done")
			out := done[len(done)-1]
			asst := out.str("response.output.0.id")
			c.send(`{"type":"conversation.item.retrieve","item_id":"` + asst + `"}`)
			got = retrievedAudio(t, c)
			if len(got) == 0 || len(got)%2 != 0 {
				t.Errorf("assistant item: %d bytes of audio retrieved", len(got))
			}
			c.send(`{"type":"conversation.item.truncate","item_id":"` + asst + `","content_index":0,"audio_end_ms":100}`)
			c.until("conversation.item.truncated")
			c.send(`{"type":"conversation.item.retrieve","item_id":"` + asst + `"}`)
			if got = retrievedAudio(t, c); len(got) != 100*48 {
				t.Errorf("assistant item truncated at 100 ms: %d bytes retrieved, want %d", len(got), 100*48)
			}
		})
	}
}

// noVAD is a session.update body that turns server VAD off in d's dialect.
func noVAD(d dialectCase) string {
	if d.ga {
		return `{"type":"realtime","audio":{"input":{"turn_detection":null}}}`
	}
	return `{"turn_detection":null}`
}

// retrievedAudio reads up to the next conversation.item.retrieved and
// decodes its first content part's audio, checking the part's format.
func retrievedAudio(t *testing.T, c *client) []byte {
	t.Helper()
	evs := c.until("conversation.item.retrieved")
	e := evs[len(evs)-1]
	if f := e.str("item.content.0.format"); f != "pcm16" {
		t.Errorf("retrieved part's format %q, want pcm16: %s", f, e.Raw)
	}
	if o := e.str("item.object"); o != "realtime.item" {
		t.Errorf("retrieved item's object %q, want realtime.item", o)
	}
	b, err := base64.StdEncoding.DecodeString(e.str("item.content.0.audio"))
	if err != nil {
		t.Fatalf("retrieved audio: %v", err)
	}
	return b
}

// TestFunctionCallsCostOutputTokens: a response that is only a function
// call generated its arguments, and reports them as output text tokens.
func TestFunctionCallsCostOutputTokens(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Builtin("function-call")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, &mockserver.Options{Scenario: sc})
			c := dial(t, srv, d)
			c.next()
			c.send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"What's the weather in Paris?"}]}}`)
			c.send(`{"type":"response.create"}`)
			evs := c.until("response.done")
			r := evs[len(evs)-1]
			if typ := r.str("response.output.0.type"); typ != "function_call" {
				t.Fatalf("the function-call scenario's first reply is %q, not a function call", typ)
			}
			if n := r.num("response.usage.output_tokens"); n <= 0 || r.num("response.usage.output_token_details.text_tokens") != n {
				t.Errorf("function call response: usage %v; want output tokens, all text", r.get("response.usage"))
			}
		})
	}
}
