package cassette

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	const secret = "k3y+/with=odd&chars<>"
	r := NewRedactor(secret, "", "plain-token-123")
	tests := []struct {
		name, in, want string
	}{
		{"as is", "api-key: k3y+/with=odd&chars<>", "api-key: [REDACTED]"},
		{"query encoded", "?api-key=k3y%2B%2Fwith%3Dodd%26chars%3C%3E&x=1", "?api-key=[REDACTED]&x=1"},
		{"query encoded, lower-case hex", "?api-key=k3y%2b%2fwith%3dodd%26chars%3c%3e", "?api-key=[REDACTED]"},
		{"path encoded", "/k3y+%2Fwith=odd&chars%3C%3E/", "/[REDACTED]/"},
		{"JSON escaped for HTML", `"k3y+/with=odd\u0026chars\u003c\u003e"`, `"[REDACTED]"`},
		{"second secret, twice", "plain-token-123 and plain-token-123", "[REDACTED] and [REDACTED]"},
		{"nothing to do", "nothing here", "nothing here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := r.RedactString(tt.in); got != tt.want {
				t.Errorf("RedactString(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactorNilAndWith(t *testing.T) {
	t.Parallel()
	var nilR *Redactor
	if got := nilR.RedactString("abc"); got != "abc" {
		t.Errorf("nil Redactor changed the text: %q", got)
	}
	base := NewRedactor("one-secret")
	more := base.With("two-secret")
	if got := base.RedactString("two-secret"); got != "two-secret" {
		t.Errorf("With changed the original Redactor: %q", got)
	}
	if got := more.RedactString("one-secret two-secret"); got != "[REDACTED] [REDACTED]" {
		t.Errorf("With = %q, want both redacted", got)
	}
	in := []byte("no secrets")
	if out := more.Redact(in); &out[0] != &in[0] {
		t.Error("Redact copied a slice that held no secret")
	}
}

func TestWriterRedactsEveryLine(t *testing.T) {
	t.Parallel()
	const key = "0123456789abcdef"
	h := testHeader
	h.Endpoint.Query = map[string]string{"api-key": key}
	out := write(t, h, &WriterOptions{Redactor: NewRedactor(key)},
		Frame{Dir: Client, Kind: KindText, Data: []byte(`{"type":"session.update","session":{"instructions":"my key is ` + key + `"}}`)},
		Frame{Dir: Server, Kind: KindHTTP, Code: 401, Data: []byte("bad key " + key)},
		Frame{Dir: Server, Kind: KindError, Reason: "dial wss://x/?api-key=" + key},
		Frame{Dir: Server, Kind: KindClose, Code: 4000, Reason: key},
		Frame{Dir: Client, Kind: KindBinary, Data: []byte(key)}, // base64 hides it; nothing to find
	)
	if bytes.Contains(out, []byte(key)) {
		t.Errorf("secret left in the cassette:\n%s", out)
	}
	if _, err := Parse(bytes.NewReader(out), ""); err != nil {
		t.Errorf("redacted cassette does not parse: %v", err)
	}
}

func TestRedactionThatBreaksJSONFallsBackToText(t *testing.T) {
	t.Parallel()
	// A secret that is all digits may stand as a JSON number; "[REDACTED]"
	// there is not JSON, so the frame is kept as a scrubbed string.
	out := write(t, testHeader, &WriterOptions{Redactor: NewRedactor("424242")},
		Frame{T: time.Millisecond, Dir: Client, Kind: KindText, Data: []byte(`{"type":"x","pin":424242}`)})
	c, err := Parse(bytes.NewReader(out), "")
	if err != nil {
		t.Fatalf("cassette does not parse: %v\n%s", err, out)
	}
	if got := string(c.Frame(0).Data); got != `{"type":"x","pin":[REDACTED]}` {
		t.Errorf("frame = %s", got)
	}
	if !strings.Contains(string(out), `"text":`) {
		t.Errorf("frame not kept as text:\n%s", out)
	}
}

func TestRedactionLeavesLineSyntaxAlone(t *testing.T) {
	t.Parallel()
	// Values that are also words of the format itself.
	out := write(t, testHeader, &WriterOptions{Redactor: NewRedactor("client", "event", "dir")},
		Frame{T: time.Millisecond, Dir: Client, Kind: KindText, Data: []byte(`{"type":"x","who":"client"}`)},
		Frame{T: time.Millisecond, Dir: Client, Kind: KindClose, Code: 1000, Reason: "client left"})
	c, err := Parse(bytes.NewReader(out), "")
	if err != nil {
		t.Fatalf("cassette does not parse: %v\n%s", err, out)
	}
	if got := string(c.Frame(0).Data); got != `{"type":"x","who":"[REDACTED]"}` || c.Frame(0).Dir != Client {
		t.Errorf("frame 0 = %s from %s", got, c.Frame(0).Dir)
	}
	if got := c.Frame(1).Reason; got != "[REDACTED] left" {
		t.Errorf("close reason = %q", got)
	}
}
