package faults_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rtmock/rtmock/faults"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want faults.Fault
	}{
		{"latency:dir=server,delay=80ms,jitter=20ms", faults.Fault{Kind: faults.Latency, Dir: faults.Server, Nth: 1, Delay: 80 * time.Millisecond, Jitter: 20 * time.Millisecond}},
		{"disconnect:on=response.output_audio.delta,nth=3,code=1006", faults.Fault{Kind: faults.Disconnect, Dir: faults.Server, On: "response.output_audio.delta", Nth: 3, Code: 1006}},
		{"drop:match=response.*.delta,p=0.1", faults.Fault{Kind: faults.Drop, Dir: faults.Server, Nth: 1, Match: "response.*.delta", Probability: 0.1}},
		{"error:code=server_error,type=server_error,at=3s", faults.Fault{Kind: faults.Error, Dir: faults.Server, Nth: 1, ErrorCode: "server_error", ErrorType: "server_error", At: 3 * time.Second}},
		{"handshake:status=429,p=0.5", faults.Fault{Kind: faults.Handshake, Dir: faults.Server, Nth: 1, Code: 429, Probability: 0.5}},
		{"ratelimits:exhausted", faults.Fault{Kind: faults.RateLimits, Dir: faults.Server, Nth: 1}},
		{"stall:at=2s,for=3s", faults.Fault{Kind: faults.Stall, Dir: faults.Server, Nth: 1, At: 2 * time.Second, For: 3 * time.Second}},
		{"rtp:p=0.05", faults.Fault{Kind: faults.RTP, Dir: faults.Server, Nth: 1, Probability: 0.05}},
		{"rtp:delay=40ms,jitter=30ms,p=0.2", faults.Fault{Kind: faults.RTP, Dir: faults.Server, Nth: 1, Delay: 40 * time.Millisecond, Jitter: 30 * time.Millisecond, Probability: 0.2}},
		{"datachannel-close:at=3s", faults.Fault{Kind: faults.DataChannelClose, Dir: faults.Server, Nth: 1, At: 3 * time.Second}},
	}
	for _, tt := range tests {
		got, err := faults.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
		again, err := faults.Parse(got.String())
		if err != nil || !cmp.Equal(got, again) {
			t.Errorf("String() = %q does not round-trip: %v", got.String(), err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"explode":                        "unknown kind",
		"latency":                        "needs delay",
		"latency:delay=soon":             "is not a duration",
		"drop:p=2":                       "probability from 0 to 1",
		"handshake:status=200":           "not an HTTP error status",
		"error:at=1s":                    "needs code= or type=",
		"disconnect:code=7":              "not a WebSocket close code",
		"stall:at=1s":                    "needs for=",
		"drop:bogus=1":                   "unknown key",
		"latency:delay=10ms,jitter=20ms": "exceeds delay",
		"drop:match=[":                   "not a valid pattern",
		"rtp":                            "needs p=",
		"rtp:delay=10ms,jitter=20ms":     "exceeds delay",
		// Negative times used to be accepted (a disconnect at once) or
		// blamed on a missing key.
		"latency:delay=-5s":      "is negative",
		"disconnect:at=-1s":      "is negative",
		"stall:at=1s,for=-2s":    "is negative",
		"disconnect:on=x,nth=-1": "is negative",
	}
	for in, want := range tests {
		if _, err := faults.Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", in, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"latency:delay=1ms", "drop:match=response.*,p=0.5", "disconnect:on=x,nth=2,code=1011", "bogus", ":", "error:code=a,message=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := faults.Parse(s)
		if err != nil {
			return
		}
		if got.Validate() != nil {
			t.Fatalf("Parse(%q) accepted an invalid fault", s)
		}
	})
}
