package toscenario_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/internal/rttest"

	"github.com/coder/websocket"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/toscenario"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// record plays the function-call built-in (a call, then a spoken answer)
// through the mock and returns the session as cassette text.
func record(t *testing.T, path string) []byte {
	t.Helper()
	sc, err := scenarios.Builtin("function-call")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mockserver.New(&mockserver.Options{Scenario: sc, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}, KeepTranscripts: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := rttest.Dial(t, srv.URL()+path, &rttest.DialOptions{Timeout: 30 * time.Second})
	readUntil := func(typ string) { c.Until(typ) }
	send := c.Send
	readUntil("session.created")
	send(`{"type":"response.create"}`)
	readUntil("rate_limits.updated")
	send(`{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_weather_1","output":"{\"c\":18}"}}`)
	send(`{"type":"response.create"}`)
	readUntil("rate_limits.updated")
	c.Conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	var buf bytes.Buffer
	if err := srv.Transcripts()[0].WriteCassette(&buf, &cassette.WriterOptions{ElideAudio: true}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFromCassette(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/openai/realtime?api-version=2024-10-01-preview&deployment=d", "/openai/v1/realtime?model=m"} {
		c, err := cassette.Parse(bytes.NewReader(record(t, path)), "weather-call.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		sc, warnings, err := toscenario.FromCassette(c)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(warnings) > 0 {
			t.Errorf("%s: warnings for a whole recording: %q", path, warnings)
		}
		if sc.Name != "weather-call" || len(sc.Turns) != 2 {
			t.Fatalf("%s: got %q with %d turns", path, sc.Name, len(sc.Turns))
		}
		call := sc.Turns[0].Reply.FunctionCalls
		if len(call) != 1 || call[0].Name != "get_weather" || call[0].CallID != "call_weather_1" || !strings.Contains(call[0].Arguments, `"city":"Paris"`) {
			t.Errorf("%s: first turn calls %+v", path, call)
		}
		answer := sc.Turns[1].Reply
		if answer.Transcript != "It's eighteen degrees and sunny in Paris." || answer.Audio == nil || answer.Audio.Duration != 2500*time.Millisecond {
			t.Errorf("%s: second turn replies %+v (audio %+v)", path, answer, answer.Audio)
		}
		if sc.Session == nil || len(sc.Session.Tools) != 1 || sc.Session.Tools[0].Name != "get_weather" {
			t.Errorf("%s: session %+v", path, sc.Session)
		}
		// What comes out is a scenario file that loads as it is.
		data, err := scenarios.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := scenarios.Parse("weather-call", data); err != nil {
			t.Errorf("%s: the generated scenario does not load: %v\n%s", path, err, data)
		}
	}
}

// lineOf returns the 1-based line of the nth line (from 1) of data that
// contains s.
func lineOf(t *testing.T, data []byte, s string, nth int) int {
	t.Helper()
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			if nth--; nth == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("no %d %q in the cassette", nth, s)
	return 0
}

// cut returns data up to the middle of line n (1-based), as a recorder
// killed while writing it leaves the file.
func cut(data []byte, n int) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	head := strings.Join(lines[:n-1], "")
	return []byte(head + lines[n-1][:len(lines[n-1])/2])
}

// TestFromCassetteTruncated converts recordings cut short inside a
// response: the warnings name the cassette's file and lines, never a place
// in YAML the user did not write.
func TestFromCassetteTruncated(t *testing.T) {
	t.Parallel()
	full := record(t, "/openai/v1/realtime?model=m")
	second := lineOf(t, full, `"type":"response.created"`, 2)
	for _, tt := range []struct {
		name      string
		cutAt     int // the line cut in the middle
		turns     int
		responses string // the warning about the second response
	}{
		{"inside its audio", lineOf(t, full, `"type":"response.output_audio.delta"`, 2), 2, "its turn has what was recorded before the end"},
		{"right after it started", second + 1, 1, "before it said anything; the scenario leaves it out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "cut.jsonl")
			if err := os.WriteFile(path, cut(full, tt.cutAt), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := cassette.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			sc, warnings, err := toscenario.FromCassette(c)
			if err != nil {
				t.Fatalf("error %v; warnings %q", err, warnings)
			}
			if len(sc.Turns) != tt.turns {
				t.Errorf("%d turns, want %d", len(sc.Turns), tt.turns)
			}
			want := []string{
				fmt.Sprintf("%s:%d: the last line is incomplete (the recording was cut short); the scenario ends with the frame before it", path, tt.cutAt),
				fmt.Sprintf("%s:%d: the recording ends inside response ", path, second),
			}
			if len(warnings) != 2 || warnings[0] != want[0] || !strings.HasPrefix(warnings[1], want[1]) || !strings.HasSuffix(warnings[1], tt.responses) {
				t.Errorf("warnings:\n%s\nwant:\n%s…%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"), tt.responses)
			}
		})
	}
}

// TestFromCassetteErrorsAtCassetteLines converts a recording the language
// cannot hold: the error names the cassette line the bad part came from.
func TestFromCassetteErrorsAtCassetteLines(t *testing.T) {
	t.Parallel()
	full := record(t, "/openai/v1/realtime?model=m")
	// The first response ends with a status no response has.
	done := lineOf(t, full, `"type":"response.done"`, 1)
	created := lineOf(t, full, `"type":"response.created"`, 1)
	lines := strings.SplitAfter(string(full), "\n")
	lines[done-1] = strings.Replace(lines[done-1], `"status":"completed"`, `"status":"exploded"`, 1)
	path := filepath.Join(t.TempDir(), "failed.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := cassette.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = toscenario.FromCassette(c)
	want := fmt.Sprintf("%s:%d: response resp_", path, created)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `unknown status "exploded"`) || strings.Contains(err.Error(), "turns[") {
		t.Errorf("error %v, want one at %s… about the status", err, want)
	}
}

func TestFromCassetteNoResponses(t *testing.T) {
	t.Parallel()
	c, err := cassette.Load("../../cassette/testdata/failed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := toscenario.FromCassette(c); err == nil || !strings.Contains(err.Error(), "has no responses") {
		t.Errorf("error %v", err)
	}
}

// TestFromCassetteUnknownValues converts a session whose voice and audio
// format the language does not know (a newer service): they are left at
// the server's defaults instead of making a scenario that does not load.
func TestFromCassetteUnknownValues(t *testing.T) {
	t.Parallel()
	full := string(record(t, "/openai/realtime?api-version=2024-10-01-preview&deployment=d"))
	if !strings.Contains(full, `"voice":"alloy"`) || !strings.Contains(full, `"output_audio_format":"pcm16"`) {
		t.Fatal("the recording has no voice or output format to change")
	}
	full = strings.ReplaceAll(full, `"voice":"alloy"`, `"voice":"nova9"`)
	full = strings.ReplaceAll(full, `"output_audio_format":"pcm16"`, `"output_audio_format":"pcm24"`)
	c, err := cassette.Parse(strings.NewReader(full), "new.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sc, _, err := toscenario.FromCassette(c)
	if err != nil {
		t.Fatal(err)
	}
	if s := sc.Session; s.Voice != "" || s.OutputAudioFormat != "" || s.InputAudioFormat != "pcm16" {
		t.Errorf("session %+v", s)
	}
}
