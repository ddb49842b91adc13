package loadtest

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a Run measured. Durations are in nanoseconds in JSON.
type Report struct {
	Target   string `json:"target"` // "in-process rtmock" or the Target URL
	URL      string `json:"url"`    // what the target's sessions dialled
	Source   string `json:"source"` // "default reply", "scenario NAME" or "cassette PATH"
	Pace     string `json:"pace"`
	Sessions int    `json:"sessions"`
	Turns    int    `json:"turns"`
	Pairs    int    `json:"pairs"` // 0: the target ran once, without a baseline
	// CPUs is GOMAXPROCS; LoadBefore and LoadAfter are the system's load
	// averages (1, 5, 15 minutes) when the run started and ended.
	CPUs       int    `json:"cpus"`
	LoadBefore string `json:"load_before,omitempty"`
	LoadAfter  string `json:"load_after,omitempty"`
	// PressureBefore and PressureAfter are the system's CPU pressure
	// (/proc/pressure/cpu, "some"): the share of time in which a runnable
	// task waited for a CPU. Timings mean little when it is high.
	PressureBefore string `json:"cpu_pressure_before,omitempty"`
	PressureAfter  string `json:"cpu_pressure_after,omitempty"`

	// Product and Baseline hold one phase per pair, in the order they ran
	// (Product[i] just before Baseline[i]).
	Product  []Phase `json:"product"`
	Baseline []Phase `json:"baseline,omitempty"`
	// Ratios are Product[i].MBPerSec / Baseline[i].MBPerSec; MedianRatio
	// is their median.
	Ratios      []float64 `json:"ratios,omitempty"`
	MedianRatio float64   `json:"median_ratio,omitempty"`
	// CPURatios are Baseline[i].CPUPerEvent / Product[i].CPUPerEvent: the
	// same comparison in the process's CPU time instead of wall time, which
	// other processes on the machine disturb far less. MedianCPURatio is
	// their median.
	CPURatios      []float64 `json:"cpu_ratios,omitempty"`
	MedianCPURatio float64   `json:"median_cpu_ratio,omitempty"`
	// ServerCPURatios are Product[i].ServerCPUPerEvent /
	// Baseline[i].ServerCPUPerEvent in a split run: how many times the
	// raw server's CPU per event the mock's own process spends.
	ServerCPURatios      []float64 `json:"server_cpu_ratios,omitempty"`
	MedianServerCPURatio float64   `json:"median_server_cpu_ratio,omitempty"`

	// Lateness of the target's and the baseline's audio deltas over every
	// phase; nil unless the run was paced.
	Lateness         *Lateness `json:"lateness,omitempty"`
	BaselineLateness *Lateness `json:"baseline_lateness,omitempty"`

	Idle           *Idle         `json:"idle,omitempty"`
	PeakRSS        int64         `json:"peak_rss"` // VmHWM of the process, bytes; 0 where unknown
	PeakGoroutines int           `json:"peak_goroutines"`
	CassetteBytes  int64         `json:"cassette_bytes,omitempty"` // frame data of the replayed cassette
	Elapsed        time.Duration `json:"elapsed_ns"`
}

// Phase is one run of C sessions against the target or the baseline.
type Phase struct {
	Target   string        `json:"target"`
	Pair     int           `json:"pair"`
	Sessions int           `json:"sessions"`
	Connect  time.Duration `json:"connect_ns"` // dialling every session and reading its connect frames
	Elapsed  time.Duration `json:"elapsed_ns"` // from the start of the turns to the end of the last one
	// Responses completed (response.done), turns Refused with an error
	// event, and sessions Cut by the phase's deadline.
	Responses int `json:"responses"`
	Refused   int `json:"refused"`
	Cut       int `json:"cut"`
	// Events and Bytes (payload) received during the turns.
	Events       int64   `json:"events"`
	Bytes        int64   `json:"bytes"`
	EventsPerSec float64 `json:"events_per_sec"`
	MBPerSec     float64 `json:"mb_per_sec"` // 10^6 bytes
	// AllocsPerEvent and AllocBytesPerEvent are the process's heap
	// allocations (clients included) during the turns, per event.
	AllocsPerEvent     float64 `json:"allocs_per_event"`
	AllocBytesPerEvent float64 `json:"alloc_bytes_per_event"`
	Goroutines         int     `json:"goroutines"` // in the process when the turns started
	// CPU is the process's CPU time (user and system, clients included)
	// during the turns; CPUPerEvent is CPU / Events in nanoseconds. 0
	// where the system does not tell.
	CPU         time.Duration `json:"cpu_ns"`
	CPUPerEvent float64       `json:"cpu_ns_per_event"`
	// Runtime is the Go runtime's scheduling latency and garbage
	// collection during the turns: what lateness comes from in-process.
	Runtime Runtime `json:"runtime"`
	// ErrorEvents are error events the server sent; ProtocolErrors are
	// failures: a frame that is not an event, events out of order, a
	// dial, read or write that failed, a session that ended early.
	ErrorEvents    int       `json:"error_events"`
	ProtocolErrors int       `json:"protocol_errors"`
	FirstError     string    `json:"first_error,omitempty"`
	Lateness       *Lateness `json:"lateness,omitempty"`
	// The server's own process in a split run (0 otherwise): its CPU time
	// during the turns and per event (ns), its resident set before the
	// turns and at their peak, and that peak's growth per session.
	ServerCPU            time.Duration `json:"server_cpu_ns,omitempty"`
	ServerCPUPerEvent    float64       `json:"server_cpu_ns_per_event,omitempty"`
	ServerRSSBase        int64         `json:"server_rss_base,omitempty"`
	ServerPeakRSS        int64         `json:"server_peak_rss,omitempty"`
	ServerPeakPerSession float64       `json:"server_peak_per_session,omitempty"`
}

// Lateness summarises audio deltas' arrival against their schedule (see
// the package documentation). Negative values are early arrivals.
type Lateness struct {
	Deltas int           `json:"deltas"`
	Min    time.Duration `json:"min_ns"`
	P50    time.Duration `json:"p50_ns"`
	P99    time.Duration `json:"p99_ns"`
	Max    time.Duration `json:"max_ns"`
	// Drift is the lateness of each response's last delta: its median and
	// maximum over Responses.
	Responses int           `json:"responses"`
	DriftP50  time.Duration `json:"drift_p50_ns"`
	DriftMax  time.Duration `json:"drift_max_ns"`
}

// Idle is the cost of idle sessions.
type Idle struct {
	Sessions int         `json:"sessions"`
	Target   IdleSample  `json:"target"`             // the target's sessions and their clients
	Baseline *IdleSample `json:"baseline,omitempty"` // the baseline's sessions and their clients
	Clients  IdleSample  `json:"clients"`            // the clients alone, on a null server
	// ServerRSS and ServerHeap are Target minus Clients: what one idle
	// session costs the target.
	ServerRSS  float64 `json:"server_rss"`
	ServerHeap float64 `json:"server_heap"`
}

// IdleSample is the growth of the process per idle session.
type IdleSample struct {
	RSS        float64 `json:"rss"`        // resident set, bytes
	Heap       float64 `json:"heap"`       // heap in use and goroutine stacks, bytes
	Goroutines float64 `json:"goroutines"` // goroutines
}

// ProtocolErrors is the number of protocol errors over every phase, the
// baseline's included.
func (r *Report) ProtocolErrors() int {
	n := 0
	for _, p := range append(slices.Clip(r.Product), r.Baseline...) {
		n += p.ProtocolErrors
	}
	return n
}

func newLateness(late, drift []time.Duration) *Lateness {
	l := &Lateness{Deltas: len(late), Responses: len(drift)}
	if len(late) > 0 {
		s := slices.Clone(late)
		slices.Sort(s)
		l.Min, l.P50, l.P99, l.Max = s[0], quantile(s, 0.5), quantile(s, 0.99), s[len(s)-1]
	}
	if len(drift) > 0 {
		s := slices.Clone(drift)
		slices.Sort(s)
		l.DriftP50, l.DriftMax = quantile(s, 0.5), s[len(s)-1]
	}
	return l
}

// quantile of sorted values, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// WriteText writes the report for people: the pairs, their ratios, and the
// figures of each kind, one per line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	name := "rtmock"
	if len(r.Product) > 0 {
		name = r.Product[0].Target
	}
	fmt.Fprintf(&b, "%s, %s pace: %d sessions x %d turns", r.Source, r.Pace, r.Sessions, r.Turns)
	if r.Pairs > 0 {
		fmt.Fprintf(&b, ", %d pairs against a raw baseline", r.Pairs)
	}
	fmt.Fprintf(&b, "\ntarget:  %s (%s)\n", r.Target, r.URL)
	fmt.Fprintf(&b, "machine: %d CPUs, load average %s before, %s after; %.1fs in all\n",
		r.CPUs, orNA(r.LoadBefore), orNA(r.LoadAfter), r.Elapsed.Seconds())
	if r.PressureBefore != "" {
		fmt.Fprintf(&b, "         CPU pressure %s before, %s after\n", r.PressureBefore, orNA(r.PressureAfter))
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	if len(r.Baseline) > 0 {
		fmt.Fprintf(tw, "pair\t%s MB/s\tevents/s\tallocs/event\tCPU µs/event\tbaseline MB/s\tevents/s\tallocs/event\tCPU µs/event\tratio\tCPU ratio\t\n", name)
		for i, p := range r.Product {
			q := r.Baseline[i]
			fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", p.Pair,
				p.MBPerSec, p.EventsPerSec, p.AllocsPerEvent, p.CPUPerEvent/1000,
				q.MBPerSec, q.EventsPerSec, q.AllocsPerEvent, q.CPUPerEvent/1000, r.Ratios[i], r.CPURatios[i])
		}
	} else {
		fmt.Fprintf(tw, "run\t%s MB/s\tevents/s\tallocs/event\tCPU µs/event\t\n", name)
		for _, p := range r.Product {
			fmt.Fprintf(tw, "%d\t%.1f\t%.0f\t%.1f\t%.1f\t\n", p.Pair, p.MBPerSec, p.EventsPerSec, p.AllocsPerEvent, p.CPUPerEvent/1000)
		}
	}
	tw.Flush()
	if len(r.Ratios) > 0 {
		fmt.Fprintf(&b, "median ratio %s/baseline: %.2f in throughput (pairs %.2f to %.2f), %.2f in CPU per event (pairs %.2f to %.2f)\n",
			name, r.MedianRatio, slices.Min(r.Ratios), slices.Max(r.Ratios),
			r.MedianCPURatio, slices.Min(r.CPURatios), slices.Max(r.CPURatios))
	}
	r.writeServers(&b, name)
	b.WriteString("\n")
	phases := func(label string, ps []Phase) {
		if len(ps) == 0 {
			return
		}
		var s Phase
		var connect []float64
		var schedP99 []float64
		for _, p := range ps {
			schedP99 = append(schedP99, float64(p.Runtime.SchedP99))
			s.Runtime.SchedMax = max(s.Runtime.SchedMax, p.Runtime.SchedMax)
			s.Runtime.GCPauseMax = max(s.Runtime.GCPauseMax, p.Runtime.GCPauseMax)
			s.Runtime.GCs += p.Runtime.GCs
			s.Responses += p.Responses
			s.Refused += p.Refused
			s.Cut += p.Cut
			s.ErrorEvents += p.ErrorEvents
			s.ProtocolErrors += p.ProtocolErrors
			s.Events += p.Events
			s.Goroutines = max(s.Goroutines, p.Goroutines)
			if s.FirstError == "" {
				s.FirstError = p.FirstError
			}
			connect = append(connect, p.Connect.Seconds()*1000)
		}
		fmt.Fprintf(&b, "%-9s %d responses, %d refused, %d cut; %d events; connect %.0f ms (median); %d goroutines; %d error events; %d protocol errors\n",
			label, s.Responses, s.Refused, s.Cut, s.Events, median(connect), s.Goroutines, s.ErrorEvents, s.ProtocolErrors)
		fmt.Fprintf(&b, "%-9s runtime: goroutines waited for a thread up to %s (p99 %s, median over phases); %d GCs, longest stop %s\n",
			"", ms(s.Runtime.SchedMax), ms(time.Duration(median(schedP99))), s.Runtime.GCs, ms(s.Runtime.GCPauseMax))
		if s.FirstError != "" {
			fmt.Fprintf(&b, "%-9s first error: %s\n", "", s.FirstError)
		}
	}
	phases(name, r.Product)
	phases("baseline", r.Baseline)
	if r.Lateness != nil {
		fmt.Fprintf(&b, "lateness  %s: %s\n", name, r.Lateness)
		if r.BaselineLateness != nil {
			fmt.Fprintf(&b, "lateness  baseline: %s\n", r.BaselineLateness)
		}
	}
	if i := r.Idle; i != nil && r.split() {
		fmt.Fprintf(&b, "idle      %d sessions: the %s process grew %s per session", i.Sessions, name, kib(i.Target.RSS))
		if i.Baseline != nil {
			fmt.Fprintf(&b, ", the baseline's %s", kib(i.Baseline.RSS))
		}
		b.WriteString("\n")
	} else if i != nil {
		fmt.Fprintf(&b, "idle      %d sessions: %s %s RSS and %s heap+stacks per session, of which the server's %s and %s; %.2f goroutines per session\n",
			i.Sessions, name, kib(i.Target.RSS), kib(i.Target.Heap), kib(i.ServerRSS), kib(i.ServerHeap), i.Target.Goroutines)
		fmt.Fprintf(&b, "%-9s clients alone %s RSS, %s heap+stacks", "", kib(i.Clients.RSS), kib(i.Clients.Heap))
		if i.Baseline != nil {
			fmt.Fprintf(&b, "; baseline %s RSS, %s heap+stacks, %.2f goroutines", kib(i.Baseline.RSS), kib(i.Baseline.Heap), i.Baseline.Goroutines)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "memory    peak RSS %s, peak goroutines %d", mib(r.PeakRSS), r.PeakGoroutines)
	if r.CassetteBytes > 0 {
		fmt.Fprintf(&b, "; cassette frames %s", mib(r.CassetteBytes))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// split reports whether the run measured server processes of their own.
func (r *Report) split() bool { return len(r.Product) > 0 && r.Product[0].ServerPeakRSS > 0 }

// writeServers writes the servers' own figures of a split run: CPU per
// event and peak memory per streaming session, each pair and the medians.
func (r *Report) writeServers(b *strings.Builder, name string) {
	if !r.split() {
		return
	}
	b.WriteString("\nthe servers' own processes:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "pair\t%s CPU µs/event\tpeak KiB/session\tbaseline CPU µs/event\tpeak KiB/session\tCPU × raw\tmemory × raw\t\n", name)
	var mem []float64
	for i, p := range r.Product {
		q := Phase{}
		if i < len(r.Baseline) {
			q = r.Baseline[i]
		}
		cpuX, memX := 0.0, 0.0
		if q.ServerCPUPerEvent > 0 {
			cpuX = p.ServerCPUPerEvent / q.ServerCPUPerEvent
		}
		if q.ServerPeakPerSession > 0 {
			memX = p.ServerPeakPerSession / q.ServerPeakPerSession
			mem = append(mem, memX)
		}
		fmt.Fprintf(tw, "%d\t%.2f\t%.1f\t%.2f\t%.1f\t%.2f\t%.2f\t\n", p.Pair, p.ServerCPUPerEvent/1000, p.ServerPeakPerSession/1024,
			q.ServerCPUPerEvent/1000, q.ServerPeakPerSession/1024, cpuX, memX)
	}
	tw.Flush()
	if len(r.ServerCPURatios) > 0 {
		fmt.Fprintf(b, "median: the server's CPU per event %.2f × the raw server's (pairs %.2f to %.2f); peak memory per streaming session %.2f ×\n",
			r.MedianServerCPURatio, slices.Min(r.ServerCPURatios), slices.Max(r.ServerCPURatios), median(mem))
	}
}

func (l *Lateness) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s, min %s over %d deltas; drift p50 %s, max %s over %d responses",
		ms(l.P50), ms(l.P99), ms(l.Max), ms(l.Min), l.Deltas, ms(l.DriftP50), ms(l.DriftMax), l.Responses)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", d.Seconds()*1000) }

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

func mib(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
