package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// A test starts a mock like an httptest.Server, points its client at URL()
// and gets the service's events: here the default reply to response.create.
func Example() {
	srv, err := mockserver.New(&mockserver.Options{Pace: scenarios.Pace{Mode: scenarios.PaceInstant}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx := context.Background()
	url := "ws" + strings.TrimPrefix(srv.URL(), "http") + "/openai/v1/realtime?model=gpt-realtime"
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		panic(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 24)

	conn.Write(ctx, websocket.MessageText, []byte(`{"type":"response.create"}`))
	var transcript strings.Builder
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			panic(err)
		}
		var ev struct{ Type, Delta string }
		json.Unmarshal(data, &ev)
		switch ev.Type {
		case "session.created", "response.created", "response.done":
			fmt.Println(ev.Type)
		case "response.output_audio_transcript.delta":
			transcript.WriteString(ev.Delta)
		}
		if ev.Type == "response.done" {
			break
		}
	}
	fmt.Println(transcript.String())
	conn.Close(websocket.StatusNormalClosure, "")
	// Output:
	// session.created
	// response.created
	// response.done
	// Hello! How can I help you today?
}
