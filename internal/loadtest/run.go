package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// target is a server sessions dial: the product or the baseline.
type target struct {
	name   string
	url    string   // ws://host:port/path?query
	ended  *counter // sessions that ended on the server; nil when unknown
	pid    int      // the server's own process in a split run; 0 in-process
	dialed atomic.Int64
	// restart starts a fresh server process (split runs); stop stops the
	// current one.
	restart func(context.Context) error
	stop    func() error
}

// settle waits, up to within, until every session dialled so far has
// ended on the server, so that one step's teardown does not run into the
// next step.
func (t *target) settle(ctx context.Context, within time.Duration) error {
	if t.ended == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := t.ended.wait(ctx, int(t.dialed.Load())); err != nil {
		return fmt.Errorf("%s: wait for sessions to end: %w", t.name, err)
	}
	return nil
}

// runner is one Run in progress.
type runner struct {
	cfg      *config
	http     *http.Client
	replay   *replayScript // cassette sessions; nil for simulated ones
	offsets  []time.Duration
	product  *target
	baseline *target
	closers  []func() error // in the order to call them
}

// Run measures the target as Options describe and returns the report. It
// returns an error when the run could not be made (the target is
// unreachable, the capture failed, ctx ended); protocol errors during the
// phases are counted in the report instead.
func Run(ctx context.Context, opts *Options) (rep *Report, err error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	rep = &Report{
		Source: sourceName(cfg), Pace: paceName(cfg.Pace), Sessions: cfg.Sessions, Turns: cfg.Turns,
		Pairs: max(cfg.Pairs, 0), CPUs: runtime.GOMAXPROCS(0), LoadBefore: loadAverage(), PressureBefore: cpuPressure(), Target: cfg.Target,
	}
	if cfg.Target == "" {
		rep.Target = "in-process rtmock"
	}
	if cfg.Cassette != nil {
		for _, f := range cfg.Cassette.All() {
			rep.CassetteBytes += int64(len(f.Data))
		}
	}
	r, sc, err := start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := r.close(); cerr != nil && err == nil {
			rep, err = nil, cerr
		}
	}()
	rep.URL = r.product.url

	if cfg.IdleSessions > 0 && cfg.Target == "" && cfg.Split == nil {
		cfg.Logf("idle: %d sessions on a null server, %s and the baseline", cfg.IdleSessions, r.product.name)
		if rep.Idle, err = r.idle(ctx, sc); err != nil {
			return nil, err
		}
	}

	lat, err := r.pairs(ctx, rep)
	if err != nil {
		return nil, err
	}
	rep.MedianRatio, rep.MedianCPURatio = median(rep.Ratios), median(rep.CPURatios)
	rep.MedianServerCPURatio = median(rep.ServerCPURatios)
	if cfg.IdleSessions > 0 && cfg.Split != nil {
		cfg.Logf("idle: %d sessions, the servers' own memory", cfg.IdleSessions)
		if rep.Idle, err = r.idleSplit(ctx); err != nil {
			return nil, err
		}
	}
	if r.paced() {
		rep.Lateness = newLateness(lat.late, lat.drift)
		if r.baseline != nil {
			rep.BaselineLateness = newLateness(lat.baseLate, lat.baseDrift)
		}
	}
	for _, p := range append(rep.Product, rep.Baseline...) {
		rep.PeakGoroutines = max(rep.PeakGoroutines, p.Goroutines)
	}
	rep.PeakRSS = procStatus("VmHWM")
	rep.LoadAfter, rep.PressureAfter = loadAverage(), cpuPressure()
	rep.Elapsed = time.Since(began)
	return rep, nil
}

// latencies are the lateness samples of a run's phases, the mock's and the
// baseline's.
type latencies struct {
	late, drift, baseLate, baseDrift []time.Duration
}

// pairs runs the phases, the mock then the baseline, --pairs times, and
// adds each phase and each pair's ratios to rep.
func (r *runner) pairs(ctx context.Context, rep *Report) (lat latencies, err error) {
	for i := range max(r.cfg.Pairs, 1) {
		p, l, d, err := r.phase(ctx, r.product, i+1)
		if err != nil {
			return lat, err
		}
		rep.Product = append(rep.Product, p)
		lat.late, lat.drift = append(lat.late, l...), append(lat.drift, d...)
		r.cfg.Logf("pair %d: %s %.1f MB/s, %.0f events/s, %d errors", i+1, r.product.name, p.MBPerSec, p.EventsPerSec, p.ProtocolErrors)
		if r.baseline == nil {
			continue
		}
		b, l, d, err := r.phase(ctx, r.baseline, i+1)
		if err != nil {
			return lat, err
		}
		rep.Baseline = append(rep.Baseline, b)
		lat.baseLate, lat.baseDrift = append(lat.baseLate, l...), append(lat.baseDrift, d...)
		ratio, cpuRatio := rep.addRatios(p, b)
		r.cfg.Logf("pair %d: baseline %.1f MB/s, ratio %.2f, CPU ratio %.2f", i+1, b.MBPerSec, ratio, cpuRatio)
	}
	return lat, nil
}

// addRatios adds one pair's ratios to the report: throughput and process
// CPU, and the servers' own CPU in a split run.
func (rep *Report) addRatios(p, b Phase) (ratio, cpuRatio float64) {
	if b.MBPerSec > 0 {
		ratio = p.MBPerSec / b.MBPerSec
	}
	if p.CPUPerEvent > 0 {
		cpuRatio = b.CPUPerEvent / p.CPUPerEvent
	}
	rep.Ratios, rep.CPURatios = append(rep.Ratios, ratio), append(rep.CPURatios, cpuRatio)
	if p.ServerCPUPerEvent > 0 && b.ServerCPUPerEvent > 0 {
		rep.ServerCPURatios = append(rep.ServerCPURatios, p.ServerCPUPerEvent/b.ServerCPUPerEvent)
	}
	return ratio, cpuRatio
}

// start starts the target (unless it runs elsewhere), captures a session of
// it, and starts the baseline with what it captured.
func start(ctx context.Context, cfg *config) (r *runner, sc *script, err error) {
	r = &runner{cfg: cfg, http: &http.Client{Transport: &http.Transport{}}}
	r.closers = append(r.closers, func() error { r.http.CloseIdleConnections(); return nil })
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if cfg.Cassette != nil {
		if r.replay, err = newReplayScript(cfg.Cassette); err != nil {
			return nil, nil, fmt.Errorf("replay cassette %s: %w", cfg.Cassette.Path(), err)
		}
		if r.paced() {
			r.offsets = r.replay.offsets(cfg.Pace.Factor)
		}
	}
	switch {
	case cfg.Split != nil:
		if r.product, err = r.spawn(ctx, RoleMock, "", "rtmock"); err != nil {
			return nil, nil, err
		}
	case cfg.Target == "":
		ended := newCounter()
		mock, err := mockserver.New(&mockserver.Options{
			Scenario: cfg.Scenario, Cassette: cfg.Cassette, Pace: cfg.Pace, Seed: cfg.Seed,
			DisableTLS: true, MaxSessions: cfg.Sessions + max(cfg.IdleSessions, 0) + 16,
			OnSessionEnd: func(*mockserver.Transcript) { ended.add() },
		})
		if err != nil {
			return nil, nil, fmt.Errorf("start the mock: %w", err)
		}
		r.closers = append([]func() error{func() error {
			if err := mock.Close(); err != nil {
				return fmt.Errorf("close the mock: %w", err)
			}
			return nil
		}}, r.closers...)
		r.product = &target{name: "rtmock", url: "ws" + strings.TrimPrefix(mock.URL(), "http") + cfg.Path, ended: ended}
	default:
		r.product = &target{name: "target", url: cfg.Target + cfg.Path}
	}
	cfg.Logf("capture: one session of %s", r.product.name)
	if sc, err = r.capture(ctx); err != nil {
		return nil, nil, err
	}
	if cfg.Pairs > 0 && cfg.Split != nil {
		if r.baseline, err = r.spawnBaseline(ctx, sc); err != nil {
			return nil, nil, err
		}
	} else if cfg.Pairs > 0 {
		base, err := startBaseline(sc)
		if err != nil {
			return nil, nil, err
		}
		r.closers = append([]func() error{func() error {
			if err := base.close(); err != nil {
				return fmt.Errorf("close the baseline: %w", err)
			}
			return nil
		}}, r.closers...)
		r.baseline = &target{name: "baseline", url: base.url() + "/", ended: base.ended}
	}
	if err := r.product.settle(ctx, cfg.Duration); err != nil {
		return nil, nil, err
	}
	return r, sc, nil
}

// close stops what start started.
func (r *runner) close() error {
	var errs []error
	for _, c := range r.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// paced reports whether audio deltas have a schedule to be measured
// against.
func (r *runner) paced() bool {
	if r.cfg.Cassette != nil {
		return r.cfg.Pace.Mode != scenarios.PaceInstant
	}
	return r.cfg.speed > 0
}

func (r *runner) dial(ctx context.Context, t *target) (*websocket.Conn, error) {
	conn, _, err := websocket.Dial(ctx, t.url, &websocket.DialOptions{
		HTTPClient:      r.http,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", t.name, err)
	}
	t.dialed.Add(1)
	conn.SetReadLimit(readLimit)
	return conn, nil
}

// connect dials a session and reads what the server sends on connect. The
// connection closes when ctx is done.
func (r *runner) connect(ctx context.Context, t *target, tl *tally) (*client, error) {
	conn, err := r.dial(ctx, t)
	if err != nil {
		return nil, err
	}
	c := newClient(ctx, conn, tl)
	c.offsets = r.offsets
	if r.replay == nil && r.cfg.speed > 0 {
		c.speed = r.cfg.speed
	}
	n := 1
	if r.replay != nil {
		n = r.replay.connectFrames()
	}
	if err := c.readUntil(n); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// work runs a session's turns after its connect frames and returns the
// client it ended with (a cassette session reconnects for every replay).
func (r *runner) work(ctx context.Context, t *target, c *client) (*client, error) {
	if r.replay == nil {
		for range r.cfg.Turns {
			if err := c.turn(); err != nil {
				return c, err
			}
		}
		return c, nil
	}
	for i := range r.cfg.Turns {
		if i > 0 {
			// A recording starts at connect: every replay is a new session.
			c.closeNormally()
			next, err := r.connect(ctx, t, c.t)
			if err != nil {
				return c, err
			}
			next.counting, next.buf = true, c.buf
			c = next
		}
		if err := c.replay(r.replay); err != nil {
			return c, err
		}
	}
	return c, nil
}

func sourceName(cfg *config) string {
	switch {
	case cfg.Cassette != nil:
		return "cassette " + cfg.Cassette.Path()
	case cfg.Scenario != nil:
		return "scenario " + cfg.Scenario.Name
	}
	return "default reply"
}

func paceName(p scenarios.Pace) string {
	if p.Mode == scenarios.PaceLive && p.Factor != 1 {
		return fmt.Sprintf("%gx", p.Factor)
	}
	return string(p.Mode)
}
