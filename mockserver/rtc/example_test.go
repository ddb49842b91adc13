package rtc_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/mockserver/rtc/rtctest"
)

// A Handler serves the HTTP routes of WebRTC calls; here a client's server
// mints an ephemeral key for a browser.
func Example() {
	h, err := rtc.NewHandler(&rtc.Options{
		NewSession: rtctest.NewFactory(nil).NewSession, // the session core in the mock
		APIKey:     "sk-mine",
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/realtime/client_secrets",
		strings.NewReader(`{"expires_after":{"anchor":"created_at","seconds":60},"session":{"type":"realtime","model":"gpt-realtime"}}`))
	req.Header.Set("Authorization", "Bearer sk-mine")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var secret struct {
		Value   string          `json:"value"`
		Session json.RawMessage `json:"session"`
	}
	json.NewDecoder(resp.Body).Decode(&secret)
	fmt.Println(resp.Status, strings.HasPrefix(secret.Value, "ek_"), string(secret.Session))
	// Output: 200 OK true {"model":"gpt-realtime","type":"realtime"}
}
