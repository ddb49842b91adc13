package servercheck_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/servercheck"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestRtmockPasses: rtmock itself, in both dialects and at live pace,
// passes every exchange.
func TestRtmockPasses(t *testing.T) {
	srv, err := mockserver.New(&mockserver.Options{DisableTLS: true, Seed: 1, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 4}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, path := range []string{"/openai/realtime?api-version=2024-10-01-preview&deployment=d", "/openai/v1/realtime?model=gpt-realtime"} {
		rep, err := servercheck.Run(context.Background(), &servercheck.Options{URL: srv.URL() + path, Header: http.Header{"api-key": {"k"}}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Failed() {
			var b strings.Builder
			rep.WriteText(&b)
			t.Errorf("rtmock fails its own server check on %s:\n%s", path, b.String())
		}
	}
}

// TestBrokenServerFails: a server that sends response.done before
// response.created, and answers a cancel before the create it cancels,
// fails, with the rule and the events named.
func TestBrokenServerFails(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		c.Write(ctx, websocket.MessageText, []byte(`{"type":"session.created","event_id":"e1","session":{"id":"sess_1","object":"realtime.session","type":"realtime"}}`))
		n := 1
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if !strings.Contains(string(data), `"response.create"`) {
				continue
			}
			n++
			id := "resp_" + string(rune('a'+n))
			// an error for every request, so that no exchange waits; then
			// done first and created after: the order no service keeps
			c.Write(ctx, websocket.MessageText, []byte(`{"type":"error","event_id":"x`+id+`","error":{"type":"invalid_request_error","code":null,"message":"no","param":null,"event_id":null}}`))
			c.Write(ctx, websocket.MessageText, []byte(`{"type":"response.done","event_id":"d`+id+`","response":{"id":"`+id+`","object":"realtime.response","status":"completed","output":[]}}`))
			c.Write(ctx, websocket.MessageText, []byte(`{"type":"response.created","event_id":"c`+id+`","response":{"id":"`+id+`","object":"realtime.response","status":"in_progress","output":[]}}`))
		}
	}))
	defer broken.Close()
	rep, err := servercheck.Run(context.Background(), &servercheck.Options{URL: broken.URL + "/openai/v1/realtime?model=m", Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.WriteText(&b)
	if !rep.Failed() || !strings.Contains(b.String(), "response.done came before response.created") {
		t.Errorf("the broken server passed, or the report does not say why:\n%s", b.String())
	}
	var j strings.Builder
	if err := rep.WriteJUnit(&j); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(j.String()), &suites); err != nil {
		t.Fatalf("JUnit report: %v\n%s", err, j.String())
	}
	if suites.Tests != len(rep.Results) || suites.Failures == 0 || !strings.Contains(j.String(), "response.done came before response.created") {
		t.Errorf("JUnit: %d tests, %d failures for %d exchanges; the failure not quoted:\n%s", suites.Tests, suites.Failures, len(rep.Results), j.String())
	}
	if _, err := servercheck.Dialect("http://x/elsewhere", nil); err == nil {
		t.Error("a URL that is no realtime endpoint was accepted")
	}
}
