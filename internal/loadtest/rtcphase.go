package loadtest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// rtcTally is what one WebRTC session of a phase counted.
type rtcTally struct {
	replies        int // replies that played out (output_audio_buffer.stopped)
	refused        int // response.create answered with an error event
	cut            int // sessions the phase's deadline interrupted
	protocolErrors int
	firstErr       string
	events         int
	errorEvents    int
	speech         int
	micSent        int64
	stats          rtpStats
	finish         time.Time
}

// end records how a session's work ended: a cut when the phase's deadline
// passed, else an error.
func (t *rtcTally) end(ctx context.Context, err error) {
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		t.cut++
		return
	}
	t.protocolErrors++
	if t.firstErr == "" {
		t.firstErr = err.Error()
	}
}

// collect copies what a closed client counted into t.
func (c *rtcClient) collect(t *rtcTally) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.endBurst()
	t.events, t.errorEvents, t.speech, t.stats = c.events, c.errorEvents, c.speech, c.stats
	t.micSent = c.micSent.Load()
}

// phaseSync is how a phase's sessions move in step: all connect (ready),
// then start together, each after its own delay, and close once the last
// has finished (release).
type phaseSync struct {
	ready, finished, done sync.WaitGroup
	start, release        chan struct{}
}

// phase runs C sessions against t: all connect, then all start their
// replies, spread over a second as independent callers would.
func (r *rtcRunner) phase(ctx context.Context, t *target, pair int) (RTCPhase, rtcSamples, error) {
	cfg := r.cfg
	if t.restart != nil {
		if err := t.restart(ctx); err != nil {
			return RTCPhase{}, rtcSamples{}, err
		}
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	tallies := make([]rtcTally, cfg.Sessions)
	sy := &phaseSync{start: make(chan struct{}), release: make(chan struct{})}
	sy.ready.Add(cfg.Sessions)
	sy.finished.Add(cfg.Sessions)
	sy.done.Add(cfg.Sessions)
	t0 := time.Now()
	for i := range tallies {
		delay := pacedSpread * time.Duration(i) / time.Duration(len(tallies))
		go func() {
			defer sy.done.Done()
			r.session(pctx, t, &tallies[i], sy, delay)
		}()
	}
	sy.ready.Wait()
	p := RTCPhase{Target: t.name, Pair: pair, Sessions: cfg.Sessions, Connect: time.Since(t0)}
	runtime.GC()
	p.Goroutines = runtime.NumGoroutine()
	var srv *serverSample
	if t.pid != 0 {
		srv = startServerSample(t.pid)
	}
	cpu0, rt0 := cpuTime(), readRuntime()
	begin := time.Now()
	close(sy.start)
	sy.finished.Wait()
	p.CPU, p.Runtime = cpuTime()-cpu0, runtimeBetween(rt0, readRuntime())
	srv.finish()
	close(sy.release)
	sy.done.Wait()
	if err := ctx.Err(); err != nil {
		return RTCPhase{}, rtcSamples{}, fmt.Errorf("%s phase of pair %d: %w", t.name, pair, err)
	}
	if err := t.settle(ctx, cfg.Duration); err != nil {
		return RTCPhase{}, rtcSamples{}, err
	}
	s := p.sum(tallies, begin)
	p.rates(srv)
	return p, s, nil
}

// session is one session of a phase. It signals ready once connected (or
// failed), waits for start and then delay, runs its replies while its
// microphone streams, signals finished, and hangs up once the phase
// releases it.
func (r *rtcRunner) session(ctx context.Context, t *target, tl *rtcTally, sy *phaseSync, delay time.Duration) {
	c, err := r.connect(ctx, t, false)
	sy.ready.Done()
	if err != nil {
		tl.end(ctx, err)
		sy.finished.Done()
		return
	}
	defer c.collect(tl) // after the hang-up: nothing more arrives
	defer c.close()
	if !waitStart(ctx, sy.start, delay) {
		tl.cut++
		sy.finished.Done()
		return
	}
	tl.end(ctx, r.work(ctx, c, tl))
	tl.finish = time.Now()
	sy.finished.Done()
	select {
	case <-sy.release:
	case <-ctx.Done():
	}
}

// waitStart waits for start, then delay; false when ctx ended first.
func waitStart(ctx context.Context, start <-chan struct{}, delay time.Duration) bool {
	select {
	case <-start:
	case <-ctx.Done():
		return false
	}
	if delay <= 0 {
		return true
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// work streams the microphone and runs the session's replies.
func (r *rtcRunner) work(ctx context.Context, c *rtcClient, tl *rtcTally) error {
	stop := make(chan struct{})
	defer close(stop)
	c.wg.Add(1)
	go c.streamMic(r.mic, stop)
	for range r.cfg.Turns {
		played, err := c.turn(ctx)
		if err != nil {
			return err
		}
		if played {
			tl.replies++
		} else {
			tl.refused++
		}
	}
	return nil
}

// sum adds up the sessions' tallies into p and returns their lateness
// samples.
func (p *RTCPhase) sum(tallies []rtcTally, begin time.Time) rtcSamples {
	var s rtcSamples
	var last time.Time
	for i := range tallies {
		tl := &tallies[i]
		p.Replies += tl.replies
		p.Refused += tl.refused
		p.Cut += tl.cut
		p.ProtocolErrors += tl.protocolErrors
		p.Events += tl.events
		p.ErrorEvents += tl.errorEvents
		p.SpeechStarted += tl.speech
		p.MicPackets += tl.micSent
		p.Packets += int64(tl.stats.packets)
		p.Lost += int64(tl.stats.lost())
		if p.FirstError == "" {
			p.FirstError = tl.firstErr
		}
		s.add(rtcSamples{late: tl.stats.late, ends: tl.stats.ends, bursts: tl.stats.bursts})
		if tl.finish.After(last) {
			last = tl.finish
		}
	}
	p.Bursts = s.bursts
	if !last.IsZero() {
		p.Elapsed = last.Sub(begin)
	}
	p.Lateness = newRTCLateness(s)
	return s
}

// rates works out the CPU per session-second, and the server process's
// figures in a split run.
func (p *RTCPhase) rates(srv *serverSample) {
	p.SessionSeconds = float64(p.MicPackets+p.Packets) * rtcFrame.Seconds() / 2
	if p.SessionSeconds > 0 {
		p.CPUPerSessionSecond = float64(p.CPU) / p.SessionSeconds
	}
	if srv == nil {
		return
	}
	p.ServerCPU, p.ServerRSSBase, p.ServerPeakRSS = srv.cpu, srv.rss0, srv.peak
	if p.SessionSeconds > 0 {
		p.ServerCPUPerSessionSecond = float64(srv.cpu) / p.SessionSeconds
	}
	if p.Sessions > 0 {
		p.ServerPeakPerSession = float64(srv.peak-srv.rss0) / float64(p.Sessions)
	}
}
