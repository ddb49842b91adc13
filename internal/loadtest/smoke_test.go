package loadtest

import (
	"context"
	"testing"
)

// TestSmoke runs a tiny load (20 sessions, 2 turns, instant, one pair) of
// simulated and replayed sessions and checks only counters that do not
// depend on the machine's speed: no protocol errors, allocations per
// event, goroutines per idle session, and that sessions replaying one
// cassette share it. Times are never asserted here; rtmock bench and
// BenchmarkStream report them.
func TestSmoke(t *testing.T) {
	// Not parallel: allocations are counted for the whole process.
	recorded, err := Record(context.Background(), &RecordOptions{Turns: 2})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts Options
		// maxAllocs bounds the process's allocations per event received,
		// clients included. Measured with Go 1.26.8 on linux/amd64: 6.6
		// (simulated) and 5.3 (replayed) per event, 7.3 and 5.4 with
		// -race; the bounds are about three times that, so that only a
		// change in kind (an allocation per byte, a copy per frame) fails.
		maxAllocs float64
	}{
		{"simulated", Options{}, 22},
		{"replayed", Options{Cassette: recorded}, 16},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Sessions, o.Turns, o.Pairs, o.IdleSessions = 20, 2, 1, 100
			rep, err := Run(context.Background(), &o)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range append(rep.Product, rep.Baseline...) {
				if p.ProtocolErrors != 0 || p.ErrorEvents != 0 || p.Cut != 0 {
					t.Errorf("%s: %d protocol errors (first: %q), %d error events, %d sessions cut; want none",
						p.Target, p.ProtocolErrors, p.FirstError, p.ErrorEvents, p.Cut)
				}
			}
			p := rep.Product[0]
			wantResponses := 20 * 2
			if o.Cassette != nil {
				wantResponses *= 2 // the recording has two responses
			}
			if p.Responses != wantResponses {
				t.Errorf("%d responses, want %d", p.Responses, wantResponses)
			}
			t.Logf("%.1f allocations per event (bound %.0f), %.2f goroutines per idle session", p.AllocsPerEvent, tc.maxAllocs, rep.Idle.Target.Goroutines)
			if p.AllocsPerEvent > tc.maxAllocs {
				t.Errorf("%.1f allocations per event, want at most %.0f", p.AllocsPerEvent, tc.maxAllocs)
			}
			if g := rep.Idle.Target.Goroutines; g > 1.5 {
				t.Errorf("%.2f goroutines per idle session, want 1 (the connection's reader)", g)
			}
			if o.Cassette != nil {
				// A session that copied the cassette would hold all of it.
				if per := rep.Idle.ServerHeap; per > float64(rep.CassetteBytes)/4 {
					t.Errorf("an idle replaying session holds %.0f bytes of heap and stacks; the cassette has %d: is it copied per session?",
						per, rep.CassetteBytes)
				}
			}
		})
	}
}
