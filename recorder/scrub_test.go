package recorder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/rtmock/rtmock/cassette"
)

// A key that is a short or plain value ("1", "anything", the value rtmock's
// banner suggests) stands for ordinary text, ids and audio in the
// conversation: the recorder never searches the conversation for it, so
// the cassette holds every frame as it was relayed, and the log says why
// the key is not searched for elsewhere.
func TestShortOrPlainKeysDoNotTouchTheConversation(t *testing.T) {
	t.Parallel()
	fromServer := []message{
		textMsg(`{"type":"session.created","event_id":"event_1","session":{"id":"sess_1","model":"gpt-4o-realtime-preview"}}`),
		textMsg(`{"type":"response.audio_transcript.done","event_id":"event_11","response_id":"resp_1","transcript":"Is there anything else I can do?"}`),
		deltaEvent(4800), // base64 full of 1s
	}
	fromClient := []message{
		textMsg(`{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"anything 1 2 3"}]}}`),
		appendEvent(4800),
	}
	for _, key := range []string{"1", "anything"} {
		for _, injected := range []bool{false, true} {
			name := fmt.Sprintf("key %q from the client", key)
			if injected {
				name = fmt.Sprintf("key %q from Options.APIKey", key)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				up := newUpstream(t, func(c *websocket.Conn) {
					send(t, c, fromServer...)
					readN(t, c, len(fromClient))
					c.Close(websocket.StatusNormalClosure, "")
				})
				var logs syncBuffer
				opts := &Options{Upstream: up.srv.URL, Dir: t.TempDir(), Logger: jsonLogger(&logs)}
				var dial *websocket.DialOptions
				if injected {
					opts.APIKey = key
				} else {
					dial = &websocket.DialOptions{HTTPHeader: http.Header{"api-key": {key}}}
				}
				rec, u := startRecorder(t, opts)
				c := dialRecorder(t, u+"/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview", dial)
				readN(t, c, len(fromServer))
				send(t, c, fromClient...)
				closeStatus(c)
				if err := rec.Close(); err != nil {
					t.Fatal(err)
				}
				cas := onlyCassette(t, rec)
				var got []message
				for _, f := range cas.All() {
					if f.Kind == cassette.KindText {
						got = append(got, textMsg(string(f.Data)))
					}
				}
				if diff := cmp.Diff(append(append([]message(nil), fromServer...), fromClient...), got, cmpMessages); diff != "" {
					t.Errorf("recorded conversation (-relayed +recorded):\n%s", diff)
				}
				if q := cas.Header().Endpoint.Query; q["api-version"] != "2024-10-01-preview" || q["deployment"] != "gpt-4o-realtime-preview" {
					t.Errorf("cassette query %v", q)
				}
				if !bytes.Contains(logs.Bytes(), []byte("not searched for")) {
					t.Errorf("no warning that the key is not scrubbed by value:\n%s", logs.Bytes())
				}
			})
		}
	}
}

// A value the user asks to redact is replaced everywhere, conversation
// included, even when it is a plain word; the log warns that ordinary text
// will change.
func TestExplicitRedactValuesAreScrubbedEverywhere(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"response.audio_transcript.done","transcript":"Is there anything else I can do?"}`))
		c.Close(websocket.StatusNormalClosure, "")
	})
	var logs syncBuffer
	rec, u := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: t.TempDir(), Redact: []string{"anything"}, Logger: jsonLogger(&logs)})
	c := dialRecorder(t, u+"/v1/realtime?model=gpt-realtime", nil)
	readN(t, c, 1)
	closeStatus(c)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(rec.Cassettes()[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("Is there [REDACTED] else")) {
		t.Errorf("the --redact value was not scrubbed from the conversation:\n%s", data)
	}
	if !bytes.Contains(logs.Bytes(), []byte("--redact value is shorter than 12 characters")) {
		t.Errorf("no warning about a plain --redact value:\n%s", logs.Bytes())
	}
}

// dialRecorder is dial for tests whose client may be refused later.
func dialRecorder(t *testing.T, u string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	return dial(t, u, opts)
}

// percentDecode decodes every valid %XX in s and leaves the rest: a
// secret written in any percent-encoding shows up plainly in its result.
func percentDecode(s []byte) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// escapeAll percent-encodes every byte of s, alternating upper and lower
// case hex.
func escapeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i%2 == 0 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			fmt.Fprintf(&b, "%%%02x", s[i])
		}
	}
	return b.String()
}

// A key in the query, in any percent-encoding and under an encoded name,
// never reaches the log, the client's error body or the cassette: URLs
// lose their credential parameters by name.
func TestEncodedQueryKeysNeverLeak(t *testing.T) {
	t.Parallel()
	const key = "sk+SECRET/123=456" // characters that escaping changes
	const core = "SECRET/123=456"
	mixedHex := strings.NewReplacer("%2B", "%2b", "%3D", "%3d").Replace(url.QueryEscape(key))
	params := map[string]string{
		"first letter escaped":       "api-key=%73k%2BSECRET%2F123%3D456",
		"query-escaped":              "api-key=" + url.QueryEscape(key),
		"path-escaped":               "api-key=" + url.PathEscape(key),
		"mixed-case hex":             "api-key=" + mixedHex,
		"every character escaped":    "api-key=" + escapeAll(key),
		"an escaped parameter name":  "%61pi-key=" + url.QueryEscape(key),
		"an upper-case name":         "API-KEY=" + url.QueryEscape(key),
		"after a semicolon":          "x=1;api-key=" + url.QueryEscape(key),
		"quote characters around it": `api-key=` + url.QueryEscape(key) + `&note="\`,
	}
	live := newUpstream(t, func(c *websocket.Conn) {
		send(t, c, textMsg(`{"type":"session.created"}`))
		closeStatus(c)
	})
	gone := refusingUpstream(t, 200, nil, "")
	unreachable := gone.srv.URL
	gone.srv.Close()

	for name, param := range params {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			outputs := map[string][]byte{}

			// Unreachable upstream: 502, and the dial error names the URL.
			_, u := startRecorder(t, &Options{Upstream: unreachable, Dir: t.TempDir(), Logger: jsonLogger(&logs)})
			_, resp, err := websocket.Dial(context.Background(), u+"/openai/realtime?api-version=2024-10-01-preview&deployment=d&"+param, nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("dial = %v, %v; want 502", resp, err)
			}
			body, _ := io.ReadAll(resp.Body)
			outputs["502 body"] = body
			if !bytes.Contains(body, []byte("connect")) || !bytes.Contains(body, []byte("api-version=2024-10-01-preview")) {
				t.Errorf("the 502 body does not say what failed: %s", body)
			}

			// Reachable upstream: a session and its cassette.
			rec, u2 := startRecorder(t, &Options{Upstream: live.srv.URL, Dir: t.TempDir(), Logger: jsonLogger(&logs)})
			c := dial(t, u2+"/openai/realtime?api-version=2024-10-01-preview&deployment=d&"+param, nil)
			readN(t, c, 1)
			c.Close(websocket.StatusNormalClosure, "")
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			cas, err := os.ReadFile(rec.Cassettes()[0])
			if err != nil {
				t.Fatal(err)
			}
			outputs["cassette"] = cas
			outputs["log"] = logs.Bytes()
			if !bytes.Contains(outputs["log"], []byte("dial upstream")) || !bytes.Contains(outputs["log"], []byte(`"upstream":"ws://`)) {
				t.Fatalf("the log lacks the dial error or the dialed URL; the check would prove nothing:\n%s", outputs["log"])
			}
			for what, b := range outputs {
				for _, form := range [][]byte{b, percentDecode(b), percentDecode(percentDecode(b))} {
					if bytes.Contains(bytes.ToUpper(form), []byte(core)) {
						t.Errorf("the %s holds the key:\n%s", what, b)
						break
					}
				}
				if bytes.Contains(b, []byte(strings.SplitN(param, "=", 2)[1])) {
					t.Errorf("the %s holds the key as it was sent:\n%s", what, b)
				}
			}
		})
	}
}
