package drift_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/drift"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// record plays a text turn and a response.cancel against a mock with seed
// on path, and returns the session as a cassette file.
func record(t *testing.T, seed int64, path string) string {
	t.Helper()
	srv, err := mockserver.New(&mockserver.Options{Seed: seed, DisableTLS: true, KeepTranscripts: true, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c := rttest.Dial(t, srv.URL()+path, nil)
	c.Until("session.created")
	c.Send(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}}`)
	c.Send(`{"type":"response.create"}`)
	c.Until("response.done")
	c.Send(`{"type":"response.cancel"}`)
	c.Until("error")
	c.Conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	var b bytes.Buffer
	if err := srv.Transcripts()[0].WriteCassette(&b, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "session.jsonl")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func load(t *testing.T, path string) *cassette.Cassette {
	t.Helper()
	c, err := cassette.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const gaPath = "/openai/v1/realtime?model=gpt-realtime"

// TestSameStructureNoDrift: two sessions that differ only in ids, audio
// and times do not drift.
func TestSameStructureNoDrift(t *testing.T) {
	a, b := record(t, 1, gaPath), record(t, 7, gaPath)
	r := drift.Compare(load(t, a), load(t, b))
	if r.Drifted() {
		var out strings.Builder
		r.WriteText(&out)
		t.Errorf("two seeds of one session drift:\n%s", out.String())
	}
	if len(r.Latency) == 0 {
		t.Error("no latency reported")
	}
}

// TestDriftIsFound: the other dialect, a member removed, an enum value
// changed and ids of another length are each reported.
func TestDriftIsFound(t *testing.T) {
	a := record(t, 1, gaPath)
	preview := record(t, 1, "/openai/realtime?api-version=2024-10-01-preview&deployment=d")
	r := drift.Compare(load(t, a), load(t, preview))
	if len(r.Sequence) == 0 || len(r.IDs) != 0 {
		t.Errorf("GA against preview: %d sequence diffs, %d id diffs; want the renamed events in the sequence", len(r.Sequence), len(r.IDs))
	}

	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	edited := string(data)
	edited = strings.Replace(edited, `"status":"completed","status_details":null`, `"status":"finished","status_details":null`, 1)
	edited = strings.Replace(edited, `"output_tokens":`, `"outputTokens":`, 1)
	edited = strings.Replace(edited, `"resp_`, `"resp_X`, 1)
	b := filepath.Join(t.TempDir(), "edited.jsonl")
	if err := os.WriteFile(b, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	r = drift.Compare(load(t, a), load(t, b))
	var out strings.Builder
	r.WriteText(&out)
	for _, want := range []string{"only in A: response.usage.output_tokens: number", "only in B: response.usage.outputTokens: number", "response.status", "ids: resp_", "DRIFT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
