package mockserver_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
)

// TestOpenAIRefusals holds what OpenAI's GA service answers after the
// upgrade to a handshake it does not take: an error event, then close 4000
// with the reason "<type>.<code>". The beta marker is refused since the beta
// was shut down in May 2026; Options.OpenAIBeta keeps the retired dialect.
func TestOpenAIRefusals(t *testing.T) {
	t.Parallel()
	beta := http.Header{"OpenAI-Beta": {"realtime=v1"}}
	tests := []struct {
		name    string
		opts    mockserver.Options
		path    string
		dial    rttest.DialOptions
		code    string // "" accepts the session
		message string
	}{
		{name: "beta header", path: "/v1/realtime?model=gpt-4o-realtime-preview-2024-12-17", dial: rttest.DialOptions{Header: beta},
			code: "beta_api_shape_disabled", message: "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."},
		{name: "beta subprotocol", path: "/v1/realtime?model=gpt-realtime", dial: rttest.DialOptions{Subprotocols: []string{"realtime", "openai-beta.realtime-v1"}},
			code: "beta_api_shape_disabled"},
		{name: "beta header, transcription intent", path: "/v1/realtime?intent=transcription", dial: rttest.DialOptions{Header: beta},
			code: "beta_api_shape_disabled"},
		{name: "beta kept by option", opts: mockserver.Options{OpenAIBeta: true}, path: "/v1/realtime?model=gpt-4o-realtime-preview", dial: rttest.DialOptions{Header: beta}},
		{name: "unknown model", path: "/v1/realtime?model=gpt-4o", code: "invalid_model", message: `Model "gpt-4o" is not supported in realtime mode.`},
		{name: "typo in a model", path: "/v1/realtime?model=gpt-realtme", code: "invalid_model"},
		{name: "missing model", path: "/v1/realtime", code: "missing_model"},
		{name: "a gateway's model by option", opts: mockserver.Options{Models: []string{"my-voice"}}, path: "/v1/realtime?model=my-voice"},
		{name: "any model by option", opts: mockserver.Options{Models: []string{"*"}}, path: "/v1/realtime?model=anything"},
		{name: "versioned model", path: "/v1/realtime?model=gpt-realtime-2025-08-28"},
		{name: "mini model", path: "/v1/realtime?model=gpt-realtime-mini"},
		{name: "a point release", path: "/v1/realtime?model=gpt-realtime-1.5"},
		{name: "an audio model", path: "/v1/realtime?model=gpt-audio-mini"},
		{name: "Azure deployments are any name", path: "/openai/v1/realtime?model=my-deployment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.opts
			srv, err := mockserver.New(&opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			c := rttest.Dial(t, srv.URL()+tt.path, &tt.dial)
			e := c.Next()
			if tt.code == "" {
				if e.Type != "session.created" {
					t.Fatalf("first event %s, want session.created", e.Raw)
				}
				return
			}
			if e.Type != "error" || e.Str("error.code") != tt.code || e.Str("error.type") != "invalid_request_error" {
				t.Fatalf("first event %s, want an invalid_request_error %s", e.Raw, tt.code)
			}
			if tt.message != "" && e.Str("error.message") != tt.message {
				t.Errorf("message %q, want %q", e.Str("error.message"), tt.message)
			}
			ce := c.CloseError()
			if ce.Code != 4000 || ce.Reason != "invalid_request_error."+tt.code {
				t.Errorf("closed with %d %q, want 4000 %q", ce.Code, ce.Reason, "invalid_request_error."+tt.code)
			}
		})
	}
}

// TestPreviewSessionAsRecorded holds the preview session.created to what
// recordings of the service show (docs/live-service.md, "Values and
// defaults"): the versioned model rather than the deployment's name,
// modalities ["audio","text"] unless the client ordered them, client_secret
// and include as null, and the eight sentences of default instructions.
func TestPreviewSessionAsRecorded(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	tests := []struct{ path, model string }{
		{"/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview", "gpt-4o-realtime-preview-2024-12-17"},
		{"/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-realtime", "gpt-realtime-2025-08-28"},
		{"/openai/realtime?api-version=2025-04-01-preview&deployment=my-voice-agent", "gpt-4o-realtime-preview-2024-12-17"},
		{"/openai/realtime?api-version=2025-04-01-preview&deployment=gpt-4o-mini-realtime-preview-2024-12-17", "gpt-4o-mini-realtime-preview-2024-12-17"},
	}
	for _, tt := range tests {
		c := dial(t, srv, dialectCase{name: "azure-preview", path: tt.path})
		e := c.next()
		if got := e.str("session.model"); got != tt.model {
			t.Errorf("%s: model %q, want %q", tt.path, got, tt.model)
		}
		if got := fmt.Sprint(e.get("session.modalities")); got != "[audio text]" {
			t.Errorf("%s: modalities %s, want [audio text]", tt.path, got)
		}
		for _, k := range []string{"client_secret", "include"} {
			if v, ok := e.M["session"].(map[string]any)[k]; !ok || v != nil {
				t.Errorf("%s: session.%s = %v (present %v), want null", tt.path, k, v, ok)
			}
		}
		if ins := e.str("session.instructions"); len(ins) != 505 || strings.Count(ins, ". ")+1 != 8 {
			t.Errorf("default instructions: %d characters, want the recorded 505 in 8 sentences", len(ins))
		}
		c.send(`{"type":"session.update","session":{"modalities":["text","audio"]}}`)
		u := c.until("session.updated")
		if got := fmt.Sprint(u[len(u)-1].get("session.modalities")); got != "[text audio]" {
			t.Errorf("after the client's [text audio]: %s", got)
		}
		c.send(`{"type":"response.create"}`)
		r := c.until("response.created")
		if got := fmt.Sprint(r[len(r)-1].get("response.modalities")); got != "[text audio]" {
			t.Errorf("response of a session ordered [text audio]: %s", got)
		}
	}
}
