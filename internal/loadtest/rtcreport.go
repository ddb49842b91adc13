package loadtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// RTCReport is what a WebRTC run (RunRTC) measured. Durations are in
// nanoseconds in JSON.
//
// A session-second is one second of a call's audio each way: one second
// of Opus the server decoded from the microphone and one it encoded onto
// its track. A phase's session-seconds are (microphone packets sent +
// track packets received) × 20 ms / 2, and its CPU per session-second is
// the CPU time over them: the server process's own in a split run
// (ServerCPUPerSessionSecond), the whole process's, clients included,
// otherwise (CPUPerSessionSecond).
type RTCReport struct {
	Transport string `json:"transport"` // "webrtc"
	Target    string `json:"target"`    // "in-process rtmock" or "rtmock process"
	URL       string `json:"url"`       // where the mock's calls were posted
	Source    string `json:"source"`    // "default reply" or "scenario NAME"
	Pace      string `json:"pace"`
	Sessions  int    `json:"sessions"`
	Turns     int    `json:"turns"` // replies per session
	Pairs     int    `json:"pairs"` // 0: the mock ran once, without the raw server
	Split     bool   `json:"split"`
	// ReplyPackets is the length of a reply in 20 ms packets and
	// ReplyEvents its number of data-channel events, from a captured call
	// of the mock; the raw server sends as many.
	ReplyPackets int `json:"reply_packets"`
	ReplyEvents  int `json:"reply_events"`

	CPUs           int    `json:"cpus"`
	LoadBefore     string `json:"load_before,omitempty"`
	LoadAfter      string `json:"load_after,omitempty"`
	PressureBefore string `json:"cpu_pressure_before,omitempty"`
	PressureAfter  string `json:"cpu_pressure_after,omitempty"`

	// Product and Baseline hold one phase per pair, in the order they ran.
	Product  []RTCPhase `json:"product"`
	Baseline []RTCPhase `json:"baseline,omitempty"`
	// CPURatios are each pair's CPU per session-second of the mock over
	// the raw server's (the servers' own processes in a split run);
	// MedianCPURatio is their median.
	CPURatios      []float64 `json:"cpu_ratios,omitempty"`
	MedianCPURatio float64   `json:"median_cpu_ratio,omitempty"`

	// Lateness of the mock's and the raw server's RTP packets over every
	// phase.
	Lateness         *RTCLateness `json:"lateness"`
	BaselineLateness *RTCLateness `json:"baseline_lateness,omitempty"`

	PeakRSS        int64         `json:"peak_rss"` // VmHWM of this process (the clients in a split run), bytes
	PeakGoroutines int           `json:"peak_goroutines"`
	Elapsed        time.Duration `json:"elapsed_ns"`
}

// RTCPhase is one run of N WebRTC sessions against the mock or the raw
// server.
type RTCPhase struct {
	Target   string        `json:"target"`
	Pair     int           `json:"pair"`
	Sessions int           `json:"sessions"`
	Connect  time.Duration `json:"connect_ns"` // posting every offer and waiting for every session.created
	Elapsed  time.Duration `json:"elapsed_ns"` // from the start of the replies to the end of the last
	// Replies that played out, response.create refused with an error
	// event, and sessions cut by the phase's deadline.
	Replies int `json:"replies"`
	Refused int `json:"refused"`
	Cut     int `json:"cut"`
	// Events received on the data channel; SpeechStarted counts
	// input_audio_buffer.speech_started, which the quiet microphone should
	// never cause.
	Events        int `json:"events"`
	ErrorEvents   int `json:"error_events"`
	SpeechStarted int `json:"speech_started"`
	// MicPackets were sent by the clients; Packets arrived on the
	// server's track, Lost are missing from the sequence numbers that did,
	// in Bursts (runs of packets every 20 ms, started by the marker bit).
	MicPackets int64 `json:"mic_packets"`
	Packets    int64 `json:"packets"`
	Lost       int64 `json:"lost"`
	Bursts     int   `json:"bursts"`
	// SessionSeconds of audio each way (see RTCReport).
	SessionSeconds float64 `json:"session_seconds"`
	// CPU is this process's CPU time during the replies (clients
	// included), and CPUPerSessionSecond that over SessionSeconds (ns).
	CPU                 time.Duration `json:"cpu_ns"`
	CPUPerSessionSecond float64       `json:"cpu_ns_per_session_second"`
	Goroutines          int           `json:"goroutines"` // in this process when the replies started
	// Runtime is this process's scheduling latency and GC over the
	// phase: in a split run, the clients', whose delays add to lateness.
	Runtime        Runtime      `json:"runtime"`
	ProtocolErrors int          `json:"protocol_errors"`
	FirstError     string       `json:"first_error,omitempty"`
	Lateness       *RTCLateness `json:"lateness"`
	// The server's own process in a split run: its CPU time during the
	// replies and per session-second (ns), its resident set before them
	// and at their peak, and that peak's growth per session.
	ServerCPU                 time.Duration `json:"server_cpu_ns,omitempty"`
	ServerCPUPerSessionSecond float64       `json:"server_cpu_ns_per_session_second,omitempty"`
	ServerRSSBase             int64         `json:"server_rss_base,omitempty"`
	ServerPeakRSS             int64         `json:"server_peak_rss,omitempty"`
	ServerPeakPerSession      float64       `json:"server_peak_per_session,omitempty"`
}

// RTCLateness summarises RTP packets' arrival against their 20 ms
// schedule: packet k of a burst is due 20 ms × k after the burst's first
// packet arrived (k from the RTP timestamps). Negative values are early
// arrivals, which happen when a burst's first packet was itself late.
type RTCLateness struct {
	Packets int           `json:"packets"` // timed: every packet but each burst's first
	Bursts  int           `json:"bursts"`
	Min     time.Duration `json:"min_ns"`
	P50     time.Duration `json:"p50_ns"`
	P99     time.Duration `json:"p99_ns"`
	Max     time.Duration `json:"max_ns"`
	// EndP50 and EndMax are over the lateness of each burst's last packet:
	// how far a burst's schedule slipped by its end.
	EndP50 time.Duration `json:"end_p50_ns"`
	EndMax time.Duration `json:"end_max_ns"`
}

func newRTCLateness(s rtcSamples) *RTCLateness {
	l := &RTCLateness{Packets: len(s.late), Bursts: s.bursts}
	if len(s.late) > 0 {
		v := slices.Clone(s.late)
		slices.Sort(v)
		l.Min, l.P50, l.P99, l.Max = v[0], quantile(v, 0.5), quantile(v, 0.99), v[len(v)-1]
	}
	if len(s.ends) > 0 {
		v := slices.Clone(s.ends)
		slices.Sort(v)
		l.EndP50, l.EndMax = quantile(v, 0.5), v[len(v)-1]
	}
	return l
}

func (l *RTCLateness) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s, min %s over %d packets in %d bursts; burst end p50 %s, max %s",
		ms(l.P50), ms(l.P99), ms(l.Max), ms(l.Min), l.Packets, l.Bursts, ms(l.EndP50), ms(l.EndMax))
}

// cpuPerSessionSecond is the phase's CPU per session-second that pairs
// compare: the server's own in a split run, the process's otherwise.
func (p *RTCPhase) cpuPerSessionSecond() float64 {
	if p.ServerCPUPerSessionSecond > 0 {
		return p.ServerCPUPerSessionSecond
	}
	return p.CPUPerSessionSecond
}

func (p *RTCPhase) summary() string {
	return fmt.Sprintf("%s %.2f ms CPU per session-second, %d packets, %d lost, p99 lateness %s, %d errors",
		p.Target, p.cpuPerSessionSecond()/1e6, p.Packets, p.Lost, ms(p.Lateness.P99), p.ProtocolErrors)
}

// addRatio adds a pair's CPU ratio, mock over raw, and returns it.
func (r *RTCReport) addRatio(p, b RTCPhase) float64 {
	ratio := 0.0
	if b.cpuPerSessionSecond() > 0 {
		ratio = p.cpuPerSessionSecond() / b.cpuPerSessionSecond()
	}
	r.CPURatios = append(r.CPURatios, ratio)
	return ratio
}

// ProtocolErrors is the number of protocol errors over every phase.
func (r *RTCReport) ProtocolErrors() int {
	n := 0
	for _, p := range append(slices.Clip(r.Product), r.Baseline...) {
		n += p.ProtocolErrors
	}
	return n
}

// WriteText writes the report for people.
func (r *RTCReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "webrtc, %s, %s pace: %d sessions x %d replies of %d packets", r.Source, r.Pace, r.Sessions, r.Turns, r.ReplyPackets)
	if r.Pairs > 0 {
		fmt.Fprintf(&b, ", %d pairs against a raw pion server", r.Pairs)
	}
	fmt.Fprintf(&b, "\ntarget:  %s (%s)\n", r.Target, r.URL)
	fmt.Fprintf(&b, "machine: %d CPUs, load average %s before, %s after; %.1fs in all\n",
		r.CPUs, orNA(r.LoadBefore), orNA(r.LoadAfter), r.Elapsed.Seconds())
	if r.PressureBefore != "" {
		fmt.Fprintf(&b, "         CPU pressure %s before, %s after\n", r.PressureBefore, orNA(r.PressureAfter))
	}
	b.WriteString("\n")
	r.writePairs(&b)
	b.WriteString("\n")
	writeRTCPhases(&b, "rtmock", r.Product)
	writeRTCPhases(&b, "raw", r.Baseline)
	fmt.Fprintf(&b, "lateness  rtmock: %s\n", r.Lateness)
	if r.BaselineLateness != nil {
		fmt.Fprintf(&b, "lateness  raw: %s\n", r.BaselineLateness)
	}
	r.writeMemory(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writePairs writes each pair's CPU per session-second and lateness, and
// the median ratio.
func (r *RTCReport) writePairs(b *strings.Builder) {
	whose := "this process's CPU (clients included)"
	if r.Split {
		whose = "each server process's own CPU"
	}
	fmt.Fprintf(b, "CPU per session-second (1 s of Opus decoded and 1 s encoded): %s\n", whose)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "pair\trtmock CPU ms/session-s\tpackets\tlost\tp99 late ms\traw CPU ms/session-s\tpackets\tlost\tp99 late ms\tCPU × raw\t\n")
	for i, p := range r.Product {
		fmt.Fprintf(tw, "%d\t%.3f\t%d\t%d\t%.3f\t", p.Pair, p.cpuPerSessionSecond()/1e6, p.Packets, p.Lost, p.Lateness.P99.Seconds()*1000)
		if i < len(r.Baseline) {
			q := r.Baseline[i]
			fmt.Fprintf(tw, "%.3f\t%d\t%d\t%.3f\t%.2f\t\n", q.cpuPerSessionSecond()/1e6, q.Packets, q.Lost, q.Lateness.P99.Seconds()*1000, r.CPURatios[i])
		} else {
			fmt.Fprint(tw, "\t\t\t\t\t\n")
		}
	}
	tw.Flush()
	if len(r.CPURatios) > 0 {
		fmt.Fprintf(b, "median: rtmock spends %.2f × the raw server's CPU per session-second (pairs %.2f to %.2f)\n",
			r.MedianCPURatio, slices.Min(r.CPURatios), slices.Max(r.CPURatios))
	}
}

func writeRTCPhases(b *strings.Builder, label string, ps []RTCPhase) {
	if len(ps) == 0 {
		return
	}
	var s RTCPhase
	var connect, schedP99 []float64
	for _, p := range ps {
		s.Replies += p.Replies
		s.Refused += p.Refused
		s.Cut += p.Cut
		s.Packets += p.Packets
		s.Lost += p.Lost
		s.Bursts += p.Bursts
		s.MicPackets += p.MicPackets
		s.SpeechStarted += p.SpeechStarted
		s.ErrorEvents += p.ErrorEvents
		s.ProtocolErrors += p.ProtocolErrors
		s.Goroutines = max(s.Goroutines, p.Goroutines)
		s.Runtime.SchedMax = max(s.Runtime.SchedMax, p.Runtime.SchedMax)
		if s.FirstError == "" {
			s.FirstError = p.FirstError
		}
		connect = append(connect, p.Connect.Seconds()*1000)
		schedP99 = append(schedP99, float64(p.Runtime.SchedP99))
	}
	fmt.Fprintf(b, "%-9s %d replies, %d refused, %d cut; %d packets received, %d lost, in %d bursts; %d microphone packets sent; %d speech_started; connect %.0f ms (median); %d error events; %d protocol errors\n",
		label, s.Replies, s.Refused, s.Cut, s.Packets, s.Lost, s.Bursts, s.MicPackets, s.SpeechStarted, median(connect), s.ErrorEvents, s.ProtocolErrors)
	fmt.Fprintf(b, "%-9s this process: %d goroutines; goroutines waited for a thread up to %s (p99 %s, median over phases)\n",
		"", s.Goroutines, ms(s.Runtime.SchedMax), ms(time.Duration(median(schedP99))))
	if s.FirstError != "" {
		fmt.Fprintf(b, "%-9s first error: %s\n", "", s.FirstError)
	}
}

func (r *RTCReport) writeMemory(b *strings.Builder) {
	if r.Split && len(r.Product) > 0 {
		var mock, raw []float64
		for _, p := range r.Product {
			mock = append(mock, p.ServerPeakPerSession)
		}
		for _, p := range r.Baseline {
			raw = append(raw, p.ServerPeakPerSession)
		}
		fmt.Fprintf(b, "memory    the rtmock process peaked %s per session above its start (median over phases)", kib(median(mock)))
		if len(raw) > 0 {
			fmt.Fprintf(b, ", the raw server's %s", kib(median(raw)))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "memory    this process: peak RSS %s, peak goroutines %d\n", mib(r.PeakRSS), r.PeakGoroutines)
}
