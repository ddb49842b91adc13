package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/internal/admin"
	"github.com/rtmock/rtmock/internal/monitor"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/scenarios"
)

// sipFixture is a mock with the admin API and a webhook receiver that
// checks signatures and passes on each event.
func sipFixture(t *testing.T) (*fixture, chan map[string]any) {
	t.Helper()
	events := make(chan map[string]any, 16)
	f := &fixture{mon: monitor.New(nil)}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := rtc.VerifyWebhook(f.srv.SIPWebhookSecret(), r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook: %v", err)
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		events <- ev
	}))
	t.Cleanup(recv.Close)
	var err error
	f.srv, err = mockserver.New(&mockserver.Options{
		DisableTLS: true, Seed: 1, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}, SIPWebhookURL: recv.URL,
		Wrap: admin.Wrap(&admin.Options{Monitor: f.mon, Version: "test", Handler: func() *mockserver.Handler { return f.srv.Handler() }}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.srv.Close()
		f.mon.Close()
	})
	return f, events
}

// TestSIPCallsAdmin: POST /__rtmock/sip/calls makes the mock ring, and
// the listing follows each call's state.
func TestSIPCallsAdmin(t *testing.T) {
	f, events := sipFixture(t)
	refuser := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer refuser.Close()
	cases := []struct {
		name   string
		body   string
		status int
		from   string // the From header the webhook carries; "" when none goes out
	}{
		{"defaults", ``, 201, "sip:+15555550100@sip.example.com"},
		{"named caller and headers", `{"from":"sip:+14155550123@carrier.example","to":"sip:+18005551212@sip.example.com","sip_headers":[{"name":"X-Tenant","value":"t1"}]}`, 201, "sip:+14155550123@carrier.example"},
		{"unknown member", `{"caller":"me"}`, 400, ""},
		{"not JSON", `{`, 400, ""},
		{"bad webhook URL", `{"webhook_url":"ftp://example.com"}`, 400, ""},
		{"receiver refuses", `{"webhook_url":"` + refuser.URL + `"}`, 502, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.do(t, http.MethodPost, admin.Prefix+"sip/calls", tc.body, nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			var got struct {
				Call  mockserver.SIPCall `json:"call"`
				Error struct{ Message string }
			}
			json.Unmarshal([]byte(body), &got)
			switch tc.status {
			case 201:
				ev := <-events
				data, _ := ev["data"].(map[string]any)
				headers, _ := data["sip_headers"].([]any)
				first, _ := headers[0].(map[string]any)
				if ev["type"] != "realtime.call.incoming" || data["call_id"] != got.Call.ID || first["value"] != tc.from {
					t.Errorf("webhook event %v for call %+v", ev, got.Call)
				}
				if got.Call.State != rtc.SIPIncoming || got.Call.Webhook == nil || got.Call.Webhook.Status != 200 {
					t.Errorf("call %+v", got.Call)
				}
			case 502:
				if got.Call.ID == "" || got.Call.Webhook == nil || got.Call.Webhook.Status != 503 || got.Error.Message == "" {
					t.Errorf("502 body %s", body)
				}
			default:
				if got.Error.Message == "" {
					t.Errorf("error without a message: %s", body)
				}
			}
		})
	}

	// Accept the first call on the mock's own route: the listing and the
	// call's own page say so.
	_, body := f.do(t, http.MethodGet, admin.Prefix+"sip/calls", "", nil)
	var list struct{ Calls []mockserver.SIPCall }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Calls) != 3 {
		t.Fatalf("listing %s (%v)", body, err)
	}
	id := list.Calls[0].ID
	if st, b := f.do(t, http.MethodPost, "/v1/realtime/calls/"+id+"/accept", `{"type":"realtime","instructions":"Hi."}`,
		http.Header{"Authorization": {"Bearer sk-any"}}); st != 200 {
		t.Fatalf("accept: %d %s", st, b)
	}
	status, body := f.do(t, http.MethodGet, admin.Prefix+"sip/calls/"+id, "", nil)
	var c mockserver.SIPCall
	json.Unmarshal([]byte(body), &c)
	var session struct{ Instructions string }
	json.Unmarshal(c.Session, &session)
	if status != 200 || c.State != rtc.SIPAccepted || session.Instructions != "Hi." || len(c.History) != 2 {
		t.Errorf("call page %d %s", status, body)
	}
	if status, _ := f.do(t, http.MethodGet, admin.Prefix+"sip/calls/rtc_u0_nosuch", "", nil); status != 404 {
		t.Errorf("unknown call: %d", status)
	}
}

// TestSIPCallsAdminWithoutURL: a mock started without a webhook URL
// tells how to give one.
func TestSIPCallsAdminWithoutURL(t *testing.T) {
	f := start(t, "")
	status, body := f.do(t, http.MethodPost, admin.Prefix+"sip/calls", `{}`, nil)
	if status != 400 || !strings.Contains(body, "--sip-webhook") {
		t.Errorf("%d %s", status, body)
	}
	if status, body := f.do(t, http.MethodGet, admin.Prefix+"sip/calls", "", nil); status != 200 || !strings.Contains(body, `"calls": []`) {
		t.Errorf("empty listing: %d %s", status, body)
	}
}
