package mockserver_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/clock"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// goldenScenario covers the server events a WebSocket session can have:
// a spoken reply, a text reply, a function call, a transcription that
// fails, the idle timeout.
const goldenScenario = `name: golden
session:
  turn_detection: {type: server_vad}
  input_audio_transcription: {model: gpt-4o-mini-transcribe}
turns:
  - when: user_speech
    user: {transcript: "Hello there.", transcription: failed}
    reply: {transcript: "Hi.", audio: {duration: 200ms}}
  - when: response.create
    reply: {function_call: {name: get_weather, arguments: {city: Paris}}}
  - when: response.create
    reply: {transcript: "It is sunny.", audio: {duration: 300ms}}
  - when: response
    repeat: true
    reply: {text: "Fine."}
`

// notOverWebSocket are the event kinds no WebSocket session sends, and why.
var notOverWebSocket = map[realtime.Kind]string{
	realtime.KindOutputAudioBufferStarted:  "WebRTC calls only (mockserver/webrtc_test.go)",
	realtime.KindOutputAudioBufferStopped:  "WebRTC calls only",
	realtime.KindOutputAudioBufferCleared:  "WebRTC calls only",
	realtime.KindConversationCreated:       "sent by neither recorded dialect today, nor by the mock",
	realtime.KindInputTranscriptionSegment: "diarized transcription, not simulated",
}

// TestGoldenEvents keeps one golden file per dialect and server event type
// under testdata/golden/<dialect>/, written by sessions that together send
// every event type the dialect has (but those in notOverWebSocket), with
// ids, times and audio made stable. A change to any event's shape shows as
// a diff here; go test -run TestGoldenEvents -update rewrites them.
func TestGoldenEvents(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("golden.yaml", []byte(goldenScenario))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		dialect realtime.Dialect
		c       dialectCase
		intent  string
	}{
		{realtime.Preview, dialects[2], "/openai/realtime?api-version=2025-04-01-preview&intent=transcription"},
		{realtime.GA, dialects[3], "/v1/realtime?intent=transcription"},
	} {
		t.Run(string(d.dialect), func(t *testing.T) {
			t.Parallel()
			first := map[string]json.RawMessage{}
			collect := func(srv *mockserver.Server) {
				for _, tr := range srv.Transcripts() {
					for _, f := range tr.Frames {
						if f.Dir == cassette.Server && f.Kind == cassette.KindText && first[f.Type] == nil {
							first[f.Type] = f.Data
						}
					}
				}
			}
			collect(goldenConversation(t, sc, d.c))
			collect(goldenTranscription(t, d.c, d.intent))
			if d.dialect == realtime.GA {
				collect(goldenIdle(t, sc, d.c))
			}
			dir := filepath.Join("testdata", "golden", string(d.dialect))
			for _, k := range realtime.ServerKinds() {
				name := d.dialect.Name(k)
				if name == "" {
					continue
				}
				if why, skip := notOverWebSocket[k]; skip {
					if first[name] != nil {
						t.Errorf("%s was sent, though listed as %s", name, why)
					}
					continue
				}
				if first[name] == nil {
					t.Errorf("no session sent %s", name)
					continue
				}
				checkGolden(t, filepath.Join(dir, name+".json"), stable(t, first[name]))
			}
		})
	}
}

// goldenConversation plays a conversation session through every kind of
// exchange and returns its server, ended.
func goldenConversation(t *testing.T, sc *scenarios.Scenario, d dialectCase) *mockserver.Server {
	t.Helper()
	srv := startServer(t, &mockserver.Options{Scenario: sc, KeepTranscripts: true})
	c := dial(t, srv, d)
	c.next()
	session := `{"instructions":"Be brief."}`
	if d.ga {
		session = `{"type":"realtime","instructions":"Be brief."}`
	}
	c.send(`{"type":"session.update","session":` + session + `}`)
	c.until("session.updated")
	turn := append(speechFixture(t), make([]byte, 48*1000)...)
	c.appendAudio(turn, 4800) // its transcription fails
	c.until("response.done")
	c.appendAudio(turn, 4800)
	c.until("conversation.item.input_audio_transcription.completed")
	c.until("response.done")
	c.send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"}]}}`)
	c.send(`{"type":"response.create"}`)
	evs := c.until("response.done")
	call := evs[len(evs)-1].str("response.output.0.call_id")
	c.send(`{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"` + call + `","output":"{\"sky\":\"clear\"}"}}`)
	c.send(`{"type":"response.create"}`)
	evs = c.until("response.done")
	item := evs[len(evs)-1].str("response.output.0.id")
	c.send(`{"type":"conversation.item.retrieve","item_id":"` + item + `"}`)
	c.send(`{"type":"conversation.item.truncate","item_id":"` + item + `","content_index":0,"audio_end_ms":100}`)
	c.send(`{"type":"conversation.item.delete","item_id":"` + item + `"}`)
	c.until("conversation.item.deleted")
	c.send(`{"type":"response.create","response":` + textOnly(d) + `}`)
	c.until("response.done")
	c.send(`{"type":"input_audio_buffer.append","audio":"AAAA"}`)
	c.send(`{"type":"input_audio_buffer.clear"}`)
	c.send(`{"type":"no.such.event"}`)
	c.until("error")
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	return srv
}

// goldenIdle plays a GA idle timeout on the manual clock.
func goldenIdle(t *testing.T, sc *scenarios.Scenario, d dialectCase) *mockserver.Server {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv := startServer(t, &mockserver.Options{Scenario: sc, Clock: clk, KeepTranscripts: true})
	c := dial(t, srv, d)
	c.next()
	c.send(`{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","idle_timeout_ms":5000}}}}}`)
	c.until("session.updated")
	c.sendSync(`{"type":"response.create"}`)
	c.until("response.done")
	// The response's audio plays, then 5 s pass without speech.
	if !clk.AwaitTimer(clk.Now().Add(10*time.Second), c.ctx.Done()) {
		t.Fatal("no idle timeout pending")
	}
	clk.Advance(10 * time.Second)
	c.until("input_audio_buffer.timeout_triggered")
	c.until("response.done")
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	return srv
}

func textOnly(d dialectCase) string {
	if d.ga {
		return `{"output_modalities":["text"]}`
	}
	return `{"modalities":["text"]}`
}

// goldenTranscription opens a transcription session and updates it.
func goldenTranscription(t *testing.T, d dialectCase, path string) *mockserver.Server {
	t.Helper()
	srv := startServer(t, &mockserver.Options{KeepTranscripts: true})
	c := dial(t, srv, dialectCase{name: d.name, path: path, ga: d.ga})
	c.next()
	if d.ga {
		c.send(`{"type":"session.update","session":{"type":"transcription","audio":{"input":{"transcription":{"model":"whisper-1"}}}}}`)
		c.until("session.updated")
	} else {
		c.send(`{"type":"transcription_session.update","session":{"input_audio_transcription":{"model":"whisper-1"}}}`)
		c.until("transcription_session.updated")
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	return srv
}

var (
	idRE    = regexp.MustCompile(`"((?:event|item|resp|sess|conv|call|rtc)_)[0-9A-Za-z]{8,}"`)
	audioRE = regexp.MustCompile(`"(delta|audio)":"[A-Za-z0-9+/=]{64,}"`)
	obfRE   = regexp.MustCompile(`"obfuscation":"[0-9A-Za-z]*"`)
	timeRE  = regexp.MustCompile(`"expires_at":\d+`)
)

// stable makes a frame independent of ids, times and audio bytes, and
// indents it.
func stable(t *testing.T, data []byte) []byte {
	t.Helper()
	s := idRE.ReplaceAllStringFunc(string(data), func(m string) string {
		sub := idRE.FindStringSubmatch(m)
		return `"` + sub[1] + strings.Repeat("x", len(m)-2-len(sub[1])) + `"`
	})
	s = audioRE.ReplaceAllString(s, `"$1":"<base64 audio>"`)
	s = obfRE.ReplaceAllString(s, `"obfuscation":"<random>"`)
	s = timeRE.ReplaceAllString(s, `"expires_at":0`)
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return append(b.Bytes(), '\n')
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenEvents -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-golden +got); if the change is meant, run go test -run TestGoldenEvents -update:\n%s", path, diff)
	}
}
