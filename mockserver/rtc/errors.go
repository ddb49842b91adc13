package rtc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// RequestError is a refusal in the service's words. Options.NewSession and
// Options.RenderSession return one to answer with Status and this body;
// any other error they return becomes a 500.
type RequestError struct {
	Status  int
	Type    string // "invalid_request_error" when empty
	Code    string // JSON null when empty
	Param   string // JSON null when empty
	Message string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("rtc: HTTP %d: %s", e.Status, e.Message)
}

// write sends the error as the OpenAI API (and Azure's v1 API, which
// follows it) does: {"error":{"message","type","param","code"}}.
func (e *RequestError) write(w http.ResponseWriter) {
	typ := e.Type
	if typ == "" {
		typ = "invalid_request_error"
	}
	body := map[string]any{"error": map[string]any{
		"message": e.Message,
		"type":    typ,
		"param":   nullable(e.Param),
		"code":    nullable(e.Code),
	}}
	writeJSON(w, e.Status, body)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// invalidRequest is a 400 invalid_request_error.
func invalidRequest(code, param, format string, args ...any) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

// authError answers a missing, wrong, expired or spent key: OpenAI's 401
// invalid_api_key, or Azure's 401 (the body the Azure WebSocket routes of
// the mock send too).
type authError struct {
	provider Provider
	key      string // what the client sent; "" when it sent nothing
}

func (e *authError) write(w http.ResponseWriter) {
	if e.provider == Azure {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{
			"code":    "401",
			"message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
		}})
		return
	}
	if e.key == "" {
		(&RequestError{Status: http.StatusUnauthorized, Message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."}).write(w)
		return
	}
	(&RequestError{
		Status:  http.StatusUnauthorized,
		Code:    "invalid_api_key",
		Message: "Incorrect API key provided: " + maskKey(e.key) + ". You can find your API key at https://platform.openai.com/account/api-keys.",
	}).write(w)
}

// maskKey shows the first 3 and last 4 characters of a key, as the service
// does in its messages, and never the rest.
func maskKey(k string) string {
	if len(k) <= 8 {
		return strings.Repeat("*", len(k))
	}
	return k[:3] + strings.Repeat("*", len(k)-7) + k[len(k)-4:]
}

func notFound(w http.ResponseWriter) {
	(&RequestError{Status: http.StatusNotFound, Message: "Resource not found"}).write(w)
}
