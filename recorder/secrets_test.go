package recorder

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// Secrets, each in its own place. Some hold characters that URL encoding
// changes, so the encoded forms are checked too.
const (
	secretHeaderKey   = "hdr-key-1f3e5d7c9b"
	secretQueryKey    = "qry+key/2a4c=6e8&0"
	secretClientToken = "eyJ0eXAiOiJKV1QiLCJhbGciOi.client-bearer.7777"
	secretInsecureKey = "sk-proj-insecure-subprotocol-5150"
	secretEntraToken  = "eyJ0eXAiOiJKV1QiLCJub25jZSI6.entra.token.8888"
	secretInjectedKey = "injected-env-key-4242"
	secretExtra       = "Rumpelstiltskin-42"
)

var allSecrets = []string{secretHeaderKey, secretQueryKey, secretClientToken, secretInsecureKey, secretEntraToken, secretInjectedKey, secretExtra}

// echoSecretsUpstream behaves like a service that repeats what it was
// given where a service's own texts go: it closes with the api-key it saw
// in the reason. It also echoes the client's first event in its own, as
// conversation.item.created does.
func echoSecretsUpstream(t *testing.T) *fakeUpstream {
	var up *fakeUpstream
	up = newUpstream(t, func(c *websocket.Conn) {
		reqs := up.requests()
		r := reqs[len(reqs)-1]
		send(t, c, textMsg(`{"type":"session.created","session":{"id":"sess_1"}}`))
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		send(t, c, textMsg(`{"type":"conversation.item.created","item":{"content":[{"type":"input_text","text":`+jsonQuote(string(data))+`}]}}`))
		reason := "invalid_api_key " + r.Header.Get("api-key") + r.Header.Get("Authorization")
		if len(reason) > 120 {
			reason = reason[:120]
		}
		c.Close(3000, reason)
	})
	return up
}

func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	b.WriteString(jsonText(s))
	b.WriteByte('"')
	return b.String()
}

func jsonText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return r.Replace(s)
}

// Credentials never reach a cassette or the log, wherever they stand in the
// handshake and whichever way the upstream got them; an Options.Redact
// value is scrubbed from the conversation too.
func TestNoSecretReachesDiskOrLogs(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	up := echoSecretsUpstream(t)
	var tokens atomic.Int32
	entra := TokenFunc(func(context.Context) (string, error) {
		tokens.Add(1)
		return secretEntraToken, nil
	})
	dirEntra, dirKey := t.TempDir(), t.TempDir()
	recEntra, urlEntra := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: dirEntra, TokenSource: entra, Redact: []string{secretExtra}, Logger: jsonLogger(&logs)})
	recKey, urlKey := startRecorder(t, &Options{Upstream: up.srv.URL, Dir: dirKey, APIKey: secretInjectedKey, Redact: []string{secretExtra}, Logger: jsonLogger(&logs), ElideAudio: true})

	// Each session's first event holds the --redact value, which the
	// upstream echoes.
	firstEvent := `{"type":"session.update","session":{"instructions":"The password is ` + secretExtra + `"}}`
	sessions := []struct {
		name     string
		url      string
		opts     *websocket.DialOptions
		wantAuth func(r *http.Request) bool // what the upstream must have received
	}{
		{"api-key header", urlEntra + "/openai/realtime?api-version=2024-10-01-preview&deployment=d",
			&websocket.DialOptions{HTTPHeader: http.Header{"api-key": {secretHeaderKey}}},
			func(r *http.Request) bool { return r.Header.Get("api-key") == secretHeaderKey }},
		{"api-key query", urlEntra + "/openai/realtime?api-version=2024-10-01-preview&deployment=d&api-key=" + url.QueryEscape(secretQueryKey),
			nil,
			func(r *http.Request) bool { return r.URL.Query().Get("api-key") == secretQueryKey }},
		{"client bearer token", urlEntra + "/openai/v1/realtime?model=gpt-realtime",
			&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + secretClientToken}}},
			func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+secretClientToken }},
		{"insecure subprotocol", urlEntra + "/v1/realtime?model=gpt-realtime",
			&websocket.DialOptions{Subprotocols: []string{"realtime", "openai-insecure-api-key." + secretInsecureKey, "openai-beta.realtime-v1"}},
			func(r *http.Request) bool {
				return strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), "openai-insecure-api-key."+secretInsecureKey)
			}},
		{"Entra ID token", urlEntra + "/openai/v1/realtime?model=gpt-realtime",
			nil,
			func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+secretEntraToken }},
		{"injected api key", urlKey + "/openai/realtime?api-version=2024-10-01-preview&deployment=d",
			nil,
			func(r *http.Request) bool { return r.Header.Get("api-key") == secretInjectedKey }},
	}
	for _, s := range sessions {
		before := len(up.requests())
		c := dial(t, s.url, s.opts)
		readN(t, c, 1)
		send(t, c, textMsg(firstEvent))
		readN(t, c, 1)
		if ce := closeStatus(c); ce.Code != 3000 {
			t.Errorf("%s: client saw close %v, want 3000", s.name, ce)
		}
		reqs := up.requests()
		if len(reqs) != before+1 || !s.wantAuth(reqs[len(reqs)-1]) {
			t.Errorf("%s: the upstream did not get the credentials", s.name)
		}
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("token source called %d times, want once (only the session without credentials)", n)
	}

	// A refused upgrade whose body repeats the key.
	challenge := `Bearer error="invalid_token", error_description="unknown key ` + secretHeaderKey + `"`
	refusing := refusingUpstream(t, 401, map[string]string{"Content-Type": "application/json", "WWW-Authenticate": challenge},
		`{"error":{"message":"Access denied for key `+secretHeaderKey+`"}}`)
	dirRefused := t.TempDir()
	recRefused, urlRefused := startRecorder(t, &Options{Upstream: refusing.srv.URL, Dir: dirRefused, Logger: jsonLogger(&logs)})
	_, resp, err := websocket.Dial(context.Background(), urlRefused+"/openai/realtime?api-version=x&deployment=d",
		&websocket.DialOptions{HTTPHeader: http.Header{"api-key": {secretHeaderKey}}})
	if err == nil || resp.StatusCode != 401 {
		t.Fatalf("refused dial = %v, %v", resp, err)
	}
	// The client gets the upstream's answer as it came; only the cassette
	// and the log are scrubbed.
	if got := resp.Header.Get("WWW-Authenticate"); got != challenge {
		t.Errorf("client got WWW-Authenticate %q, want the upstream's %q", got, challenge)
	}

	for _, rec := range []*Recorder{recEntra, recKey, recRefused} {
		if err := rec.Close(); err != nil {
			t.Fatal(err)
		}
	}
	files := cassettePaths(t, dirEntra, dirKey, dirRefused)
	if len(files) != len(sessions)+1 {
		t.Fatalf("%d cassettes, want %d: %v", len(files), len(sessions)+1, files)
	}
	outputs := map[string][]byte{"log": logs.Bytes()}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = b
	}
	if !bytes.Contains(outputs["log"], []byte("session started")) {
		t.Fatalf("nothing was logged; the check would prove nothing:\n%s", outputs["log"])
	}
	for name, b := range outputs {
		for _, secret := range allSecrets {
			for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), jsonText(secret)} {
				if bytes.Contains(b, []byte(form)) {
					t.Errorf("%s holds the secret %q (as %q)", name, secret, form)
				}
			}
		}
		if name != "log" && !bytes.Contains(b, []byte("[REDACTED]")) {
			t.Errorf("%s has no [REDACTED]: was the secret ever there?\n%s", name, b)
		}
	}
}
