package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/faults"
	"github.com/rtmock/rtmock/internal/admin"
	"github.com/rtmock/rtmock/internal/hostcheck"
	"github.com/rtmock/rtmock/internal/metrics"
	"github.com/rtmock/rtmock/internal/monitor"
	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/mockserver/rtc"
	"github.com/rtmock/rtmock/scenarios"
	"github.com/spf13/cobra"
)

type serveOptions struct {
	addr      string
	apiKey    string
	pace      string
	seed      int64
	logFormat string
	verbose   bool
	source    string // scenario name or file, or cassette
	noTLS     bool
	caFile    string
	strict    bool
	faults    []string
	maxSess   int
	maxMsg    int64
	maxCas    int64
	maxQueued int
	maxHeader int
	writeTO   time.Duration
	idleTO    time.Duration
	readyFile string
	check     bool
	checkN    int
	noAdmin   bool
	noMetrics bool
	ui        bool
	allowHost []string
	drain     time.Duration
	beta      bool
	models    []string
	sipHook   string // --sip-webhook
	sipSecret string // --sip-webhook-secret
}

// newServeCmd returns "rtmock serve". runF replaces the command's action in
// tests of flag parsing.
func newServeCmd(runF func(*cobra.Command, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use: "serve [SCENARIO | FILE.yaml | CASSETTE.jsonl]",
		Example: `  rtmock serve                                   # the default reply on 127.0.0.1:8080
  rtmock serve scenarios/barge-in.yaml            # a scenario file (or a built-in's name: barge-in)
  rtmock serve recorded.jsonl --strict            # replay a cassette; exit 1 on a differing client
  rtmock serve barge-in --check --check-exit-after 1 --addr 127.0.0.1:0 --ready-file url
  rtmock serve --fault 'drop:match=response.*audio.delta,p=0.1' --pace realtime
  rtmock serve --sip-webhook http://127.0.0.1:8000/openai/webhook --sip-webhook-secret "$OPENAI_WEBHOOK_SECRET"
  curl -s -X POST 127.0.0.1:8080/__rtmock/sip/calls   # ring: the webhook goes out, accept with /v1/realtime/calls/ID/accept`,
		Short: "Serve a simulated realtime session (default reply, a scenario, or a cassette)",
		Long: `Serve the Realtime API on a local port. Point an SDK at the printed URL.

With no argument every response is the default reply (the Azure quickstart's
greeting with synthetic audio) and server VAD answers the audio a client
streams. A built-in scenario name, a scenario file or a cassette scripts the
session instead.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.source = args[0]
			}
			if runF != nil {
				return runF(cmd, opts)
			}
			return serveRun(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.addr, "addr", "127.0.0.1:8080", "address to listen on (loopback unless you mean otherwise)")
	f.StringVar(&opts.apiKey, "api-key", "", "accept only this key (default: any key)")
	f.StringVar(&opts.pace, "pace", "live", "live | realtime | instant | Nx (live timings scaled N times faster)")
	f.Int64Var(&opts.seed, "seed", 0, "seed for ids and noise (default: from the time)")
	f.StringVar(&opts.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "log every protocol error")
	f.StringArrayVar(&opts.faults, "fault", nil, "inject a fault into every session, e.g. drop:match=response.*audio.delta,p=0.1 or disconnect:at=3s,code=1006 (repeatable; see docs/faults.md)")
	f.IntVar(&opts.maxSess, "max-sessions", 10000, "concurrent sessions; more get HTTP 429")
	f.Int64Var(&opts.maxMsg, "max-message-bytes", 21<<20, "largest client frame; larger ones close the session with 1009 (the default fits the service's 15 MiB audio appends)")
	f.Int64Var(&opts.maxCas, "max-cassette-bytes", 1<<30, "largest cassette file serve will load")
	f.IntVar(&opts.maxQueued, "max-queued-bytes", 32<<20, "client events a session holds while they wait their turn; beyond it the client is not read until they drain")
	f.IntVar(&opts.maxHeader, "max-header-bytes", 64<<10, "largest request line and headers; larger ones get HTTP 431")
	f.DurationVar(&opts.writeTO, "write-timeout", 10*time.Second, "drop a client whose write has blocked this long (it stopped reading)")
	f.DurationVar(&opts.idleTO, "idle-timeout", 60*time.Second, "close keep-alive connections that carry no session after this long")
	f.BoolVar(&opts.strict, "strict", false, "cassette replay: answer client events that differ from the recording with an error event, and exit 1 at shutdown if any did")
	f.BoolVar(&opts.noTLS, "no-tls", false, "serve plain ws:// only (by default the port also answers wss:// with a self-signed certificate)")
	f.StringVar(&opts.readyFile, "ready-file", "", "once listening, write the server's URL (one line) to `FILE`, which is removed at shutdown: with --addr 127.0.0.1:0, how a script learns the port")
	f.BoolVar(&opts.check, "check", false, "judge every session as it ends against the conformance rules and the scenario's expect: entries; print findings, and exit 1 at shutdown if any session failed")
	f.BoolVar(&opts.noAdmin, "no-admin", false, "do not serve the admin API under /__rtmock/ (see docs/admin.md)")
	f.BoolVar(&opts.ui, "ui", false, "open the live list of sessions (/__rtmock/ui) in the browser: each as it runs, with its verdict and timeline once it ends")
	f.BoolVar(&opts.noMetrics, "no-metrics", false, "do not serve Prometheus metrics at /metrics")
	f.DurationVar(&opts.drain, "drain", 0, "on SIGTERM, stop taking sessions (503, /readyz unready) and let live ones end on their own for up to this long before closing them with 1001 (default: close them at once)")
	f.StringArrayVar(&opts.allowHost, "allow-host", nil, "also answer admin requests addressed to this host name (default: loopback names and addresses only; repeatable)")
	f.BoolVar(&opts.beta, "openai-beta", false, "serve the retired beta dialect on /v1/realtime to clients that send OpenAI-Beta: realtime=v1, as OpenAI did until May 2026 (by default they get beta_api_shape_disabled and close 4000, as today)")
	f.StringArrayVar(&opts.models, "model", nil, "also accept this model `NAME` on /v1/realtime (a gateway's own name; * accepts any). Other names than the realtime models get invalid_model and close 4000, as on the service (repeatable)")
	f.IntVar(&opts.checkN, "check-exit-after", 0, "with --check: shut down after `N` sessions were judged (for CI)")
	f.StringVar(&opts.sipHook, "sip-webhook", "", "simulate SIP calls: POST /__rtmock/sip/calls makes the mock post a signed realtime.call.incoming webhook event to this `URL` (see docs/sip.md)")
	f.StringVar(&opts.sipSecret, "sip-webhook-secret", "", "sign the SIP webhooks with this whsec_… `SECRET` (default: $OPENAI_WEBHOOK_SECRET, else one made up and printed)")
	f.StringVar(&opts.caFile, "ca-file", "", "where to write the self-signed certificate for TLS clients, replaced as a whole and removed at exit (default: cert.pem in a new private directory of the temp dir)")
	return cmd
}

// serveOpts maps flags onto mockserver.Options.
func serveOpts(cmd *cobra.Command, o *serveOptions) (*mockserver.Options, error) {
	pace, err := scenarios.ParsePace(o.pace)
	if err != nil {
		return nil, usagef("--pace: %v", err)
	}
	log, err := newLogger(cmd.ErrOrStderr(), o.logFormat, o.verbose)
	if err != nil {
		return nil, err
	}
	if o.ui && o.noAdmin {
		return nil, usagef("--ui is served by the admin API: it does not go with --no-admin")
	}
	if o.checkN < 0 || o.checkN > 0 && !o.check {
		return nil, usagef("--check-exit-after needs --check and a positive number of sessions")
	}
	if o.maxSess < 1 || o.maxMsg < 1024 || o.maxQueued < 1024 || o.maxHeader < 4096 || o.writeTO <= 0 || o.idleTO <= 0 {
		return nil, usagef("--max-sessions must be at least 1, --max-message-bytes and --max-queued-bytes at least 1024, --max-header-bytes at least 4096, and the timeouts positive")
	}
	mo := &mockserver.Options{Addr: o.addr, APIKey: o.apiKey, Seed: o.seed, Logger: log, DisableTLS: o.noTLS, ReplayStrict: o.strict,
		MaxSessions: o.maxSess, MaxMessageBytes: o.maxMsg, MaxQueuedBytes: o.maxQueued, MaxHeaderBytes: o.maxHeader,
		WriteTimeout: o.writeTO, IdleTimeout: o.idleTO, OpenAIBeta: o.beta, Models: o.models}
	if err := sipOpts(mo, o); err != nil {
		return nil, err
	}
	for _, spec := range o.faults {
		ft, err := faults.Parse(spec)
		if err != nil {
			return nil, usagef("--fault: %v", err)
		}
		mo.Faults = append(mo.Faults, ft)
	}
	if cmd.Flags().Changed("pace") {
		mo.Pace = pace
	}
	if o.source != "" {
		if err := loadSource(mo, o.source, o.maxCas); err != nil {
			return nil, err
		}
	}
	if mo.Pace.Mode == "" && (mo.Scenario == nil || mo.Scenario.Pace.Mode == "") {
		mo.Pace = pace
	}
	return mo, nil
}

// sipOpts checks the SIP flags and maps them onto mo. The secret comes
// from --sip-webhook-secret, else from OPENAI_WEBHOOK_SECRET (the variable
// the SDKs read, so the client and the mock share it), else the mock makes
// one up.
func sipOpts(mo *mockserver.Options, o *serveOptions) error {
	if o.sipHook == "" {
		if o.sipSecret != "" {
			return usagef("--sip-webhook-secret goes with --sip-webhook")
		}
		return nil
	}
	if u, err := url.Parse(o.sipHook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--sip-webhook: %q is not an http or https URL", o.sipHook)
	}
	if o.noAdmin {
		return usagef("--sip-webhook: calls are rung through the admin API (POST /__rtmock/sip/calls), which --no-admin turns off")
	}
	secret := o.sipSecret
	if secret == "" {
		secret = os.Getenv("OPENAI_WEBHOOK_SECRET")
	}
	if secret != "" {
		if _, err := rtc.WebhookKey(secret); err != nil {
			return usagef("--sip-webhook-secret: %v", err)
		}
	}
	mo.SIPWebhookURL, mo.SIPWebhookSecret = o.sipHook, secret
	return nil
}

// loadSource resolves the serve argument: a cassette (.jsonl), a scenario
// file, or a built-in scenario's name.
func loadSource(mo *mockserver.Options, src string, maxBytes int64) error {
	if strings.HasSuffix(src, ".jsonl") {
		if fi, err := os.Stat(src); err == nil && maxBytes > 0 && fi.Size() > maxBytes {
			return usagef("cassette %s is %d bytes, over --max-cassette-bytes %d", src, fi.Size(), maxBytes)
		}
		c, err := cassette.Load(src)
		if err != nil {
			return usageError{err}
		}
		if w := c.Truncated(); w != nil {
			mo.Logger.Warn("the cassette's last line is incomplete (the recorder was killed?); replaying every complete frame", "warning", w.Error())
		}
		mo.Cassette = c
		return nil
	}
	sc, err := scenarios.Resolve(src)
	if err != nil {
		return usageError{err}
	}
	mo.Scenario = sc
	return nil
}

func serveRun(cmd *cobra.Command, o *serveOptions) error {
	mo, err := serveOpts(cmd, o)
	if err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(o.addr); err == nil && !isLoopback(host) {
		mo.Logger.Warn("listening beyond loopback: anyone who can reach this address can use the mock", "addr", o.addr)
	}
	var sessions, mismatches atomic.Int64
	mo.OnSessionEnd = func(tr *mockserver.Transcript) {
		sessions.Add(1)
		mismatches.Add(int64(len(tr.Mismatches)))
		mo.Logger.Info("session ended", "session", tr.SessionID, "dialect", tr.Dialect, "path", tr.Path,
			"closed_by", tr.ClosedBy, "code", tr.CloseCode, "errors", tr.Errors, "mismatches", len(tr.Mismatches))
	}
	var srv *mockserver.Server
	mon, err := serveExtras(cmd, o, mo, func() *mockserver.Handler { return srv.Handler() })
	if err != nil {
		return err
	}
	srv, err = mockserver.New(mo)
	if err != nil {
		if mon != nil {
			mon.Close()
		}
		return err
	}
	caFile := ""
	if pem := srv.CertPEM(); pem != nil {
		// A private directory of its own (or the --ca-file replaced as a
		// whole): never a predictable name in the shared temp dir.
		cf, err := mockserver.WriteCertFile(pem, o.caFile)
		if err != nil {
			srv.Close()
			return fmt.Errorf("write the TLS certificate: %w", err)
		}
		defer cf.Remove()
		caFile = cf.Path
	}
	printBanner(cmd, srv, o, mo, caFile)
	if o.readyFile != "" {
		if err := writeFileAtomic(o.readyFile, []byte(srv.URL()+"\n")); err != nil {
			srv.Close()
			return fmt.Errorf("write --ready-file: %w", err)
		}
		defer os.Remove(o.readyFile)
	}
	if o.ui {
		if err := openBrowser(srv.URL() + admin.UIPath); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "could not open a browser (%v): open %s%s yourself\n", err, srv.URL(), admin.UIPath)
		}
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if mon != nil && o.checkN > 0 {
		go stopAfterJudged(ctx, mon, o.checkN, stop)
	}
	<-ctx.Done()
	if o.drain > 0 {
		mo.Logger.Info("draining: no new sessions; live ones may end on their own", "for", o.drain, "live", srv.Handler().LiveSessions())
		dctx, cancel := context.WithTimeout(context.Background(), o.drain)
		srv.Handler().Drain(dctx)
		cancel()
	}
	mo.Logger.Info("shutting down: closing sessions with 1001")
	if err := srv.Close(); err != nil {
		return err
	}
	if mon != nil {
		mon.Close()
	}
	if o.check {
		judged, failed := mon.Counts()
		fmt.Fprintf(cmd.ErrOrStderr(), "check: %d sessions judged, %d failed\n", judged, failed)
		if failed > 0 {
			return errFailed
		}
	}
	if mo.Cassette != nil {
		n := mismatches.Load()
		fmt.Fprintf(cmd.ErrOrStderr(), "replay: %d sessions, %d mismatches with %s\n", sessions.Load(), n, mo.Cassette.Path())
		if n > 0 && o.strict {
			return errFailed
		}
	}
	return nil
}

// serveExtras adds to the mock what serve offers beside it: the monitor
// that judges sessions (--check, and the admin API's verdicts), the admin
// API and the metrics, all watching through one Observer and mounted with
// Options.Wrap. It returns the monitor, nil when nothing needs one.
func serveExtras(cmd *cobra.Command, o *serveOptions, mo *mockserver.Options, handler func() *mockserver.Handler) (*monitor.Monitor, error) {
	var obs []mockserver.Observer
	var wraps []func(http.Handler) http.Handler
	var mt *metrics.Metrics
	if !o.noMetrics {
		mt = metrics.New()
		obs = append(obs, mt.Observer())
		mo.OnStepLate = mt.StepLate
		wraps = append(wraps, mt.Wrap)
	}
	var mon *monitor.Monitor
	if o.check || !o.noAdmin {
		mopts := &monitor.Options{Scenario: func() *scenarios.Scenario { return handler().Scenario() }}
		if o.check {
			mopts.Out = cmd.ErrOrStderr()
		} else {
			mopts.Keep = 20 // for the admin API only: the last sessions, not a history
		}
		mon = monitor.New(mopts)
		obs = append(obs, mon.Observer())
	}
	if !o.noAdmin {
		hosts, err := hostcheck.New(o.allowHost)
		if err != nil {
			mon.Close()
			return nil, usagef("--allow-host: %v", err)
		}
		ao := &admin.Options{Monitor: mon, APIKey: o.apiKey, Hosts: hosts, Version: Version, Handler: handler}
		if mt != nil {
			ao.Middleware = mt.CountAdmin
		}
		wraps = append(wraps, admin.Wrap(ao))
	}
	if len(obs) > 0 {
		mo.Observer = mockserver.Observers(obs...)
	}
	mo.Wrap = func(h http.Handler) http.Handler {
		for _, w := range wraps {
			h = w(h)
		}
		return h
	}
	return mon, nil
}

// stopAfterJudged calls stop once mon has judged n sessions.
func stopAfterJudged(ctx context.Context, mon *monitor.Monitor, n int, stop func()) {
	for {
		changed := mon.Changed()
		if judged, _ := mon.Counts(); judged >= n {
			stop()
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func printBanner(cmd *cobra.Command, srv *mockserver.Server, o *serveOptions, mo *mockserver.Options, caFile string) {
	w := cmd.OutOrStdout()
	url := srv.URL()
	what := "default reply"
	if mo.Scenario != nil {
		what = "scenario " + mo.Scenario.Name
	}
	if mo.Cassette != nil {
		what = "replaying " + mo.Cassette.Path()
	}
	// The key itself is never printed: output ends up in CI logs.
	key := "anything"
	if o.apiKey != "" {
		key = "'<the key given with --api-key>'"
	}
	fmt.Fprintf(w, "rtmock %s listening on %s (%s, pace %s)\n", Version, url, what, o.pace)
	if tlsURL := srv.TLSURL(); tlsURL != "" {
		fmt.Fprintf(w, "  and on %s for wss-only SDKs (the openai npm package): trust %s\n", tlsURL, caFile)
	}
	fmt.Fprintf(w, "\nAzure SDKs (rt-client, openai AzureOpenAI, Python rtclient):\n")
	fmt.Fprintf(w, "  export AZURE_OPENAI_ENDPOINT=%s\n", url)
	fmt.Fprintf(w, "  export AZURE_OPENAI_API_KEY=%s\n", key)
	fmt.Fprintf(w, "  export AZURE_OPENAI_DEPLOYMENT_NAME=gpt-4o-realtime-preview\n")
	fmt.Fprintf(w, "  export OPENAI_API_VERSION=2024-10-01-preview\n")
	if tlsURL := srv.TLSURL(); tlsURL != "" {
		fmt.Fprintf(w, "  # openai npm (wss only): export AZURE_OPENAI_ENDPOINT=%s NODE_EXTRA_CA_CERTS=%s\n", tlsURL, caFile)
	}
	fmt.Fprintf(w, "OpenAI SDKs (instead of the Azure variables, which they would override):\n")
	base := url
	if tlsURL := srv.TLSURL(); tlsURL != "" {
		base = tlsURL
	}
	fmt.Fprintf(w, "  export OPENAI_BASE_URL=%s/v1\n", base)
	fmt.Fprintf(w, "  export OPENAI_API_KEY=%s\n", key)
	if caFile != "" {
		// NODE_EXTRA_CA_CERTS adds to the trust store; SSL_CERT_FILE would
		// replace the whole of it for that shell.
		fmt.Fprintf(w, "  export NODE_EXTRA_CA_CERTS=%s   # adds this one certificate to what Node trusts\n", caFile)
	}
	if !o.noAdmin {
		fmt.Fprintf(w, "\nAdmin API: %s/__rtmock/sessions (sessions and verdicts; docs/admin.md); live list: %s%s\n", url, url, admin.UIPath)
	}
	if mo.SIPWebhookURL != "" {
		// A secret the user gave is not printed; one the mock made up is
		// the user's only way to learn it.
		secret := "the secret of --sip-webhook-secret or $OPENAI_WEBHOOK_SECRET"
		if mo.SIPWebhookSecret == "" {
			secret = srv.SIPWebhookSecret() + " (made up: give your receiver it as OPENAI_WEBHOOK_SECRET)"
		}
		fmt.Fprintf(w, "\nSIP calls: curl -X POST %s/__rtmock/sip/calls rings one; its realtime.call.incoming webhook goes to %s\n", url, mo.SIPWebhookURL)
		fmt.Fprintf(w, "  signed with %s\n", secret)
		fmt.Fprintf(w, "  answer with POST %s/v1/realtime/calls/ID/accept, /reject, /refer or /hangup (docs/sip.md)\n", base)
	}
	fmt.Fprintf(w, "\nEndpoints: /openai/realtime?api-version=…&deployment=… (Azure preview), /openai/v1/realtime?model=… (Azure GA), /v1/realtime?model=… (OpenAI; preview with OpenAI-Beta: realtime=v1)\n")
}
