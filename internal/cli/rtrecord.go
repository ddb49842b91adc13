package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/recorder"
)

// recordEntraScope is the token scope of Azure OpenAI.
const recordEntraScope = "https://cognitiveservices.azure.com/.default"

// recordOptions are the flags of rtrecord.
type recordOptions struct {
	upstream    string
	addr        string
	out         string
	name        string
	redact      []string
	elideAudio  bool
	logFormat   string
	verbose     bool
	allowHosts  []string
	idleTimeout time.Duration
	maxHeader   int
	maxMessage  int64
	queueBytes  int
}

// RecordMain runs rtrecord with os.Args and returns the exit code: 0 when it
// ran and shut down cleanly, 1 on a failure, 2 on a usage error. SIGINT and
// SIGTERM close every session (1001) and flush every cassette before it
// returns.
func RecordMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := NewRecordCmd()
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "rtrecord: %v\n", err)
	}
	return recordExitCode(err)
}

// recordExitCode maps rtrecord's errors to exit codes.
func recordExitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitFailure
}

// NewRecordCmd returns the rtrecord command.
func NewRecordCmd() *cobra.Command { return recordNewCmd(recordRun) }

// recordNewCmd returns the rtrecord command with runF as its action, so
// that tests can check flag parsing.
func recordNewCmd(runF func(*cobra.Command, *recordOptions) error) *cobra.Command {
	o := &recordOptions{}
	cmd := &cobra.Command{
		Use:   "rtrecord --upstream URL [--addr 127.0.0.1:8081] [--out DIR] [--name TEMPLATE] [--redact VALUE]... [--elide-audio] [--allow-host NAME]... [--log-format text|json] [-v]",
		Short: "Record realtime sessions between an app and Azure OpenAI / OpenAI as cassettes",
		Long: `rtrecord is a recording proxy for the realtime speech API. Point an app at it
instead of the service: it relays every session to --upstream unchanged and
writes each one, every frame both ways with its time, to a cassette in --out
that rtmock can replay.

The app's own credentials are forwarded. An app that sends none is
authenticated with AZURE_OPENAI_API_KEY (api-key header) or, for Azure
upstreams, with Microsoft Entra ID (DefaultAzureCredential); for
api.openai.com, OPENAI_API_KEY is used as a bearer token. Keys and tokens
never reach a cassette or the log: they are replaced by [REDACTED] where
credentials stand (headers, query parameters, subprotocols, and the
recorder's own messages). The conversation itself is recorded as it was:
only --redact values are replaced inside it, wherever they appear.

Only requests whose Host names this machine (localhost, 127.0.0.1, ::1)
are served, so that no web page can use the recorder through DNS
rebinding; --allow-host adds names. See docs/security.md for every limit.

SIGINT or SIGTERM closes the sessions (1001) and flushes every cassette.`,
		Args:          recordNoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(cmd *cobra.Command, _ []string) error { return runF(cmd, o) },
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	f := cmd.Flags()
	f.StringVar(&o.upstream, "upstream", "", "the service to record, e.g. https://my-resource.openai.azure.com (required)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8081", "address to listen on (loopback; anything else is reachable by others)")
	f.StringVar(&o.out, "out", "cassettes", "directory for the cassettes (created if missing)")
	f.StringVar(&o.name, "name", recorder.DefaultName, "cassette file name template: {{.Time}} {{.ID}} {{.Seq}} {{.Provider}} {{.Dialect}} {{.Deployment}}")
	f.StringArrayVar(&o.redact, "redact", nil, "a secret value to replace everywhere in cassettes and logs, conversation included (repeatable)")
	f.BoolVar(&o.elideAudio, "elide-audio", false, "record audio as size-keeping markers instead of base64")
	f.StringVar(&o.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log every relayed frame (direction, type, size)")
	f.StringArrayVar(&o.allowHosts, "allow-host", nil, "a Host name to serve besides loopback ones: a name or IP, *.domain, or * for any (repeatable)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 60*time.Second, "close keep-alive connections idle this long (sessions are never cut)")
	f.IntVar(&o.maxHeader, "max-header-bytes", 64<<10, "largest request line and headers; larger requests get 431")
	f.Int64Var(&o.maxMessage, "max-message-bytes", cassette.MaxFrameSize, "largest message relayed either way; a larger one closes the session with 1009")
	f.IntVar(&o.queueBytes, "queue-bytes", 16<<20, "bytes of one session's frames that may wait for the disk; beyond it frames are left out of the cassette, never out of the conversation")
	addVersion(cmd, "rtrecord")
	return cmd
}

func recordNoArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("rtrecord takes no arguments, got %q", args)
	}
	return nil
}

// recordRun runs the recorder until the command's context ends.
func recordRun(cmd *cobra.Command, o *recordOptions) error {
	if o.upstream == "" {
		return usagef("--upstream is required: the service's URL, e.g. https://my-resource.openai.azure.com")
	}
	log, err := newLogger(cmd.ErrOrStderr(), o.logFormat, o.verbose)
	if err != nil {
		return err
	}
	if o.idleTimeout < 0 || o.maxHeader < 0 || o.maxMessage < 0 || o.queueBytes < 0 {
		return usagef("--idle-timeout, --max-header-bytes, --max-message-bytes and --queue-bytes cannot be negative")
	}
	opts := &recorder.Options{
		Upstream:        o.upstream,
		Dir:             o.out,
		Name:            o.name,
		Redact:          o.redact,
		ElideAudio:      o.elideAudio,
		Logger:          log,
		Recorder:        "rtrecord " + Version,
		AllowedHosts:    o.allowHosts,
		IdleTimeout:     o.idleTimeout,
		MaxHeaderBytes:  o.maxHeader,
		MaxMessageBytes: o.maxMessage,
		QueueBytes:      o.queueBytes,
	}
	auth := recordFallbackAuth(opts, o.upstream, os.Getenv)
	// The directory first: New checks that cassettes can be written there,
	// so that an unwritable --out fails now, not every session.
	if o.out == "" {
		o.out = "."
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("cassette directory: %w", err)
	}
	rec, err := recorder.New(opts)
	if err != nil {
		return usageError{err}
	}
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		rec.Close()
		return err
	}
	if !recordIsLoopback(l.Addr()) {
		log.Warn("listening on a non-loopback address: anyone who can reach it can use the upstream with the credentials rtrecord adds, and their sessions are recorded", "addr", l.Addr().String())
	}
	recordBanner(cmd.OutOrStdout(), rec.Upstream(), l.Addr(), o.out, auth)

	served := make(chan error, 1)
	go func() { served <- rec.Serve(l) }()
	var serveErr error
	select {
	case <-cmd.Context().Done():
		log.Info("shutting down: closing sessions and flushing cassettes")
	case serveErr = <-served:
	}
	closeErr := rec.Close()
	if serveErr == nil {
		serveErr = <-served
	}
	fmt.Fprintf(cmd.OutOrStdout(), "rtrecord: %d cassette(s) in %s\n", len(rec.Cassettes()), o.out)
	return errors.Join(serveErr, closeErr)
}

// recordFallbackAuth sets how sessions without credentials authenticate,
// from the environment, and says which way in a few words.
func recordFallbackAuth(opts *recorder.Options, upstream string, getenv func(string) string) string {
	host := ""
	if u, err := url.Parse(upstream); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	switch {
	case host == "api.openai.com":
		if key := getenv("OPENAI_API_KEY"); key != "" {
			opts.TokenSource = recorder.TokenFunc(func(context.Context) (string, error) { return key, nil })
			return "OPENAI_API_KEY"
		}
	case getenv("AZURE_OPENAI_API_KEY") != "":
		opts.APIKey = getenv("AZURE_OPENAI_API_KEY")
		return "AZURE_OPENAI_API_KEY"
	case recordIsAzureHost(host):
		opts.TokenSource = &recordEntraToken{}
		return "Microsoft Entra ID (DefaultAzureCredential)"
	}
	return ""
}

func recordIsAzureHost(host string) bool {
	for _, suffix := range []string{".azure.com", ".azure.us", ".azure.cn", ".azure-api.net"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}

// recordEntraToken gets Azure OpenAI tokens from DefaultAzureCredential,
// made on first use (it reads the environment and may start a CLI).
type recordEntraToken struct {
	once sync.Once
	cred azcore.TokenCredential
	err  error
}

func (e *recordEntraToken) Token(ctx context.Context) (string, error) {
	e.once.Do(func() { e.cred, e.err = azidentity.NewDefaultAzureCredential(nil) })
	if e.err != nil {
		return "", fmt.Errorf("get an Entra ID token: %w", e.err)
	}
	tok, err := e.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{recordEntraScope}})
	if err != nil {
		return "", fmt.Errorf("get an Entra ID token: %w", err)
	}
	return tok.Token, nil
}

func recordIsLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// recordBanner tells the user where the recorder listens and how to point
// an app at it.
func recordBanner(w io.Writer, upstream string, addr net.Addr, out, auth string) {
	base := "http://" + addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		base = fmt.Sprintf("http://127.0.0.1:%d", ta.Port)
	}
	dir, err := filepath.Abs(out)
	if err != nil {
		dir = out
	}
	fmt.Fprintf(w, "rtrecord: relaying to %s\n", upstream)
	fmt.Fprintf(w, "rtrecord: cassettes go to %s\n", dir)
	fmt.Fprintf(w, "rtrecord: listening on %s\n", base)
	fmt.Fprintf(w, "\nPoint your app at the recorder:\n")
	fmt.Fprintf(w, "  export AZURE_OPENAI_ENDPOINT=%s\n", base)
	fmt.Fprintf(w, "  export OPENAI_BASE_URL=%s/v1\n", base)
	if auth != "" {
		fmt.Fprintf(w, "Apps that send no key are authenticated with %s.\n", auth)
	} else {
		fmt.Fprintf(w, "Apps must send their own key or token; rtrecord forwards it.\n")
	}
	fmt.Fprintln(w)
}
