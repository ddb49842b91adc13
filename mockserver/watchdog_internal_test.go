package mockserver

import (
	"github.com/rtmock/rtmock/clock"
	"testing"
	"time"

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
