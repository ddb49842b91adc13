package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/internal/loadtest"
	"github.com/rtmock/rtmock/scenarios"
)

// benchParse runs rtmock bench's flag parsing with args and returns the
// options it would run with.
func benchParse(t *testing.T, args ...string) (*loadtest.Options, error) {
	t.Helper()
	var got *benchOptions
	cmd := benchNewCmd(func(_ *cobra.Command, o *benchOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(new(bytes.Buffer))
	cmd.SetErr(new(bytes.Buffer))
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	return benchLoadOptions(got)
}

func TestBenchFlags(t *testing.T) {
	t.Parallel()
	opts, err := benchParse(t)
	if err != nil {
		t.Fatal(err)
	}
	want := loadtest.Options{Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}, Sessions: 100, Turns: 5, Pairs: 5,
		IdleSessions: 1000, Duration: time.Minute, Seed: 1}
	if diff := cmp.Diff(want, *opts); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	opts, err = benchParse(t, "--scenario", "hello", "-c", "7", "--turns", "3", "--pairs", "0", "--idle", "0", "--pace", "4x", "--duration", "2s")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Scenario == nil || opts.Scenario.Name != "hello" || opts.Sessions != 7 || opts.Turns != 3 || opts.Pairs != -1 ||
		opts.IdleSessions != -1 || opts.Pace != (scenarios.Pace{Mode: scenarios.PaceLive, Factor: 4}) || opts.Duration != 2*time.Second {
		t.Errorf("options = %+v", *opts)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"scenario and cassette", []string{"--scenario", "hello", "--cassette", "x.jsonl"}, "exclude each other"},
		{"bad pace", []string{"--pace", "fast"}, "--pace"},
		{"no sessions", []string{"-c", "0"}, "want 1 to"},
		{"too many sessions", []string{"-c", "100000"}, "want 1 to"},
		{"negative pairs", []string{"--pairs", "-1"}, "--pairs"},
		{"zero duration", []string{"--duration", "0s"}, "--duration"},
		{"unknown scenario", []string{"--scenario", "helo"}, "hello"},
		{"missing cassette", []string{"--cassette", filepath.Join(t.TempDir(), "none.jsonl")}, "--cassette"},
		{"record a cassette from a cassette", []string{"--record", "out.jsonl", "--cassette", "x.jsonl", "--scenario", ""}, "--record"},
		{"unknown transport", []string{"--transport", "sip"}, "--transport"},
		{"webrtc and a cassette", []string{"--transport", "webrtc", "--cassette", "testdata/none.jsonl"}, "no cassette"},
		{"webrtc and a running server", []string{"--transport", "webrtc", "--url", "http://127.0.0.1:1"}, "no --url"},
		{"webrtc and idle sessions", []string{"--transport", "webrtc", "--idle", "10"}, "--idle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := benchParse(t, tc.args...)
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want a usage error mentioning %q", err, tc.want)
			}
			if exitCode(err) != ExitUsage {
				t.Errorf("exit code %d, want %d", exitCode(err), ExitUsage)
			}
		})
	}
}

// TestBenchRecordAndReplay records a cassette with the mock and measures
// replays of it, as docs/performance.md does, on a tiny scale.
func TestBenchRecordAndReplay(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "rec.jsonl")
	var out, errOut bytes.Buffer
	if code := run(NewRootCmd(), []string{"bench", "--record", file, "--turns", "2"}, &out, &errOut); code != ExitOK {
		t.Fatalf("record: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "recorded") {
		t.Errorf("record output = %q", out.String())
	}
	out.Reset()
	errOut.Reset()
	code := run(NewRootCmd(), []string{"bench", "--cassette", file, "-c", "3", "--turns", "1", "--pairs", "1", "--idle", "5", "--json"}, &out, &errOut)
	if code != ExitOK {
		t.Fatalf("bench: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	var rep loadtest.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out.String())
	}
	if len(rep.Product) != 1 || len(rep.Baseline) != 1 || rep.Product[0].Responses != 3*2 || rep.ProtocolErrors() != 0 {
		t.Errorf("report: %d product and %d baseline phases, %d responses, %d protocol errors; want 1, 1, 6, 0",
			len(rep.Product), len(rep.Baseline), rep.Product[0].Responses, rep.ProtocolErrors())
	}
	if !strings.Contains(errOut.String(), "bench: pair 1") {
		t.Errorf("no progress on stderr: %q", errOut.String())
	}
}

func TestBenchText(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run(NewRootCmd(), []string{"bench", "-c", "2", "--turns", "1", "--pairs", "1", "--idle", "0"}, &out, &errOut)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"default reply, instant pace: 2 sessions x 1 turns", "median ratio rtmock/baseline", "0 protocol errors"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchWebRTC runs rtmock bench --transport webrtc on a tiny scale over
// real sockets: both phases ran, packets arrived and were timed, and the
// JSON report parses. Times are never asserted.
func TestBenchWebRTC(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := run(NewRootCmd(), []string{"bench", "--transport", "webrtc", "-c", "2", "--turns", "1", "--pairs", "1", "--json"}, &out, &errOut)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	var rep loadtest.RTCReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out.String())
	}
	if rep.Transport != "webrtc" || len(rep.Product) != 1 || len(rep.Baseline) != 1 {
		t.Fatalf("transport %q, %d rtmock and %d raw phases; want webrtc, 1, 1", rep.Transport, len(rep.Product), len(rep.Baseline))
	}
	for _, p := range append(rep.Product, rep.Baseline...) {
		if p.Replies != 2 || p.Packets <= 0 || p.ProtocolErrors != 0 || p.Lateness == nil || p.Lateness.Packets == 0 {
			t.Errorf("%s: %d replies, %d packets, %d protocol errors (first %q), lateness %+v",
				p.Target, p.Replies, p.Packets, p.ProtocolErrors, p.FirstError, p.Lateness)
		}
	}
	if rep.Lateness == nil || rep.BaselineLateness == nil || len(rep.CPURatios) != 1 {
		t.Errorf("lateness %+v and %+v, CPU ratios %v", rep.Lateness, rep.BaselineLateness, rep.CPURatios)
	}
	if !strings.Contains(errOut.String(), "bench: pair 1: raw") {
		t.Errorf("no progress on stderr: %q", errOut.String())
	}
}
