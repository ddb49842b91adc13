package loadtest

import (
	"math"
	"runtime/metrics"
	"time"
)

// runtimeSample is the part of the Go runtime's own metrics that explains
// lateness: how long runnable goroutines waited for a thread, and how
// long the garbage collector stopped the world.
type runtimeSample struct {
	sched, pauses *metrics.Float64Histogram
	gcs           uint64
}

var runtimeMetrics = []string{"/sched/latencies:seconds", "/sched/pauses/total/gc:seconds", "/gc/cycles/total:gc-cycles"}

func readRuntime() runtimeSample {
	s := make([]metrics.Sample, len(runtimeMetrics))
	for i, name := range runtimeMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	var out runtimeSample
	if s[0].Value.Kind() == metrics.KindFloat64Histogram {
		out.sched = s[0].Value.Float64Histogram()
	}
	if s[1].Value.Kind() == metrics.KindFloat64Histogram {
		out.pauses = s[1].Value.Float64Histogram()
	}
	if s[2].Value.Kind() == metrics.KindUint64 {
		out.gcs = s[2].Value.Uint64()
	}
	return out
}

// Runtime is what the Go runtime reports for the process over a phase.
// Histogram figures are the upper bound of the bucket they fall in.
type Runtime struct {
	// SchedP99 and SchedMax are the 99th percentile and the maximum of the
	// time goroutines spent runnable before they ran.
	SchedP99 time.Duration `json:"sched_p99_ns"`
	SchedMax time.Duration `json:"sched_max_ns"`
	// GCs is the number of garbage collections; GCPauseMax the longest
	// stop of the world they caused.
	GCs        uint64        `json:"gcs"`
	GCPauseMax time.Duration `json:"gc_pause_max_ns"`
}

// runtimeBetween summarises what happened between two samples.
func runtimeBetween(a, b runtimeSample) Runtime {
	sched := histDelta(a.sched, b.sched)
	pauses := histDelta(a.pauses, b.pauses)
	return Runtime{
		SchedP99:   histQuantile(b.sched, sched, 0.99),
		SchedMax:   histQuantile(b.sched, sched, 1),
		GCs:        b.gcs - a.gcs,
		GCPauseMax: histQuantile(b.pauses, pauses, 1),
	}
}

// histDelta returns the counts of b minus those of a (same buckets).
func histDelta(a, b *metrics.Float64Histogram) []uint64 {
	if a == nil || b == nil || len(a.Counts) != len(b.Counts) {
		return nil
	}
	d := make([]uint64, len(b.Counts))
	for i := range d {
		d[i] = b.Counts[i] - a.Counts[i]
	}
	return d
}

// histQuantile returns the upper bound of the bucket holding quantile q of
// counts (the lower bound for the last, unbounded bucket).
func histQuantile(h *metrics.Float64Histogram, counts []uint64, q float64) time.Duration {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank && c > 0 {
			bound := h.Buckets[i+1]
			if math.IsInf(bound, 1) {
				bound = h.Buckets[i]
			}
			return time.Duration(bound * float64(time.Second))
		}
	}
	return 0
}
