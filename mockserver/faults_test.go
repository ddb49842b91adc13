package mockserver_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/clock"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func mustFaults(t *testing.T, specs ...string) []faults.Fault {
	t.Helper()
	var out []faults.Fault
	for _, s := range specs {
		f, err := faults.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// readAll reads events until response.done or until the connection closes.
func readResponse(c *client) (evs []event, closed bool) {
	for {
		e, ok := c.tryNext()
		if !ok {
			return evs, true
		}
		evs = append(evs, e)
		if e.Type == "response.done" {
			return evs, false
		}
	}
}

func count(evs []event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestFaultsOnTheStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []string
		check  func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript)
	}{
		{"drop every audio delta", []string{"drop:match=response.*audio.delta"}, func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript) {
			if n := count(evs, "response.audio.delta"); n != 0 {
				t.Errorf("%d audio deltas got through", n)
			}
			if n := count(evs, "response.audio_transcript.delta"); n != 9 {
				t.Errorf("%d transcript deltas, want all 9", n)
			}
			if tr.Dropped != 8 {
				t.Errorf("transcript counts %d dropped frames, want 8", tr.Dropped)
			}
		}},
		{"duplicate transcript deltas", []string{"duplicate:match=response.audio_transcript.delta"}, func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript) {
			if n := count(evs, "response.audio_transcript.delta"); n != 18 {
				t.Errorf("%d transcript deltas, want 18", n)
			}
		}},
		{"reorder the first audio delta", []string{"reorder:match=response.audio.delta,p=1"}, func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript) {
			var order []string
			for _, e := range evs {
				order = append(order, e.Type)
			}
			s := strings.Join(order, " ")
			// The held delta goes out after the next frame of another type.
			if !strings.Contains(s, "response.audio_transcript.delta response.audio.delta") || count(evs, "response.audio.delta") != 8 {
				t.Errorf("order: %s", s)
			}
		}},
		{"disconnect mid-audio without a close frame", []string{"disconnect:on=response.audio.delta,nth=3,code=1006"}, func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript) {
			if !closed || count(evs, "response.audio.delta") != 3 {
				t.Errorf("closed=%v after %d audio deltas, want closed after 3", closed, count(evs, "response.audio.delta"))
			}
			if tr.CloseCode != 1006 || tr.ClosedBy != cassette.Server {
				t.Errorf("close %d by %s, want 1006 by the server", tr.CloseCode, tr.ClosedBy)
			}
		}},
		{"error after response.created", []string{"error:code=server_error,type=server_error,on=response.created"}, func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript) {
			if evs[0].Type != "response.created" || evs[1].Type != "error" || evs[1].str("error.type") != "server_error" {
				t.Errorf("first events: %s, %s", evs[0].Raw, evs[1].Raw)
			}
			if evs[len(evs)-1].str("response.status") != "completed" {
				t.Error("an injected error event stopped the response")
			}
		}},
		{"exhausted rate limits", []string{"ratelimits:exhausted"}, func(t *testing.T, evs []event, closed bool, tr *mockserver.Transcript) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, &mockserver.Options{Faults: mustFaults(t, tt.faults...), KeepTranscripts: true})
			d := dialects[0]
			if tt.name == "exhausted rate limits" {
				d = dialects[1] // GA sessions report tokens only
			}
			c := dial(t, srv, d)
			c.next()
			c.send(`{"type":"response.create"}`)
			evs, closed := readResponse(c)
			if tt.name == "exhausted rate limits" {
				rl := c.next()
				if !strings.Contains(string(rl.Raw), `"remaining":0`) {
					t.Errorf("rate limits: %s", rl.Raw)
				}
			}
			c.conn.Close(websocket.StatusNormalClosure, "")
			srv.Close()
			tt.check(t, evs, closed, srv.Transcripts()[0])
		})
	}
}

func TestTimedFaults(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t.Run("session expires at a chosen time", func(t *testing.T) {
		t.Parallel()
		clock := clock.NewManual(start)
		srv := startServer(t, &mockserver.Options{Clock: clock, Faults: mustFaults(t, "expire:at=2s"), KeepTranscripts: true})
		c := dial(t, srv, dialects[1])
		c.next()
		clock.AwaitTimer(start.Add(2*time.Second), c.ctx.Done())
		clock.Advance(2 * time.Second)
		e := c.next()
		if e.str("error.code") != "session_expired" {
			t.Fatalf("got %s", e.Raw)
		}
		if _, ok := c.tryNext(); ok {
			t.Error("the session stayed open after session_expired")
		}
	})
	t.Run("server latency delays every frame in order", func(t *testing.T) {
		t.Parallel()
		clock := clock.NewManual(start)
		srv := startServer(t, &mockserver.Options{Clock: clock, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1},
			Faults: mustFaults(t, "latency:delay=100ms"), KeepTranscripts: true})
		c := dial(t, srv, dialects[0])
		clock.AwaitTimer(start.Add(100*time.Millisecond), c.ctx.Done())
		clock.Advance(100 * time.Millisecond)
		c.next() // session.created, 100 ms late
		t0 := clock.Now()
		c.send(`{"type":"response.create"}`)
		done := make(chan struct{})
		var evs []event
		go func() {
			defer close(done)
			evs, _ = readResponse(c)
		}()
		runClock(clock, t0.Add(5*time.Second), done)
		<-done
		c.conn.Close(websocket.StatusNormalClosure, "")
		srv.Close()
		var createdAt time.Duration
		for _, f := range srv.Transcripts()[0].Frames {
			if f.Type == "response.created" {
				createdAt = f.T
			}
		}
		if want := 100*time.Millisecond + 280*time.Millisecond + 100*time.Millisecond; createdAt != want {
			t.Errorf("response.created sent at %v, want %v (280 ms latency + 100 ms fault)", createdAt, want)
		}
		if count(evs, "response.audio.delta") != 8 {
			t.Errorf("%d audio deltas", count(evs, "response.audio.delta"))
		}
	})
	t.Run("stall holds frames, then sends them all", func(t *testing.T) {
		t.Parallel()
		clock := clock.NewManual(start)
		srv := startServer(t, &mockserver.Options{Clock: clock, Faults: mustFaults(t, "stall:at=0s,for=3s"), KeepTranscripts: true})
		c := dial(t, srv, dialects[0])
		c.send(`{"type":"response.create"}`)
		clock.AwaitTimer(start.Add(3*time.Second), c.ctx.Done())
		clock.Advance(3 * time.Second)
		if e := c.next(); e.Type != "session.created" {
			t.Fatalf("got %s first", e.Type)
		}
		evs, _ := readResponse(c)
		if evs[len(evs)-1].Type != "response.done" {
			t.Error("the stalled response did not arrive")
		}
	})
}

func TestHandshakeFault(t *testing.T) {
	t.Parallel()
	srv := startServer(t, &mockserver.Options{Faults: mustFaults(t, "handshake:status=429")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL(), "http")+dialects[1].path, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("dial: err=%v resp=%v, want HTTP 429", err, resp)
	}
}

func TestScenarioFaultsAndSeedReproduce(t *testing.T) {
	t.Parallel()
	sc, err := scenarios.Parse("flaky", []byte(`
name: flaky
faults: ["drop:match=response.audio.delta,p=0.5"]
`))
	if err != nil {
		t.Fatal(err)
	}
	run := func() []int {
		srv := startServer(t, &mockserver.Options{Scenario: sc, Seed: 7})
		c := dial(t, srv, dialects[0])
		c.next()
		c.send(`{"type":"response.create"}`)
		evs, _ := readResponse(c)
		var kept []int
		for i, e := range evs {
			if e.Type == "response.audio.delta" {
				kept = append(kept, i)
			}
		}
		return kept
	}
	a, b := run(), run()
	if len(a) == 0 || len(a) == 8 {
		t.Errorf("p=0.5 kept %d of 8 deltas", len(a))
	}
	if !equalInts(a, b) {
		t.Errorf("the same seed dropped different frames: %v vs %v", a, b)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// liveResponse plays one response.create at live pace on a manual clock
// behind faults and returns the server frames' types and session times
// from the transcript.
func liveResponse(t *testing.T, faultSpecs ...string) (types []string, at []time.Duration) {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	srv := startServer(t, &mockserver.Options{Clock: clk, Pace: scenarios.Pace{Mode: scenarios.PaceLive, Factor: 1},
		Faults: mustFaults(t, faultSpecs...), KeepTranscripts: true})
	c := dial(t, srv, dialects[0])
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.until("session.created")
		c.send(`{"type":"response.create"}`)
		readResponse(c)
	}()
	runClock(clk, start.Add(time.Minute), done)
	<-done
	c.conn.Close(websocket.StatusNormalClosure, "")
	srv.Close()
	for _, f := range srv.Transcripts()[0].Frames {
		if f.Dir == cassette.Server && f.Kind == cassette.KindText {
			types, at = append(types, f.Type), append(at, f.T)
		}
	}
	return types, at
}

// TestHeldFrameIsNotOvertaken delays one frame of the response by exactly
// the gap to the next server frame: both are then due at the same instant,
// and the next frame's step was scheduled first. One stream keeps its
// order, so the held frame must still come first.
func TestHeldFrameIsNotOvertaken(t *testing.T) {
	t.Parallel()
	types, at := liveResponse(t)
	k := -1
	for i := 0; i+1 < len(types); i++ {
		if i > 0 && at[i+1] > at[i] && countStr(types, types[i]) == 1 {
			k = i
			break
		}
	}
	if k < 0 {
		t.Fatalf("no frame of a type sent once with a gap after it: %v %v", types, at)
	}
	spec := fmt.Sprintf("latency:match=%s,delay=%s", types[k], at[k+1]-at[k])
	delayed, _ := liveResponse(t, spec)
	if !slices.Equal(delayed, types) {
		t.Errorf("with %s the frames went\n%v\nwant the order without the fault\n%v", spec, delayed, types)
	}
}

func countStr(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}
