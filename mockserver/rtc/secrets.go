package rtc

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// maxJSONBody bounds a client-secret request.
const maxJSONBody = 1 << 20

// The range of expires_after.seconds, as OpenAI documents it.
const (
	minKeySeconds = 10
	maxKeySeconds = 7200
)

// serveSecret mints an ephemeral key: OpenAI and Azure GA answer
// {value, expires_at, session}; Azure preview answers the session with a
// client_secret {value, expires_at} inside.
func (h *Handler) serveSecret(w http.ResponseWriter, r *http.Request, rt route) {
	cred := credentials(r)
	if !h.standardKeyOK(cred) {
		(&authError{rt.provider, cred.value}).write(w)
		return
	}
	body, rerr := readBody(r, maxJSONBody)
	if rerr != nil {
		rerr.write(w)
		return
	}
	req, ttl, model, rerr := h.parseSecretRequest(body, rt)
	if rerr != nil {
		rerr.write(w)
		return
	}
	effective, err := h.render(req)
	if err != nil {
		writeCallbackError(w, err)
		return
	}
	now := h.clock.Now()
	expires := now.Add(ttl)
	value := h.randomID(ephemeralPrefix, 32)
	var out map[string]any
	if rt.dialect == realtime.Preview {
		var flat map[string]any
		if err := json.Unmarshal(effective, &flat); err != nil || flat == nil {
			writeCallbackError(w, errors.New("rtc: RenderSession returned no JSON object"))
			return
		}
		if _, ok := flat["id"]; !ok {
			flat["id"] = h.randomID("sess_", 22)
		}
		if _, ok := flat["object"]; !ok {
			flat["object"] = "realtime.session"
		}
		flat["client_secret"] = map[string]any{"value": value, "expires_at": expires.Unix()}
		out = flat
		effective, _ = json.Marshal(flat)
	} else {
		out = map[string]any{"value": value, "expires_at": expires.Unix(), "session": effective}
	}
	h.keys.add(value, &key{provider: rt.provider, dialect: rt.dialect, model: model, session: effective, expires: expires}, now)
	writeJSON(w, http.StatusOK, out)
}

// parseSecretRequest checks the request's envelope and returns the session
// to render, the key's lifetime and the model or deployment it names.
func (h *Handler) parseSecretRequest(body []byte, rt route) (*SessionRequest, time.Duration, string, *RequestError) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, 0, "", invalidRequest("", "", errNotJSON)
	}
	req := &SessionRequest{Provider: rt.provider, Dialect: rt.dialect}
	if rt.dialect == realtime.Preview {
		req.Session = body
		model := stringField(top, "model")
		if model == "" {
			return nil, 0, "", invalidRequest("missing_required_parameter", "model", "Missing required parameter: 'model'.")
		}
		return req, h.opts.PreviewKeyTTL, model, nil
	}
	ttl, rerr := h.keyTTL(top["expires_after"])
	if rerr != nil {
		return nil, 0, "", rerr
	}
	model := ""
	if raw, ok := top["session"]; ok && !isNull(raw) {
		var s map[string]json.RawMessage
		if err := json.Unmarshal(raw, &s); err != nil || s == nil {
			return nil, 0, "", invalidRequest("invalid_type", "session", "Invalid type for 'session': expected an object, but got %s instead.", jsonKind(raw))
		}
		req.Session = raw
		model = stringField(s, "model")
	}
	if rt.provider == Azure && model == "" {
		return nil, 0, "", invalidRequest("missing_required_parameter", "session.model", "Missing required parameter: 'session.model'.")
	}
	return req, ttl, model, nil
}

// keyTTL reads expires_after: {anchor: "created_at", seconds: 10…7200}.
func (h *Handler) keyTTL(raw json.RawMessage) (time.Duration, *RequestError) {
	if raw == nil || isNull(raw) {
		return h.opts.KeyTTL, nil
	}
	var ea map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ea); err != nil || ea == nil {
		return 0, invalidRequest("invalid_type", "expires_after", "Invalid type for 'expires_after': expected an object, but got %s instead.", jsonKind(raw))
	}
	if a, ok := ea["anchor"]; ok {
		var anchor string
		if json.Unmarshal(a, &anchor) != nil || anchor != "created_at" {
			return 0, invalidRequest("invalid_value", "expires_after.anchor", "Invalid value: %s. Supported values are: 'created_at'.", string(a))
		}
	}
	s, ok := ea["seconds"]
	if !ok {
		return h.opts.KeyTTL, nil
	}
	var secs float64
	if err := json.Unmarshal(s, &secs); err != nil || secs != math.Trunc(secs) {
		return 0, invalidRequest("invalid_type", "expires_after.seconds", "Invalid type for 'expires_after.seconds': expected an integer, but got %s instead.", jsonKind(s))
	}
	switch {
	case secs < minKeySeconds:
		return 0, invalidRequest("integer_below_min_value", "expires_after.seconds", "Invalid 'expires_after.seconds': integer below minimum value. Expected a value >= %d, but got %d instead.", minKeySeconds, int64(secs))
	case secs > maxKeySeconds:
		return 0, invalidRequest("integer_above_max_value", "expires_after.seconds", "Invalid 'expires_after.seconds': integer above maximum value. Expected a value <= %d, but got %d instead.", maxKeySeconds, int64(secs))
	}
	return time.Duration(secs) * time.Second, nil
}

// render asks Options.RenderSession for the effective session, or renders
// the request itself.
func (h *Handler) render(req *SessionRequest) (json.RawMessage, error) {
	if h.opts.RenderSession != nil {
		return h.opts.RenderSession(req)
	}
	s := map[string]json.RawMessage{}
	if req.Session != nil {
		if err := json.Unmarshal(req.Session, &s); err != nil {
			return nil, err
		}
	}
	if req.Dialect == realtime.GA {
		if _, ok := s["type"]; !ok {
			s["type"] = json.RawMessage(`"realtime"`)
		}
	}
	return json.Marshal(s)
}

// writeCallbackError answers an error from NewSession or RenderSession.
func writeCallbackError(w http.ResponseWriter, err error) {
	var re *RequestError
	if errors.As(err, &re) {
		re.write(w)
		return
	}
	(&RequestError{Status: http.StatusInternalServerError, Type: "server_error", Message: "The server had an error while processing your request: " + err.Error()}).write(w)
}

func stringField(m map[string]json.RawMessage, name string) string {
	var s string
	if raw, ok := m[name]; ok {
		json.Unmarshal(raw, &s)
	}
	return s
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonKind names a JSON value's kind for an error message.
func jsonKind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
