package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/loadtest"
	"github.com/rtmock/rtmock/scenarios"
	"github.com/spf13/cobra"
)

// benchOptions are the flags of rtmock bench.
type benchOptions struct {
	scenario  string
	cassette  string
	url       string
	path      string
	record    string
	pace      string
	sessions  int
	turns     int
	pairs     int
	idle      int
	duration  time.Duration
	seed      int64
	json      bool
	split     bool
	transport string
	idleSet   bool // --idle was given
}

// benchNewCmd returns "rtmock bench". runF replaces the command's action in
// tests of flag parsing.
func benchNewCmd(runF func(*cobra.Command, *benchOptions) error) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use: "bench [--transport websocket|webrtc] [--scenario NAME | --cassette FILE] [-c 100] [--turns 5] [--pairs 5] [--pace instant] [--duration 60s] [--idle 1000] [--json]",
		Example: `  rtmock bench -c 100 --pairs 5
  rtmock bench --split -c 100 --turns 40 --pairs 5 --idle 0     # each server in its own process
  rtmock bench --pace realtime -c 1000 --turns 5 --idle 0        # pacing lateness
  rtmock bench --record default-20.jsonl --turns 20 && rtmock bench --cassette default-20.jsonl
  rtmock bench --transport webrtc --split -c 25 --turns 5 --pairs 3  # WebRTC calls: CPU per session-second, RTP lateness`,
		Short: "Measure how many concurrent sessions rtmock carries, next to a raw baseline",
		Long: `Open many concurrent sessions against an in-process rtmock on loopback (or
a running one with --url), run turns in each, and report events/s, MB/s,
pacing lateness, RSS per idle session, goroutines and errors.

Every run carries its own baseline: a raw WebSocket server that writes the
same frames, captured from a real session, with none of the session's work.
Phases alternate, rtmock then baseline, --pairs times, and the summary gives
each pair's throughput ratio and their median.

A cassette session replays the recording's client frames and reads its
server frames; --turns is then the number of replays per session, each on a
new connection. --record FILE writes such a cassette from the mock itself
(--turns responses of --scenario at --pace) and exits.

--transport webrtc makes every session a WebRTC call instead: it posts an
SDP offer, streams a quiet Opus microphone and asks for --turns replies on
the data channel, one after another. The report gives the CPU per
session-second of audio (one second of Opus decoded and one encoded) and
the lateness of the RTP packets against their 20 ms schedule, next to a
raw pion server that does the same media work without the session core.

The run stays on loopback and stops by itself: each phase after --duration.
The exit status is 1 when a session broke the protocol.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.idleSet = cmd.Flags().Changed("idle")
			if runF != nil {
				return runF(cmd, o)
			}
			return benchRun(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "", "built-in scenario name or scenario file (default: the default reply)")
	f.StringVar(&o.cassette, "cassette", "", "replay this cassette in every session")
	f.StringVar(&o.url, "url", "", "measure a running server at this loopback URL instead of an in-process one")
	f.StringVar(&o.path, "path", "", "path and query sessions dial (default: the cassette's, or the Azure preview endpoint)")
	f.StringVar(&o.record, "record", "", "record a cassette of --turns responses from the mock into FILE and exit")
	f.StringVar(&o.pace, "pace", "instant", "instant | realtime | live | Nx: the mock's and the baseline's pace")
	f.IntVarP(&o.sessions, "sessions", "c", 100, fmt.Sprintf("concurrent sessions per phase (at most %d)", loadtest.MaxSessions))
	f.IntVar(&o.turns, "turns", 5, "turns per session (cassettes: replays per session)")
	f.IntVar(&o.pairs, "pairs", 5, fmt.Sprintf("rtmock/baseline pairs of phases, at most %d; 0 runs rtmock once without a baseline", loadtest.MaxPairs))
	f.DurationVar(&o.duration, "duration", time.Minute, "time limit of each phase")
	f.IntVar(&o.idle, "idle", 1000, "idle sessions whose memory is measured; 0 skips it (WebSocket only)")
	f.Int64Var(&o.seed, "seed", 1, "seed of the mock's ids")
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	f.BoolVar(&o.split, "split", false, "run rtmock and the baseline each in a process of its own and measure each server's own CPU and memory")
	f.StringVar(&o.transport, "transport", "websocket", "websocket | webrtc: what every session is")
	return cmd
}

// benchCheckRanges refuses flags out of their ranges, and flags that
// exclude each other.
func benchCheckRanges(o *benchOptions) error {
	switch {
	case o.sessions < 1 || o.sessions > loadtest.MaxSessions:
		return usagef("-c %d: want 1 to %d sessions", o.sessions, loadtest.MaxSessions)
	case o.turns < 1 || o.turns > loadtest.MaxTurns:
		return usagef("--turns %d: want 1 to %d", o.turns, loadtest.MaxTurns)
	case o.pairs < 0 || o.pairs > loadtest.MaxPairs:
		return usagef("--pairs %d: want 0 to %d", o.pairs, loadtest.MaxPairs)
	case o.idle < 0 || o.idle > loadtest.MaxSessions:
		return usagef("--idle %d: want 0 to %d", o.idle, loadtest.MaxSessions)
	case o.duration <= 0 || o.duration > loadtest.MaxDuration:
		return usagef("--duration %v: want more than 0 and at most %v", o.duration, loadtest.MaxDuration)
	case o.record != "" && (o.cassette != "" || o.url != ""):
		return usagef("--record records from the in-process mock: it takes no --cassette or --url")
	case o.split && o.url != "":
		return usagef("--split starts its own servers: it takes no --url")
	}
	return benchCheckTransport(o)
}

// benchCheckTransport refuses a transport it does not know, and flags a
// WebRTC run has no use for.
func benchCheckTransport(o *benchOptions) error {
	switch o.transport {
	case "websocket":
		return nil
	case "webrtc":
	default:
		return usagef("--transport %q: want websocket or webrtc", o.transport)
	}
	switch {
	case o.cassette != "" || o.record != "":
		return usagef("--transport webrtc plays no cassette and records none")
	case o.url != "":
		return usagef("--transport webrtc starts its own servers: it takes no --url")
	case o.idleSet && o.idle > 0:
		return usagef("--transport webrtc measures no idle sessions: --idle is for WebSocket runs")
	}
	return nil
}

// benchLoadOptions maps the flags onto loadtest.Options.
func benchLoadOptions(o *benchOptions) (*loadtest.Options, error) {
	if o.scenario != "" && o.cassette != "" {
		return nil, usagef("--scenario and --cassette exclude each other")
	}
	pace, err := scenarios.ParsePace(o.pace)
	if err != nil {
		return nil, usagef("--pace: %v", err)
	}
	if err := benchCheckRanges(o); err != nil {
		return nil, err
	}
	opts := &loadtest.Options{
		Target: o.url, Path: o.path, Pace: pace, Sessions: o.sessions, Turns: o.turns,
		Pairs: o.pairs, IdleSessions: o.idle, Duration: o.duration, Seed: o.seed,
	}
	if o.pairs == 0 {
		opts.Pairs = -1
	}
	if o.split {
		opts.Split = benchSpawner(o)
	}
	if o.idle == 0 {
		opts.IdleSessions = -1
	}
	if o.seed == 0 {
		opts.Seed = 1
	}
	if o.scenario != "" {
		if opts.Scenario, err = scenarios.Resolve(o.scenario); err != nil {
			return nil, usagef("--scenario: %v", err)
		}
	}
	if o.cassette != "" {
		if opts.Cassette, err = cassette.Load(o.cassette); err != nil {
			return nil, usagef("--cassette: %v", err)
		}
	}
	return opts, nil
}

func benchRun(cmd *cobra.Command, o *benchOptions) error {
	opts, err := benchLoadOptions(o)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	stderr := cmd.ErrOrStderr()
	if o.record != "" {
		return benchRecord(ctx, cmd, o, opts)
	}
	opts.Logf = func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench: "+format+"\n", args...)
	}
	var rep benchReport
	if o.transport == "webrtc" {
		rep, err = loadtest.RunRTC(ctx, opts)
	} else {
		if c := opts.Cassette; c != nil && c.Truncated() != nil {
			fmt.Fprintf(stderr, "warning: %v\n", c.Truncated())
		}
		rep, err = loadtest.Run(ctx, opts)
	}
	if err != nil {
		return err
	}
	return benchPrint(cmd, o, rep)
}

// benchReport is a WebSocket or a WebRTC report.
type benchReport interface {
	WriteText(io.Writer) error
	ProtocolErrors() int
}

// benchPrint prints a report as text or JSON; protocol errors fail the
// command.
func benchPrint(cmd *cobra.Command, o *benchOptions, rep benchReport) error {
	if o.json {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(cmd.OutOrStdout()); err != nil {
		return err
	}
	if n := rep.ProtocolErrors(); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "bench: %d protocol errors\n", n)
		return errFailed
	}
	return nil
}

// benchRecord writes a cassette recorded from the in-process mock.
func benchRecord(ctx context.Context, cmd *cobra.Command, o *benchOptions, opts *loadtest.Options) error {
	c, err := loadtest.Record(ctx, &loadtest.RecordOptions{
		Scenario: opts.Scenario, Turns: opts.Turns, Pace: opts.Pace, Path: opts.Path, Seed: opts.Seed, Name: o.record,
	})
	if err != nil {
		return err
	}
	if err := c.Save(o.record, nil); err != nil {
		return fmt.Errorf("save %s: %w", o.record, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "recorded %d frames (%d turns) into %s\n", c.Len(), opts.Turns, o.record)
	return nil
}
