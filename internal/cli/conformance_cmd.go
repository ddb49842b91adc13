package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/conformance/browser"
	"github.com/rtmock/rtmock/internal/servercheck"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// conformanceOptions are the flags of "rtmock conformance".
type conformanceOptions struct {
	client    string
	browser   string
	chromium  string
	scenarios []string
	dialect   string
	junit     string
	json      bool
	out       string
	html      string
	tolerance time.Duration
	timeout   time.Duration
	verbose   bool
	parallel  int
	server    string
	beta      bool
}

// conformanceCheckOptions are the flags of "rtmock conformance check".
type conformanceCheckOptions struct {
	file      string
	scenario  string
	junit     string
	json      bool
	tolerance time.Duration
}

func newConformanceCmd() *cobra.Command { return conformanceNewCmd(nil, nil) }

// conformanceNewCmd returns "rtmock conformance" with its check and rules
// subcommands. runF and checkF replace the actions in tests of flag parsing.
func conformanceNewCmd(runF func(*cobra.Command, *conformanceOptions) error, checkF func(*cobra.Command, *conformanceCheckOptions) error) *cobra.Command {
	o := &conformanceOptions{}
	cmd := &cobra.Command{
		Use:   "conformance (--client CMD | --browser PAGE) [--scenario NAME]... [flags]",
		Short: "Check a realtime client against the protocol's pitfalls, scenario by scenario",
		Long: `Run a client through scenarios against an in-process mock and judge every
session against the conformance rules (rtmock conformance rules lists them).

The client is a shell command, started once per scenario with the
environment the SDKs read (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY,
AZURE_OPENAI_DEPLOYMENT, OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_API_VERSION)
plus RTMOCK_SCENARIO and either RTMOCK_INPUT_WAV and RTMOCK_INPUT_FORMAT (user
speech to stream in real time) or RTMOCK_INPUT_TEXT (what the user types).

A web page is a client too (--browser): headless Chromium opens it once per
scenario with the run's endpoint and key in its query (rtmock_endpoint,
rtmock_key, rtmock_deployment, rtmock_api_version, rtmock_dialect,
rtmock_scenario, rtmock_input_text), its fake microphone playing the
scenario's user speech; its WebRTC calls and WebSockets are the run's
sessions. A page given as an HTML file is served from its folder. Two
browsers run at once unless --parallel says otherwise.

Each run is judged in the dialect the client connects with (--dialect auto);
--dialect preview, ga or both force one and tell the client in
RTMOCK_DIALECT. A scenario whose premise the client does not meet (it sends
no audio, declares no tools, …) is reported not applicable, with the reason.

When the call is over the runner hangs up as a phone line would: it closes
the client's stdin, waits the grace period, then closes the session itself
with 1000; a client that then exits needs no code for rtmock. One still
running 5 s later gets SIGTERM, then SIGKILL.

Exit status: 0 when every run passed, 1 when a rule failed, 2 for usage or
setup errors.`,
		Example: `  rtmock conformance --client 'node agent.mjs'
  rtmock conformance --client 'python agent.py' --scenario barge-in --dialect ga --junit report.xml
  rtmock conformance --client 'node agent.mjs' --html timelines/   # then open timelines/index.html
  rtmock conformance --browser web/agent.html --scenario audio-turn --scenario barge-in   # a browser voice agent
  rtmock conformance --server 'ws://127.0.0.1:8081/openai/v1/realtime?model=gpt-realtime'   # judge a gateway`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd, o)
			}
			if o.server != "" {
				return serverCheckRun(cmd, o)
			}
			return conformanceRun(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.client, "client", "", "the client command, run with sh -c (this or --browser is required)")
	f.StringVar(&o.browser, "browser", "", "the client as a web `PAGE` (an http(s) URL or an HTML file) that headless Chromium opens for each run")
	f.StringVar(&o.chromium, "chromium", "", "with --browser: the Chromium executable (default: $RTMOCK_CHROMIUM, then chromium, chromium-browser or google-chrome on PATH)")
	f.StringArrayVar(&o.scenarios, "scenario", nil, "a built-in scenario or a scenario file; repeat for more (default: every built-in)")
	f.StringVar(&o.dialect, "dialect", "auto", "auto (the endpoint the client chooses), preview, ga or both")
	f.StringVar(&o.junit, "junit", "", "also write the report as JUnit XML to `FILE`")
	f.BoolVar(&o.json, "json", false, "print the report as JSON instead of text")
	f.StringVar(&o.out, "out", "", "write the transcripts of failing runs (cassettes), report.txt and report.json into `DIR` (default: a new temporary directory, named in the report)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "list every rule of passing runs too")
	f.StringVar(&o.server, "server", "", "judge a server instead of a client: play scripted sessions against this realtime `URL` and check what it sends (key from AZURE_OPENAI_API_KEY or OPENAI_API_KEY)")
	f.BoolVar(&o.beta, "openai-beta", false, "with --server: send OpenAI-Beta: realtime=v1 (the preview dialect on /v1/realtime)")
	f.IntVar(&o.parallel, "parallel", 0, "how many runs go at once (default 64)")
	f.StringVar(&o.html, "html", "", "write a timeline page of every run and an index.html into `DIR` (see rtmock view)")
	f.DurationVar(&o.tolerance, "tolerance", conformance.DefaultLimits.Tolerance, "how far past the audio played a truncate may reach")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "the longest one scenario may run")
	cmd.AddCommand(conformanceNewCheckCmd(checkF), conformanceNewRulesCmd())
	return cmd
}

func conformanceNewCheckCmd(checkF func(*cobra.Command, *conformanceCheckOptions) error) *cobra.Command {
	o := &conformanceCheckOptions{}
	cmd := &cobra.Command{
		Use: "check FILE.jsonl",
		Example: `  rtmock conformance check recorded.jsonl
  rtmock conformance check recorded.jsonl --scenario barge-in --junit report.xml`,
		Short: "Judge a recorded session (a cassette, or a file of frame lines) against the rules",
		Long: `Judge a session recorded with rtrecord, or a transcript the conformance run
wrote, against the conformance rules. Rules that need to know what the client
did outside the session (reconnects, hang-ups) are n/a. With --scenario the
scenario's expectations are judged too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = args[0]
			if checkF != nil {
				return checkF(cmd, o)
			}
			return conformanceCheck(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.scenario, "scenario", "", "also judge the expectations of this scenario (a built-in name or a file)")
	f.StringVar(&o.junit, "junit", "", "also write the report as JUnit XML to `FILE`")
	f.BoolVar(&o.json, "json", false, "print the report as JSON instead of text")
	f.DurationVar(&o.tolerance, "tolerance", conformance.DefaultLimits.Tolerance, "how far past the audio played a truncate may reach")
	return cmd
}

func conformanceNewRulesCmd() *cobra.Command {
	var matrix bool
	cmd := &cobra.Command{
		Use:   "rules [--matrix]",
		Short: "List the conformance rules, or which built-in exercises each for each kind of client",
		Example: `  rtmock conformance rules
  rtmock conformance rules --matrix`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if matrix {
				return conformance.WriteMatrix(cmd.OutOrStdout(), conformance.Rules())
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, r := range conformance.Rules() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Reason)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&matrix, "matrix", false, "print the coverage matrix: rule × kind of client (voice agent, push-to-talk, text, tools) → the built-ins that exercise it")
	return cmd
}

// conformanceDialects maps --dialect onto dialects.
func conformanceDialects(s string) ([]realtime.Dialect, error) {
	switch s {
	case "both":
		return []realtime.Dialect{realtime.Preview, realtime.GA}, nil
	case "auto":
		return []realtime.Dialect{conformance.DialectAuto}, nil
	}
	d, err := realtime.ParseDialect(s)
	if err != nil {
		return nil, usagef("--dialect must be auto, preview, ga or both, not %q", s)
	}
	return []realtime.Dialect{d}, nil
}

// conformanceOpts maps the flags onto conformance.Options.
func conformanceOpts(o *conformanceOptions) (*conformance.Options, error) {
	c, err := conformanceClient(o)
	if err != nil {
		return nil, err
	}
	ds, err := conformanceDialects(o.dialect)
	if err != nil {
		return nil, err
	}
	if o.tolerance < 0 || o.timeout <= 0 || o.parallel < 0 {
		return nil, usagef("--tolerance and --parallel must not be negative and --timeout must be positive")
	}
	for _, s := range o.scenarios {
		if _, err := scenarios.Resolve(s); err != nil {
			return nil, usageError{fmt.Errorf("--scenario: %w", err)}
		}
	}
	c.Scenarios, c.Dialects, c.OutDir, c.Timeout = o.scenarios, ds, o.out, o.timeout
	c.Limits = conformance.Limits{Tolerance: o.tolerance}
	if o.parallel > 0 {
		c.Parallel = o.parallel
	}
	return c, nil
}

// browserParallel is how many runs of a browser client go at once: each is
// a Chromium playing audio in real time.
const browserParallel = 2

// conformanceClient maps --client or --browser onto the client of the
// options.
func conformanceClient(o *conformanceOptions) (*conformance.Options, error) {
	cmdSet, pageSet := strings.TrimSpace(o.client) != "", strings.TrimSpace(o.browser) != ""
	switch {
	case cmdSet && pageSet:
		return nil, usagef("--client and --browser name two clients: give one")
	case cmdSet:
		if o.chromium != "" {
			return nil, usagef("--chromium goes with --browser")
		}
		return &conformance.Options{Command: o.client}, nil
	case !pageSet:
		return nil, usagef("--client or --browser is required: the command that runs your client, e.g. --client 'node agent.mjs', or its web page, e.g. --browser web/agent.html")
	}
	fn, err := browser.Client(&browser.Options{Page: o.browser, Chromium: o.chromium})
	if err != nil {
		return nil, usageError{fmt.Errorf("--browser: %w", err)}
	}
	return &conformance.Options{Func: fn, Name: o.browser, Parallel: browserParallel}, nil
}

func conformanceRun(cmd *cobra.Command, o *conformanceOptions) error {
	opts, err := conformanceOpts(o)
	if err != nil {
		return err
	}
	if opts.OutDir == "" {
		// Transcripts of failing runs go to a new temporary directory, not
		// into the user's working tree; the report names it.
		dir, err := os.MkdirTemp("", "rtmock-conformance-")
		if err != nil {
			return err
		}
		opts.OutDir, o.out = dir, dir
	}
	errOut := cmd.ErrOrStderr()
	opts.Progress = func(run *conformance.RunResult, done, total int) {
		fmt.Fprintf(errOut, "[%d/%d] %s\n", done, total, runLine(run))
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := conformance.Run(ctx, opts)
	if err != nil {
		return err
	}
	rep.Verbose = o.verbose
	if err := conformanceWrite(cmd, rep, o.json, o.junit); err != nil {
		return err
	}
	if rep.Failed() && o.out != "" {
		fmt.Fprintf(errOut, "transcripts and reports of the failing runs: %s\n", o.out)
		var b, j bytes.Buffer
		rep.WriteText(&b)
		rep.WriteJSON(&j) // beside the transcripts, so that rtmock view DIR pins the findings
		if err := os.WriteFile(filepath.Join(o.out, "report.txt"), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
		if err := os.WriteFile(filepath.Join(o.out, "report.json"), j.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	if o.html != "" {
		if err := viewConformance(cmd, o.html, rep); err != nil {
			return err
		}
	}
	opened := false
	for _, run := range rep.Runs {
		opened = opened || len(run.Sessions) > 0
	}
	if !opened && len(rep.Runs) > 0 {
		return fmt.Errorf("the client opened no session in any run; is %s right? (%s)", clientFlag(o), rep.Runs[0].Problems[0])
	}
	if rep.Failed() {
		return errFailed
	}
	return nil
}

func conformanceCheck(cmd *cobra.Command, o *conformanceCheckOptions) error {
	if o.tolerance < 0 {
		return usagef("--tolerance must not be negative")
	}
	s, err := conformance.LoadSession(o.file)
	if err != nil {
		return usageError{err}
	}
	s.Limits.Tolerance = o.tolerance
	var sc *scenarios.Scenario
	if o.scenario != "" {
		if sc, err = scenarios.Resolve(o.scenario); err != nil {
			return usageError{fmt.Errorf("--scenario: %w", err)}
		}
		s.Scenario = sc.Name
	}
	rep := conformance.Judge(filepath.Base(o.file), sc, nil, s)
	if err := conformanceWrite(cmd, rep, o.json, o.junit); err != nil {
		return err
	}
	if rep.Failed() {
		return errFailed
	}
	return nil
}

// conformanceWrite prints the report (text or JSON) and writes the JUnit
// file when asked to.
func conformanceWrite(cmd *cobra.Command, rep *conformance.Report, asJSON bool, junit string) error {
	var err error
	if asJSON {
		err = rep.WriteJSON(cmd.OutOrStdout())
	} else {
		err = rep.WriteText(cmd.OutOrStdout())
	}
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if junit == "" {
		return nil
	}
	var b bytes.Buffer
	if err := rep.WriteJUnit(&b); err != nil {
		return fmt.Errorf("write the JUnit report: %w", err)
	}
	if dir := filepath.Dir(junit); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("write the JUnit report: %w", err)
		}
	}
	if err := os.WriteFile(junit, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the JUnit report: %w", err)
	}
	return nil
}

// runLine is a finished run in one line, for the progress display.
func runLine(run *conformance.RunResult) string {
	switch {
	case run.Failed():
		return "FAIL " + run.Name()
	case run.NotApplicable != "":
		return "N/A  " + run.Name() + ": " + run.NotApplicable
	}
	return "PASS " + run.Name()
}

// serverCheckRun judges a server: rtmock conformance --server URL.
func serverCheckRun(cmd *cobra.Command, o *conformanceOptions) error {
	h := http.Header{}
	if k := os.Getenv("AZURE_OPENAI_API_KEY"); k != "" {
		h.Set("api-key", k)
	}
	if k := os.Getenv("OPENAI_API_KEY"); k != "" {
		h.Set("Authorization", "Bearer "+k)
	}
	if o.beta {
		h.Set("OpenAI-Beta", "realtime=v1")
	}
	if _, err := servercheck.Dialect(o.server, h); err != nil {
		return usageError{err}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := servercheck.Run(ctx, &servercheck.Options{URL: o.server, Header: h, Timeout: o.timeout})
	if err != nil {
		return err
	}
	if o.json {
		err = rep.WriteJSON(cmd.OutOrStdout())
	} else {
		err = rep.WriteText(cmd.OutOrStdout())
	}
	if err != nil {
		return err
	}
	if o.junit != "" {
		if err := writeFileWith(o.junit, rep.WriteJUnit); err != nil {
			return fmt.Errorf("write the JUnit report: %w", err)
		}
	}
	if rep.Failed() {
		return errFailed
	}
	return nil
}

// writeFileWith writes a report to path, making its directory.
func writeFileWith(path string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// clientFlag names the flag that gave the client.
func clientFlag(o *conformanceOptions) string {
	if o.browser != "" {
		return "--browser"
	}
	return "--client"
}
