package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/rtmock/rtmock/mockserver"
)

// A WebRTC run (RunRTC) measures N concurrent loopback calls. Each session
// posts an SDP offer with a standard key, opens the "oai-events" data
// channel, streams a quiet microphone (Opus, 20 ms packets, in real time,
// below the server VAD's threshold) and asks for Turns replies, one
// response.create at a time, each once the last has played out
// (output_audio_buffer.stopped). The server encodes every reply's audio
// to Opus and paces it on the RTP track; the client times each packet
// against its 20 ms schedule (rtpStats).
//
// The baseline is a raw pion server (rtcRaw) that does the same media
// work without the session core. Phases alternate mock, raw, Pairs times,
// as in WebSocket runs, and with Options.Split each server runs in a
// process of its own whose CPU time is its alone.

// rtcRunner is one RunRTC in progress. It borrows runner's targets,
// closers, HTTP client and split-process machinery.
type rtcRunner struct {
	*runner
	api    *webrtc.API
	mic    [][]byte
	script *rtcScript
}

// RunRTC measures WebRTC calls as Options describe and returns the report.
// The fields that apply: Scenario and Pace (the mock's), Sessions, Turns
// (replies per session), Pairs, Duration, Seed, Path (default
// DefaultRTCPath), Split and Logf. Target and Cassette are refused;
// IdleSessions is not measured over WebRTC.
func RunRTC(ctx context.Context, opts *Options) (rep *RTCReport, err error) {
	cfg, err := newRTCConfig(opts)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	rep = &RTCReport{
		Transport: "webrtc", Source: sourceName(cfg), Pace: paceName(cfg.Pace), Sessions: cfg.Sessions, Turns: cfg.Turns,
		Pairs: max(cfg.Pairs, 0), Split: cfg.Split != nil, CPUs: runtime.GOMAXPROCS(0),
		LoadBefore: loadAverage(), PressureBefore: cpuPressure(), Target: "in-process rtmock",
	}
	if cfg.Split != nil {
		rep.Target = "rtmock process"
	}
	r, err := startRTC(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := r.close(); cerr != nil && err == nil {
			rep, err = nil, cerr
		}
	}()
	rep.URL, rep.ReplyPackets, rep.ReplyEvents = httpBase(r.product.url), r.script.Packets, len(r.script.Reply)+1
	lat, err := r.pairs(ctx, rep)
	if err != nil {
		return nil, err
	}
	rep.MedianCPURatio = median(rep.CPURatios)
	rep.Lateness = newRTCLateness(lat.product)
	if r.baseline != nil {
		rep.BaselineLateness = newRTCLateness(lat.baseline)
	}
	for _, p := range append(rep.Product, rep.Baseline...) {
		rep.PeakGoroutines = max(rep.PeakGoroutines, p.Goroutines)
	}
	rep.PeakRSS = procStatus("VmHWM")
	rep.LoadAfter, rep.PressureAfter = loadAverage(), cpuPressure()
	rep.Elapsed = time.Since(began)
	return rep, nil
}

func newRTCConfig(opts *Options) (*config, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Target != "":
		return nil, errors.New("options: a WebRTC run starts its own servers; no Target")
	case o.Cassette != nil:
		return nil, errors.New("options: a WebRTC run plays no cassette")
	}
	if o.Path == "" {
		o.Path = DefaultRTCPath
	}
	return newConfig(&o)
}

// startRTC starts the mock, captures a call of it, and starts the raw
// server with what it captured.
func startRTC(ctx context.Context, cfg *config) (r *rtcRunner, err error) {
	r = &rtcRunner{runner: &runner{cfg: cfg, http: &http.Client{Transport: &http.Transport{}}}}
	r.closers = append(r.closers, func() error { r.http.CloseIdleConnections(); return nil })
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if r.api, err = newRTCAPI(false); err != nil {
		return nil, err
	}
	if r.mic, err = micPackets(); err != nil {
		return nil, err
	}
	if err := r.startMock(ctx); err != nil {
		return nil, err
	}
	cfg.Logf("capture: one call of %s", r.product.name)
	if r.script, err = r.capture(ctx); err != nil {
		return nil, err
	}
	if cfg.Pairs > 0 {
		if err := r.startRaw(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.product.settle(ctx, cfg.Duration); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rtcRunner) startMock(ctx context.Context) error {
	cfg := r.cfg
	if cfg.Split != nil {
		var err error
		r.product, err = r.spawn(ctx, RoleMock, "", "rtmock")
		return err
	}
	ended := newCounter()
	mock, err := mockserver.New(&mockserver.Options{
		Scenario: cfg.Scenario, Pace: cfg.Pace, Seed: cfg.Seed, DisableTLS: true, MaxSessions: cfg.Sessions + 16,
		OnSessionEnd: func(*mockserver.Transcript) { ended.add() },
	})
	if err != nil {
		return fmt.Errorf("start the mock: %w", err)
	}
	r.closers = append([]func() error{func() error {
		if err := mock.Close(); err != nil {
			return fmt.Errorf("close the mock: %w", err)
		}
		return nil
	}}, r.closers...)
	r.product = &target{name: "rtmock", url: mock.URL() + cfg.Path, ended: ended}
	return nil
}

func (r *rtcRunner) startRaw(ctx context.Context) error {
	if r.cfg.Split != nil {
		path, err := r.writeScript()
		if err != nil {
			return err
		}
		r.baseline, err = r.spawn(ctx, RoleRTCBaseline, path, "raw")
		return err
	}
	raw, err := startRTCRaw(r.script)
	if err != nil {
		return err
	}
	r.closers = append([]func() error{func() error {
		if err := raw.close(); err != nil {
			return fmt.Errorf("close the raw server: %w", err)
		}
		return nil
	}}, r.closers...)
	r.baseline = &target{name: "raw", url: raw.url() + r.cfg.Path, ended: raw.ended}
	return nil
}

// writeScript writes the raw server's script for its process.
func (r *rtcRunner) writeScript() (string, error) {
	data, err := json.Marshal(r.script)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "rtmock-bench-rtc-*.json")
	if err != nil {
		return "", err
	}
	path := f.Name()
	r.closers = append(r.closers, func() error { return os.Remove(path) })
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write the raw server's script: %w", err)
	}
	return path, nil
}

// connect makes a call of t and waits for its first event.
func (r *rtcRunner) connect(ctx context.Context, t *target, keep bool) (*rtcClient, error) {
	c, err := newRTCClient(r.api, keep)
	if err != nil {
		return nil, err
	}
	if err := c.dial(ctx, r.http, httpBase(t.url)); err != nil {
		c.close()
		return nil, fmt.Errorf("call %s: %w", t.name, err)
	}
	t.dialed.Add(1)
	if err := c.waitCreated(ctx); err != nil {
		c.close()
		return nil, fmt.Errorf("call %s: %w", t.name, err)
	}
	return c, nil
}

// capture makes one call of the mock with one reply and returns what the
// raw server is to say: the events on connect and of a reply, and the
// reply's length in packets. It checks the mock works before anything is
// timed.
func (r *rtcRunner) capture(ctx context.Context) (*rtcScript, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	c, err := r.connect(ctx, r.product, true)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	defer c.close()
	c.mu.Lock()
	connect := len(c.kept)
	c.mu.Unlock()
	played, err := c.turn(ctx)
	c.close()
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c.mu.Lock()
	kept, stats := c.kept, c.stats
	c.mu.Unlock()
	sc := &rtcScript{}
	for i, ev := range kept {
		typ, _ := eventType(ev)
		switch {
		case i < connect:
			sc.Connect = append(sc.Connect, string(ev))
		case string(typ) == "output_audio_buffer.stopped" && sc.Stopped == "":
			sc.Stopped = string(ev)
		case sc.Stopped == "":
			sc.Reply = append(sc.Reply, string(ev))
		}
	}
	if stats.seqInit {
		sc.Packets = int(stats.maxSeq - stats.firstSeq + 1)
	}
	if !played || sc.Packets == 0 {
		return nil, fmt.Errorf("capture: response.create got no reply on the track (%d packets; events %d)", sc.Packets, len(kept))
	}
	return sc, nil
}

// rtcLatencies are the lateness samples of a run's phases.
type rtcLatencies struct {
	product, baseline rtcSamples
}

// rtcSamples are lateness samples: every timed packet's, and each burst's
// last packet's.
type rtcSamples struct {
	late, ends []time.Duration
	bursts     int
}

func (s *rtcSamples) add(o rtcSamples) {
	s.late, s.ends, s.bursts = append(s.late, o.late...), append(s.ends, o.ends...), s.bursts+o.bursts
}

// pairs runs the phases, the mock then the raw server, Pairs times.
func (r *rtcRunner) pairs(ctx context.Context, rep *RTCReport) (lat rtcLatencies, err error) {
	for i := range max(r.cfg.Pairs, 1) {
		p, s, err := r.phase(ctx, r.product, i+1)
		if err != nil {
			return lat, err
		}
		rep.Product = append(rep.Product, p)
		lat.product.add(s)
		r.cfg.Logf("pair %d: %s", i+1, p.summary())
		if r.baseline == nil {
			continue
		}
		b, s, err := r.phase(ctx, r.baseline, i+1)
		if err != nil {
			return lat, err
		}
		rep.Baseline = append(rep.Baseline, b)
		lat.baseline.add(s)
		ratio := rep.addRatio(p, b)
		r.cfg.Logf("pair %d: %s; CPU %.2f × raw", i+1, b.summary(), ratio)
	}
	return lat, nil
}
