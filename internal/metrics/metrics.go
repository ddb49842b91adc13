// Package metrics exposes a running mock's figures to Prometheus: live
// sessions, sessions by dialect and outcome, events by direction and type,
// audio bytes, faults, pacing lateness and admin requests. It watches the
// mock through its Observer and never blocks it.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
)

// Path is where the metrics are served.
const Path = "/metrics"

// Metrics are the mock's collectors, in a registry of their own.
type Metrics struct {
	reg        *prometheus.Registry
	live       prometheus.Gauge
	sessions   *prometheus.CounterVec
	events     *prometheus.CounterVec
	audioBytes *prometheus.CounterVec
	faults     prometheus.Counter
	lateness   prometheus.Histogram
	admin      *prometheus.CounterVec
}

// New makes the collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		live: prometheus.NewGauge(prometheus.GaugeOpts{Name: "rtmock_live_sessions",
			Help: "Realtime sessions open now."}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtmock_sessions_total",
			Help: "Realtime sessions that ended, by dialect and outcome (who closed and with which code)."}, []string{"dialect", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtmock_events_total",
			Help: "Events by direction (client, server) and type."}, []string{"direction", "type"}),
		audioBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtmock_audio_bytes_total",
			Help: "Bytes of base64 audio in audio events, by direction."}, []string{"direction"}),
		faults: prometheus.NewCounter(prometheus.CounterOpts{Name: "rtmock_faults_injected_total",
			Help: "Faults that fired (and frames a fault dropped)."}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rtmock_pacing_lateness_seconds",
			Help:    "How late each scheduled step (an audio delta, a reply) ran after its time.",
			Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25}}),
		admin: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtmock_admin_requests_total",
			Help: "Requests to the admin API, by status code."}, []string{"code"}),
	}
	m.reg.MustRegister(m.live, m.sessions, m.events, m.audioBytes, m.faults, m.lateness, m.admin,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observer counts sessions and events (mockserver.Options.Observer).
func (m *Metrics) Observer() mockserver.Observer {
	return mockserver.ObserverFuncs{
		Started: func(*mockserver.SessionInfo) { m.live.Inc() },
		OnFrame: m.frame,
		Ended: func(s *mockserver.SessionInfo, t *mockserver.Transcript) {
			m.live.Dec()
			outcome := string(t.ClosedBy) + " " + strconv.Itoa(t.CloseCode)
			m.sessions.WithLabelValues(string(s.Dialect), strings.TrimSpace(outcome)).Inc()
		},
	}
}

func (m *Metrics) frame(_ *mockserver.SessionInfo, o *mockserver.Observed) {
	f := &o.Frame
	switch f.Kind {
	case cassette.KindFault, cassette.KindDropped:
		m.faults.Inc()
		return
	case cassette.KindText:
	default:
		return
	}
	typ := f.Type
	if typ == "" {
		typ = "unknown"
	}
	dir := string(f.Dir)
	m.events.WithLabelValues(dir, typ).Inc()
	if strings.HasSuffix(typ, "audio.delta") || typ == "input_audio_buffer.append" {
		m.audioBytes.WithLabelValues(dir).Add(float64(len(f.Data)))
	}
}

// StepLate records a step's lateness (mockserver.Options.OnStepLate).
func (m *Metrics) StepLate(late time.Duration) { m.lateness.Observe(late.Seconds()) }

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// CountAdmin wraps the admin API to count its requests by status.
func (m *Metrics) CountAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.admin.WithLabelValues(strconv.Itoa(sw.code)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Wrap returns a wrapper for mockserver.Options.Wrap that serves Path and
// passes everything else on.
func (m *Metrics) Wrap(next http.Handler) http.Handler {
	h := m.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Path && r.Method == http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
