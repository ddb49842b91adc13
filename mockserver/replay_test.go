package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
)

// toCassette writes a session transcript as a cassette and loads it back.
func toCassette(t *testing.T, tr *mockserver.Transcript, elide bool) *cassette.Cassette {
	t.Helper()
	var buf bytes.Buffer
	if err := tr.WriteCassette(&buf, &cassette.WriterOptions{ElideAudio: elide}); err != nil {
		t.Fatal(err)
	}
	c, err := cassette.Parse(&buf, filepath.Join("testdata", "recorded.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordVoiceSession runs a text turn and a voice turn against the
// simulation and returns its transcript.
func recordVoiceSession(t *testing.T, d dialectCase, speech []byte) *mockserver.Transcript {
	srv := startServer(t, &mockserver.Options{KeepTranscripts: true})
	c := dial(t, srv, d)
	c.next()
	c.send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}}`)
	c.send(`{"type":"response.create"}`)
	c.until("rate_limits.updated")
	c.appendAudio(speech, 4800)
	c.until("rate_limits.updated")
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	return srv.Transcripts()[0]
}

func serverFrames(tr *mockserver.Transcript) [][]byte {
	var out [][]byte
	for _, f := range tr.Frames {
		if f.Dir == cassette.Server && f.Kind == cassette.KindText {
			out = append(out, f.Data)
		}
	}
	return out
}

func TestReplayIsByteExactAndAnchoredToAudio(t *testing.T) {
	t.Parallel()
	speech := speechFixture(t)
	for _, d := range []dialectCase{dialects[0], dialects[3]} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			rec := recordVoiceSession(t, d, speech)
			cas := toCassette(t, rec, false)

			srv := startServer(t, &mockserver.Options{Cassette: cas, ReplayStrict: true, KeepTranscripts: true})
			c := dial(t, srv, d)
			c.send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hello there"}]}}`)
			c.send(`{"type":"response.create"}`)
			// Another client chunks its audio differently.
			c.appendAudio(speech, 2400)
			got := c.until("response.done")
			got = append(got, c.until("response.done")...)
			got = append(got, c.next())
			c.conn.Close(websocket.StatusNormalClosure, "")
			srv.Close()

			var gotRaw []string
			for _, e := range got {
				gotRaw = append(gotRaw, string(e.Raw))
			}
			var want []string
			for _, f := range serverFrames(rec) {
				want = append(want, string(f))
			}
			if diff := cmp.Diff(want[:len(gotRaw)], gotRaw); diff != "" {
				t.Fatalf("replayed frames differ from the recording (-want +got):\n%s", diff)
			}
			if len(gotRaw) != len(want) {
				t.Errorf("replayed %d frames, recorded %d", len(gotRaw), len(want))
			}
			tr := srv.Transcripts()[0]
			if len(tr.Mismatches) != 0 {
				t.Errorf("mismatches: %v", tr.Mismatches)
			}
			// speech_stopped went out only once the client had appended
			// 2720 ms of audio, however it chunked it.
			appended := 0
			for _, f := range tr.Frames {
				if f.Dir == cassette.Client && f.Type == realtime.ClientInputAppend {
					var ev struct{ Audio string }
					json.Unmarshal(f.Data, &ev)
					b, _ := base64.StdEncoding.DecodeString(ev.Audio)
					appended += len(b)
				}
				if f.Type == "input_audio_buffer.speech_stopped" {
					if ms := appended / 48; ms < 2720 {
						t.Errorf("speech_stopped replayed after %d ms of client audio, want at least 2720", ms)
					}
					break
				}
			}
		})
	}
}

func TestReplayReportsMismatches(t *testing.T) {
	t.Parallel()
	rec := recordVoiceSession(t, dialects[0], speechFixture(t))
	cas := toCassette(t, rec, true)
	srv := startServer(t, &mockserver.Options{Cassette: cas, ReplayStrict: true, KeepTranscripts: true})
	c := dial(t, srv, dialects[0])
	c.next()
	// The recording starts with conversation.item.create; skipping it is a
	// mismatch the client hears about in strict mode, naming the line.
	c.send(`{"type":"response.create"}`)
	var e event
	for e = c.next(); e.Type != "error"; e = c.next() {
	}
	if e.str("error.code") != "rtmock_replay_mismatch" || !strings.Contains(e.str("error.message"), "recorded.jsonl:3") ||
		!strings.Contains(e.str("error.message"), "conversation.item.create") {
		t.Errorf("mismatch error = %s", e.Raw)
	}
	// Elided audio is re-synthesized with the recorded byte counts.
	for e.Type != "response.audio.delta" {
		e = c.next()
	}
	if b, err := base64.StdEncoding.DecodeString(e.str("delta")); err != nil || len(b) != 4800 {
		t.Errorf("restored delta: %d bytes, %v; want 4800", len(b), err)
	}
}
