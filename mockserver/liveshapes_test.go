package mockserver_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/internal/livedata"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// shapeSessions plays, in one dialect, the events a client meets most: a
// spoken reply to response.create, a spoken turn answered by server VAD
// with input transcription, and a text-only reply. It returns every server
// frame.
func shapeSessions(t *testing.T, d dialectCase) []event {
	t.Helper()
	var all []event
	srv := startServer(t, nil)
	c := dial(t, srv, d)
	all = append(all, c.next())
	c.send(`{"type":"response.create"}`)
	all = append(all, c.until("rate_limits.updated")...)

	// The transcription built-in, with the model the GA recordings used.
	builtin, err := scenarios.Builtin("transcription")
	if err != nil {
		t.Fatal(err)
	}
	sc, sess := *builtin, *builtin.Session
	tr := *sess.InputTranscription
	tr.Model = "gpt-4o-mini-transcribe"
	sess.InputTranscription, sc.Session = &tr, &sess
	voice := startServer(t, &mockserver.Options{Scenario: &sc})
	v := dial(t, voice, d)
	v.next() // its session.created differs from the default one on purpose: transcription is on
	raw, err := os.ReadFile(filepath.Join("..", "audio", "testdata", "speech-24k.wav"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audio.ReadWAV(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	pcm := w.Convert(audio.PCM16)
	pcm = append(pcm, make([]byte, 48*1500)...) // 1.5 s of silence ends the turn
	for len(pcm) > 0 {
		n := min(4800, len(pcm))
		v.send(`{"type":"input_audio_buffer.append","audio":"` + base64.StdEncoding.EncodeToString(pcm[:n]) + `"}`)
		pcm = pcm[n:]
	}
	turn := v.until("response.done")
	if d.ga && count(turn, "conversation.item.input_audio_transcription.delta") < 2 {
		t.Errorf("gpt-4o-mini-transcribe sent %d transcription deltas, want one per word", count(turn, "conversation.item.input_audio_transcription.delta"))
	}
	all = append(all, turn...)
	return all
}

// TestShapesMatchTheLiveService compares every server event rtmock sends in
// those sessions with what the live service's recordings show of the same
// type in the same dialect (testdata/live/shapes.json): the paths always
// present, their JSON types, and the paths never present.
func TestShapesMatchTheLiveService(t *testing.T) {
	t.Parallel()
	shapes, err := livedata.Load(filepath.Join("..", "testdata", "live", "shapes.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []dialectCase{dialects[0], dialects[1]} {
		dialect := "preview"
		if d.ga {
			dialect = "ga"
		}
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			diffs := map[string][]string{}
			checked := map[string]bool{}
			for _, e := range shapeSessions(t, d) {
				ev := shapes.Event(dialect, e.Type, "")
				if ev == nil {
					continue
				}
				checked[e.Type] = true
				ds, err := ev.Check(e.Raw)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range ds {
					if !containsStr(diffs[e.Type], x) {
						diffs[e.Type] = append(diffs[e.Type], x)
					}
				}
			}
			var types []string
			for typ := range checked {
				types = append(types, typ)
			}
			sort.Strings(types)
			bad := 0
			for _, typ := range types {
				if len(diffs[typ]) > 0 {
					bad++
					t.Errorf("%s %s: %s", dialect, typ, strings.Join(diffs[typ], "; "))
				}
			}
			t.Logf("%s: %d of %d recorded event types match the recordings", dialect, len(types)-bad, len(types))
		})
	}
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
