package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtmock/rtmock/mockserver/rtc"
)

// bannerWriter collects serve's output and tells, once, when the banner
// is whole (its last line names the endpoints).
type bannerWriter struct {
	mu   sync.Mutex
	b    bytes.Buffer
	done chan struct{}
	once sync.Once
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), "\nEndpoints:") {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}

func (w *bannerWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

var madeUpSecret = regexp.MustCompile(`signed with (whsec_[A-Za-z0-9+/=]+) \(made up`)

// TestServeSIPWebhook runs "rtmock serve --sip-webhook URL" as a user
// would, rings a call through the admin API, and accepts it: the
// receiver verifies the signature with the secret from the flag, from
// OPENAI_WEBHOOK_SECRET, or the one serve made up and printed. A secret
// the user gave never appears in the output.
func TestServeSIPWebhook(t *testing.T) {
	given := "whsec_" + base64.StdEncoding.EncodeToString([]byte("a secret the user chose, 32 bytes"))
	cases := []struct {
		name, flag, env string
	}{
		{"flag", given, ""},
		{"environment", "", given},
		{"made up", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OPENAI_WEBHOOK_SECRET", tc.env)
			type delivery struct {
				header http.Header
				body   []byte
			}
			got := make(chan delivery, 1)
			recv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- delivery{r.Header.Clone(), b}
			}))
			defer recv.Close()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &bannerWriter{done: make(chan struct{})}
			args := []string{"serve", "--addr", "127.0.0.1:0", "--no-tls", "--pace", "instant", "--sip-webhook", recv.URL + "/hook"}
			if tc.flag != "" {
				args = append(args, "--sip-webhook-secret", tc.flag)
			}
			cmd := NewRootCmd()
			cmd.SetArgs(args)
			cmd.SetOut(out)
			cmd.SetErr(io.Discard)
			done := make(chan error, 1)
			go func() { done <- cmd.ExecuteContext(ctx) }()
			select {
			case <-out.done:
			case err := <-done:
				t.Fatalf("serve exited early: %v\n%s", err, out.String())
			case <-time.After(10 * time.Second):
				t.Fatalf("no banner: %q", out.String())
			}
			banner := out.String()
			base := listening.FindStringSubmatch(banner)[1]
			secret := given
			if tc.flag == "" && tc.env == "" {
				m := madeUpSecret.FindStringSubmatch(banner)
				if m == nil {
					t.Fatalf("the banner does not tell the made-up secret:\n%s", banner)
				}
				secret = m[1]
			} else if strings.Contains(banner, given) {
				t.Errorf("the banner shows the user's secret:\n%s", banner)
			}

			resp, err := http.Post(base+"/__rtmock/sip/calls", "application/json", strings.NewReader(`{"from":"sip:+14155550123@carrier.example"}`))
			if err != nil {
				t.Fatal(err)
			}
			var rung struct{ Call rtc.SIPCall }
			json.NewDecoder(resp.Body).Decode(&rung)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("ring: %d", resp.StatusCode)
			}
			d := <-got
			if err := rtc.VerifyWebhook(secret, d.header, d.body, time.Now(), 5*time.Minute); err != nil {
				t.Fatalf("webhook signature: %v", err)
			}
			if !bytes.Contains(d.body, []byte(`"call_id":"`+rung.Call.ID+`"`)) {
				t.Errorf("webhook body %s for call %s", d.body, rung.Call.ID)
			}
			req, _ := http.NewRequest(http.MethodPost, base+"/v1/realtime/calls/"+rung.Call.ID+"/accept", strings.NewReader(`{"type":"realtime"}`))
			req.Header.Set("Authorization", "Bearer sk-any")
			acc, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			acc.Body.Close()
			if acc.StatusCode != http.StatusOK {
				t.Errorf("accept: %d", acc.StatusCode)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v", err)
			}
		})
	}
}
