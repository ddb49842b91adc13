package rtc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/mockserver/rtc/rtctest"
	"github.com/rtmock/rtmock/realtime"
)

// request is one HTTP request of a route test.
type request struct {
	method  string
	path    string
	headers map[string]string
	body    string
	ctype   string // Content-Type; application/json when body is set and ctype is not
}

type reply struct {
	status  int
	headers http.Header
	body    []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.body)
	}
	return m
}

// errorCode returns error.code and error.type of an error body.
func (r reply) errorCode(t *testing.T) (code, typ string) {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object in %s", r.body)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without a message: %s", r.body)
	}
	code, _ = e["code"].(string)
	typ, _ = e["type"].(string)
	return code, typ
}

func do(t *testing.T, base string, q request) reply {
	t.Helper()
	method := q.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, base+q.path, strings.NewReader(q.body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case q.ctype != "":
		req.Header.Set("Content-Type", q.ctype)
	case q.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func bearer(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
func apiKey(k string) map[string]string { return map[string]string{"api-key": k} }

// TestSecretRoutes checks the three ephemeral-key routes over HTTP: what
// they accept, what they answer, and each refusal.
func TestSecretRoutes(t *testing.T) {
	r := newRig(t, nil, nil)
	now := r.clock.Now().Unix()
	cases := []struct {
		name   string
		req    request
		status int
		code   string // error.code of a refusal
		check  func(t *testing.T, m map[string]any)
	}{
		{"openai: no key", request{path: "/v1/realtime/client_secrets", body: `{}`}, 401, "", nil},
		{"openai: wrong key", request{path: "/v1/realtime/client_secrets", headers: bearer("sk-wrong-key-123"), body: `{}`}, 401, "invalid_api_key", nil},
		{"openai: an ephemeral key cannot mint", request{path: "/v1/realtime/client_secrets", headers: bearer("ek_whatever1234"), body: `{}`}, 401, "invalid_api_key", nil},
		{"openai: body not JSON", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"session":`}, 400, "", nil},
		{"openai: session not an object", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"session":"x"}`}, 400, "invalid_type", nil},
		{"openai: expiry below 10 s", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"expires_after":{"anchor":"created_at","seconds":5}}`}, 400, "integer_below_min_value", nil},
		{"openai: expiry above 2 h", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"expires_after":{"seconds":7201}}`}, 400, "integer_above_max_value", nil},
		{"openai: expiry not an integer", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"expires_after":{"seconds":12.5}}`}, 400, "invalid_type", nil},
		{"openai: unknown anchor", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"expires_after":{"anchor":"now","seconds":60}}`}, 400, "invalid_value", nil},
		{"openai: GET is not allowed", request{method: http.MethodGet, path: "/v1/realtime/client_secrets", headers: bearer(testKey)}, 405, "", nil},
		{"openai: default expiry of 600 s", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"session":{"type":"realtime","model":"gpt-realtime"}}`}, 200, "", func(t *testing.T, m map[string]any) {
			if v, _ := m["value"].(string); !strings.HasPrefix(v, "ek_") {
				t.Errorf("value %q", v)
			}
			if m["expires_at"] != float64(now+600) {
				t.Errorf("expires_at %v, want %d", m["expires_at"], now+600)
			}
			s, _ := m["session"].(map[string]any)
			if s["type"] != "realtime" || s["model"] != "gpt-realtime" {
				t.Errorf("session %v", s)
			}
		}},
		{"openai: empty body, type filled in", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey)}, 200, "", func(t *testing.T, m map[string]any) {
			if s, _ := m["session"].(map[string]any); s["type"] != "realtime" {
				t.Errorf("session %v", s)
			}
		}},
		{"openai: expiry of 30 s", request{path: "/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"expires_after":{"anchor":"created_at","seconds":30}}`}, 200, "", func(t *testing.T, m map[string]any) {
			if m["expires_at"] != float64(now+30) {
				t.Errorf("expires_at %v, want %d", m["expires_at"], now+30)
			}
		}},
		{"azure GA: api-key header", request{path: "/openai/v1/realtime/client_secrets", headers: apiKey(testKey), body: `{"session":{"type":"realtime","model":"my-deployment"}}`}, 200, "", func(t *testing.T, m map[string]any) {
			if s, _ := m["session"].(map[string]any); s["model"] != "my-deployment" {
				t.Errorf("session %v", s)
			}
		}},
		{"azure GA: bearer token", request{path: "/openai/v1/realtime/client_secrets", headers: bearer(testKey), body: `{"session":{"type":"realtime","model":"d"}}`}, 200, "", nil},
		{"azure GA: no deployment", request{path: "/openai/v1/realtime/client_secrets", headers: apiKey(testKey), body: `{"session":{"type":"realtime"}}`}, 400, "missing_required_parameter", nil},
		{"azure GA: wrong key", request{path: "/openai/v1/realtime/client_secrets", headers: apiKey("nope"), body: `{}`}, 401, "401", nil},
		{"azure preview: no api-version", request{path: "/openai/realtimeapi/sessions", headers: apiKey(testKey), body: `{"model":"d"}`}, 404, "", nil},
		{"azure preview: no model", request{path: "/openai/realtimeapi/sessions?api-version=2025-04-01-preview", headers: apiKey(testKey), body: `{"voice":"verse"}`}, 400, "missing_required_parameter", nil},
		{"azure preview: 60 s key in the session", request{path: "/openai/realtimeapi/sessions?api-version=2025-04-01-preview", headers: apiKey(testKey), body: `{"model":"gpt-4o-mini-realtime-preview","voice":"verse"}`}, 200, "", func(t *testing.T, m map[string]any) {
			cs, _ := m["client_secret"].(map[string]any)
			if v, _ := cs["value"].(string); !strings.HasPrefix(v, "ek_") || cs["expires_at"] != float64(now+60) {
				t.Errorf("client_secret %v, want an ek_ key expiring at %d", cs, now+60)
			}
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "sess_") || m["object"] != "realtime.session" || m["voice"] != "verse" || m["model"] != "gpt-4o-mini-realtime-preview" {
				t.Errorf("session %v", m)
			}
		}},
		{"unknown path", request{path: "/v1/realtime/other", headers: bearer(testKey)}, 404, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, r.srv.URL, tc.req)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
			}
			if tc.status >= 400 {
				if code, _ := got.errorCode(t); code != tc.code {
					t.Errorf("error.code %q, want %q: %s", code, tc.code, got.body)
				}
				return
			}
			if ct := got.headers.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.check != nil {
				tc.check(t, got.json(t))
			}
		})
	}
}

// TestCORS checks that a page of another origin may call the routes and
// read the answer's Location, as browsers require.
func TestCORS(t *testing.T) {
	r := newRig(t, nil, nil)
	pre := do(t, r.srv.URL, request{method: http.MethodOptions, path: "/v1/realtime/calls", headers: map[string]string{
		"Origin": "http://127.0.0.1:3000", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-openai-agents-sdk",
	}})
	h := pre.headers
	if pre.status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:3000" ||
		h.Get("Access-Control-Allow-Headers") != "authorization,content-type,x-openai-agents-sdk" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
		t.Fatalf("preflight: %d %v", pre.status, h)
	}
	got := do(t, r.srv.URL, request{path: "/v1/realtime/client_secrets", headers: map[string]string{"Origin": "http://127.0.0.1:3000", "Authorization": "Bearer " + testKey}})
	if got.status != 200 || got.headers.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:3000" || got.headers.Get("Access-Control-Expose-Headers") != "Location" {
		t.Fatalf("CORS headers on the answer: %d %v", got.status, got.headers)
	}
}

// mintFor mints a key on a route and returns it.
func mintFor(t *testing.T, base, path string, headers map[string]string, body string) string {
	t.Helper()
	got := do(t, base, request{path: path, headers: headers, body: body})
	if got.status != 200 {
		t.Fatalf("mint on %s: %d %s", path, got.status, got.body)
	}
	m := got.json(t)
	if cs, ok := m["client_secret"].(map[string]any); ok {
		return cs["value"].(string)
	}
	return m["value"].(string)
}

func multipartOffer(t *testing.T, sdp, session string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if sdp != "" {
		w.WriteField("sdp", sdp)
	}
	if session != "" {
		w.WriteField("session", session)
	}
	w.Close()
	return b.String(), w.FormDataContentType()
}

// TestCallRoutes checks the SDP offer routes over HTTP: each way to
// authorize and to send the offer, and each refusal.
func TestCallRoutes(t *testing.T) {
	const (
		openaiMint   = "/v1/realtime/client_secrets"
		azureMint    = "/openai/v1/realtime/client_secrets"
		previewMint  = "/openai/realtimeapi/sessions?api-version=2025-04-01-preview"
		openaiCalls  = "/v1/realtime/calls"
		azureCalls   = "/openai/v1/realtime/calls"
		previewCalls = "/v1/realtimertc?model=gpt-4o-mini-realtime-preview"
	)
	type call struct {
		path, ctype, body string
		headers           map[string]string
	}
	cases := []struct {
		name   string
		opts   *rtc.Options
		call   func(t *testing.T, r *rig) call
		status int
		code   string
		check  func(t *testing.T, r *rig, got reply)
	}{
		{"openai: ephemeral key, raw SDP", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(mint(t, r.srv.URL, testKey))}
		}, 201, "", func(t *testing.T, r *rig, got reply) {
			s := mustNext(t, r)
			info := s.Info()
			if got.headers.Get("Location") != "/v1/realtime/calls/"+info.ID || got.headers.Get("Content-Type") != "application/sdp" ||
				!strings.HasPrefix(string(got.body), "v=0") || !strings.Contains(string(got.body), "127.0.0.1") {
				t.Errorf("answer %v:\n%s", got.headers, got.body)
			}
			if !info.Ephemeral || info.Dialect != realtime.GA || info.Model != "gpt-realtime" || !bytes.Contains(info.KeySession, []byte(`"model":"gpt-realtime"`)) {
				t.Errorf("CallInfo %+v", info)
			}
		}},
		{"openai: standard key, multipart with a session", nil, func(t *testing.T, r *rig) call {
			body, ct := multipartOffer(t, newClient(t).offer(), `{"type":"realtime","model":"gpt-realtime-mini","instructions":"be brief"}`)
			return call{path: openaiCalls, ctype: ct, body: body, headers: bearer(testKey)}
		}, 201, "", func(t *testing.T, r *rig, got reply) {
			info := mustNext(t, r).Info()
			if info.Ephemeral || info.Model != "gpt-realtime-mini" || info.KeySession != nil || !bytes.Contains(info.RequestSession, []byte("be brief")) {
				t.Errorf("CallInfo %+v", info)
			}
		}},
		{"openai: standard key, raw SDP", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(testKey)}
		}, 201, "", nil},
		{"openai: no key", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: "v=0\r\n"}
		}, 401, "", nil},
		{"openai: wrong standard key", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: "v=0\r\n", headers: bearer("sk-wrong-key")}
		}, 401, "invalid_api_key", nil},
		{"openai: unknown ephemeral key", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: "v=0\r\n", headers: bearer("ek_never_minted_here")}
		}, 401, "invalid_api_key", nil},
		{"openai: expired key", nil, func(t *testing.T, r *rig) call {
			k := mintFor(t, r.srv.URL, openaiMint, bearer(testKey), `{"expires_after":{"seconds":10}}`)
			r.clock.Advance(10 * time.Second)
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 401, "invalid_api_key", nil},
		{"openai: key still live a second before expiry", nil, func(t *testing.T, r *rig) call {
			k := mintFor(t, r.srv.URL, openaiMint, bearer(testKey), `{"expires_after":{"seconds":10}}`)
			r.clock.Advance(9 * time.Second)
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 201, "", nil},
		{"openai: used key", nil, func(t *testing.T, r *rig) call {
			k := mint(t, r.srv.URL, testKey)
			if got := do(t, r.srv.URL, request{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}); got.status != 201 {
				t.Fatalf("first call: %d %s", got.status, got.body)
			}
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 401, "invalid_api_key", nil},
		{"openai: reusable keys open a second call", &rtc.Options{ReusableKeys: true}, func(t *testing.T, r *rig) call {
			k := mint(t, r.srv.URL, testKey)
			if got := do(t, r.srv.URL, request{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}); got.status != 201 {
				t.Fatalf("first call: %d %s", got.status, got.body)
			}
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 201, "", nil},
		{"openai: a key refused for a bad offer stays usable", nil, func(t *testing.T, r *rig) call {
			k := mint(t, r.srv.URL, testKey)
			if got := do(t, r.srv.URL, request{path: openaiCalls, ctype: "application/sdp", body: "v=0\r\nnonsense", headers: bearer(k)}); got.status != 400 {
				t.Fatalf("bad offer: %d %s", got.status, got.body)
			}
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 201, "", nil},
		{"openai: an Azure key", nil, func(t *testing.T, r *rig) call {
			k := mintFor(t, r.srv.URL, azureMint, apiKey(testKey), `{"session":{"type":"realtime","model":"d"}}`)
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 401, "invalid_api_key", nil},
		{"openai: not an SDP offer", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: "hello", headers: bearer(testKey)}
		}, 400, "invalid_offer", nil},
		{"openai: a broken SDP offer", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio x\r\n", headers: bearer(testKey)}
		}, 400, "invalid_offer", nil},
		{"openai: wrong content type", nil, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "text/plain", body: newClient(t).offer(), headers: bearer(testKey)}
		}, 400, "unsupported_content_type", nil},
		{"openai: multipart without sdp", nil, func(t *testing.T, r *rig) call {
			body, ct := multipartOffer(t, "", `{"type":"realtime"}`)
			return call{path: openaiCalls, ctype: ct, body: body, headers: bearer(testKey)}
		}, 400, "missing_required_parameter", nil},
		{"openai: multipart session not an object", nil, func(t *testing.T, r *rig) call {
			body, ct := multipartOffer(t, newClient(t).offer(), `[1]`)
			return call{path: openaiCalls, ctype: ct, body: body, headers: bearer(testKey)}
		}, 400, "invalid_type", nil},
		{"azure GA: ephemeral key", nil, func(t *testing.T, r *rig) call {
			k := mintFor(t, r.srv.URL, azureMint, apiKey(testKey), `{"session":{"type":"realtime","model":"my-deployment"}}`)
			return call{path: azureCalls + "?webrtcfilter=on", ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 201, "", func(t *testing.T, r *rig, got reply) {
			info := mustNext(t, r).Info()
			if info.Provider != rtc.Azure || info.Dialect != realtime.GA || info.Model != "my-deployment" {
				t.Errorf("CallInfo %+v", info)
			}
		}},
		{"azure GA: api-key", nil, func(t *testing.T, r *rig) call {
			return call{path: azureCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: apiKey(testKey)}
		}, 201, "", nil},
		{"azure GA: wrong api-key", nil, func(t *testing.T, r *rig) call {
			return call{path: azureCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: apiKey("nope")}
		}, 401, "401", nil},
		{"azure preview: ephemeral key", nil, func(t *testing.T, r *rig) call {
			k := mintFor(t, r.srv.URL, previewMint, apiKey(testKey), `{"model":"gpt-4o-mini-realtime-preview","voice":"verse"}`)
			return call{path: previewCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 201, "", func(t *testing.T, r *rig, got reply) {
			info := mustNext(t, r).Info()
			if info.Provider != rtc.Azure || info.Dialect != realtime.Preview || info.Model != "gpt-4o-mini-realtime-preview" || !bytes.Contains(info.KeySession, []byte(`"voice":"verse"`)) {
				t.Errorf("CallInfo %+v", info)
			}
		}},
		{"azure preview: a standard key is refused", nil, func(t *testing.T, r *rig) call {
			return call{path: previewCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(testKey)}
		}, 401, "401", nil},
		{"azure preview: a GA key is refused", nil, func(t *testing.T, r *rig) call {
			k := mintFor(t, r.srv.URL, azureMint, apiKey(testKey), `{"session":{"type":"realtime","model":"d"}}`)
			return call{path: previewCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(k)}
		}, 401, "401", nil},
		{"the session refuses the call", &rtc.Options{NewSession: func(*rtc.CallInfo) (rtc.Session, error) {
			return nil, &rtc.RequestError{Status: 403, Code: "model_not_allowed", Message: "no"}
		}}, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(testKey)}
		}, 403, "model_not_allowed", nil},
		{"the session fails", &rtc.Options{NewSession: func(*rtc.CallInfo) (rtc.Session, error) {
			return nil, errors.New("boom")
		}}, func(t *testing.T, r *rig) call {
			return call{path: openaiCalls, ctype: "application/sdp", body: newClient(t).offer(), headers: bearer(testKey)}
		}, 500, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.opts, nil)
			c := tc.call(t, r)
			got := do(t, r.srv.URL, request{path: c.path, ctype: c.ctype, body: c.body, headers: c.headers})
			if got.status != tc.status {
				t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
			}
			if tc.status >= 400 {
				if code, _ := got.errorCode(t); code != tc.code {
					t.Errorf("error.code %q, want %q: %s", code, tc.code, got.body)
				}
			}
			if tc.check != nil {
				tc.check(t, r, got)
			}
		})
	}
}

func mustNext(t *testing.T, r *rig) *rtctest.StandIn {
	t.Helper()
	s, err := r.factory.Next(wait)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHangupRoute checks hang-up over HTTP: the refusals, and that the
// call ends.
func TestHangupRoute(t *testing.T) {
	r := newRig(t, nil, nil)
	c := newClient(t)
	c.dial(r.srv.URL+"/v1/realtime/calls", testKey, "", nil)
	s := mustNext(t, r)
	id := s.Info().ID
	cases := []struct {
		name   string
		req    request
		status int
	}{
		{"no key", request{path: "/v1/realtime/calls/" + id + "/hangup"}, 401},
		{"unknown call", request{path: "/v1/realtime/calls/rtc_nope/hangup", headers: bearer(testKey)}, 404},
		{"the Azure route for an OpenAI call", request{path: "/openai/v1/realtime/calls/" + id + "/hangup", headers: apiKey(testKey)}, 404},
		{"GET", request{method: http.MethodGet, path: "/v1/realtime/calls/" + id + "/hangup", headers: bearer(testKey)}, 405},
		{"hang up", request{path: "/v1/realtime/calls/" + id + "/hangup", headers: bearer(testKey)}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, r.srv.URL, tc.req)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d: %s", got.status, tc.status, got.body)
			}
			if tc.status >= 400 {
				got.errorCode(t)
			}
		})
	}
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("the call did not end")
	}
	if !errors.Is(s.Err(), rtc.ErrHangUp) {
		t.Fatalf("Closed(%v), want ErrHangUp", s.Err())
	}
}
