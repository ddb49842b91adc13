package mockserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/scenarios"
)

const sipKey = "sk-sip-test"

// sipMock is a mock with a webhook receiver that checks each delivery's
// signature against the mock's secret and passes on the call id.
func sipMock(t *testing.T) (*mockserver.Server, chan string) {
	t.Helper()
	ids := make(chan string, 16)
	var srv *mockserver.Server
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := rtc.VerifyWebhook(srv.SIPWebhookSecret(), r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ev struct {
			Type string `json:"type"`
			Data struct {
				CallID string `json:"call_id"`
			} `json:"data"`
		}
		json.Unmarshal(body, &ev)
		if ev.Type != "realtime.call.incoming" {
			t.Errorf("webhook event %s", body)
		}
		ids <- ev.Data.CallID
	}))
	t.Cleanup(recv.Close)
	var err error
	srv, err = mockserver.New(&mockserver.Options{APIKey: sipKey, DisableTLS: true, Seed: 7, SIPWebhookURL: recv.URL,
		Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, ids
}

// ring makes a call and returns its id as the receiver got it.
func ring(t *testing.T, srv *mockserver.Server, ids chan string) string {
	t.Helper()
	c, err := srv.IncomingSIPCall(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if id := <-ids; id != c.ID {
		t.Fatalf("the webhook named %s, the call is %s", id, c.ID)
	}
	return c.ID
}

// control posts a call-control request with the mock's key.
func control(t *testing.T, srv *mockserver.Server, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+sipKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var sipAuth = &rttest.DialOptions{Header: http.Header{"Authorization": {"Bearer " + sipKey}}}

// refused dials a control socket that must be refused with 404
// call_id_not_found before the upgrade.
func refused(t *testing.T, url string) {
	t.Helper()
	_, resp, err := rttest.TryDial(t, url, sipAuth)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("control socket of a call not accepted: err %v, response %v", err, resp)
	}
}

// TestSIPControlSocket: after the webhook, a call's control WebSocket is
// refused until the call is accepted; then it is a session of the core
// that starts from the accepted session, and it closes when the call is
// over.
func TestSIPControlSocket(t *testing.T) {
	const accepted = `{"type":"realtime","model":"gpt-realtime-mini","instructions":"You are Alex, a concierge.","audio":{"output":{"voice":"marin"}}}`
	cases := []struct {
		name  string
		path  string // the control socket's path
		calls string // the call-control prefix
		end   string // the request that ends the call, and its body
		body  string
	}{
		{"openai, hung up", "/v1/realtime", "/v1/realtime/calls/", "hangup", ""},
		{"openai, referred", "/v1/realtime", "/v1/realtime/calls/", "refer", `{"target_uri":"tel:+14155550123"}`},
		{"azure, hung up", "/openai/v1/realtime", "/openai/v1/realtime/calls/", "hangup", ""},
	}
	srv, ids := sipMock(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := ring(t, srv, ids)
			url := srv.URL() + tc.path + "?call_id=" + id
			refused(t, url)
			if st := control(t, srv, tc.calls+id+"/accept", accepted); st != 200 {
				t.Fatalf("accept: %d", st)
			}
			c := rttest.Dial(t, url, sipAuth)
			created := c.Next()
			if created.Type != "session.created" || created.Str("session.model") != "gpt-realtime-mini" ||
				created.Str("session.instructions") != "You are Alex, a concierge." || created.Str("session.audio.output.voice") != "marin" {
				t.Fatalf("session.created does not carry the accepted session: %s", created.Raw)
			}
			c.Send(`{"type":"response.create"}`)
			c.Until("response.done")
			if st := control(t, srv, tc.calls+id+"/"+tc.end, tc.body); st != 200 {
				t.Fatalf("%s: %d", tc.end, st)
			}
			if ce := c.CloseError(); ce.Code != websocket.StatusNormalClosure {
				t.Errorf("the control socket closed with %v, want 1000", ce)
			}
			refused(t, url)
		})
	}
	// A rejected call has no control socket; the call list tells each
	// call's state.
	id := ring(t, srv, ids)
	if st := control(t, srv, "/v1/realtime/calls/"+id+"/reject", `{"status_code":486}`); st != 200 {
		t.Fatalf("reject: %d", st)
	}
	refused(t, srv.URL()+"/v1/realtime?call_id="+id)
	var states []string
	for _, c := range srv.SIPCalls() {
		states = append(states, string(c.State))
	}
	if got := strings.Join(states, " "); got != "ended referred ended rejected" {
		t.Errorf("call states %q", got)
	}
}

// TestSIPCallWithoutWebhookURL: a mock without a webhook URL says so.
func TestSIPCallWithoutWebhookURL(t *testing.T) {
	srv := startServer(t, nil)
	if _, err := srv.IncomingSIPCall(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "webhook URL") {
		t.Errorf("no URL: %v", err)
	}
}
