package cassette

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/rtmock/rtmock/realtime"
)

// Redacted replaces every secret a [Redactor] finds.
const Redacted = "[REDACTED]"

// Redactor scrubs secret values by value: wherever a secret occurs, as it
// is, URL-encoded (query or path style, either hex case) or escaped as in a
// JSON string, it is replaced by [Redacted]. A Redactor never changes after
// it is made, so goroutines may share it. The nil *Redactor scrubs nothing.
type Redactor struct {
	patterns [][]byte // every form of every secret, longest first
	strs     []string // the same, as strings
	secrets  []string
}

// NewRedactor returns a Redactor for the given secret values. Empty values
// are ignored.
func NewRedactor(secrets ...string) *Redactor {
	return (*Redactor)(nil).With(secrets...)
}

// With returns a Redactor that scrubs the secrets of r and the given ones.
func (r *Redactor) With(secrets ...string) *Redactor {
	out := &Redactor{}
	if r != nil {
		out.secrets = slices.Clone(r.secrets)
	}
	for _, s := range secrets {
		if s != "" && !slices.Contains(out.secrets, s) {
			out.secrets = append(out.secrets, s)
		}
	}
	for _, s := range out.secrets {
		for _, form := range secretForms(s) {
			if form != "" && !slices.ContainsFunc(out.patterns, func(p []byte) bool { return string(p) == form }) {
				out.patterns = append(out.patterns, []byte(form))
			}
		}
	}
	slices.SortStableFunc(out.patterns, func(a, b []byte) int { return len(b) - len(a) })
	for _, p := range out.patterns {
		out.strs = append(out.strs, string(p))
	}
	return out
}

// secretForms lists the ways s may be written in a URL, a header or JSON.
func secretForms(s string) []string {
	q := url.QueryEscape(s)
	jsonEsc := string(realtime.AppendJSONString(nil, s))
	htmlEsc, _ := json.Marshal(s)
	return []string{
		s,
		q,
		lowerHexEscapes(q),
		url.PathEscape(s),
		lowerHexEscapes(url.PathEscape(s)),
		strings.ReplaceAll(q, "+", "%20"),
		jsonEsc[1 : len(jsonEsc)-1],
		string(htmlEsc[1 : len(htmlEsc)-1]),
	}
}

// lowerHexEscapes rewrites %2F as %2f: some encoders use lower case.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1] = toLowerHex(b[i+1])
			b[i+2] = toLowerHex(b[i+2])
		}
	}
	return string(b)
}

func toLowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

func (r *Redactor) empty() bool { return r == nil || len(r.patterns) == 0 }

// Redact returns b with every secret replaced, or b itself when it holds
// none.
func (r *Redactor) Redact(b []byte) []byte {
	if r.empty() || !r.contains(b) {
		return b
	}
	out, _ := r.appendRedacted(make([]byte, 0, len(b)), b)
	return out
}

// RedactString is Redact for strings.
func (r *Redactor) RedactString(s string) string {
	if r.empty() || !slices.ContainsFunc(r.strs, func(p string) bool { return strings.Contains(s, p) }) {
		return s
	}
	out, _ := r.appendRedacted(nil, []byte(s))
	return string(out)
}

// redactMap returns m with its values redacted, m itself when none holds a
// secret.
func (r *Redactor) redactMap(m map[string]string) map[string]string {
	var out map[string]string
	for k, v := range m {
		if rv := r.RedactString(v); rv != v {
			if out == nil {
				out = maps.Clone(m)
			}
			out[k] = rv
		}
	}
	if out == nil {
		return m
	}
	return out
}

// redactHeader returns h with every string value redacted.
func (r *Redactor) redactHeader(h Header) Header {
	h = h.clone()
	h.ID = r.RedactString(h.ID)
	h.Provider = r.RedactString(h.Provider)
	h.Recorder = r.RedactString(h.Recorder)
	e := &h.Endpoint
	e.Path = r.RedactString(e.Path)
	e.Query = r.redactMap(e.Query)
	e.Header = r.redactMap(e.Header)
	for i, p := range e.Subprotocols {
		e.Subprotocols[i] = r.RedactString(p)
	}
	e.Subprotocol = r.RedactString(e.Subprotocol)
	return h
}

func (r *Redactor) contains(b []byte) bool {
	for _, p := range r.patterns {
		if bytes.Contains(b, p) {
			return true
		}
	}
	return false
}

// appendRedacted appends src to dst with every secret replaced and reports
// whether it replaced anything.
func (r *Redactor) appendRedacted(dst, src []byte) ([]byte, bool) {
	if r.empty() {
		return append(dst, src...), false
	}
	changed := false
	for {
		at, n := -1, 0
		for _, p := range r.patterns {
			// Patterns are longest first, so at equal positions the longest wins.
			if i := bytes.Index(src, p); i >= 0 && (at < 0 || i < at) {
				at, n = i, len(p)
			}
		}
		if at < 0 {
			return append(dst, src...), changed
		}
		dst = append(dst, src[:at]...)
		dst = append(dst, Redacted...)
		src = src[at+n:]
		changed = true
	}
}
