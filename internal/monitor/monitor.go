// Package monitor judges the sessions of a running mock as they end: the
// conformance rules and the scenario's expectations, as rtmock conformance
// would, for rtmock serve --check and the admin API. It watches the mock
// through its Observer and keeps the last sessions it judged.
package monitor

import (
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// Options configure a Monitor. Nil fields mean the defaults.
type Options struct {
	// Scenario returns the scenario a session played (the server's can
	// change at run time); nil judges the rules alone.
	Scenario func() *scenarios.Scenario
	// Rules judge each session. Default: conformance.Rules().
	Rules []*conformance.Rule
	// Out, when set, gets a line per judged session and one per failure.
	Out io.Writer
	// Keep is how many judged sessions are kept, frames included, for
	// Records. Default 100.
	Keep int
}

// Record is one judged session.
type Record struct {
	Info          mockserver.SessionInfo
	Transcript    *mockserver.Transcript // with the frames the monitor saw
	Profile       conformance.Profile
	NotApplicable string // why the scenario did not apply to the client ("" when it did)
	Verdicts      []conformance.Verdict
	Expectations  []conformance.Verdict
	Failed        bool
}

// Monitor watches sessions and judges each when it ends.
type Monitor struct {
	opts  Options
	queue chan *Record
	done  chan struct{}

	mu      sync.Mutex
	frames  map[int64][]cassette.Frame // frames of live sessions, by SessionInfo.N
	records []*Record
	judged  int
	failed  int
	changed chan struct{} // closed and replaced whenever a session was judged
}

// New starts a monitor; Close stops it after judging what ended.
func New(opts *Options) *Monitor {
	m := &Monitor{queue: make(chan *Record, 256), done: make(chan struct{}), frames: map[int64][]cassette.Frame{}, changed: make(chan struct{})}
	if opts != nil {
		m.opts = *opts
	}
	if m.opts.Rules == nil {
		m.opts.Rules = conformance.Rules()
	}
	if m.opts.Keep <= 0 {
		m.opts.Keep = 100
	}
	go m.run()
	return m
}

// Observer is what the mock must be given (mockserver.Options.Observer).
func (m *Monitor) Observer() mockserver.Observer {
	return mockserver.ObserverFuncs{
		Started: func(s *mockserver.SessionInfo) {
			m.mu.Lock()
			m.frames[s.N] = nil
			m.mu.Unlock()
		},
		OnFrame: func(s *mockserver.SessionInfo, o *mockserver.Observed) {
			f := o.Frame
			f.Data = slices.Clone(f.Data)
			m.mu.Lock()
			m.frames[s.N] = append(m.frames[s.N], f)
			m.mu.Unlock()
		},
		Ended: func(s *mockserver.SessionInfo, t *mockserver.Transcript) {
			m.mu.Lock()
			frames := m.frames[s.N]
			delete(m.frames, s.N)
			m.mu.Unlock()
			tr := *t
			tr.Frames = frames
			m.queue <- &Record{Info: *s, Transcript: &tr}
		},
	}
}

// run judges sessions in the order they ended.
func (m *Monitor) run() {
	defer close(m.done)
	for r := range m.queue {
		m.judge(r)
		m.report(r)
		m.mu.Lock()
		m.records = append(m.records, r)
		if len(m.records) > m.opts.Keep {
			m.records = slices.Delete(m.records, 0, len(m.records)-m.opts.Keep)
		}
		m.judged++
		if r.Failed {
			m.failed++
		}
		close(m.changed)
		m.changed = make(chan struct{})
		m.mu.Unlock()
	}
}

func (m *Monitor) judge(r *Record) {
	s := conformance.FromTranscript(r.Transcript)
	var sc *scenarios.Scenario
	if m.opts.Scenario != nil {
		sc = m.opts.Scenario()
	}
	if sc != nil {
		s.Scenario = sc.Name
	}
	r.Profile = conformance.ProfileOf(s)
	if why := r.Profile.Unmet(sc); why != "" {
		r.NotApplicable = why
		return
	}
	r.Verdicts = conformance.Check(m.opts.Rules, s)
	r.Expectations = conformance.Expectations(sc, s)
	for _, v := range append(slices.Clip(r.Verdicts), r.Expectations...) {
		r.Failed = r.Failed || v.Failed()
	}
}

// report writes what a session's judgement found.
func (m *Monitor) report(r *Record) {
	w := m.opts.Out
	if w == nil {
		return
	}
	name := fmt.Sprintf("session %d (%s, %s)", r.Info.N, r.Info.ID, r.Info.Dialect)
	switch {
	case r.NotApplicable != "":
		fmt.Fprintf(w, "check: %s: n/a: %s\n", name, r.NotApplicable)
		return
	case !r.Failed:
		fmt.Fprintf(w, "check: %s: pass\n", name)
		return
	}
	fmt.Fprintf(w, "check: %s: FAIL\n", name)
	for _, v := range append(slices.Clip(r.Verdicts), r.Expectations...) {
		if !v.Failed() {
			continue
		}
		for _, f := range v.Findings {
			fmt.Fprintf(w, "  %s at %.3fs: %s\n", v.Rule, f.At.Seconds(), f.Problem)
			if f.Want != "" {
				fmt.Fprintf(w, "    expected: %s\n", f.Want)
			}
		}
	}
}

// Counts returns how many sessions were judged and how many failed.
func (m *Monitor) Counts() (judged, failed int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.judged, m.failed
}

// Changed returns a channel closed when the next session is judged.
func (m *Monitor) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// Records returns the sessions judged last, oldest first.
func (m *Monitor) Records() []*Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records)
}

// Record returns the judged session named id (its sess_… id or its
// number), or nil.
func (m *Monitor) Record(id string) *Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.records {
		if r.Info.ID == id || fmt.Sprint(r.Info.N) == id {
			return r
		}
	}
	return nil
}

// Reset forgets the judged sessions and the counts.
func (m *Monitor) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records, m.judged, m.failed = nil, 0, 0
}

// Close waits until every session that ended is judged, then stops. The
// mock must be closed first.
func (m *Monitor) Close() {
	close(m.queue)
	<-m.done
}
