package loadtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/rtmock/rtmock/scenarios"
)

// BenchmarkStream runs one phase of C sessions doing b.N turns each,
// against the in-process mock or the baseline alone, so that a CPU profile
// (go test -bench Stream/rtmock -cpuprofile) shows one side's work. ns/op
// includes connecting; the MB/s metric is the phase's, from the start of
// the turns.
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
	}{
		{"default", Options{}},
		{"hello", Options{Scenario: hello}},
		{"replay", Options{Cassette: recorded}},
	}
	for _, src := range sources {
		for _, c := range []int{1, 100, 1000} {
			for _, side := range []string{"rtmock", "baseline"} {
				b.Run(fmt.Sprintf("%s/C=%d/%s", src.name, c, side), func(b *testing.B) {
					o := src.opts
					o.Sessions, o.Pairs, o.IdleSessions = c, 1, -1
					o.Turns = max(b.N*10/c, 1)
					if src.opts.Cassette != nil {
						o.Turns = max(b.N*2/c, 1) // a replay is five responses
					}
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
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}
