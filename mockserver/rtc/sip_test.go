package rtc_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/mockserver/rtc"
)

// testSecret is a webhook secret in OpenAI's form: whsec_ and base64.
var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("rtmock test webhook secret, 32 b"))

// delivery is one webhook request as a receiver got it.
type delivery struct {
	header http.Header
	body   []byte
	event  struct {
		Object    string `json:"object"`
		ID        string `json:"id"`
		Type      string `json:"type"`
		CreatedAt int64  `json:"created_at"`
		Data      struct {
			CallID     string          `json:"call_id"`
			SIPHeaders []rtc.SIPHeader `json:"sip_headers"`
		} `json:"data"`
	}
}

// receiver is a webhook endpoint on a real socket: it checks each
// delivery's signature as the SDKs do (written out here, not with the
// package's own VerifyWebhook), hands it to the test, and answers with
// whatever status the test set (200 by default).
type receiver struct {
	srv    *httptest.Server
	got    chan delivery
	status int
	// during, when set, runs before the receiver answers: a client that
	// accepts the call from inside its webhook handler.
	during func(d delivery)
}

func newReceiver(t *testing.T, secret string) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan delivery, 128), status: http.StatusOK}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d delivery
		d.header = r.Header.Clone()
		d.body, _ = io.ReadAll(r.Body)
		if err := checkSignature(secret, d.header, d.body); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err := json.Unmarshal(d.body, &d.event); err != nil {
			t.Errorf("webhook body %s: %v", d.body, err)
		}
		if rc.during != nil {
			rc.during(d)
		}
		rc.got <- d
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// checkSignature verifies a delivery as openai-node's verifySignature
// does: the key is the base64 after whsec_, the signed payload
// "id.timestamp.body", the header "v1,<base64 HMAC-SHA256>".
func checkSignature(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts, sig := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || !strings.HasPrefix(sig, "v1,") {
		return fmt.Errorf("headers id %q timestamp %q signature %q", id, ts, sig)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%s.%s", id, ts, body)
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); sig != "v1,"+want {
		return fmt.Errorf("signature %q, want v1,%s", sig, want)
	}
	return nil
}

// next waits for the receiver's next delivery.
func (rc *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-rc.got:
		return d
	case <-time.After(wait):
		t.Fatal("no webhook delivery")
		return delivery{}
	}
}

// sipRig is a Handler with a webhook receiver.
func sipRig(t *testing.T, opts *rtc.Options) (*rig, *receiver) {
	t.Helper()
	rc := newReceiver(t, testSecret)
	o := rtc.Options{}
	if opts != nil {
		o = *opts
	}
	o.WebhookURL, o.WebhookSecret = rc.srv.URL+"/webhook", testSecret
	return newRig(t, &o, nil), rc
}

func (r *rig) incoming(t *testing.T, in *rtc.IncomingCall) rtc.SIPCall {
	t.Helper()
	c, err := r.h.IncomingCall(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSIPWebhook: a simulated incoming call reaches the receiver as
// OpenAI's realtime.call.incoming event, signed, with the call's id and
// the INVITE's headers.
func TestSIPWebhook(t *testing.T) {
	r, rc := sipRig(t, nil)
	c := r.incoming(t, &rtc.IncomingCall{From: "sip:+14155550123@carrier.example", SIPCallID: "abc-123",
		Headers: []rtc.SIPHeader{{Name: "X-Twilio-AccountSid", Value: "AC1"}}})
	d := rc.next(t)
	e := d.event
	if e.Object != "event" || e.Type != "realtime.call.incoming" || !strings.HasPrefix(e.ID, "evt_") || len(e.ID) != 36 {
		t.Errorf("event envelope %+v", e)
	}
	if now := r.clock.Now().Unix(); e.CreatedAt != now || d.header.Get("webhook-timestamp") != fmt.Sprint(now) {
		t.Errorf("created_at %d, webhook-timestamp %s, want the clock's %d", e.CreatedAt, d.header.Get("webhook-timestamp"), now)
	}
	if e.Data.CallID != c.ID || !strings.HasPrefix(c.ID, "rtc_") {
		t.Errorf("call_id %q, the call is %q", e.Data.CallID, c.ID)
	}
	want := []rtc.SIPHeader{{Name: "From", Value: "sip:+14155550123@carrier.example"}, {Name: "To", Value: "sip:+15555550199@sip.example.com"},
		{Name: "Call-ID", Value: "abc-123"}, {Name: "X-Twilio-AccountSid", Value: "AC1"}}
	if fmt.Sprint(e.Data.SIPHeaders) != fmt.Sprint(want) {
		t.Errorf("sip_headers %v, want %v", e.Data.SIPHeaders, want)
	}
	if !strings.HasPrefix(d.header.Get("webhook-id"), "wh_") || d.header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(d.header.Get("User-Agent"), "OpenAI/1.0") {
		t.Errorf("headers %v", d.header)
	}
	if c.State != rtc.SIPIncoming || c.Webhook == nil || c.Webhook.Status != 200 || c.Webhook.EventID != e.ID {
		t.Errorf("call %+v, delivery %+v", c, c.Webhook)
	}
	// The package's own check agrees, and refuses a changed body or an
	// old delivery.
	now := r.clock.Now()
	if err := rtc.VerifyWebhook(testSecret, d.header, d.body, now, 5*time.Minute); err != nil {
		t.Errorf("VerifyWebhook: %v", err)
	}
	if rtc.VerifyWebhook(testSecret, d.header, append(d.body, ' '), now, 5*time.Minute) == nil {
		t.Error("VerifyWebhook took a changed body")
	}
	if rtc.VerifyWebhook(testSecret, d.header, d.body, now.Add(6*time.Minute), 5*time.Minute) == nil {
		t.Error("VerifyWebhook took a delivery 6 minutes old")
	}
	// A second call has a new call id, event id and SIP Call-ID.
	c2 := r.incoming(t, nil)
	d2 := rc.next(t)
	if c2.ID == c.ID || d2.event.ID == e.ID || d2.event.Data.SIPHeaders[2].Value == "abc-123" {
		t.Errorf("second call %s, event %s, headers %v", c2.ID, d2.event.ID, d2.event.Data.SIPHeaders)
	}
}

// sipStep is one call-control request of a case and its answer.
type sipStep struct {
	verb   string // accept, reject, refer, hangup
	body   string
	auth   map[string]string // default: the standard key as a bearer token
	azure  bool              // the Azure route
	id     string            // default: the case's call
	status int
	code   string // error.code of a refusal
}

// TestSIPCallControl drives the call-control routes over HTTP through the
// state machine: what each state takes, the bodies, the refusals.
func TestSIPCallControl(t *testing.T) {
	const session = `{"type":"realtime","model":"gpt-realtime","instructions":"You are Alex."}`
	ok := func(verb, body string) sipStep { return sipStep{verb: verb, body: body, status: 200} }
	refused := func(verb, body string, status int, code string) sipStep {
		return sipStep{verb: verb, body: body, status: status, code: code}
	}
	cases := []struct {
		name  string
		steps []sipStep
		state rtc.SIPState
		check func(t *testing.T, c rtc.SIPCall)
	}{
		{"accept", []sipStep{ok("accept", session)}, rtc.SIPAccepted, func(t *testing.T, c rtc.SIPCall) {
			if string(c.Session) != session || c.Provider != rtc.OpenAI {
				t.Errorf("session %s, provider %q", c.Session, c.Provider)
			}
		}},
		{"accept on Azure with api-key", []sipStep{{verb: "accept", azure: true, auth: apiKey(testKey), body: `{"type":"realtime","model":"my-deployment"}`, status: 200}}, rtc.SIPAccepted,
			func(t *testing.T, c rtc.SIPCall) {
				if c.Provider != rtc.Azure {
					t.Errorf("provider %q", c.Provider)
				}
			}},
		{"double accept", []sipStep{ok("accept", session), refused("accept", session, 409, "invalid_call_state")}, rtc.SIPAccepted, nil},
		{"reject after accept", []sipStep{ok("accept", session), refused("reject", "", 409, "invalid_call_state")}, rtc.SIPAccepted, nil},
		{"accept after reject", []sipStep{ok("reject", ""), refused("accept", session, 409, "invalid_call_state")}, rtc.SIPRejected, nil},
		{"reject sends 603 by default", []sipStep{ok("reject", "")}, rtc.SIPRejected, func(t *testing.T, c rtc.SIPCall) {
			if c.StatusCode != 603 {
				t.Errorf("status_code %d", c.StatusCode)
			}
		}},
		{"reject {}", []sipStep{ok("reject", "{}")}, rtc.SIPRejected, nil},
		{"reject busy", []sipStep{ok("reject", `{"status_code":486}`)}, rtc.SIPRejected, func(t *testing.T, c rtc.SIPCall) {
			if c.StatusCode != 486 {
				t.Errorf("status_code %d", c.StatusCode)
			}
		}},
		{"reject with 200", []sipStep{refused("reject", `{"status_code":200}`, 400, "integer_below_min_value")}, rtc.SIPIncoming, nil},
		{"reject with 700", []sipStep{refused("reject", `{"status_code":700}`, 400, "integer_above_max_value")}, rtc.SIPIncoming, nil},
		{"reject with a string", []sipStep{refused("reject", `{"status_code":"486"}`, 400, "invalid_type")}, rtc.SIPIncoming, nil},
		{"reject with an unknown member", []sipStep{refused("reject", `{"reason":"busy"}`, 400, "unknown_parameter")}, rtc.SIPIncoming, nil},
		{"reject, not JSON", []sipStep{refused("reject", `{"status_code":`, 400, "")}, rtc.SIPIncoming, nil},
		{"refer before accept", []sipStep{refused("refer", `{"target_uri":"tel:+14155550123"}`, 409, "invalid_call_state")}, rtc.SIPIncoming, nil},
		{"refer", []sipStep{ok("accept", session), ok("refer", `{"target_uri":"tel:+14155550123"}`)}, rtc.SIPReferred, func(t *testing.T, c rtc.SIPCall) {
			if c.TargetURI != "tel:+14155550123" {
				t.Errorf("target_uri %q", c.TargetURI)
			}
		}},
		{"refer to a sip: URI", []sipStep{ok("accept", session), ok("refer", `{"target_uri":"sip:agent@example.com"}`)}, rtc.SIPReferred, nil},
		{"refer twice", []sipStep{ok("accept", session), ok("refer", `{"target_uri":"tel:+1"}`), refused("refer", `{"target_uri":"tel:+1"}`, 409, "invalid_call_state")}, rtc.SIPReferred, nil},
		{"refer to http:", []sipStep{ok("accept", session), refused("refer", `{"target_uri":"http://example.com"}`, 400, "invalid_value")}, rtc.SIPAccepted, nil},
		{"refer without a target", []sipStep{ok("accept", session), refused("refer", `{}`, 400, "missing_required_parameter")}, rtc.SIPAccepted, nil},
		{"refer, no body", []sipStep{ok("accept", session), refused("refer", ``, 400, "")}, rtc.SIPAccepted, nil},
		{"hang up an accepted call", []sipStep{ok("accept", session), ok("hangup", ""), refused("hangup", "", 409, "invalid_call_state")}, rtc.SIPEnded, nil},
		{"hang up a ringing call", []sipStep{ok("hangup", "")}, rtc.SIPEnded, nil},
		{"accept after hang-up", []sipStep{ok("hangup", ""), refused("accept", session, 409, "invalid_call_state")}, rtc.SIPEnded, nil},
		{"accept without type", []sipStep{refused("accept", `{"model":"gpt-realtime"}`, 400, "missing_required_parameter")}, rtc.SIPIncoming, nil},
		{"accept a transcription session", []sipStep{refused("accept", `{"type":"transcription"}`, 400, "invalid_value")}, rtc.SIPIncoming, nil},
		{"accept, not JSON", []sipStep{refused("accept", `{"type":`, 400, "")}, rtc.SIPIncoming, nil},
		{"accept, an array", []sipStep{refused("accept", `[]`, 400, "invalid_type")}, rtc.SIPIncoming, nil},
		{"accept, a bad modality", []sipStep{refused("accept", `{"type":"realtime","output_modalities":["video"]}`, 400, "invalid_value")}, rtc.SIPIncoming, nil},
		{"accept, an unknown member", []sipStep{refused("accept", `{"type":"realtime","colour":"blue"}`, 400, "unknown_parameter")}, rtc.SIPIncoming, nil},
		{"accept on Azure without a deployment", []sipStep{{verb: "accept", azure: true, body: `{"type":"realtime"}`, status: 400, code: "missing_required_parameter"}}, rtc.SIPIncoming, nil},
		{"no key", []sipStep{{verb: "accept", auth: map[string]string{}, body: session, status: 401}}, rtc.SIPIncoming, nil},
		{"wrong key", []sipStep{{verb: "reject", auth: bearer("sk-wrong-key-123"), status: 401, code: "invalid_api_key"}}, rtc.SIPIncoming, nil},
		{"wrong key on Azure", []sipStep{{verb: "accept", azure: true, auth: apiKey("nope"), body: session, status: 401, code: "401"}}, rtc.SIPIncoming, nil},
		{"an ephemeral key cannot accept", []sipStep{{verb: "accept", auth: bearer("ek_whatever1234"), body: session, status: 401, code: "invalid_api_key"}}, rtc.SIPIncoming, nil},
		{"unknown call: accept", []sipStep{{verb: "accept", id: "rtc_u0_nosuchcall", body: session, status: 404, code: "call_not_found"}}, rtc.SIPIncoming, nil},
		{"unknown call: reject", []sipStep{{verb: "reject", id: "rtc_u0_nosuchcall", status: 404, code: "call_not_found"}}, rtc.SIPIncoming, nil},
		{"unknown call: refer", []sipStep{{verb: "refer", id: "rtc_u0_nosuchcall", body: `{"target_uri":"tel:+1"}`, status: 404, code: "call_not_found"}}, rtc.SIPIncoming, nil},
		{"unknown call: hang-up", []sipStep{{verb: "hangup", id: "rtc_u0_nosuchcall", status: 404, code: "call_not_found"}}, rtc.SIPIncoming, nil},
	}
	r, rc := sipRig(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := r.incoming(t, nil)
			rc.next(t)
			for i, s := range tc.steps {
				got := do(t, r.srv.URL, s.request(c.ID))
				if got.status != s.status {
					t.Fatalf("step %d (%s): status %d, want %d: %s", i, s.verb, got.status, s.status, got.body)
				}
				if s.status != 200 {
					if code, typ := got.errorCode(t); code != s.code || (s.status != 401 && typ != "invalid_request_error") {
						t.Errorf("step %d (%s): error code %q type %q, want %q: %s", i, s.verb, code, typ, s.code, got.body)
					}
					continue
				}
				if len(got.body) != 0 || got.headers.Get("Content-Length") != "0" {
					t.Errorf("step %d (%s): 200 with body %q, Content-Length %q", i, s.verb, got.body, got.headers.Get("Content-Length"))
				}
			}
			now, _ := r.h.SIPCall(c.ID)
			if now.State != tc.state {
				t.Fatalf("state %q, want %q (history %v)", now.State, tc.state, now.History)
			}
			if h := now.History; h[0].State != rtc.SIPIncoming || h[len(h)-1].State != tc.state {
				t.Errorf("history %v", h)
			}
			if tc.check != nil {
				tc.check(t, now)
			}
		})
	}
}

func (s sipStep) request(callID string) request {
	id := s.id
	if id == "" {
		id = callID
	}
	prefix := "/v1/realtime/calls/"
	if s.azure {
		prefix = "/openai/v1/realtime/calls/"
	}
	headers := s.auth
	if headers == nil {
		headers = bearer(testKey)
		if s.azure {
			headers = apiKey(testKey)
		}
	}
	return request{path: prefix + id + "/" + s.verb, headers: headers, body: s.body}
}

// TestSIPAcceptInsideWebhook: a receiver that accepts the call before it
// answers the webhook (as the SIP guide's sample does) is not blocked by
// the delivery it is answering.
func TestSIPAcceptInsideWebhook(t *testing.T) {
	r, rc := sipRig(t, nil)
	accepted := make(chan reply, 1)
	rc.during = func(d delivery) {
		accepted <- do(t, r.srv.URL, request{path: "/v1/realtime/calls/" + d.event.Data.CallID + "/accept", headers: bearer(testKey), body: `{"type":"realtime"}`})
	}
	c := r.incoming(t, nil)
	rc.next(t)
	if got := <-accepted; got.status != 200 {
		t.Fatalf("accept inside the webhook: %d %s", got.status, got.body)
	}
	if c.State != rtc.SIPAccepted {
		t.Errorf("IncomingCall returned the call %s, want accepted", c.State)
	}
}

// TestSIPWebhookRefused: a receiver that refuses, one that cannot be
// reached, and no URL at all.
func TestSIPWebhookRefused(t *testing.T) {
	r, rc := sipRig(t, nil)
	rc.status = http.StatusInternalServerError
	c, err := r.h.IncomingCall(context.Background(), nil)
	if !errors.Is(err, rtc.ErrWebhookFailed) || c.Webhook == nil || c.Webhook.Status != 500 || c.State != rtc.SIPIncoming {
		t.Errorf("refused delivery: err %v, call %+v", err, c)
	}
	rc.next(t)
	if got, ok := r.h.SIPCall(c.ID); !ok || got.State != rtc.SIPIncoming {
		t.Errorf("the call after a refused delivery: %+v %v", got, ok)
	}

	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	c, err = r.h.IncomingCall(context.Background(), &rtc.IncomingCall{WebhookURL: gone.URL})
	if !errors.Is(err, rtc.ErrWebhookFailed) || c.Webhook == nil || c.Webhook.Error == "" || c.Webhook.Status != 0 {
		t.Errorf("unreachable receiver: err %v, delivery %+v", err, c.Webhook)
	}
	if _, err := r.h.IncomingCall(context.Background(), &rtc.IncomingCall{WebhookURL: "ftp://example.com/"}); !errors.Is(err, rtc.ErrWebhookURL) {
		t.Errorf("ftp URL: %v", err)
	}
	bare := newRig(t, nil, nil)
	if _, err := bare.h.IncomingCall(context.Background(), nil); !errors.Is(err, rtc.ErrWebhookURL) {
		t.Errorf("no URL: %v", err)
	}
	if _, err := rtc.NewHandler(&rtc.Options{NewSession: bare.factory.NewSession, WebhookSecret: "whsec_***"}); err == nil {
		t.Error("a whsec_ secret that is not base64 was taken")
	}
}

// TestSIPCallEnd: OnSIPCallEnd hears of each call that is over, once,
// and the Handler forgets the oldest ended calls beyond 100.
func TestSIPCallEnd(t *testing.T) {
	ended := make(chan rtc.SIPCall, 200)
	r, rc := sipRig(t, &rtc.Options{OnSIPCallEnd: func(c rtc.SIPCall) { ended <- c }})
	first := r.incoming(t, nil)
	rc.next(t)
	live := r.incoming(t, nil)
	rc.next(t)
	do(t, r.srv.URL, request{path: "/v1/realtime/calls/" + first.ID + "/reject", headers: bearer(testKey), body: `{"status_code":486}`})
	if c := <-ended; c.ID != first.ID || c.State != rtc.SIPRejected || c.StatusCode != 486 {
		t.Errorf("OnSIPCallEnd got %+v", c)
	}
	for range 100 {
		c := r.incoming(t, nil)
		rc.next(t)
		do(t, r.srv.URL, request{path: "/v1/realtime/calls/" + c.ID + "/hangup", headers: bearer(testKey)})
		<-ended
	}
	calls := r.h.SIPCalls()
	if len(calls) != 101 || calls[0].ID != live.ID {
		t.Fatalf("%d calls kept, the first %s; want 101 with the live one %s first", len(calls), calls[0].ID, live.ID)
	}
	if _, ok := r.h.SIPCall(first.ID); ok {
		t.Error("the oldest ended call is still kept")
	}
	if len(ended) != 0 {
		t.Errorf("%d more OnSIPCallEnd calls", len(ended))
	}
}
