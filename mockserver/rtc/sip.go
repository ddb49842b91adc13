package rtc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// SIP call control, without SIP: the mock announces a simulated incoming
// phone call with a signed realtime.call.incoming webhook, and the client
// answers it on the call-control routes (accept, reject, refer, hang-up),
// as it would a call that reached the service through a SIP trunk. No SIP
// message, RTP packet or codec is involved: a call is its state.

// SIPState is where a simulated SIP call is in its life.
type SIPState string

// The states of a SIP call. A call starts incoming; accept or reject
// answer it; refer or hang-up end an accepted one (hang-up also a ringing
// one). Rejected, referred and ended calls are over.
const (
	SIPIncoming SIPState = "incoming"
	SIPAccepted SIPState = "accepted"
	SIPRejected SIPState = "rejected"
	SIPReferred SIPState = "referred"
	SIPEnded    SIPState = "ended"
)

// Over reports whether the call has ended, one way or another.
func (s SIPState) Over() bool { return s == SIPRejected || s == SIPReferred || s == SIPEnded }

// SIPHeader is one header of the (simulated) SIP INVITE, as the webhook
// event lists them.
type SIPHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SIPStep is one state a call took, and when (on the Handler's Clock).
type SIPStep struct {
	State SIPState  `json:"state"`
	At    time.Time `json:"at"`
}

// Delivery is what came of posting a call's webhook.
type Delivery struct {
	URL       string `json:"url"`
	WebhookID string `json:"webhook_id"` // the webhook-id header ("wh_…")
	EventID   string `json:"event_id"`   // the event's id ("evt_…")
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
}

// SIPCall is a simulated SIP call as the Handler keeps it.
type SIPCall struct {
	ID      string      `json:"call_id"`
	State   SIPState    `json:"state"`
	Headers []SIPHeader `json:"sip_headers"`
	Created time.Time   `json:"created_at"`
	// Provider is the service whose route accepted the call; empty before.
	Provider Provider `json:"provider,omitempty"`
	// Session is the accept request's body: the session configuration the
	// call's control WebSocket starts with.
	Session json.RawMessage `json:"session,omitempty"`
	// StatusCode is the SIP status a reject sent (603 unless it named one).
	StatusCode int `json:"status_code,omitempty"`
	// TargetURI is where a refer sent the call.
	TargetURI string    `json:"target_uri,omitempty"`
	History   []SIPStep `json:"history"`
	Webhook   *Delivery `json:"webhook,omitempty"`
}

func (c *SIPCall) clone() SIPCall {
	n := *c
	n.Headers = slices.Clone(c.Headers)
	n.History = slices.Clone(c.History)
	if c.Webhook != nil {
		d := *c.Webhook
		n.Webhook = &d
	}
	return n
}

// IncomingCall describes a simulated incoming call. Every field may be
// left empty.
type IncomingCall struct {
	// WebhookURL is where the realtime.call.incoming event goes; empty
	// means Options.WebhookURL.
	WebhookURL string
	// From and To are the INVITE's From and To headers; empty means
	// sip:+15555550100@sip.example.com calling sip:+15555550199@sip.example.com.
	From, To string
	// SIPCallID is the INVITE's Call-ID header; empty makes a random one.
	SIPCallID string
	// Headers are more INVITE headers, listed after From, To and Call-ID.
	Headers []SIPHeader
}

// Errors of IncomingCall.
var (
	// ErrWebhookURL: no webhook URL was configured or given, or it is not
	// an http or https URL.
	ErrWebhookURL = errors.New("rtc: no usable webhook URL")
	// ErrWebhookFailed: the webhook could not be delivered, or its receiver
	// answered with a status other than 2xx. The call was made all the
	// same, and stays incoming.
	ErrWebhookFailed = errors.New("rtc: webhook not delivered")
)

// maxEndedSIPCalls is how many calls that are over the Handler remembers
// for SIPCalls; the oldest are forgotten first.
const maxEndedSIPCalls = 100

// sipCalls holds the Handler's simulated SIP calls.
type sipCalls struct {
	mu    sync.Mutex
	calls map[string]*SIPCall
	order []string // ids in the order the calls were made
	ended int      // how many of them are over
}

// IncomingCall simulates an incoming SIP call: it makes the call (state
// incoming) and posts the signed realtime.call.incoming event to the
// webhook URL, waiting for the receiver's answer (ctx bounds the wait;
// without a deadline, 10 s). The call exists before the event goes out,
// so a receiver may accept it before it answers. It returns the call with
// its Delivery; ErrWebhookFailed when the receiver could not be reached
// or did not answer 2xx (the call stays incoming: the mock does not retry).
func (h *Handler) IncomingCall(ctx context.Context, in *IncomingCall) (SIPCall, error) {
	if in == nil {
		in = &IncomingCall{}
	}
	target := in.WebhookURL
	if target == "" {
		target = h.opts.WebhookURL
	}
	if target == "" {
		return SIPCall{}, fmt.Errorf("%w: none configured (Options.WebhookURL) or given", ErrWebhookURL)
	}
	if err := checkWebhookURL(target); err != nil {
		return SIPCall{}, err
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return SIPCall{}, ErrServerClosed
	}
	now := h.clock.Now()
	c := &SIPCall{
		ID: h.randomID("rtc_u0_", 21), State: SIPIncoming, Created: now,
		Headers: h.inviteHeaders(in), History: []SIPStep{{SIPIncoming, now}},
	}
	d := &Delivery{URL: target, WebhookID: h.randomHex("wh_"), EventID: h.randomHex("evt_")}
	c.Webhook = d
	body, err := incomingEvent(d.EventID, c, now)
	if err != nil {
		return SIPCall{}, err
	}
	h.sip.add(c.clone())
	err = h.deliver(ctx, d, body, now)
	h.sip.setDelivery(c.ID, d)
	got, _ := h.SIPCall(c.ID)
	return got, err
}

// inviteHeaders are the headers the webhook event lists.
func (h *Handler) inviteHeaders(in *IncomingCall) []SIPHeader {
	from, to, callID := in.From, in.To, in.SIPCallID
	if from == "" {
		from = "sip:+15555550100@sip.example.com"
	}
	if to == "" {
		to = "sip:+15555550199@sip.example.com"
	}
	if callID == "" {
		callID = h.randomUUID()
	}
	hs := []SIPHeader{{"From", from}, {"To", to}, {"Call-ID", callID}}
	return append(hs, in.Headers...)
}

// webhookEvent is the envelope of a webhook event.
type webhookEvent struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt int64  `json:"created_at"`
	Data      any    `json:"data"`
}

// incomingData is the data of a realtime.call.incoming event.
type incomingData struct {
	CallID     string      `json:"call_id"`
	SIPHeaders []SIPHeader `json:"sip_headers"`
}

// incomingEvent renders the realtime.call.incoming webhook event.
func incomingEvent(eventID string, c *SIPCall, now time.Time) ([]byte, error) {
	return json.Marshal(webhookEvent{Object: "event", ID: eventID, Type: "realtime.call.incoming", CreatedAt: now.Unix(),
		Data: incomingData{CallID: c.ID, SIPHeaders: c.Headers}})
}

// randomHex returns prefix and 32 hex digits from the seeded source, the
// form of the service's event and webhook ids.
func (h *Handler) randomHex(prefix string) string {
	const digits = "0123456789abcdef"
	b := []byte(prefix)
	h.rngMu.Lock()
	for range 32 {
		b = append(b, digits[h.rng.IntN(16)])
	}
	h.rngMu.Unlock()
	return string(b)
}

// randomUUID returns a version 4 UUID from the seeded source.
func (h *Handler) randomUUID() string {
	var u [16]byte
	h.rngMu.Lock()
	for i := range u {
		u[i] = byte(h.rng.UintN(256))
	}
	h.rngMu.Unlock()
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// WebhookSecret is the secret the Handler signs webhooks with:
// Options.WebhookSecret, or the one it made from its seed.
func (h *Handler) WebhookSecret() string { return h.secret }

// SIPCall returns the simulated SIP call id, if the Handler knows it.
func (h *Handler) SIPCall(id string) (SIPCall, bool) {
	h.sip.mu.Lock()
	defer h.sip.mu.Unlock()
	c := h.sip.calls[id]
	if c == nil {
		return SIPCall{}, false
	}
	return c.clone(), true
}

// SIPCalls returns the simulated SIP calls the Handler knows, oldest
// first: every call that is not over, and the last 100 that are.
func (h *Handler) SIPCalls() []SIPCall {
	h.sip.mu.Lock()
	defer h.sip.mu.Unlock()
	out := make([]SIPCall, 0, len(h.sip.order))
	for _, id := range h.sip.order {
		out = append(out, h.sip.calls[id].clone())
	}
	return out
}

func (s *sipCalls) add(c SIPCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls = map[string]*SIPCall{}
	}
	s.calls[c.ID] = &c
	s.order = append(s.order, c.ID)
}

func (s *sipCalls) setDelivery(id string, d *Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calls[id]; c != nil {
		dd := *d
		c.Webhook = &dd
	}
}

// sipOp is a call-control request.
type sipOp string

const (
	opAccept sipOp = "accept"
	opReject sipOp = "reject"
	opRefer  sipOp = "refer"
	opHangup sipOp = "hangup"
)

// sipMoves is the state machine: from which states each request is taken,
// and the state it leads to.
var sipMoves = map[sipOp]struct {
	from []SIPState
	to   SIPState
}{
	opAccept: {[]SIPState{SIPIncoming}, SIPAccepted},
	opReject: {[]SIPState{SIPIncoming}, SIPRejected},
	opRefer:  {[]SIPState{SIPAccepted}, SIPReferred},
	opHangup: {[]SIPState{SIPIncoming, SIPAccepted}, SIPEnded},
}

// move applies op to the call id: 404 for a call the Handler does not
// know, 409 for one whose state does not take op. apply fills in what the
// request carried. A call that is over afterwards is reported to
// Options.OnSIPCallEnd.
func (h *Handler) move(id string, op sipOp, apply func(*SIPCall)) (SIPCall, *RequestError) {
	m := sipMoves[op]
	s := &h.sip
	s.mu.Lock()
	c := s.calls[id]
	if c == nil {
		s.mu.Unlock()
		return SIPCall{}, callNotFound(id)
	}
	if !slices.Contains(m.from, c.State) {
		st := c.State
		s.mu.Unlock()
		return SIPCall{}, &RequestError{Status: http.StatusConflict, Code: "invalid_call_state", Param: "call_id",
			Message: fmt.Sprintf("Call %s is %s: it cannot be %s.", id, st, opPast[op])}
	}
	if apply != nil {
		apply(c)
	}
	c.State = m.to
	c.History = append(c.History, SIPStep{m.to, h.clock.Now()})
	out := c.clone()
	if m.to.Over() {
		s.ended++
		s.forgetOld()
	}
	s.mu.Unlock()
	if m.to.Over() && h.opts.OnSIPCallEnd != nil {
		h.opts.OnSIPCallEnd(out)
	}
	return out, nil
}

// opPast words an operation for the conflict message.
var opPast = map[sipOp]string{opAccept: "accepted", opReject: "rejected", opRefer: "referred", opHangup: "hung up"}

// forgetOld drops the oldest calls that are over beyond maxEndedSIPCalls.
func (s *sipCalls) forgetOld() {
	for i := 0; s.ended > maxEndedSIPCalls && i < len(s.order); {
		id := s.order[i]
		if !s.calls[id].State.Over() {
			i++
			continue
		}
		delete(s.calls, id)
		s.order = slices.Delete(s.order, i, i+1)
		s.ended--
	}
}

func callNotFound(id string) *RequestError {
	return &RequestError{Status: http.StatusNotFound, Code: "call_not_found", Param: "call_id", Message: "Call " + id + " not found."}
}
