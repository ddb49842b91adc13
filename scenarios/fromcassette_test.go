package scenarios_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// record plays the function-call built-in (a call, then a spoken answer)
// and a text-only turn through the mock and returns the session as a
// cassette.
func record(t *testing.T, path string) *cassette.Cassette {
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL(), "http")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 24)
	readUntil := func(typ string) {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), `"type":"`+typ+`"`) {
				return
			}
		}
	}
	send := func(s string) { conn.Write(ctx, websocket.MessageText, []byte(s)) }
	readUntil("session.created")
	send(`{"type":"response.create"}`)
	readUntil("rate_limits.updated")
	send(`{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_weather_1","output":"{\"c\":18}"}}`)
	send(`{"type":"response.create"}`)
	readUntil("rate_limits.updated")
	conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	var buf bytes.Buffer
	if err := srv.Transcripts()[0].WriteCassette(&buf, &cassette.WriterOptions{ElideAudio: true}); err != nil {
		t.Fatal(err)
	}
	c, err := cassette.Parse(&buf, "weather-call.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFromCassette(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"/openai/realtime?api-version=2024-10-01-preview&deployment=d", "/openai/v1/realtime?model=m"} {
		c := record(t, path)
		sc, err := scenarios.FromCassette(c)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
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
