package mockserver_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/mockserver"
)

var update = flag.Bool("update", false, "rewrite docs/bad-input.md from the bad-input table")

// badInputs is what a client can get wrong, and what the mock answers.
// The table is the documentation: docs/bad-input.md is generated from it.
var badInputs = []struct {
	name  string
	ga    bool   // send on a GA session (default preview)
	setup string // sent first, its answers skipped
	send  string
	// The answer: an error event with this code (and param, when set), or
	// closeCode for inputs that end the session.
	code, param string
	closeCode   int
}{
	{name: "text that is not JSON", send: `{"type":`, code: "invalid_json"},
	{name: "JSON that is not an object", send: `[1,2,3]`, code: "invalid_json"},
	{name: "an empty text frame", send: ``, code: "invalid_json"},
	{name: "a binary frame", send: "binary:\x00\x01\x02", code: "invalid_event"},
	{name: "an event without type", send: `{"event_id":"e1"}`, code: "invalid_event", param: "type"},
	{name: "a type that is not a string", send: `{"type":5,"event_id":"e1"}`, code: "invalid_type", param: "type"},
	{name: "an invented keep-alive", send: `{"type":"ping","event_id":"e1"}`, code: "invalid_value", param: "type"},
	{name: "a GA-only event on a preview session", send: `{"type":"session.close","event_id":"e1"}`, code: "invalid_value", param: "type"},
	{name: "a preview-only event on a GA session", ga: true, send: `{"type":"transcription_session.update","event_id":"e1","session":{}}`, code: "invalid_value", param: "type"},
	{name: "an unknown top-level parameter", send: `{"type":"response.create","event_id":"e1","bogus":1}`, code: "unknown_parameter", param: "bogus"},
	{name: "session.update without session", send: `{"type":"session.update","event_id":"e1"}`, code: "missing_required_parameter", param: "session"},
	{name: "session.update whose session is not an object", send: `{"type":"session.update","event_id":"e1","session":"fast"}`, code: "invalid_type", param: "session"},
	{name: "an unknown session field", send: `{"type":"session.update","event_id":"e1","session":{"bogus_field":1}}`, code: "unknown_parameter", param: "session.bogus_field"},
	{name: "an unknown voice", send: `{"type":"session.update","event_id":"e1","session":{"voice":"nobody"}}`, code: "invalid_value", param: "session.voice"},
	{name: "a temperature out of range", send: `{"type":"session.update","event_id":"e1","session":{"temperature":5}}`, code: "decimal_above_max_value", param: "session.temperature"},
	{name: "an unknown audio format", send: `{"type":"session.update","event_id":"e1","session":{"input_audio_format":"mp3"}}`, code: "invalid_value", param: "session.input_audio_format"},
	{name: "audio-only modalities on preview", send: `{"type":"session.update","event_id":"e1","session":{"modalities":["audio"]}}`, code: "invalid_value", param: "session.modalities"},
	{name: "session tools that are not an array", send: `{"type":"session.update","event_id":"e1","session":{"tools":{"a":1}}}`, code: "invalid_type", param: "session.tools"},
	{name: "a session tool that is not an object", send: `{"type":"session.update","event_id":"e1","session":{"tools":["notalist"]}}`, code: "invalid_type", param: "session.tools[0]"},
	{name: "a function tool without name", send: `{"type":"session.update","event_id":"e1","session":{"tools":[{"type":"function","parameters":{}}]}}`, code: "missing_required_parameter", param: "session.tools[0].name"},
	{name: "a function name with spaces", ga: true, send: `{"type":"session.update","event_id":"e1","session":{"type":"realtime","tools":[{"type":"function","name":"get weather"}]}}`, code: "invalid_value", param: "session.tools[0].name"},
	{name: "a tool of unknown type", send: `{"type":"session.update","event_id":"e1","session":{"tools":[{"type":"web_search"}]}}`, code: "invalid_value", param: "session.tools[0].type"},
	{name: "a GA session.update without session.type", ga: true, send: `{"type":"session.update","event_id":"e1","session":{"instructions":"x"}}`, code: "missing_required_parameter", param: "session.type"},
	{name: "a preview field on a GA session", ga: true, send: `{"type":"session.update","event_id":"e1","session":{"type":"realtime","input_audio_format":"pcm16"}}`, code: "unknown_parameter", param: "session.input_audio_format"},
	{name: "a GA sample rate other than 24000", ga: true, send: `{"type":"session.update","event_id":"e1","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":16000}}}}}`, code: "integer_below_min_value", param: "session.audio.input.format.rate"},
	{name: "an append without audio", send: `{"type":"input_audio_buffer.append","event_id":"e1"}`, code: "missing_required_parameter", param: "audio"},
	{name: "an append whose audio is not a string", send: `{"type":"input_audio_buffer.append","event_id":"e1","audio":5}`, code: "invalid_type", param: "audio"},
	{name: "an append that is not base64", send: `{"type":"input_audio_buffer.append","event_id":"e1","audio":"%%%"}`, code: "invalid_value", param: "audio"},
	{name: "an append of an odd number of PCM16 bytes", send: `{"type":"input_audio_buffer.append","event_id":"e1","audio":"AAAA"}`, code: "invalid_value", param: "audio"},
	{name: "a commit of an empty buffer", send: `{"type":"input_audio_buffer.commit","event_id":"e1"}`, code: "input_audio_buffer_commit_empty"},
	{name: "a commit of less than 100 ms", setup: `{"type":"input_audio_buffer.append","audio":"` + strings.Repeat("AAAA", 800) + `"}`, send: `{"type":"input_audio_buffer.commit","event_id":"e1"}`, code: "input_audio_buffer_commit_empty"},
	{name: "an item.create without item", send: `{"type":"conversation.item.create","event_id":"e1"}`, code: "missing_required_parameter", param: "item"},
	{name: "an item of unknown type", send: `{"type":"conversation.item.create","event_id":"e1","item":{"type":"note"}}`, code: "invalid_value", param: "item.type"},
	{name: "a message with an unknown role", send: `{"type":"conversation.item.create","event_id":"e1","item":{"type":"message","role":"robot","content":[]}}`, code: "invalid_value", param: "item.role"},
	{name: "user content of an assistant type", send: `{"type":"conversation.item.create","event_id":"e1","item":{"type":"message","role":"user","content":[{"type":"text","text":"hi"}]}}`, code: "invalid_value", param: "item.content[0].type"},
	{name: "an unknown item field", send: `{"type":"conversation.item.create","event_id":"e1","item":{"type":"message","role":"user","colour":"red"}}`, code: "unknown_parameter", param: "item.colour"},
	{name: "a previous_item_id that does not exist", send: `{"type":"conversation.item.create","event_id":"e1","previous_item_id":"item_nope","item":{"type":"message","role":"user","content":[]}}`, code: "item_not_found", param: "previous_item_id"},
	{name: "an item id used twice", setup: `{"type":"conversation.item.create","item":{"id":"item_a","type":"message","role":"user","content":[]}}`, send: `{"type":"conversation.item.create","event_id":"e1","item":{"id":"item_a","type":"message","role":"user","content":[]}}`, code: "item_already_exists", param: "item.id"},
	{name: "a function_call_output without call_id", send: `{"type":"conversation.item.create","event_id":"e1","item":{"type":"function_call_output","output":"{}"}}`, code: "missing_required_parameter", param: "item.call_id"},
	{name: "a truncate of a user item", setup: `{"type":"conversation.item.create","item":{"id":"item_u","type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}`, send: `{"type":"conversation.item.truncate","event_id":"e1","item_id":"item_u","content_index":0,"audio_end_ms":10}`, code: "unsupported_content_type"},
	{name: "a truncate of an unknown item", send: `{"type":"conversation.item.truncate","event_id":"e1","item_id":"item_x","content_index":0,"audio_end_ms":10}`, code: "item_not_found", param: "item_id"},
	{name: "a truncate with fractional audio_end_ms", send: `{"type":"conversation.item.truncate","event_id":"e1","item_id":"item_x","content_index":0,"audio_end_ms":10.5}`, code: "invalid_type", param: "audio_end_ms"},
	{name: "a truncate without audio_end_ms", send: `{"type":"conversation.item.truncate","event_id":"e1","item_id":"item_x","content_index":0}`, code: "missing_required_parameter", param: "audio_end_ms"},
	{name: "a delete of an unknown item", send: `{"type":"conversation.item.delete","event_id":"e1","item_id":"item_x"}`, code: "item_not_found", param: "item_id"},
	{name: "a retrieve of an unknown item", send: `{"type":"conversation.item.retrieve","event_id":"e1","item_id":"item_x"}`, code: "item_not_found", param: "item_id"},
	{name: "a cancel with no active response", send: `{"type":"response.cancel","event_id":"e1"}`, code: "response_cancel_not_active"},
	{name: "a response.create with an unknown field", send: `{"type":"response.create","event_id":"e1","response":{"colour":"red"}}`, code: "unknown_parameter", param: "response.colour"},
	{name: "a response.create with both GA modalities", ga: true, send: `{"type":"response.create","event_id":"e1","response":{"output_modalities":["audio","text"]}}`, code: "invalid_value", param: "response.output_modalities"},
	{name: "output_audio_buffer.clear on a WebSocket (it exists only over WebRTC and SIP)", ga: true, send: `{"type":"output_audio_buffer.clear","event_id":"e1"}`, code: "invalid_value", param: "type"},
	{name: "a text frame that is not UTF-8", send: "{\"type\":\"response.create\",\"event_id\":\"a\xffb\"}", closeCode: 1007},
	{name: "a frame over the read limit", send: `{"type":"input_audio_buffer.append","audio":"` + strings.Repeat("A", 2<<20) + `"}`, closeCode: 1009},
}

// closeMeaning words the close codes of the table (RFC 6455 §7.4.1).
var closeMeaning = map[int]string{1007: "invalid frame payload data", 1009: "message too big"}

func TestBadInputTable(t *testing.T) {
	t.Parallel()
	if len(badInputs) < 25 {
		t.Fatalf("the table has %d rows", len(badInputs))
	}
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, &mockserver.Options{MaxMessageBytes: 1 << 20})
			d := dialects[0]
			if tt.ga {
				d = dialects[1]
			}
			c := dial(t, srv, d)
			c.next()
			if tt.setup != "" {
				c.send(tt.setup)
				c.send(`{"type":"conversation.item.delete","event_id":"sync","item_id":"rtmock-sync"}`)
				for e := c.next(); e.str("error.event_id") != "sync"; e = c.next() {
				}
			}
			if b, ok := strings.CutPrefix(tt.send, "binary:"); ok {
				if err := c.conn.Write(c.ctx, websocket.MessageBinary, []byte(b)); err != nil {
					t.Fatal(err)
				}
			} else if tt.closeCode != 0 {
				// The server may close while the frame is still being written.
				c.conn.Write(c.ctx, websocket.MessageText, []byte(tt.send))
			} else {
				c.send(tt.send)
			}
			if tt.closeCode != 0 {
				_, _, err := c.conn.Read(c.ctx)
				if got := websocket.CloseStatus(err); int(got) != tt.closeCode {
					t.Fatalf("read after the frame: %v (close %d), want close %d", err, got, tt.closeCode)
				}
				return
			}
			e := c.next()
			if e.Type != "error" || e.str("error.code") != tt.code || (tt.param != "" && e.str("error.param") != tt.param) {
				t.Fatalf("answer %s, want error %s (param %q)", e.Raw, tt.code, tt.param)
			}
			if strings.Contains(tt.send, `"event_id":"e1"`) && e.str("error.event_id") != "e1" {
				t.Errorf("error.event_id = %v, want the client's e1", e.get("error.event_id"))
			}
			if e.str("error.message") == "" {
				t.Error("error without a message")
			}
			// The session survives: the next valid event works.
			c.send(`{"type":"response.create"}`)
			if got := c.until("response.done"); got[len(got)-1].str("response.status") != "completed" {
				t.Error("no response after the bad input")
			}
		})
	}
}

// TestBadInputDoc keeps docs/bad-input.md in step with the table.
func TestBadInputDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Bad input\n\nWhat rtmock answers when a client sends something the service rejects. Every row is a case of\n`TestBadInputTable` (mockserver/badinput_test.go), which checks the answer and that the session\ngoes on working afterwards; this page is generated from it (`go test ./mockserver -run BadInputDoc -update`).\nErrors echo the client's `event_id` in `error.event_id`.\n\n| input | session | answer |\n|---|---|---|\n")
	for _, tt := range badInputs {
		dialect := "preview"
		if tt.ga {
			dialect = "GA"
		}
		answer := "`error` `" + tt.code + "`"
		if tt.param != "" {
			answer += ", param `" + tt.param + "`"
		}
		if tt.closeCode != 0 {
			answer = fmt.Sprintf("close %d (%s); the session ends", tt.closeCode, closeMeaning[tt.closeCode])
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", tt.name, dialect, answer)
	}
	const path = "../docs/bad-input.md"
	have, err := os.ReadFile(path)
	// Sections after the generated table ("\n## Recorder", …) are written by hand.
	generated, handwritten, _ := strings.Cut(string(have), "\n## ")
	if *update {
		if handwritten != "" {
			handwritten = "\n## " + handwritten
		}
		if err := os.WriteFile(path, []byte(b.String()+handwritten), 0o644); err != nil {
			t.Fatal(err)
		}
		generated = b.String()
	} else if err != nil {
		t.Fatalf("%v (run go test ./mockserver -run BadInputDoc -update)", err)
	}
	if diff := cmp.Diff(generated, b.String()); diff != "" {
		t.Errorf("docs/bad-input.md is out of date (go test ./mockserver -run BadInputDoc -update):\n%s", diff)
	}
}
