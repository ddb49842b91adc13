package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/rtmock/rtmock/mockserver"
)

// ringRequest is the body of POST /__rtmock/sip/calls; every member may be
// left out.
type ringRequest struct {
	WebhookURL string                 `json:"webhook_url"`
	From       string                 `json:"from"`
	To         string                 `json:"to"`
	SIPCallID  string                 `json:"sip_call_id"`
	SIPHeaders []mockserver.SIPHeader `json:"sip_headers"`
}

// parseRing reads a ring request: empty, or one JSON object with only the
// members of ringRequest.
func parseRing(body []byte) (ringRequest, error) {
	var req ringRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return ringRequest{}, errors.New("the body is not a call: " + err.Error() + " (members: webhook_url, from, to, sip_call_id, sip_headers)")
	}
	if dec.More() {
		return ringRequest{}, errors.New("the body is not a call: more than one JSON value")
	}
	return req, nil
}

// ring simulates an incoming SIP call: the mock posts the signed
// realtime.call.incoming webhook and answers with the call once the
// receiver answered (201), or 502 with the call when the receiver could not
// be reached or did not answer 2xx.
func (a *api) ring(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := parseRing(body)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	call, err := a.o.Handler().IncomingSIPCall(r.Context(), &mockserver.IncomingCall{
		WebhookURL: req.WebhookURL, From: req.From, To: req.To, SIPCallID: req.SIPCallID, Headers: req.SIPHeaders,
	})
	switch {
	case errors.Is(err, mockserver.ErrWebhookURL):
		fail(w, http.StatusBadRequest, err.Error()+": start the mock with --sip-webhook URL, or give webhook_url")
	case errors.Is(err, mockserver.ErrWebhookFailed):
		writeJSONStatus(w, http.StatusBadGateway, map[string]any{
			"error": map[string]any{"status": http.StatusBadGateway, "message": err.Error()}, "call": call})
	case err != nil:
		fail(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeJSONStatus(w, http.StatusCreated, map[string]any{"call": call})
	}
}

// sipCalls lists the simulated SIP calls with their states.
func (a *api) sipCalls(w http.ResponseWriter, _ *http.Request) {
	calls := a.o.Handler().SIPCalls()
	if calls == nil {
		calls = []mockserver.SIPCall{}
	}
	writeJSON(w, map[string]any{"calls": calls})
}

// sipCall is one simulated SIP call.
func (a *api) sipCall(w http.ResponseWriter, r *http.Request) {
	c, ok := a.o.Handler().SIPCall(r.PathValue("id"))
	if !ok {
		fail(w, http.StatusNotFound, "no SIP call "+r.PathValue("id")+" (the last 100 calls that are over are kept)")
		return
	}
	writeJSON(w, c)
}
