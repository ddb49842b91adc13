package loadtest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// phase runs C sessions against t: all connect, then all start their turns
// at once. It returns the phase's figures and its lateness and drift
// samples (paced runs).
func (r *runner) phase(ctx context.Context, t *target, pair int) (Phase, []time.Duration, []time.Duration, error) {
	cfg := r.cfg
	if t.restart != nil {
		if err := t.restart(ctx); err != nil {
			return Phase{}, nil, nil, err
		}
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	tallies := make([]tally, cfg.Sessions)
	var ready, finished, done sync.WaitGroup
	start, release := make(chan struct{}), make(chan struct{})
	ready.Add(cfg.Sessions)
	finished.Add(cfg.Sessions)
	done.Add(cfg.Sessions)
	t0 := time.Now()
	for i := range tallies {
		var delay time.Duration
		if r.paced() {
			delay = pacedSpread * time.Duration(i) / time.Duration(len(tallies))
		}
		go func() {
			defer done.Done()
			r.session(pctx, t, &tallies[i], &ready, &finished, start, release, delay)
		}()
	}
	ready.Wait()
	connected := time.Since(t0)
	runtime.GC() // every phase starts from a collected heap
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	goroutines := runtime.NumGoroutine()
	var srv *serverSample
	if t.pid != 0 {
		srv = startServerSample(t.pid)
	}
	cpu0, rt0 := cpuTime(), readRuntime()
	begin := time.Now()
	close(start)
	finished.Wait()
	cpu, rt := cpuTime()-cpu0, runtimeBetween(rt0, readRuntime())
	srv.finish()
	runtime.ReadMemStats(&m1)
	close(release)
	done.Wait()
	if err := ctx.Err(); err != nil {
		return Phase{}, nil, nil, fmt.Errorf("%s phase of pair %d: %w", t.name, pair, err)
	}
	if err := t.settle(ctx, cfg.Duration); err != nil {
		return Phase{}, nil, nil, err
	}

	p := Phase{Target: t.name, Pair: pair, Sessions: cfg.Sessions, Connect: connected, Goroutines: goroutines, CPU: cpu, Runtime: rt}
	var late, drift []time.Duration
	var last time.Time
	for i := range tallies {
		tl := &tallies[i]
		p.Events += tl.events
		p.Bytes += tl.bytes
		p.Responses += tl.responses
		p.Refused += tl.refused
		p.Cut += tl.cut
		p.ErrorEvents += tl.errorEvents
		p.ProtocolErrors += tl.protocolErrors
		if p.FirstError == "" {
			p.FirstError = tl.firstErr
		}
		late, drift = append(late, tl.late...), append(drift, tl.drift...)
		if tl.finish.After(last) {
			last = tl.finish
		}
	}
	if !last.IsZero() {
		p.Elapsed = last.Sub(begin)
	}
	if s := p.Elapsed.Seconds(); s > 0 {
		p.EventsPerSec = float64(p.Events) / s
		p.MBPerSec = float64(p.Bytes) / s / 1e6
	}
	if p.Events > 0 {
		p.AllocsPerEvent = float64(m1.Mallocs-m0.Mallocs) / float64(p.Events)
		p.AllocBytesPerEvent = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(p.Events)
		p.CPUPerEvent = float64(cpu) / float64(p.Events)
	}
	srv.report(&p)
	if r.paced() {
		p.Lateness = newLateness(late, drift)
	}
	return p, late, drift, nil
}

// pacedSpread is the time over which the sessions of a paced phase start
// their turns, evenly, as independent callers would; sessions started in
// the same millisecond would all have their first deltas due at once.
// Instant phases start every session together.
const pacedSpread = time.Second

// session is one session of a phase. It signals ready once connected (or
// failed), waits for start and then delay, runs its turns, signals
// finished, and closes once the phase releases it.
func (r *runner) session(ctx context.Context, t *target, tl *tally, ready, finished *sync.WaitGroup, start, release <-chan struct{}, delay time.Duration) {
	c, err := r.connect(ctx, t, tl)
	ready.Done()
	if err != nil {
		tl.end(ctx, err)
		finished.Done()
		return
	}
	defer func() { c.close() }()
	select {
	case <-start:
	case <-ctx.Done():
		tl.cut++
		finished.Done()
		return
	}
	if delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			tl.cut++
			finished.Done()
			return
		}
	}
	c.counting = true
	c, err = r.work(ctx, t, c)
	tl.end(ctx, err)
	tl.finish = time.Now()
	finished.Done()
	select {
	case <-release:
	case <-ctx.Done():
	}
	c.closeNormally()
}

// serverSample measures a split run's server process over a phase: its CPU
// time and its peak resident set above where it started.
type serverSample struct {
	pid        int
	cpu0, cpu  time.Duration
	rss0, peak int64
	rss        *rssSampler
}

func startServerSample(pid int) *serverSample {
	return &serverSample{pid: pid, cpu0: procCPU(pid), rss0: procRSS(pid), rss: watchRSS(pid)}
}

func (s *serverSample) finish() {
	if s != nil {
		s.cpu, s.peak = procCPU(s.pid)-s.cpu0, s.rss.peak()
	}
}

func (s *serverSample) report(p *Phase) {
	if s == nil {
		return
	}
	p.ServerCPU = s.cpu
	if p.Events > 0 {
		p.ServerCPUPerEvent = float64(s.cpu) / float64(p.Events)
	}
	p.ServerRSSBase, p.ServerPeakRSS = s.rss0, s.peak
	if p.Sessions > 0 {
		p.ServerPeakPerSession = float64(s.peak-s.rss0) / float64(p.Sessions)
	}
}
