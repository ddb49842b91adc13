package mockserver

import (
	"context"
	"testing"
	"time"

	"github.com/rtmock/rtmock/clock"

	"github.com/rtmock/rtmock/cassette"
)

// nopTransport is a transport that carries nothing: the watchdog's
// decisions need a session, not a connection.
type nopTransport struct{ aborted bool }

func (*nopTransport) kind() string               { return "websocket" }
func (*nopTransport) send(*cassette.Frame) error { return nil }
func (*nopTransport) close(int, string)          {}
func (t *nopTransport) abort()                   { t.aborted = true }

// TestWatchdogJudgesEachDeadlineOnItsClock: a session on a manual clock
// set years in the past used to be cut at the first sweep, because its
// expiry (session clock) was compared with the wall clock.
func TestWatchdogJudgesEachDeadlineOnItsClock(t *testing.T) {
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	wall := time.Now().UnixNano()
	tests := []struct {
		name      string
		advance   time.Duration // how far the session's clock moves after connect
		writingAt int64         // wall time a write started; 0: none
		abortBy   int64
		want      bool
	}{
		{"idle on a clock in the past", 0, 0, 0, false},
		{"writing briefly on a clock in the past", 0, wall - int64(time.Second), 0, false},
		{"write blocked past the write timeout", 0, wall - int64(11*time.Second), 0, true},
		{"idle past expiry: the expiry step handles it", 61 * time.Minute, 0, 0, false},
		{"write blocked past expiry on the session's clock", 61 * time.Minute, wall - int64(time.Second), 0, true},
		{"shutdown grace over", 0, 0, wall - 1, true},
		{"shutdown grace running", 0, 0, wall + int64(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewManual(past)
			h, _ := NewHandler(&Options{Clock: clk})
			defer h.Close()
			s := newSession(h, &handshakeInfo{dialect: "ga", provider: OpenAI}, 1, &nopTransport{})
			s.scheduleExpiry(h.cfg.SessionMaxDuration)
			clk.Advance(tt.advance)
			s.writing.Store(tt.writingAt)
			s.abortBy.Store(tt.abortBy)
			if got := h.stuck(s, wall); got != tt.want {
				t.Errorf("stuck = %v, want %v", got, tt.want)
			}
		})
	}
}

// closeRecorder is a transport that records how the session closed it.
type closeRecorder struct {
	nopTransport
	code chan int
}

func (t *closeRecorder) close(code int, _ string) { t.code <- code }

// TestCloseReachesASessionTrackedAfterIt: a request that began before
// Handler.Close, whose session registered after Close listed the live
// ones, used to run on (until the client left or the session expired)
// while Close waited for it. It now shuts itself down with 1001.
func TestCloseReachesASessionTrackedAfterIt(t *testing.T) {
	h, err := NewHandler(&Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !h.begin() { // the request is in flight
		t.Fatal("a new handler refused a request")
	}
	closed := make(chan struct{})
	go func() {
		h.Close()
		close(closed)
	}()
	for { // Close has listed the (no) live sessions and waits for the request
		h.mu.Lock()
		c := h.closed
		h.mu.Unlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	tr := &closeRecorder{code: make(chan int, 1)}
	s := newSession(h, &handshakeInfo{dialect: "ga", provider: OpenAI}, 1, tr)
	read := func(context.Context) {
		code := <-tr.code // the client reads until the server's close
		s.gone(code, "")
	}
	h.run(s, read)
	h.wg.Done()
	<-closed
	if s.tr.ClosedBy != cassette.Server || s.tr.CloseCode != 1001 {
		t.Errorf("the late session was closed by %v with %d, want the server with 1001", s.tr.ClosedBy, s.tr.CloseCode)
	}
}
