package recorder

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/hostcheck"
	"github.com/rtmock/rtmock/realtime"
)

// forwardHeaders are the handshake headers passed to the upstream.
var forwardHeaders = []string{"api-key", "Authorization", "OpenAI-Beta", "x-ms-client-request-id", "User-Agent"}

// recordedHeaders are the forwarded headers that carry no secret and go
// into the cassette header.
var recordedHeaders = []string{"OpenAI-Beta", "x-ms-client-request-id", "User-Agent"}

const insecureKeyPrefix = "openai-insecure-api-key."

// checkOrigin lets clients without an Origin header in (SDKs outside
// browsers), and browsers whose origin matches a pattern (path.Match on the
// origin's host:port, case-insensitive) or is the request's own host when
// that host is loopback. A page on a name that resolves to the recorder
// (DNS rebinding) has Origin equal to Host, so equality alone proves
// nothing for other hosts.
func checkOrigin(r *http.Request, patterns []string) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return fmt.Errorf("origin %q is not a URL with a host", clip(origin, maxLogValue))
	}
	if strings.EqualFold(u.Host, r.Host) && hostcheck.Loopback(r.Host) {
		return nil
	}
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
			return nil
		}
	}
	return fmt.Errorf("origin %q is not allowed (see the origin patterns)", clip(u.Host, maxLogValue))
}

// offeredSubprotocols lists the subprotocols of the client's handshake.
func offeredSubprotocols(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// clientSecrets lists the credentials the client brought: api-key and
// Authorization headers, credential query parameters, and
// openai-insecure-api-key.* subprotocols. The bearer token of an
// Authorization value is listed on its own as well.
func clientSecrets(r *http.Request, subprotocols []string) []string {
	var out []string
	add := func(v string) {
		if v == "" {
			return
		}
		out = append(out, v)
		if tok, ok := cutBearer(v); ok && tok != "" {
			out = append(out, tok)
		}
	}
	for _, v := range r.Header.Values("api-key") {
		add(v)
	}
	for _, v := range r.Header.Values("Authorization") {
		add(v)
	}
	for k, vs := range r.URL.Query() {
		if isSecretParam(k) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	for _, p := range subprotocols {
		if key, ok := strings.CutPrefix(p, insecureKeyPrefix); ok {
			add(key)
		}
	}
	return out
}

func cutBearer(v string) (string, bool) {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:]), true
	}
	return "", false
}

// classify tells the provider and dialect from the path and, on the
// OpenAI path, from the beta header or subprotocol.
func classify(r *http.Request, subprotocols []string) (string, realtime.Dialect) {
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/openai/realtime":
		return "azure", realtime.Preview
	case "/openai/v1/realtime":
		return "azure", realtime.GA
	}
	for _, v := range r.Header.Values("OpenAI-Beta") {
		if strings.Contains(v, "realtime=v1") {
			return "openai", realtime.Preview
		}
	}
	for _, p := range subprotocols {
		if p == "openai-beta.realtime-v1" {
			return "openai", realtime.Preview
		}
	}
	return "openai", realtime.GA
}

// recordedQuery is the query for the cassette header: credential
// parameters replaced by name, other values scrubbed by diag.
func recordedQuery(r *http.Request, diag *cassette.Redactor) map[string]string {
	q := r.URL.Query()
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		v := diag.RedactString(strings.Join(vs, ","))
		if isSecretParam(k) {
			v = cassette.Redacted
		}
		out[k] = v
	}
	return out
}

func recordedHeader(h http.Header, diag *cassette.Redactor) map[string]string {
	var out map[string]string
	for _, name := range recordedHeaders {
		if v := h.Get(name); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = diag.RedactString(v)
		}
	}
	return out
}

func recordedSubprotocols(offered []string) []string {
	var out []string
	for _, p := range offered {
		if strings.HasPrefix(p, insecureKeyPrefix) {
			p = insecureKeyPrefix + cassette.Redacted
		}
		out = append(out, p)
	}
	return out
}

// keptResponseHeaders are the headers of a refused upgrade passed to the
// client and recorded: content type, retry hints, authentication
// challenges and request ids.
func keptResponseHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, vs := range h {
		lk := strings.ToLower(k)
		switch {
		case lk == "content-type", lk == "retry-after", lk == "retry-after-ms", lk == "www-authenticate",
			lk == "apim-request-id", lk == "x-request-id",
			strings.HasPrefix(lk, "x-ms-"), strings.HasPrefix(lk, "x-ratelimit-"), strings.HasPrefix(lk, "openai-"):
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

func deployment(q map[string]string) string {
	if d := q["deployment"]; d != "" {
		return d
	}
	return q["model"]
}
