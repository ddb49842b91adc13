package metrics_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/metrics"
	"github.com/rtmock/rtmock/internal/rttest"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestMetricsCountASession plays one session against a real mock and reads
// /metrics over HTTP.
func TestMetricsCountASession(t *testing.T) {
	mt := metrics.New()
	ended := make(chan struct{})
	srv, err := mockserver.New(&mockserver.Options{
		DisableTLS: true, Seed: 1, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1},
		Observer:   mockserver.Observers(mt.Observer(), mockserver.ObserverFuncs{Ended: func(*mockserver.SessionInfo, *mockserver.Transcript) { close(ended) }}),
		OnStepLate: mt.StepLate, Wrap: mt.Wrap,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := rttest.Dial(t, srv.URL()+"/openai/v1/realtime?model=gpt-realtime", nil)
	c.Next()
	c.Send(`{"type":"response.create"}`)
	evs := c.Until("response.done")
	c.Conn.Close(websocket.StatusNormalClosure, "")
	<-ended

	resp, err := http.Get(srv.URL() + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	deltas := 0
	for _, e := range evs {
		if e.Type == "response.output_audio.delta" {
			deltas++
		}
	}
	for _, want := range []string{
		"rtmock_live_sessions 0",
		`rtmock_sessions_total{dialect="ga",outcome="client 1000"} 1`,
		`rtmock_events_total{direction="client",type="response.create"} 1`,
		`rtmock_events_total{direction="server",type="response.output_audio.delta"} ` + strconv.Itoa(deltas) + "\n",
		`rtmock_audio_bytes_total{direction="server"}`,
		"rtmock_pacing_lateness_seconds_count",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
