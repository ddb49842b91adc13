package rtc

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strings"

	"github.com/rtmock/rtmock/realtime"
)

// maxSIPBody bounds a reject or refer request.
const maxSIPBody = 64 << 10

// defaultRejectStatus is the SIP status a reject sends when it names none:
// 603 Decline (openai-node CallRejectParams, the SIP guide).
const defaultRejectStatus = 603

// The SIP statuses a reject may send: the final failure responses (4xx,
// 5xx, 6xx). The range is the mock's; the service's is not documented.
const (
	minRejectStatus = 400
	maxRejectStatus = 699
)

// errNotJSON is the service's answer to a body that is not JSON.
const errNotJSON = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"

// serveSIP answers accept, reject and refer on a simulated SIP call: 200
// with an empty body, 404 for a call the Handler does not know, 400 for a
// body the request does not take, 409 for a call whose state does not
// take the request.
func (h *Handler) serveSIP(w http.ResponseWriter, r *http.Request, rt route) {
	cred := credentials(r)
	if !h.standardKeyOK(cred) {
		(&authError{rt.provider, cred.value}).write(w)
		return
	}
	if _, ok := h.SIPCall(rt.callID); !ok {
		callNotFound(rt.callID).write(w)
		return
	}
	limit := int64(maxSIPBody)
	if rt.kind == routeAccept {
		limit = maxJSONBody
	}
	body, rerr := readBody(r, limit)
	if rerr != nil {
		rerr.write(w)
		return
	}
	op, apply, rerr := sipRequest(rt, body)
	if rerr != nil {
		rerr.write(w)
		return
	}
	if _, rerr := h.move(rt.callID, op, apply); rerr != nil {
		rerr.write(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// sipRequest reads the body of a call-control request into the change it
// makes to the call.
func sipRequest(rt route, body []byte) (sipOp, func(*SIPCall), *RequestError) {
	switch rt.kind {
	case routeAccept:
		session, rerr := parseAccept(rt.provider, body)
		return opAccept, func(c *SIPCall) { c.Session, c.Provider = session, rt.provider }, rerr
	case routeReject:
		status, rerr := parseReject(body)
		return opReject, func(c *SIPCall) { c.StatusCode = status }, rerr
	default:
		uri, rerr := parseRefer(body)
		return opRefer, func(c *SIPCall) { c.TargetURI = uri }, rerr
	}
}

// parseAccept checks an accept request's body, a session configuration
// as a session.update carries it ("the same parameters you would send in a
// create client secret request", the SIP guide): type "realtime" is
// required, and on Azure the model (the deployment). It returns the body,
// compacted.
func parseAccept(provider Provider, body []byte) (json.RawMessage, *RequestError) {
	var p realtime.Parser
	v, err := p.Parse(body)
	if err != nil {
		return nil, invalidRequest("", "", errNotJSON)
	}
	if v.Kind() != realtime.JSONObject {
		return nil, invalidRequest("invalid_type", "", "Invalid type for the request body: expected an object, but got %s instead.", jsonKind(body))
	}
	conf, e := realtime.ParseSessionUpdate(realtime.GA, realtime.DefaultSessionConfig(realtime.GA, ""), v,
		&realtime.SessionUpdateOptions{AzureFormats: provider == Azure})
	if e != nil {
		return nil, &RequestError{Status: http.StatusBadRequest, Type: e.Type, Code: e.Code, Param: e.Param, Message: e.Message}
	}
	if conf.Type != "realtime" {
		e := realtime.NewInvalidValueError("session.type", conf.Type, []string{"realtime"})
		return nil, invalidRequest(e.Code, e.Param, "%s", e.Message)
	}
	if m, _ := v.Get("model").Str(); provider == Azure && m == "" {
		return nil, invalidRequest("missing_required_parameter", "session.model", "Missing required parameter: 'session.model'.")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, body); err != nil {
		return nil, invalidRequest("", "", errNotJSON)
	}
	return b.Bytes(), nil
}

// jsonObject reads a body that must be a JSON object; an empty body or
// null is an empty object when emptyOK.
func jsonObject(body []byte, emptyOK bool) (map[string]json.RawMessage, *RequestError) {
	body = bytes.TrimSpace(body)
	if emptyOK && (len(body) == 0 || string(body) == "null") {
		return map[string]json.RawMessage{}, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, invalidRequest("", "", errNotJSON)
	}
	if top == nil {
		return nil, invalidRequest("invalid_type", "", "Invalid type for the request body: expected an object, but got %s instead.", jsonKind(body))
	}
	return top, nil
}

// onlyMembers refuses a member other than the one named.
func onlyMembers(top map[string]json.RawMessage, name string) *RequestError {
	for k := range top {
		if k != name {
			return invalidRequest("unknown_parameter", k, "Unknown parameter: '%s'.", k)
		}
	}
	return nil
}

// parseReject reads {"status_code"?: 400…699}; 603 without one.
func parseReject(body []byte) (int, *RequestError) {
	top, rerr := jsonObject(body, true)
	if rerr == nil {
		rerr = onlyMembers(top, "status_code")
	}
	if rerr != nil {
		return 0, rerr
	}
	raw, ok := top["status_code"]
	if !ok || isNull(raw) {
		return defaultRejectStatus, nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err != nil || n != math.Trunc(n) {
		return 0, invalidRequest("invalid_type", "status_code", "Invalid type for 'status_code': expected an integer, but got %s instead.", jsonKind(raw))
	}
	switch {
	case n < minRejectStatus:
		return 0, invalidRequest("integer_below_min_value", "status_code", "Invalid 'status_code': integer below minimum value. Expected a value >= %d, but got %.0f instead.", minRejectStatus, n)
	case n > maxRejectStatus:
		return 0, invalidRequest("integer_above_max_value", "status_code", "Invalid 'status_code': integer above maximum value. Expected a value <= %d, but got %.0f instead.", maxRejectStatus, n)
	}
	return int(n), nil
}

// referSchemes are the URI schemes a refer's target_uri may have: the
// guide's examples (tel:, sip:) and SIP over TLS (sips:).
var referSchemes = []string{"tel:", "sip:", "sips:"}

// parseRefer reads {"target_uri": "tel:…" | "sip:…" | "sips:…"}.
func parseRefer(body []byte) (string, *RequestError) {
	top, rerr := jsonObject(body, false)
	if rerr == nil {
		rerr = onlyMembers(top, "target_uri")
	}
	if rerr != nil {
		return "", rerr
	}
	raw, ok := top["target_uri"]
	if !ok || isNull(raw) {
		return "", invalidRequest("missing_required_parameter", "target_uri", "Missing required parameter: 'target_uri'.")
	}
	var uri string
	if err := json.Unmarshal(raw, &uri); err != nil {
		return "", invalidRequest("invalid_type", "target_uri", "Invalid type for 'target_uri': expected a string, but got %s instead.", jsonKind(raw))
	}
	for _, s := range referSchemes {
		if len(uri) > len(s) && strings.EqualFold(uri[:len(s)], s) {
			return uri, nil
		}
	}
	return "", invalidRequest("invalid_value", "target_uri", "Invalid 'target_uri': %q is not a tel:, sip: or sips: URI.", uri)
}
