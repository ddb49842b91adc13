package loadtest

import (
	"context"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestOptionsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"a host that is not loopback", Options{Target: "http://example.com:8080"}, "not a loopback address"},
		{"a private address", Options{Target: "ws://10.0.0.1:80"}, "not a loopback address"},
		{"a scheme that is not WebSocket or HTTP", Options{Target: "ftp://127.0.0.1"}, "want an http:// or ws:// URL"},
		{"a scenario and a cassette", Options{Scenario: &scenarios.Scenario{}, Cassette: &cassette.Cassette{}}, "not both"},
		{"too many sessions", Options{Sessions: MaxSessions + 1}, "Sessions"},
		{"negative turns", Options{Turns: -1}, "Turns"},
		{"a duration beyond the limit", Options{Duration: 2 * MaxDuration}, "Duration"},
		{"a path without a slash", Options{Path: "openai/realtime"}, "does not start with /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Run(context.Background(), &tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLoopbackTargets(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":   "ws://127.0.0.1:8080",
		"ws://localhost:80/":      "ws://localhost:80",
		"https://[::1]:443/x?y=1": "wss://[::1]:443/x",
	} {
		if got, err := loopbackURL(in); err != nil || got != want {
			t.Errorf("loopbackURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// A running server given by URL is measured like the in-process one,
// without the idle figures (its memory is another process's).
func TestRunAgainstTarget(t *testing.T) {
	t.Parallel()
	srv, err := mockserver.New(&mockserver.Options{Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}, DisableTLS: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rep, err := Run(context.Background(), &Options{Target: srv.URL(), Sessions: 3, Turns: 2, Pairs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Target != "ws://"+srv.Addr().String() || rep.Idle != nil {
		t.Errorf("target %q, idle %v; want the URL and no idle figures", rep.Target, rep.Idle)
	}
	if p := rep.Product[0]; p.Target != "target" || p.Responses != 6 || rep.ProtocolErrors() != 0 {
		t.Errorf("%s: %d responses, %d protocol errors; want target, 6, 0", p.Target, p.Responses, rep.ProtocolErrors())
	}
}
