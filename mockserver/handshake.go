package mockserver

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/rtmock/rtmock/realtime"
)

// Provider is the service a session imitates, chosen by the URL path.
type Provider string

// Providers.
const (
	Azure  Provider = "azure"
	OpenAI Provider = "openai"
)

// handshakeInfo is what the upgrade request decided.
type handshakeInfo struct {
	provider     Provider
	dialect      realtime.Dialect
	path         string
	query        map[string]string
	model        string // deployment (Azure) or model (OpenAI)
	apiVersion   string
	subprotocols []string          // the one subprotocol to echo, if any
	offered      []string          // the subprotocols the client offered, keys left out
	header       map[string]string // non-secret handshake headers
	// fatal is set on the OpenAI path for failures the service reports
	// after the upgrade: an error event, then a close with closeCode.
	beta      bool // the client sent the beta marker
	fatal     *realtime.Error
	closeCode int
	closeWhy  string
	// accepted is the session a simulated SIP call was accepted with, on
	// the call's control WebSocket (?call_id=); nil otherwise.
	accepted json.RawMessage
}

// httpError is a refusal before the upgrade, as Azure answers, or in
// the OpenAI API's error shape.
type httpError struct {
	status int
	code   string
	msg    string
	openAI bool // {"error":{"message","type","param","code"}}
	param  any  // the body's param: nil is null
}

func (e *httpError) writeHTTP(w http.ResponseWriter) {
	if !e.openAI {
		writeJSONError(w, e.status, e.code, e.msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": e.msg, "type": realtime.InvalidRequestError, "param": e.param, "code": e.code}})
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

const (
	subprotoRealtime = realtime.SubprotocolRealtime
	subprotoBeta     = realtime.SubprotocolBeta
	subprotoKey      = realtime.SubprotocolKey
)

// safeHeaders are the handshake headers a session record keeps: none of
// them carries a secret.
var safeHeaders = []string{"OpenAI-Beta", "User-Agent", "X-Ms-Client-Request-Id"}

// handshake routes the upgrade request: /openai/realtime (Azure preview),
// /openai/v1/realtime (Azure GA), /v1/realtime (OpenAI; preview with the
// beta header or subprotocol, GA otherwise), then checks the key.
func handshake(r *http.Request, cfg *config) (*handshakeInfo, *httpError) {
	q := r.URL.Query()
	info := &handshakeInfo{path: r.URL.Path, query: map[string]string{}}
	for k, v := range q {
		if len(v) > 0 && k != "api-key" {
			info.query[k] = v[0]
		}
	}
	offered := offeredSubprotocols(r)
	if herr := info.route(r, q, offered); herr != nil {
		return nil, herr
	}
	if herr := info.authorize(r, cfg, offered); herr != nil {
		return nil, herr
	}
	if info.provider == OpenAI && info.fatal == nil {
		info.checkOpenAI(q, cfg)
	}
	info.subprotocols = chooseSubprotocol(offered)
	info.describe(r, offered)
	return info, nil
}

// checkOpenAI refuses, after the upgrade and with close 4000 as the service
// does, what OpenAI's GA service no longer takes: the beta marker (unless
// the server keeps the beta dialect), a missing model, an unknown one.
func (info *handshakeInfo) checkOpenAI(q url.Values, cfg *config) {
	var err *realtime.Error
	switch {
	case info.beta && !cfg.OpenAIBeta:
		info.dialect = realtime.GA
		err = realtime.NewBetaShapeDisabledError()
	case info.model == "" && q.Get("intent") == "" && q.Get("call_id") == "":
		err = realtime.NewMissingModelError()
	case info.model != "" && !modelAccepted(info.model, cfg.Models):
		err = realtime.NewInvalidModelError(info.model)
	default:
		return
	}
	info.fatal, info.closeCode, info.closeWhy = err, 4000, err.Type+"."+err.Code
}

// modelAccepted says whether the OpenAI path takes a model name.
func modelAccepted(model string, extra []string) bool {
	if realtime.KnownModel(model) {
		return true
	}
	for _, m := range extra {
		if m == "*" || m == model {
			return true
		}
	}
	return false
}

// route decides provider, dialect and model from the path and query.
func (info *handshakeInfo) route(r *http.Request, q url.Values, offered []string) *httpError {
	beta := strings.EqualFold(strings.TrimSpace(r.Header.Get("OpenAI-Beta")), "realtime=v1") || contains(offered, subprotoBeta)
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/openai/realtime":
		info.provider, info.dialect = Azure, realtime.Preview
		info.apiVersion = q.Get("api-version")
		info.model = q.Get("deployment")
		if q.Get("intent") == "transcription" {
			return info.previewTranscription()
		}
		if info.apiVersion == "" || info.model == "" {
			// Azure answers a preview URL without api-version or deployment
			// with 404 before the upgrade.
			return errNotFound
		}
	case "/openai/v1/realtime":
		info.provider, info.dialect = Azure, realtime.GA
		info.model = q.Get("model")
		if info.model == "" && q.Get("intent") == "" && q.Get("call_id") == "" {
			return &httpError{status: http.StatusBadRequest, code: "BadRequest", msg: "Missing required query parameter: 'model'."}
		}
	case "/v1/realtime":
		info.provider, info.dialect = OpenAI, realtime.GA
		info.beta = beta
		if beta {
			info.dialect = realtime.Preview
		}
		info.model = q.Get("model")
	default:
		return errNotFound
	}
	return nil
}

// previewTranscription checks an Azure preview transcription URL: the
// model goes in transcription_session.update, and Azure refuses a
// deployment in the URL with 400 (reported 2026-02,
// gh:fastrepl/anarlog#4193).
func (info *handshakeInfo) previewTranscription() *httpError {
	if info.apiVersion == "" {
		return errNotFound
	}
	if info.model != "" {
		return &httpError{status: http.StatusBadRequest, code: "BadRequest", msg: "The deployment query parameter is not supported with intent=transcription; name the transcription model in transcription_session.update."}
	}
	return nil
}

var errNotFound = &httpError{status: http.StatusNotFound, code: "404", msg: "Resource not found"}

// authorize checks the key when the server has one: Azure refuses before
// the upgrade; the OpenAI service upgrades, reports and closes with 3000.
func (info *handshakeInfo) authorize(r *http.Request, cfg *config, offered []string) *httpError {
	if cfg.APIKey == "" {
		return nil
	}
	key, bearer := credentials(r, offered)
	got := key
	if got == "" {
		got = bearer
	}
	if got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(cfg.APIKey)) == 1 {
		return nil
	}
	if info.provider == Azure {
		return &httpError{status: http.StatusUnauthorized, code: "401", msg: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}
	}
	info.closeCode = 3000
	if got == "" {
		info.fatal, info.closeWhy = realtime.NewMissingAuthError(), "invalid_request_error"
	} else {
		info.fatal, info.closeWhy = realtime.NewInvalidAPIKeyError(got), "invalid_request_error.invalid_api_key"
	}
	return nil
}

// describe keeps what observers may see of the handshake: the offered
// subprotocols without keys and the non-secret headers.
func (info *handshakeInfo) describe(r *http.Request, offered []string) {
	for _, p := range offered {
		if !strings.HasPrefix(p, subprotoKey) {
			info.offered = append(info.offered, p)
		}
	}
	for _, k := range safeHeaders {
		if v := r.Header.Get(k); v != "" {
			if info.header == nil {
				info.header = map[string]string{}
			}
			info.header[k] = truncateForLog(v)
		}
	}
}

// credentials returns the api key (header, query or subprotocol) and the
// bearer token, whichever the client sent.
func credentials(r *http.Request, offered []string) (key, bearer string) {
	key = r.Header.Get("api-key")
	if key == "" {
		key = r.URL.Query().Get("api-key")
	}
	for _, p := range offered {
		if strings.HasPrefix(p, subprotoKey) && key == "" {
			key = strings.TrimPrefix(p, subprotoKey)
		}
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	return key, bearer
}

func offeredSubprotocols(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// chooseSubprotocol picks the subprotocol to echo: "realtime" when offered
// (clients such as ws fail the handshake when they offered protocols and get
// none back), else the beta marker, else the first one that carries no
// secret.
func chooseSubprotocol(offered []string) []string {
	if len(offered) == 0 {
		return nil
	}
	for _, want := range []string{subprotoRealtime, subprotoBeta} {
		if contains(offered, want) {
			return []string{want}
		}
	}
	for _, p := range offered {
		if !strings.HasPrefix(p, subprotoKey) {
			return []string{p}
		}
	}
	return []string{offered[0]}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
