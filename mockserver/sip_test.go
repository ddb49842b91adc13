package mockserver_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/mockserver/rtc"
)

// webhookSecret is a Standard Webhooks secret, as OpenAI issues them.
const webhookSecret = "whsec_" + "c2lwLXRlc3Qtc2VjcmV0LWtleS0xMjM0NTY3ODk="

// TestSIPCallControl plays OpenAI's SIP call control against the mock: an
// incoming call posts a signed realtime.call.incoming webhook, and the call
// is then accepted (with a session), referred and hung up, or rejected;
// wrong states, unknown calls and bad bodies get the API's errors.
func TestSIPCallControl(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(webhookSecret, "whsec_"))
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if r.Header.Get("webhook-signature") != want {
			t.Errorf("webhook signature %q, want %q", r.Header.Get("webhook-signature"), want)
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		got <- ev
	}))
	defer hook.Close()
	srv := startServer(t, &mockserver.Options{APIKey: "sk-test", SIPWebhookURL: hook.URL, SIPWebhookSecret: webhookSecret})
	post := func(path, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk-test")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ring := func() string {
		c, err := srv.IncomingSIPCall(context.Background(), "sip:+14155550100@example.com", "sip:+14155550199@sip.api.openai.com")
		if err != nil {
			t.Fatal(err)
		}
		ev := <-got
		data, _ := ev["data"].(map[string]any)
		if ev["type"] != "realtime.call.incoming" || ev["object"] != "event" || data["call_id"] != c.ID || !strings.HasPrefix(c.ID, "rtc_") {
			t.Errorf("webhook event %v for call %s", ev, c.ID)
		}
		if hs, _ := data["sip_headers"].([]any); len(hs) < 3 {
			t.Errorf("sip_headers %v, want From, To and Call-ID", data["sip_headers"])
		}
		return c.ID
	}

	id := ring()
	steps := []struct {
		path, body string
		status     int
		code       string // in the error body
	}{
		{"/v1/realtime/calls/" + id + "/refer", `{"target_uri":"tel:+14155550123"}`, 409, "invalid_call_state"},
		{"/v1/realtime/calls/" + id + "/accept", `{"instructions":"Hi"}`, 400, "missing_required_parameter"},
		{"/v1/realtime/calls/" + id + "/accept", `{"type":"realtime","audio":{"output":{"voice":"nobody"}}}`, 400, "invalid_value"},
		{"/v1/realtime/calls/" + id + "/accept", `not json`, 400, "invalid_json"},
		{"/v1/realtime/calls/" + id + "/accept", `{"type":"realtime","model":"gpt-realtime","instructions":"You answer the phone."}`, 200, ""},
		{"/v1/realtime/calls/" + id + "/accept", `{"type":"realtime"}`, 409, "invalid_call_state"},
		{"/v1/realtime/calls/" + id + "/reject", ``, 409, "invalid_call_state"},
		{"/v1/realtime/calls/" + id + "/refer", `{}`, 400, "missing_required_parameter"},
		{"/v1/realtime/calls/" + id + "/refer", `{"target_uri":"mailto:x"}`, 400, "invalid_value"},
		{"/v1/realtime/calls/" + id + "/refer", `{"target_uri":"tel:+14155550123"}`, 200, ""},
		{"/v1/realtime/calls/" + id + "/hangup", ``, 200, ""},
		{"/v1/realtime/calls/" + id + "/hangup", ``, 409, "invalid_call_state"},
		{"/v1/realtime/calls/rtc_nosuchcall/accept", `{"type":"realtime"}`, 404, "call_not_found"},
	}
	for _, s := range steps {
		status, body := post(s.path, s.body)
		if status != s.status || (s.code != "" && !strings.Contains(body, `"code":"`+s.code+`"`)) {
			t.Errorf("POST %s %s: %d %s; want %d %s", s.path, s.body, status, body, s.status, s.code)
		}
	}
	var call rtc.SIPCall
	for _, c := range srv.Handler().SIPCalls() {
		if c.ID == id {
			call = c
		}
	}
	if call.State != rtc.SIPEnded || call.ReferTo != "tel:+14155550123" || !strings.Contains(string(call.Session), `"instructions":"You answer the phone."`) {
		t.Errorf("the call after accept, refer and hangup: %+v", call)
	}

	id = ring()
	if status, body := post("/v1/realtime/calls/"+id+"/reject", `{"status_code":486}`); status != 200 {
		t.Errorf("reject: %d %s", status, body)
	}
	if status, _ := post("/v1/realtime/calls/"+id+"/accept", `{"type":"realtime"}`); status != 409 {
		t.Errorf("accept after reject: %d, want 409", status)
	}
	id = ring()
	if status, body := post("/v1/realtime/calls/"+id+"/reject", `{"status_code":200}`); status != 400 || !strings.Contains(body, "status_code") {
		t.Errorf("reject with a status that is no failure: %d %s", status, body)
	}
}
