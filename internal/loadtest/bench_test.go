package loadtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/rtmock/rtmock/scenarios"
)

// BenchmarkStream runs one phase of C sessions against the in-process mock
// or the baseline alone, so that a CPU profile (go test -bench
// 'Stream/replay/C=100$/rtmock' -cpuprofile cpu.out) shows one side's
// work. ns/op includes connecting; the metrics are the phase's, from the
// start of the turns.
func BenchmarkStream(b *testing.B) {
	hello, err := scenarios.Builtin("hello")
	if err != nil {
		b.Fatal(err)
	}
	recorded, err := Record(context.Background(), &RecordOptions{Turns: 5})
	if err != nil {
		b.Fatal(err)
	}
	sources := []struct {
		name string
		opts Options
		// perTurn is how many b.N one session's turn stands for: the
		// events of a turn are spread over the sessions so that b.N
		// stays a count of work, not of wall time.
		perTurn func(c int) int
	}{
		{"default", Options{}, func(c int) int { return c / 10 }},
		{"hello", Options{Scenario: hello}, func(c int) int { return c / 10 }},
		{"replay", Options{Cassette: recorded}, func(c int) int { return c / 2 }}, // a replay is five responses
		// A realtime turn lasts 2.2 s whatever C is: b.N counts turns.
		{"realtime", Options{Pace: scenarios.Pace{Mode: scenarios.PaceRealtime, Factor: 1}}, func(int) int { return 1 }},
	}
	for _, src := range sources {
		for _, c := range []int{1, 100, 1000} {
			for _, side := range []string{"rtmock", "baseline"} {
				b.Run(fmt.Sprintf("%s/C=%d/%s", src.name, c, side), func(b *testing.B) {
					o := src.opts
					o.Sessions, o.Pairs, o.IdleSessions = c, 1, -1
					o.Turns = max(b.N/max(src.perTurn(c), 1), 1)
					cfg, err := newConfig(&o)
					if err != nil {
						b.Fatal(err)
					}
					r, _, err := start(context.Background(), cfg)
					if err != nil {
						b.Fatal(err)
					}
					defer func() {
						if err := r.close(); err != nil {
							b.Error(err)
						}
					}()
					t := r.product
					if side == "baseline" {
						t = r.baseline
					}
					b.ResetTimer()
					p, _, _, err := r.phase(context.Background(), t, 1)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if p.ProtocolErrors > 0 {
						b.Fatalf("%d protocol errors, the first: %s", p.ProtocolErrors, p.FirstError)
					}
					b.ReportMetric(p.MBPerSec, "MB/s")
					b.ReportMetric(p.AllocsPerEvent, "allocs/event")
					b.ReportMetric(p.CPUPerEvent/1000, "cpu-µs/event")
					if l := p.Lateness; l != nil {
						b.ReportMetric(float64(l.P99)/1e6, "p99-late-ms")
						b.ReportMetric(float64(l.Max)/1e6, "max-late-ms")
					}
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}
