package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/mockserver/rtc"
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

// A telephony client's test makes the mock ring: the mock posts the signed
// realtime.call.incoming webhook to the client's endpoint, and the client
// accepts the call as it would a real one (here from inside its webhook
// handler, as OpenAI's SIP guide shows).
func ExampleServer_IncomingSIPCall() {
	var srv *mockserver.Server
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if rtc.VerifyWebhook(srv.SIPWebhookSecret(), r.Header, body, time.Now(), 5*time.Minute) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ev struct {
			Data struct {
				CallID string `json:"call_id"`
			} `json:"data"`
		}
		json.Unmarshal(body, &ev)
		accept := srv.URL() + "/v1/realtime/calls/" + ev.Data.CallID + "/accept"
		req, _ := http.NewRequest(http.MethodPost, accept, strings.NewReader(`{"type":"realtime","model":"gpt-realtime","instructions":"You are Alex."}`))
		req.Header.Set("Authorization", "Bearer sk-any") // the mock takes any key unless given one
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			fmt.Println("accept:", resp.Status)
		}
	}))
	defer endpoint.Close()

	srv, err := mockserver.New(&mockserver.Options{SIPWebhookURL: endpoint.URL})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	call, err := srv.IncomingSIPCall(context.Background(), &mockserver.IncomingCall{From: "sip:+14155550123@carrier.example"})
	if err != nil {
		panic(err)
	}
	fmt.Println(call.State, string(call.Session))
	// Output:
	// accept: 200 OK
	// accepted {"type":"realtime","model":"gpt-realtime","instructions":"You are Alex."}
}
