package rtc

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// SIP call control, simulated: the flow OpenAI's SIP trunking gives a
// telephony client, without SIP or media. A call "comes in" when the mock
// is told so (Handler.IncomingSIPCall): it posts a realtime.call.incoming
// webhook event to the configured URL, signed as OpenAI signs webhooks
// (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>"). The client then answers
// with POST /v1/realtime/calls/{call_id}/accept (a session), /reject (a SIP
// status), /refer (a transfer target) and /hangup. docs/webrtc.md, "SIP call
// control", has the sources and the limits.

// SIP call states.
const (
	SIPIncoming = "incoming"
	SIPAccepted = "accepted"
	SIPRejected = "rejected"
	SIPReferred = "referred"
	SIPEnded    = "ended"
)

// SIPHeader is one header of the simulated INVITE.
type SIPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SIPCall is a simulated SIP call as the Handler keeps it.
type SIPCall struct {
	ID      string          `json:"call_id"`
	State   string          `json:"state"`
	Headers []SIPHeader     `json:"sip_headers"`
	Created time.Time       `json:"created"`
	Session json.RawMessage `json:"session,omitempty"`     // the accepted session, as accept rendered it
	Status  int             `json:"status_code,omitempty"` // the reject's SIP status
	ReferTo string          `json:"target_uri,omitempty"`  // the refer's target
}

// SIPOptions configure the webhook of simulated incoming calls.
type SIPOptions struct {
	// WebhookURL receives realtime.call.incoming; required to simulate a call.
	WebhookURL string
	// WebhookSecret signs the webhooks: "whsec_<base64>" as OpenAI issues
	// them, or any other string used as is. Empty sends them unsigned.
	WebhookSecret string
	// Client posts the webhooks; nil uses a client with a 10 s timeout.
	Client *http.Client
}

// ErrNoWebhook is returned by IncomingSIPCall without SIPOptions.WebhookURL.
var ErrNoWebhook = errors.New("rtc: no SIP webhook URL is configured")

// IncomingSIPCall simulates an incoming SIP call from from to to: it
// registers the call and posts its realtime.call.incoming webhook. extra
// headers follow From, To and Call-ID. The call stays incoming when the
// webhook fails (the error says how), as the service's call would ring on.
func (h *Handler) IncomingSIPCall(ctx context.Context, from, to string, extra []SIPHeader) (*SIPCall, error) {
	o := h.opts.SIP
	if o.WebhookURL == "" {
		return nil, ErrNoWebhook
	}
	c := &SIPCall{ID: h.randomID("rtc_", 24), State: SIPIncoming, Created: h.clock.Now()}
	c.Headers = append([]SIPHeader{{"From", from}, {"To", to}, {"Call-ID", h.randomID("", 24) + "@sip.example"}}, extra...)
	h.mu.Lock()
	h.sip[c.ID] = c
	h.mu.Unlock()
	snapshot := *c
	return &snapshot, h.postIncoming(ctx, c)
}

// postIncoming sends the webhook of call c.
func (h *Handler) postIncoming(ctx context.Context, c *SIPCall) error {
	o := h.opts.SIP
	body, err := json.Marshal(map[string]any{
		"object": "event", "id": h.randomID("evt_", 24), "type": "realtime.call.incoming",
		"created_at": c.Created.Unix(),
		"data":       map[string]any{"call_id": c.ID, "sip_headers": c.Headers},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("rtc: SIP webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	id, ts := h.randomID("wh_", 24), strconv.FormatInt(h.clock.Now().Unix(), 10)
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	if o.WebhookSecret != "" {
		req.Header.Set("webhook-signature", "v1,"+signWebhook(o.WebhookSecret, id, ts, body))
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("rtc: SIP webhook: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("rtc: SIP webhook: %s answered %s", o.WebhookURL, resp.Status)
	}
	return nil
}

// signWebhook is the Standard Webhooks signature: base64 of
// HMAC-SHA256(secret, "id.timestamp.body"), the secret base64-decoded when
// it has the whsec_ prefix.
func signWebhook(secret, id, ts string, body []byte) string {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			key = k
		}
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SIPCalls returns the simulated SIP calls, in no particular order.
func (h *Handler) SIPCalls() []SIPCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]SIPCall, 0, len(h.sip))
	for _, c := range h.sip {
		out = append(out, *c)
	}
	return out
}

// SIPCall returns the simulated SIP call id, if there is one.
func (h *Handler) SIPCall(id string) (SIPCall, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.sip[id]
	if !ok {
		return SIPCall{}, false
	}
	return *c, true
}

// sipActions are the call-control verbs and the states each may follow.
var sipActions = map[routeKind]struct {
	verb string
	from []string
}{
	routeAccept: {"accept", []string{SIPIncoming}},
	routeReject: {"reject", []string{SIPIncoming}},
	routeRefer:  {"refer", []string{SIPAccepted}},
}

// serveSIP answers accept, reject and refer on a SIP call.
func (h *Handler) serveSIP(w http.ResponseWriter, r *http.Request, rt route) {
	if !h.standardKeyOK(credentials(r)) {
		(&authError{rt.provider, credentials(r).value}).write(w)
		return
	}
	body, rerr := readBody(r, 1<<20)
	if rerr != nil {
		rerr.write(w)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.sip[rt.callID]
	if !ok {
		callNotFound(rt.callID).write(w)
		return
	}
	a := sipActions[rt.kind]
	if !contains(a.from, c.State) {
		(&RequestError{Status: http.StatusConflict, Code: "invalid_call_state", Param: "call_id",
			Message: fmt.Sprintf("Call %s is %s; %s needs a call that is %s.", c.ID, c.State, a.verb, strings.Join(a.from, " or "))}).write(w)
		return
	}
	if err := h.applySIP(c, rt.kind, body); err != nil {
		err.write(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// applySIP checks a verb's body and moves the call on.
func (h *Handler) applySIP(c *SIPCall, k routeKind, body []byte) *RequestError {
	var p realtime.Parser
	v, err := p.Parse(bodyOrEmpty(body))
	if err != nil || v.Kind() != realtime.JSONObject {
		return invalidRequest("invalid_json", "", "We could not parse the JSON body of your request.")
	}
	switch k {
	case routeAccept:
		return h.accept(c, v)
	case routeReject:
		return reject(c, v)
	}
	return refer(c, v)
}

func bodyOrEmpty(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}")
	}
	return b
}

// accept takes the session the call is to run: a GA session object, checked
// as a session.update's is.
func (h *Handler) accept(c *SIPCall, v realtime.Value) *RequestError {
	if !v.Get("type").Exists() {
		return invalidRequest("missing_required_parameter", "type", "Missing required parameter: 'type'.")
	}
	model, _ := v.Get("model").Str()
	cur := realtime.DefaultSessionConfig(realtime.GA, model)
	conf, e := realtime.ParseSessionUpdate(realtime.GA, cur, v, nil)
	if e != nil {
		return &RequestError{Status: http.StatusBadRequest, Code: e.Code, Param: strings.TrimPrefix(e.Param, "session."), Message: e.Message}
	}
	conf.ID = h.randomID("sess_", 21)
	c.Session = conf.AppendJSON(nil, realtime.GA)
	c.State = SIPAccepted
	return nil
}

// reject takes an optional SIP status code, 603 Decline by default.
func reject(c *SIPCall, v realtime.Value) *RequestError {
	c.Status = 603
	if s := v.Get("status_code"); s.Exists() {
		n, ok := s.Int()
		if !ok || n < 400 || n > 699 {
			return invalidRequest("invalid_value", "status_code", "Invalid 'status_code': expected a SIP status code from 400 to 699.")
		}
		c.Status = int(n)
	}
	c.State = SIPRejected
	return nil
}

// refer takes the transfer target, a tel: or sip: URI.
func refer(c *SIPCall, v realtime.Value) *RequestError {
	t, ok := v.Get("target_uri").Str()
	switch {
	case !v.Get("target_uri").Exists():
		return invalidRequest("missing_required_parameter", "target_uri", "Missing required parameter: 'target_uri'.")
	case !ok || !(strings.HasPrefix(t, "tel:") || strings.HasPrefix(t, "sip:")) || len(t) < 5:
		return invalidRequest("invalid_value", "target_uri", "Invalid 'target_uri': expected a tel: or sip: URI.")
	}
	c.ReferTo, c.State = t, SIPReferred
	return nil
}

// serveSIPHangup answers a hang-up of a SIP call; false when rt names
// none (SIP is OpenAI's: Azure's hang-up knows WebRTC calls only).
func (h *Handler) serveSIPHangup(w http.ResponseWriter, rt route) bool {
	if rt.provider != OpenAI {
		return false
	}
	rerr, ok := h.hangupSIP(rt.callID)
	switch {
	case !ok:
		return false
	case rerr != nil:
		rerr.write(w)
	default:
		w.WriteHeader(http.StatusOK)
	}
	return true
}

// hangupSIP ends a SIP call; it reports whether id was one.
func (h *Handler) hangupSIP(id string) (*RequestError, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.sip[id]
	if !ok {
		return nil, false
	}
	if c.State != SIPAccepted && c.State != SIPReferred {
		return &RequestError{Status: http.StatusConflict, Code: "invalid_call_state", Param: "call_id",
			Message: fmt.Sprintf("Call %s is %s; hangup needs a call that is accepted.", c.ID, c.State)}, true
	}
	c.State = SIPEnded
	return nil, true
}

func callNotFound(id string) *RequestError {
	return &RequestError{Status: http.StatusNotFound, Code: "call_not_found", Param: "call_id", Message: "Call " + id + " not found."}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
