package roundtrip_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtmock/rtmock/internal/rttest"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/recorder"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// session plays one client session against base (http://host:port) on
// path: a text turn, then a spoken turn answered by server VAD. It returns
// every server event it received, decoded.
func session(t *testing.T, base, path string, speech []byte) []map[string]any {
	t.Helper()
	return sessionWith(t, base, path, speech, "secret-key-123", "Hi")
}

// sessionWith is session with the client's api-key (none when "") and the
// text of its first turn.
func sessionWith(t *testing.T, base, path string, speech []byte, key, text string) []map[string]any {
	t.Helper()
	header := http.Header{}
	if key != "" {
		header.Set("api-key", key)
	}
	c := rttest.Dial(t, base+path, &rttest.DialOptions{Header: header, Timeout: 30 * time.Second})
	var got []map[string]any
	readUntil := func(typ string) {
		t.Helper()
		for _, e := range c.Until(typ) {
			got = append(got, e.M)
		}
	}
	send := c.Send
	readUntil("session.created")
	item, _ := json.Marshal(text)
	send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":` + string(item) + `}]}}`)
	send(`{"type":"response.create"}`)
	readUntil("rate_limits.updated")
	for pcm := speech; len(pcm) > 0; {
		n := min(4800, len(pcm))
		send(`{"type":"input_audio_buffer.append","audio":"` + base64.StdEncoding.EncodeToString(pcm[:n]) + `"}`)
		pcm = pcm[n:]
	}
	readUntil("rate_limits.updated")
	c.Conn.Close(websocket.StatusNormalClosure, "")
	return got
}

// speechPCM is the recorded speech of the test data, as PCM16 24 kHz.
func speechPCM(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../audio/testdata/speech-24k.wav")
	if err != nil {
		t.Fatal(err)
	}
	w, err := audio.ReadWAV(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return w.Convert(audio.PCM16)
}

func TestRecordThenReplay(t *testing.T) {
	speech := speechPCM(t)
	instant := scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}

	for _, path := range []string{
		"/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview",
		"/openai/v1/realtime?model=gpt-realtime",
	} {
		t.Run(path, func(t *testing.T) {
			upstream, err := mockserver.New(&mockserver.Options{Pace: instant, Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			defer upstream.Close()
			dir := t.TempDir()
			rec, err := recorder.New(&recorder.Options{Upstream: upstream.URL(), Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- rec.Serve(ln) }()

			live := session(t, "http://"+ln.Addr().String(), path, speech)
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			<-served
			files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			if len(files) != 1 {
				t.Fatalf("%d cassettes in %s", len(files), dir)
			}
			data, _ := os.ReadFile(files[0])
			if bytes.Contains(data, []byte("secret-key-123")) {
				t.Error("the api key reached the cassette")
			}
			cas, err := cassette.Load(files[0])
			if err != nil {
				t.Fatal(err)
			}

			replay, err := mockserver.New(&mockserver.Options{Cassette: cas, ReplayStrict: true, Pace: instant, KeepTranscripts: true})
			if err != nil {
				t.Fatal(err)
			}
			defer replay.Close()
			again := session(t, replay.URL(), path, speech)
			replay.Close()

			// The replay sends the recorded frames as they were; event ids
			// would legitimately differ in a re-recording, so they are left out.
			ignore := cmpopts.IgnoreMapEntries(func(k string, _ any) bool { return k == "event_id" })
			if diff := cmp.Diff(live, again, ignore); diff != "" {
				t.Errorf("replayed session differs from the recorded one (-recorded +replayed):\n%s", diff)
			}
			if n := len(live); n < 40 {
				t.Errorf("only %d events in the session", n)
			}
			for _, tr := range replay.Transcripts() {
				if len(tr.Mismatches) > 0 {
					t.Errorf("replay mismatches: %v", tr.Mismatches)
				}
			}
		})
	}
}

// A key that is short ("1") or a plain word ("anything", which rtmock's
// banner suggests) is scrubbed where it stands, never by value in the
// conversation: the cassette replays exactly as the session went, ids,
// api-version, base64 audio and the word "anything" included, whether the
// client sent the key or the recorder added it.
func TestRecordThenReplayWithAnyKey(t *testing.T) {
	speech := speechPCM(t)
	instant := scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}
	const path = "/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview"
	const text = "Is there anything else I can do? 1, 11, 111"

	for _, key := range []string{"1", "anything"} {
		for _, injected := range []bool{false, true} {
			name := "key " + key + " from the client"
			if injected {
				name = "key " + key + " added by the recorder"
			}
			t.Run(name, func(t *testing.T) {
				upstream, err := mockserver.New(&mockserver.Options{Pace: instant, Seed: 11, APIKey: key})
				if err != nil {
					t.Fatal(err)
				}
				defer upstream.Close()
				dir := t.TempDir()
				opts := &recorder.Options{Upstream: upstream.URL(), Dir: dir}
				clientKey := key
				if injected {
					opts.APIKey, clientKey = key, ""
				}
				rec, err := recorder.New(opts)
				if err != nil {
					t.Fatal(err)
				}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				served := make(chan error, 1)
				go func() { served <- rec.Serve(ln) }()
				live := sessionWith(t, "http://"+ln.Addr().String(), path, speech, clientKey, text)
				if err := rec.Close(); err != nil {
					t.Fatal(err)
				}
				<-served
				files, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
				if len(files) != 1 {
					t.Fatalf("%d cassettes in %s", len(files), dir)
				}
				data, _ := os.ReadFile(files[0])
				if !bytes.Contains(data, []byte("Is there anything else")) || bytes.Count(data, []byte(cassette.Redacted)) != 0 {
					t.Errorf("the conversation was scrubbed by the key's value (%d [REDACTED])", bytes.Count(data, []byte(cassette.Redacted)))
				}
				cas, err := cassette.Load(files[0])
				if err != nil {
					t.Fatal(err)
				}
				if q := cas.Header().Endpoint.Query; q["api-version"] != "2024-10-01-preview" {
					t.Errorf("recorded api-version %q", q["api-version"])
				}

				replay, err := mockserver.New(&mockserver.Options{Cassette: cas, ReplayStrict: true, Pace: instant, KeepTranscripts: true})
				if err != nil {
					t.Fatal(err)
				}
				defer replay.Close()
				again := sessionWith(t, replay.URL(), path, speech, key, text)
				replay.Close()
				if diff := cmp.Diff(live, again); diff != "" {
					t.Errorf("replayed session differs from the recorded one (-recorded +replayed):\n%s", diff)
				}
				if n := len(live); n < 40 {
					t.Errorf("only %d events in the session", n)
				}
				for _, tr := range replay.Transcripts() {
					if len(tr.Mismatches) > 0 {
						t.Errorf("replay mismatches: %v", tr.Mismatches)
					}
				}
			})
		}
	}
}
