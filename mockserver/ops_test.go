package mockserver_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestSetScenarioAppliesToNewSessions(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	first := dial(t, srv, dialects[1])
	first.next()
	text, err := scenarios.Builtin("text-only")
	if err != nil {
		t.Fatal(err)
	}
	srv.Handler().SetScenario(text)
	if srv.Handler().Scenario() != text {
		t.Fatal("Scenario does not return what SetScenario stored")
	}
	second := dial(t, srv, dialects[1])
	created := second.next()
	if mods, _ := created.get("session.output_modalities").([]any); len(mods) != 1 || mods[0] != "text" {
		t.Errorf("a session started after SetScenario has modalities %v, want the scenario's [text]", mods)
	}
	// The live session keeps the scenario it started with: the default
	// reply, with audio.
	first.send(`{"type":"response.create"}`)
	evs := first.until("response.done")
	if count(evs, "response.output_audio.delta") == 0 {
		t.Errorf("the first session changed scenario mid-way")
	}
}

func TestSessionsAndInjectFault(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	h := srv.Handler()
	c := dial(t, srv, dialects[1])
	created := c.next()
	id := created.str("session.id")
	var found bool
	for _, s := range h.Sessions() {
		found = found || s.ID == id
	}
	if !found {
		t.Fatalf("Sessions() does not list %s: %+v", id, h.Sessions())
	}
	inject := func(spec string) {
		f, err := faults.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.InjectFault(id, f); err != nil {
			t.Fatal(err)
		}
	}
	inject("error:code=server_error,type=server_error,message=injected")
	if e := c.next(); e.Type != "error" || e.str("error.message") != "injected" {
		t.Fatalf("after injecting an error: %s", e.Raw)
	}
	inject("disconnect:code=1011,reason=operator")
	_, _, err := c.conn.Read(c.ctx)
	if websocket.CloseStatus(err) != 1011 {
		t.Fatalf("after injecting a disconnect: %v", err)
	}
	if err := h.InjectFault("sess_nobody", faults.Fault{Kind: faults.Disconnect}); !errors.Is(err, mockserver.ErrNoSession) {
		t.Errorf("InjectFault on an unknown session: %v", err)
	}
}

func TestDrainWaitsForSessionsThenGoesAway(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	h := srv.Handler()
	c := dial(t, srv, dialects[1])
	c.next()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- h.Drain(ctx) }()
	// While draining: not ready, no new sessions, the live one goes on.
	waitFor(t, func() bool {
		resp, err := http.Get(srv.URL() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	resp, err := http.Get(srv.URL() + "/openai/v1/realtime?model=gpt-realtime")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a new session while draining got %d, want 503", resp.StatusCode)
	}
	c.send(`{"type":"response.create"}`)
	c.until("response.done")
	// The client does not leave: the drain's deadline closes it with 1001.
	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.conn.Read(c.ctx); err != nil {
				closed <- err
				return
			}
		}
	}()
	if err := <-drained; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Drain = %v, want the deadline", err)
	}
	if err := <-closed; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("the session ended with %v, want 1001", err)
	}
}

func TestOnStepLateSeesEveryStep(t *testing.T) {
	t.Parallel()
	var steps atomic.Int64
	srv := startServer(t, &mockserver.Options{OnStepLate: func(late time.Duration) {
		if late < 0 {
			t.Errorf("a step ran %v early", -late)
		}
		steps.Add(1)
	}})
	c := dial(t, srv, dialects[1])
	c.next()
	c.send(`{"type":"response.create"}`)
	c.until("response.done")
	if steps.Load() == 0 {
		t.Error("OnStepLate never called")
	}
}

// waitFor polls cond until it holds; the test's timeout bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseSession(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	h := srv.Handler()
	c := dial(t, srv, dialects[0])
	id := c.next().str("session.id")
	if err := h.CloseSession("sess_nope", 1000, ""); !errors.Is(err, mockserver.ErrNoSession) {
		t.Errorf("CloseSession of an unknown id: %v, want ErrNoSession", err)
	}
	if err := h.CloseSession(id, 1000, "the call is over"); err != nil {
		t.Fatal(err)
	}
	ce := c.CloseError()
	if ce.Code != websocket.StatusNormalClosure || ce.Reason != "the call is over" {
		t.Errorf("closed with %v, want 1000 \"the call is over\"", ce)
	}
	if err := h.CloseSession(id, 1000, ""); !errors.Is(err, mockserver.ErrNoSession) {
		t.Errorf("CloseSession of a closed session: %v, want ErrNoSession", err)
	}
}
