package mockserver_test

import (
	"net/http"
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
