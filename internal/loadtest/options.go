package loadtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

// Limits of a run. Runs are meant for one machine's loopback: these keep a
// typo from opening a million sockets.
const (
	MaxSessions = 10000
	MaxTurns    = 100000
	MaxPairs    = 100
	MaxDuration = time.Hour
)

// DefaultPath is what sessions dial when neither Options.Path nor a
// cassette says otherwise: the Azure preview endpoint.
const DefaultPath = "/openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview"

// Options configure a Run. A nil *Options, and every zero field, means the
// documented default.
type Options struct {
	// Target is the base URL (http://, ws://) of a running realtime server
	// on a loopback address, serving Scenario or Cassette at Pace. Default
	// "": Run starts an in-process mockserver on 127.0.0.1 (plain, no TLS)
	// and stops it when done. Non-loopback hosts are refused.
	Target string
	// Path is the path and query every session dials. Default: the
	// cassette's recorded endpoint, or DefaultPath.
	Path string
	// Scenario scripts the in-process mock; nil means the mock's default
	// reply. With Target it only tells Run the replies' pace.
	Scenario *scenarios.Scenario
	// Cassette makes every session replay this recording; the in-process
	// mock serves it. It is loaded once and shared by every session.
	Cassette *cassette.Cassette
	// Pace of the in-process mock and of the baseline. Default instant.
	// Paced runs (realtime, live, Nx) report lateness.
	Pace scenarios.Pace
	// Sessions is C, the number of concurrent sessions of each phase.
	// Default 100; at most MaxSessions.
	Sessions int
	// Turns each session runs (for a cassette: replays of the recording).
	// Default 5; at most MaxTurns.
	Turns int
	// Pairs of phases, target then baseline. Default 5; at most MaxPairs.
	// Negative runs the target once and no baseline.
	Pairs int
	// Duration bounds each phase: when it passes, unfinished turns are cut
	// and counted in Phase.Cut. Setup steps (capture, idle sessions) are
	// bounded by it too. Default 60s; at most MaxDuration.
	Duration time.Duration
	// IdleSessions is K, the number of idle sessions whose memory is
	// measured. Default 1000; at most MaxSessions; negative skips the
	// measurement.
	IdleSessions int
	// Seed of the in-process mock's ids. Default 1.
	Seed int64
	// Logf receives a line per step (capture, each phase, idle). Default:
	// nothing is printed.
	Logf func(format string, args ...any)
	// Split, when set, runs the mock and the baseline each in a server
	// process of its own, started by Split: the phases then measure each
	// server's own CPU time and peak memory (Phase.ServerCPU…), and idle
	// sessions the server's memory alone. Not with Target.
	Split Spawner
}

// config is Options with every default applied.
type config struct {
	Options
	speed float64 // audio speed over playback for lateness; 0 = instant
}

func newConfig(opts *Options) (*config, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Scenario != nil && o.Cassette != nil {
		return nil, errors.New("options: a scenario or a cassette, not both")
	}
	if o.Pace.Mode == scenarios.PaceDefault {
		o.Pace = scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}
	}
	if o.Pace.Factor <= 0 {
		o.Pace.Factor = 1
	}
	check := func(name string, v *int, def, max int, negativeOK bool) error {
		switch {
		case *v == 0:
			*v = def
		case *v < 0 && negativeOK:
		case *v < 0 || *v > max:
			return fmt.Errorf("options: %s = %d, want 1 to %d", name, *v, max)
		}
		return nil
	}
	if err := errors.Join(
		check("Sessions", &o.Sessions, 100, MaxSessions, false),
		check("Turns", &o.Turns, 5, MaxTurns, false),
		check("Pairs", &o.Pairs, 5, MaxPairs, true),
		check("IdleSessions", &o.IdleSessions, 1000, MaxSessions, true),
	); err != nil {
		return nil, err
	}
	switch {
	case o.Duration == 0:
		o.Duration = 60 * time.Second
	case o.Duration < 0 || o.Duration > MaxDuration:
		return nil, fmt.Errorf("options: Duration = %v, want up to %v", o.Duration, MaxDuration)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Split != nil && o.Target != "" {
		return nil, errors.New("options: Split starts its own servers; not with Target")
	}
	if o.Target != "" {
		u, err := loopbackURL(o.Target)
		if err != nil {
			return nil, fmt.Errorf("options: Target: %w", err)
		}
		o.Target = u
	}
	if o.Path == "" {
		o.Path = DefaultPath
		if o.Cassette != nil {
			o.Path = cassettePath(o.Cassette)
		}
	}
	if !strings.HasPrefix(o.Path, "/") {
		return nil, fmt.Errorf("options: Path %q does not start with /", o.Path)
	}
	return &config{Options: o, speed: paceSpeed(replyPace(o.Scenario, o.Pace))}, nil
}

// loopbackURL checks that raw is an http(s) or ws(s) URL of a loopback
// host and returns its ws(s) form without a trailing slash.
func loopbackURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%q: want an http:// or ws:// URL", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" {
		return "", fmt.Errorf("%q is not a loopback address (load runs stay on this machine)", host)
	}
	u.Path, u.RawQuery = strings.TrimSuffix(u.Path, "/"), ""
	return u.String(), nil
}

// cassettePath is the path and query the cassette was recorded on.
func cassettePath(c *cassette.Cassette) string {
	ep := c.Header().Endpoint
	if ep.Path == "" {
		return DefaultPath
	}
	q := url.Values{}
	for k, v := range ep.Query {
		q.Set(k, v)
	}
	if len(q) == 0 {
		return ep.Path
	}
	return ep.Path + "?" + q.Encode()
}

// replyPace is the pace the replies to response.create stream at: the
// first such turn's own pace, else the scenario's, else the run's.
func replyPace(sc *scenarios.Scenario, run scenarios.Pace) scenarios.Pace {
	if sc == nil {
		return run
	}
	for _, t := range sc.Turns {
		if t.When == scenarios.OnResponseCreate && t.Reply != nil && t.Reply.Pace.Mode != scenarios.PaceDefault {
			return t.Reply.Pace
		}
	}
	return run
}

// paceSpeed is how many seconds of audio the server streams per second, or
// 0 for instant.
func paceSpeed(p scenarios.Pace) float64 {
	f := p.Factor
	if f <= 0 {
		f = 1
	}
	switch p.Mode {
	case scenarios.PaceRealtime:
		return f
	case scenarios.PaceLive:
		return f * mockserver.DefaultLatencies.AudioSpeed
	}
	return 0
}
