package mockserver

import (
	"context"
	"net/http"

	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/realtime"
)

// Simulated SIP calls (call control only, no media): the rtc package keeps
// each call's state and serves the call-control routes; the mock serves the
// call's control WebSocket (GET /v1/realtime?call_id=…) as a session of
// the core that starts from the session the client accepted the call with,
// and closes that session when the call is over.

// The SIP types of the rtc package, for users of this one.
type (
	// SIPCall is a simulated SIP call: its id, state, INVITE headers,
	// accepted session, and what came of its webhook.
	SIPCall = rtc.SIPCall
	// SIPHeader is one header of a simulated SIP INVITE.
	SIPHeader = rtc.SIPHeader
	// IncomingCall describes a simulated incoming call.
	IncomingCall = rtc.IncomingCall
)

// Errors of IncomingSIPCall.
var (
	// ErrWebhookURL: no webhook URL was configured (Options.SIPWebhookURL)
	// or given, or it is not an http or https URL.
	ErrWebhookURL = rtc.ErrWebhookURL
	// ErrWebhookFailed: the webhook could not be delivered or was answered
	// with a status other than 2xx; the call was made and stays incoming.
	ErrWebhookFailed = rtc.ErrWebhookFailed
)

// IncomingSIPCall simulates an incoming SIP call: the signed
// realtime.call.incoming webhook event goes to Options.SIPWebhookURL (or
// in.WebhookURL), and the client answers on the call-control routes
// (docs/sip.md). It returns once the receiver answered the webhook.
func (h *Handler) IncomingSIPCall(ctx context.Context, in *IncomingCall) (SIPCall, error) {
	return h.rtc.IncomingCall(ctx, in)
}

// SIPCalls returns the simulated SIP calls, oldest first: those not over,
// and the last 100 that are.
func (h *Handler) SIPCalls() []SIPCall { return h.rtc.SIPCalls() }

// SIPCall returns the simulated SIP call id (rtc_…), if known.
func (h *Handler) SIPCall(id string) (SIPCall, bool) { return h.rtc.SIPCall(id) }

// SIPWebhookSecret is the secret the SIP webhooks are signed with:
// Options.SIPWebhookSecret, or the whsec_ secret made from the seed.
func (h *Handler) SIPWebhookSecret() string { return h.rtc.WebhookSecret() }

// IncomingSIPCall simulates an incoming SIP call (Handler.IncomingSIPCall).
func (s *Server) IncomingSIPCall(ctx context.Context, in *IncomingCall) (SIPCall, error) {
	return s.handler.IncomingSIPCall(ctx, in)
}

// SIPCalls returns the simulated SIP calls (Handler.SIPCalls).
func (s *Server) SIPCalls() []SIPCall { return s.handler.SIPCalls() }

// SIPWebhookSecret is the secret the SIP webhooks are signed with.
func (s *Server) SIPWebhookSecret() string { return s.handler.SIPWebhookSecret() }

// sipControl decides what a WebSocket with ?call_id= of a simulated SIP
// call gets: the accepted session, or 404 call_id_not_found when the call
// is not (or no longer) accepted, as the service answers a control socket
// of a call it has not established. Other call ids are callControl's
// (control.go): WebRTC calls, and ids of no call.
func (h *Handler) sipControl(hs *handshakeInfo) *httpError {
	id := hs.query["call_id"]
	if id == "" || hs.fatal != nil {
		return nil
	}
	c, ok := h.rtc.SIPCall(id)
	if !ok {
		return nil
	}
	if c.State != rtc.SIPAccepted {
		return &httpError{status: http.StatusNotFound, code: "call_id_not_found", openAI: true,
			msg: "Call " + id + " is " + string(c.State) + ": only an accepted call has a control WebSocket."}
	}
	hs.accepted = c.Session
	return nil
}

// applyAccepted starts a control session from the session its call was
// accepted with, as a session.update would set it. The accept route
// validated it for the GA dialect; a control socket of another dialect
// keeps its defaults.
func (m *sim) applyAccepted() {
	raw := m.hs.accepted
	if raw == nil {
		return
	}
	var p realtime.Parser
	v, err := p.Parse(raw)
	if err != nil {
		return
	}
	conf, e := realtime.ParseSessionUpdate(m.dialect, m.conf, v, &realtime.SessionUpdateOptions{AzureFormats: m.hs.provider == Azure})
	if e == nil {
		m.conf = conf
	}
}

// sipCallOver closes a control session whose call ended between its
// handshake and its start (endSIPControl, which ran before the session was
// tracked, did not see it) and reports whether it did.
func (m *sim) sipCallOver() bool {
	if m.hs.accepted == nil {
		return false
	}
	c, ok := m.h.rtc.SIPCall(m.hs.query["call_id"])
	if ok && c.State == rtc.SIPAccepted {
		return false
	}
	m.closeWith(1000, "call "+string(c.State))
	return true
}

// endSIPControl closes the control sessions of a call that is over with
// 1000, as the call's end ends its session.
func (h *Handler) endSIPControl(c rtc.SIPCall) {
	h.mu.Lock()
	var live []*session
	for s := range h.sessions {
		if s.hs.query["call_id"] == c.ID && s.hs.accepted != nil {
			live = append(live, s)
		}
	}
	h.mu.Unlock()
	for _, s := range live {
		s.lock()
		s.closeWith(1000, "call "+string(c.State))
		s.unlock()
	}
}
