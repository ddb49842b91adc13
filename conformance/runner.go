package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/rtmock/rtmock/cassette"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// The environment a client is started with. The first seven are the
// variables the Azure and OpenAI SDKs read; the RTMOCK_ ones tell the
// client what the scenario needs.
const (
	EnvEndpoint       = "AZURE_OPENAI_ENDPOINT"        // the mock's base URL, http://127.0.0.1:PORT
	EnvAzureKey       = "AZURE_OPENAI_API_KEY"         // the key the mock accepts
	EnvDeployment     = "AZURE_OPENAI_DEPLOYMENT"      // the deployment name (also as AZURE_OPENAI_DEPLOYMENT_NAME)
	EnvDeploymentName = "AZURE_OPENAI_DEPLOYMENT_NAME" // the same, as the openai package's Azure examples read it
	EnvOpenAIKey      = "OPENAI_API_KEY"               // the same key, for OpenAI-style clients
	EnvBaseURL        = "OPENAI_BASE_URL"              // the mock's base URL + "/v1"
	EnvAPIVersion     = "OPENAI_API_VERSION"           // the Azure api-version of the preview endpoint
	EnvScenario       = "RTMOCK_SCENARIO"              // the scenario's name
	EnvDialect        = "RTMOCK_DIALECT"               // preview or ga: the endpoint to connect to, when a dialect is forced (not set with DialectAuto)
	EnvInputWAV       = "RTMOCK_INPUT_WAV"             // user speech to stream (24 kHz mono PCM16 WAV), when the scenario needs it
	EnvInputFormat    = "RTMOCK_INPUT_FORMAT"          // the format to send that speech in: pcm16, g711_ulaw or g711_alaw
	EnvInputText      = "RTMOCK_INPUT_TEXT"            // what the user types, when the scenario takes text
)

// DialectAuto, in Options.Dialects, runs each scenario once and judges
// the run in the dialect the client chose by the endpoint it connected to.
// It is the default: every SDK speaks one dialect, chosen by its URL.
const DialectAuto realtime.Dialect = "auto"

// Values of the environment.
const (
	APIKey            = "rtmock-conformance-key"
	APIVersion        = "2024-10-01-preview"
	PreviewDeployment = "gpt-4o-realtime-preview"
	GADeployment      = "gpt-realtime"
	InputText         = "What's the weather like in Paris tomorrow?"
)

// Func is a client written in Go. It is called once per scenario and
// dialect, connects to env's endpoint, plays its part of the conversation
// and returns when the call is over: when ctx is done (the runner hung
// up), or earlier on its own.
type Func func(ctx context.Context, env Env) error

// Env is what a client is given for one run.
type Env struct {
	// Vars are the variables an external client gets (on top of the
	// runner's own environment), as KEY=VALUE.
	Vars []string

	Endpoint    string           // AZURE_OPENAI_ENDPOINT
	APIKey      string           // AZURE_OPENAI_API_KEY, OPENAI_API_KEY
	Deployment  string           // AZURE_OPENAI_DEPLOYMENT
	APIVersion  string           // OPENAI_API_VERSION
	Dialect     realtime.Dialect // RTMOCK_DIALECT
	Scenario    string           // RTMOCK_SCENARIO
	InputWAV    string           // RTMOCK_INPUT_WAV: "" when the user types instead
	InputFormat audio.Format     // RTMOCK_INPUT_FORMAT
	InputText   string           // RTMOCK_INPUT_TEXT: "" when the user speaks

	// Stdout and Stderr are captured into the run's report.
	Stdout, Stderr io.Writer
}

// Get returns the value of variable key in Vars.
func (e Env) Get(key string) string {
	for _, kv := range slices.Backward(e.Vars) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// URL returns the WebSocket URL of the Azure endpoint of the env's
// dialect: /openai/realtime?api-version=…&deployment=… for preview (and
// with DialectAuto), /openai/v1/realtime?model=… for GA.
func (e Env) URL() string {
	base := "ws" + strings.TrimPrefix(e.Endpoint, "http")
	if e.Dialect == realtime.GA {
		return base + "/openai/v1/realtime?model=" + url.QueryEscape(e.Deployment)
	}
	return base + "/openai/realtime?api-version=" + url.QueryEscape(e.APIVersion) + "&deployment=" + url.QueryEscape(e.Deployment)
}

// Options configure [Run]. A nil *Options, and every zero field, means the
// documented default; Command or Func must be set.
type Options struct {
	// Command is the client as a shell command, run with sh -c once per
	// scenario and dialect, in its own process group, with the runner's
	// environment plus Env and the variables of [Env]. The runner hangs up
	// as the far end of a call would: it closes the client's stdin, waits
	// Limits.Grace for the client to end the call, then closes the
	// sessions still open with 1000 ("the call is over"). A client still
	// running 5 s later gets SIGTERM, and SIGKILL 2 s after that.
	Command string
	// Func is the client as a Go function, used when Command is empty.
	Func Func
	// Name names the client in reports. Default: the command, or "go client".
	Name string

	// Scenarios are built-in scenario names or scenario files. Default:
	// every built-in scenario.
	Scenarios []string
	// Dialects each scenario runs in (a scenario may serve fewer). Default:
	// DialectAuto, one run judged in the dialect the client connects with.
	// Preview or GA force a dialect: the client is told it in
	// RTMOCK_DIALECT, and RT-DIALECT fails a client that connects to the
	// other endpoint.
	Dialects []realtime.Dialect

	// Rules judge the sessions. Default: Rules().
	Rules []*Rule
	// Limits are the tolerances of the timing rules; Limits.Grace is also
	// how long the runner waits for a client to reconnect after a server
	// close before it hangs up.
	Limits Limits

	// Timeout bounds one run: the runner hangs up when it is reached.
	// Default 30s.
	Timeout time.Duration
	// Parallel is how many runs go at once. Default 64: runs mostly wait
	// on timers, as calls do, so all the built-in scenarios in both
	// dialects run together.
	Parallel int
	// OutDir, when set, receives the transcript of every failing run as a
	// cassette, SCENARIO-DIALECT.jsonl (…-2.jsonl for a second session).
	OutDir string
	// Env is added to the environment of Command.
	Env []string
	// Seed fixes the mock's ids and noise. Default 1.
	Seed int64
	// Progress, when set, is called as each run finishes, from the run's
	// goroutine (calls do not overlap): done of total runs are over.
	Progress func(run *RunResult, done, total int)
}

func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Command == "" && c.Func == nil {
		return c, errors.New("conformance: no client: set Options.Command or Options.Func")
	}
	if c.Name == "" {
		c.Name = c.Command
		if c.Name == "" {
			c.Name = "go client"
		}
	}
	if len(c.Dialects) == 0 {
		c.Dialects = []realtime.Dialect{DialectAuto}
	}
	for _, d := range c.Dialects {
		if !d.Valid() && d != DialectAuto {
			return c, fmt.Errorf("conformance: unknown dialect %q (want auto, preview or ga)", d)
		}
	}
	if c.Rules == nil {
		c.Rules = Rules()
	}
	c.Limits = c.Limits.withDefaults()
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Parallel <= 0 {
		c.Parallel = 64
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	return c, nil
}

// Run drives the client through the scenarios, each in every dialect it
// serves, against an in-process mock server, and judges the sessions. The
// error is for setup problems (an unknown scenario, no loopback port, an
// unwritable OutDir); what the client got wrong is in the report.
func Run(ctx context.Context, opts *Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var scs []*scenarios.Scenario
	if len(o.Scenarios) == 0 {
		scs = scenarios.List()
	}
	seen := map[string]bool{}
	for _, name := range o.Scenarios {
		if seen[name] {
			continue
		}
		seen[name] = true
		sc, err := scenarios.Resolve(name)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		scs = append(scs, sc)
	}
	dir, err := os.MkdirTemp("", "rtmock-conformance-")
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	defer os.RemoveAll(dir)

	var jobs []job
	for _, sc := range scs {
		c := newCase(sc, o.Limits)
		var in *Input
		if c.speech {
			if in, err = writeInput(dir, c.format); err != nil {
				return nil, fmt.Errorf("conformance: %w", err)
			}
		}
		for _, d := range o.Dialects {
			if d == DialectAuto || sc.Serves(d) {
				jobs = append(jobs, job{c: c, dialect: d, input: in})
			}
		}
	}

	g := startGauge()
	defer g.close()
	rep := &Report{Client: o.Name, Started: time.Now()}
	rep.Runs = make([]*RunResult, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	var progress sync.Mutex
	done := 0
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rep.Runs[i], errs[i] = runOne(ctx, &o, j, g)
			if o.Progress != nil && rep.Runs[i] != nil {
				progress.Lock()
				done++
				o.Progress(rep.Runs[i], done, len(jobs))
				progress.Unlock()
			}
		}()
	}
	wg.Wait()
	rep.Duration = time.Since(rep.Started)
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("conformance: %w", err)
	}
	if o.OutDir != "" {
		if err := rep.writeTranscripts(o.OutDir); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// exitWait is how long the runner waits for a client to end after hanging
// up before it kills it.
const exitWait = 5 * time.Second

// job is one scenario in one dialect.
type job struct {
	c       suiteCase
	dialect realtime.Dialect
	input   *Input
}

func (j job) env(endpoint string) Env {
	dep := PreviewDeployment
	if j.dialect == realtime.GA {
		dep = GADeployment
	}
	e := Env{
		Endpoint: endpoint, APIKey: APIKey, Deployment: dep, APIVersion: APIVersion,
		Dialect: j.dialect, Scenario: j.c.sc.Name,
	}
	e.Vars = []string{
		EnvEndpoint + "=" + endpoint,
		EnvAzureKey + "=" + APIKey,
		EnvDeployment + "=" + dep,
		EnvDeploymentName + "=" + dep,
		EnvOpenAIKey + "=" + APIKey,
		EnvBaseURL + "=" + endpoint + "/v1",
		EnvAPIVersion + "=" + APIVersion,
		EnvScenario + "=" + j.c.sc.Name,
	}
	if j.dialect != DialectAuto {
		e.Vars = append(e.Vars, EnvDialect+"="+string(j.dialect))
	}
	if j.input != nil {
		e.InputWAV, e.InputFormat = j.input.Path, j.input.Format
		e.Vars = append(e.Vars, EnvInputWAV+"="+j.input.Path, EnvInputFormat+"="+j.input.Format.String())
	} else {
		e.InputText = InputText
		e.Vars = append(e.Vars, EnvInputText+"="+InputText)
	}
	return e
}

// runOne plays one scenario in one dialect.
func runOne(ctx context.Context, o *Options, j job, g *gauge) (*RunResult, error) {
	res := &RunResult{Scenario: j.c.sc.Name, Dialect: j.dialect, scenario: j.c.sc}
	live := newLiveRun()
	h, err := mockserver.NewHandler(&mockserver.Options{
		APIKey: APIKey, Scenario: j.c.sc, Pace: j.c.pace, Seed: o.Seed, KeepTranscripts: true, Observer: live,
	})
	if err != nil {
		return res, fmt.Errorf("%s/%s: start the mock: %w", res.Scenario, j.dialect, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		return res, fmt.Errorf("%s/%s: listen on loopback: %w", res.Scenario, j.dialect, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	env := j.env("http://" + ln.Addr().String())
	started := time.Now()
	cl, err := startClient(ctx, o, env)
	if err != nil {
		h.Close()
		srv.Close()
		<-served
		return res, fmt.Errorf("%s/%s: %w", res.Scenario, j.dialect, err)
	}
	policy := j.c.policy
	hungUp, hungUpAt, timedOut := watch(ctx, live, cl, policy, o.Timeout, g)
	if timedOut {
		res.Problems = append(res.Problems, fmt.Sprintf("the run reached the %s timeout", o.Timeout))
	}
	var endedByServer time.Time
	if hungUp {
		res.HungUp = true
		endedByServer = endCall(cl, h, live, o.Limits.Grace)
		if p := awaitExit(cl); p != "" {
			res.Problems = append(res.Problems, p)
		}
	}
	ended, endedAt := cl.ended()
	// Let the sessions finish their close handshakes before the server goes.
	waitClosed(live, time.Second)
	teardown := time.Now()
	h.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	srv.Shutdown(shutdownCtx)
	cancel()
	<-served

	res.Duration = time.Since(started)
	res.Jitter = g.lateness(started, time.Now())
	res.Exit = cl.exit()
	res.Stdout, res.Stderr = cl.stdout.String(), cl.stderr.String()

	trs := h.Transcripts()
	slices.SortFunc(trs, func(a, b *mockserver.Transcript) int { return a.Started.Compare(b.Started) })
	for i, tr := range trs {
		s := FromTranscript(tr)
		s.Scenario, s.Limits = j.c.sc.Name, o.Limits
		rel := func(t time.Time) time.Duration { return t.Sub(tr.Started) }
		if c, ok := live.info(tr.SessionID); ok {
			s.Header, s.Subprotocols = c.header, c.subprotocols
			// The first close frame on the wire says who closed and how; the
			// transcript can record a write that failed under a client's
			// close as a dropped connection.
			if c.close.By != "" {
				s.Close = c.close
				s.Close.At = rel(c.closedAt)
			}
		}
		f := &RunFacts{Want: j.dialect, Input: j.input}
		if hungUp {
			f.HungUp, f.HungUpAt = true, rel(hungUpAt)
		}
		if ended {
			f.Ended, f.EndedAt = true, rel(endedAt)
		}
		if i+1 < len(trs) {
			f.Next, f.NextAt = true, rel(trs[i+1].Started)
		}
		f.TornDown = tr.ClosedBy == cassette.Server && tr.CloseCode == 1001 && !tr.Ended.Before(teardown)
		f.CallEnded = !endedByServer.IsZero() && tr.ClosedBy == cassette.Server && tr.CloseCode == 1000 && !tr.Ended.Before(endedByServer)
		f.Jitter = res.Jitter
		s.Run = f
		res.Sessions = append(res.Sessions, s)
	}
	if len(res.Sessions) == 0 {
		p := "the client opened no session"
		if tail := lastLines(res.Stderr, 3); tail != "" {
			p += "; its stderr ends with: " + tail
		}
		res.Problems = append(res.Problems, p)
	}
	judgeRun(res, o.Rules, j)
	return res, nil
}

// judgeRun judges a run's sessions, unless the scenario does not apply to
// the client: another dialect than the scenario serves (with DialectAuto),
// or a premise the client's profile does not meet.
func judgeRun(res *RunResult, rules []*Rule, j job) {
	res.Profile = ProfileOf(res.Sessions...)
	if j.dialect == DialectAuto && len(res.Sessions) > 0 {
		res.Dialect = res.Sessions[0].Dialect
		if res.Dialect.Valid() && !j.c.sc.Serves(res.Dialect) {
			res.NotApplicable = fmt.Sprintf("the scenario is for %s sessions; the client connected to the %s endpoint", strings.Join(j.c.sc.Dialects, " and "), res.Dialect)
			return
		}
	}
	if len(res.Sessions) > 0 {
		if why := res.Profile.Unmet(j.c.sc); why != "" {
			res.NotApplicable = why
			return
		}
	}
	res.Verdicts = Check(rules, res.Sessions...)
	res.Expectations = Expectations(j.c.sc, res.Sessions...)
}

// watch waits until the client ends or the call is over, and hangs up in
// the second case.
func watch(ctx context.Context, live *liveRun, cl *client, p hangUpPolicy, timeout time.Duration, g *gauge) (hungUp bool, at time.Time, timedOut bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		hang, next := live.decide(time.Now(), p, g.recent(2*time.Second))
		if hang {
			break
		}
		wakeC := (<-chan time.Time)(nil)
		if !next.IsZero() {
			wake.Reset(time.Until(next))
			wakeC = wake.C
		}
		select {
		case <-cl.done:
			return false, time.Time{}, false
		case <-live.changed:
		case <-wakeC:
		case <-deadline.C:
			timedOut = true
		case <-ctx.Done():
		}
		if timedOut || ctx.Err() != nil {
			break
		}
	}
	at = time.Now()
	cl.hangUp()
	return true, at, timedOut
}

// endCall ends a call the runner hung up on (stdin closed, or the Go
// client's context cancelled): it waits up to grace for the client to end
// or to close its sessions, then closes the sessions still open with 1000,
// as the service ends a call. It returns when it closed them, or the zero
// time when the client ended the call itself.
func endCall(cl *client, h *mockserver.Handler, live *liveRun, grace time.Duration) time.Time {
	t := time.NewTimer(grace)
	defer t.Stop()
	for live.open() {
		select {
		case <-cl.done:
			return time.Time{}
		case <-live.changed:
			continue
		case <-t.C:
		}
		at := time.Now()
		for _, s := range h.Sessions() {
			h.CloseSession(s.ID, 1000, "the call is over")
		}
		return at
	}
	return time.Time{}
}

// awaitExit waits for the client to end after the call: SIGTERM after
// exitWait, SIGKILL 2 s later. It says what went wrong, or "".
func awaitExit(cl *client) string {
	select {
	case <-cl.done:
		return ""
	case <-time.After(exitWait):
	}
	if cl.terminate == nil {
		return fmt.Sprintf("the client did not return within %s of the hang-up", exitWait)
	}
	cl.terminate(false)
	select {
	case <-cl.done:
		return fmt.Sprintf("the client did not exit within %s of the end of the call; SIGTERM ended it", exitWait)
	case <-time.After(2 * time.Second):
	}
	cl.terminate(true)
	<-cl.done
	return fmt.Sprintf("the client did not exit within %s of the end of the call, nor on SIGTERM, and was killed", exitWait)
}

// waitClosed waits up to d for every session of the run to close.
func waitClosed(live *liveRun, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for live.open() {
		select {
		case <-live.changed:
		case <-t.C:
			return
		}
	}
}

// client is a running client.
type client struct {
	done           chan struct{}
	hangUp         func()
	terminate      func(kill bool) // SIGTERM, or SIGKILL; nil for Go clients, which cannot be killed
	stdout, stderr *capBuffer

	mu      sync.Mutex
	endedAt time.Time
	exitMsg string
}

func (c *client) finish(msg string) {
	c.mu.Lock()
	c.endedAt, c.exitMsg = time.Now(), msg
	c.mu.Unlock()
	close(c.done)
}

func (c *client) ended() (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.endedAt.IsZero(), c.endedAt
}

func (c *client) exit() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endedAt.IsZero() {
		return "still running"
	}
	return c.exitMsg
}

func startClient(ctx context.Context, o *Options, env Env) (*client, error) {
	c := &client{done: make(chan struct{}), stdout: newCapBuffer(), stderr: newCapBuffer()}
	env.Stdout, env.Stderr = c.stdout, c.stderr
	if o.Command == "" {
		cctx, cancel := context.WithCancel(ctx)
		c.hangUp = cancel
		go func() {
			defer cancel()
			err := o.Func(cctx, env)
			msg := "returned"
			if err != nil {
				msg = "returned an error: " + err.Error()
			}
			c.finish(msg)
		}()
		return c, nil
	}
	cmd := exec.Command("sh", "-c", o.Command)
	cmd.Env = append(append(os.Environ(), o.Env...), env.Vars...)
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start the client: %w", err)
	}
	newProcessGroup(cmd)
	cmd.WaitDelay = time.Second // for output pipes that outlive the client
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the client: %w", err)
	}
	var once sync.Once
	c.hangUp = func() { once.Do(func() { stdin.Close() }) }
	c.terminate = func(kill bool) { terminateGroup(cmd, kill) }
	go func() {
		err := cmd.Wait()
		msg := "exit status 0"
		if cmd.ProcessState != nil {
			msg = cmd.ProcessState.String()
		} else if err != nil {
			msg = err.Error()
		}
		c.finish(msg)
	}()
	return c, nil
}

// capBuffer keeps the first maxOutput bytes written to it.
type capBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	lost int
}

const maxOutput = 256 << 10

func newCapBuffer() *capBuffer { return &capBuffer{} }

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := min(len(p), max(maxOutput-b.buf.Len(), 0))
	b.buf.Write(p[:keep])
	b.lost += len(p) - keep
	return len(p), nil
}

func (b *capBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if b.lost > 0 {
		s += fmt.Sprintf("\n[%d more bytes not kept]\n", b.lost)
	}
	return s
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// writeTranscripts writes the sessions of failing runs into dir.
func (r *Report) writeTranscripts(dir string) error {
	if !r.Failed() {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	for _, run := range r.Runs {
		if !run.Failed() {
			continue
		}
		for i, s := range run.Sessions {
			name := fmt.Sprintf("%s-%s.jsonl", fileName(run.Scenario), run.Dialect)
			if i > 0 {
				name = fmt.Sprintf("%s-%s-%d.jsonl", fileName(run.Scenario), run.Dialect, i+1)
			}
			path := filepath.Join(dir, name)
			var b bytes.Buffer
			if err := WriteSession(&b, s); err != nil {
				return fmt.Errorf("conformance: %s: %w", path, err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				return fmt.Errorf("conformance: %w", err)
			}
			run.Transcripts = append(run.Transcripts, path)
		}
	}
	return nil
}

// fileName makes a scenario name safe as a file name.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
