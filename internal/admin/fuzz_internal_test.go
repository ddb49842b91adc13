package admin

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseRing: a ring request is refused with a message, or taken as
// exactly the members it named, which encode back to an equal request.
func FuzzParseRing(f *testing.F) {
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"from":"sip:a@b"}`, `{"caller":"x"}`, `{"from":"a"}{"to":"b"}`,
		`{"webhook_url":"http://127.0.0.1:1/h","sip_headers":[{"name":"X","value":"y"}]}`, `{"sip_headers":[{"name":1}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRing(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "the body is not a call") {
				t.Fatalf("refusal %q", err)
			}
			return
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseRing(b)
		if err != nil || !equalRing(req, again) {
			t.Fatalf("%q taken as %+v, which reads back as %+v (%v)", body, req, again, err)
		}
	})
}

func equalRing(a, b ringRequest) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
