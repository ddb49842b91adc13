package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/view"
	"github.com/rtmock/rtmock/scenarios"
)

// viewOptions are the flags of "rtmock view".
type viewOptions struct {
	paths    []string
	html     string
	addr     string
	noOpen   bool
	maxAudio time.Duration
	check    bool
	scenario string
}

func newViewCmd() *cobra.Command { return viewNewCmd(nil) }

// viewNewCmd returns "rtmock view"; runF replaces the action in tests of
// flag parsing.
func viewNewCmd(runF func(*cobra.Command, *viewOptions) error) *cobra.Command {
	o := &viewOptions{}
	cmd := &cobra.Command{
		Use:   "view FILE|DIR... [--html OUT.html] [--no-open]",
		Short: "Show recorded sessions on a timeline: events, audio, VAD, responses, truncates, faults, rule failures",
		Long: `Open a timeline of recorded sessions in the browser: client and server events
on one time axis, the client's audio and the assistant's audio as played (cut
at the truncate), VAD windows, responses coloured by their final status,
truncates against the played position, faults, and conformance rule failures
pinned at their instant. Click anything to see its JSON; drag to pan, wheel
to zoom; play the audio of a VAD window, an item or a response.

FILE is a cassette (rtrecord), a mock transcript, or a conformance JSON report
(rtmock conformance --json): the report's findings are pinned to the
transcripts it names. DIR is what rtmock conformance --out wrote: its
cassettes, with the findings of the report.json beside them.

Without --html the page is served on loopback at a random port until
Ctrl-C; the URL is the first line of output. With --html it is written as
one self-contained file, which makes no network request, for CI to keep.`,
		Example: `  rtmock view cassettes/2026-11-25T10-00-00Z-sess_abc.jsonl
  rtmock view rtmock-conformance/
  rtmock view --html barge-in.html testdata/cassettes/barge-in.jsonl
  rtmock view --check --scenario barge-in recorded.jsonl`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one cassette, report or directory to view")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			if runF != nil {
				return runF(cmd, o)
			}
			return viewRun(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.html, "html", "", "write the page to `FILE` instead of serving it")
	f.StringVar(&o.addr, "addr", "127.0.0.1:0", "loopback address to serve the page on")
	f.BoolVar(&o.noOpen, "no-open", false, "print the URL but do not open a browser")
	f.DurationVar(&o.maxAudio, "max-audio", view.DefaultMaxAudio, "playable audio kept per session (the waveform is always drawn); 0 keeps none")
	f.BoolVar(&o.check, "check", false, "judge cassettes that carry no findings against the conformance rules, as rtmock conformance check does, and pin the failures")
	f.StringVar(&o.scenario, "scenario", "", "with --check, also judge the expectations of this scenario (a built-in name or a file)")
	return cmd
}

// viewPage loads the sessions, judges them when asked, and builds the
// page.
func viewPage(o *viewOptions) (*view.Page, error) {
	ss, err := view.Load(o.paths)
	if err != nil {
		return nil, err
	}
	if o.check {
		if err := viewCheck(ss, o.scenario); err != nil {
			return nil, err
		}
	}
	maxAudio := o.maxAudio
	if maxAudio == 0 {
		maxAudio = -1 // Options: negative keeps none, zero means the default
	}
	p := &view.Page{Generator: "rtmock " + Version}
	for _, s := range ss {
		p.Sessions = append(p.Sessions, view.Build(s, &view.Options{MaxAudio: maxAudio}))
	}
	return p, nil
}

func viewRun(cmd *cobra.Command, o *viewOptions) error {
	if o.maxAudio < 0 {
		return usagef("--max-audio must not be negative")
	}
	if o.scenario != "" && !o.check {
		return usagef("--scenario needs --check")
	}
	p, err := viewPage(o)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return err
		}
		return cassetteFailed(cmd, err)
	}
	if o.html != "" {
		var b bytes.Buffer
		if err := p.WriteHTML(&b); err != nil {
			return err
		}
		if err := writeFileAtomic(o.html, b.Bytes()); err != nil {
			return fmt.Errorf("write the page: %w", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d session%s, %d KiB)\n", o.html, len(p.Sessions), viewPlural(len(p.Sessions)), (b.Len()+1023)/1024)
		return nil
	}
	return viewServe(cmd, o, p)
}

// viewCheck judges every session read from a file that has no findings
// yet (a conformance report brings its own), as rtmock conformance check
// does, and pins what failed.
func viewCheck(ss []*view.Session, scenario string) error {
	var sc *scenarios.Scenario
	if scenario != "" {
		var err error
		if sc, err = scenarios.Resolve(scenario); err != nil {
			return usageError{fmt.Errorf("--scenario: %w", err)}
		}
	}
	for _, s := range ss {
		if len(s.Findings) > 0 || s.Source == "" {
			continue
		}
		cs, err := conformance.LoadSession(s.Source)
		if err != nil {
			return err
		}
		if sc != nil {
			cs.Scenario = sc.Name
		}
		var b bytes.Buffer
		if err := conformance.Judge(filepath.Base(s.Source), sc, nil, cs).WriteJSON(&b); err != nil {
			return err
		}
		r, err := view.ParseReport(b.Bytes(), s.Source)
		if err != nil {
			return err
		}
		s.Findings = r.Runs[0].Findings(1)
	}
	return nil
}

// viewServe serves the page on loopback until the context ends or SIGINT.
func viewServe(cmd *cobra.Command, o *viewOptions, p *view.Page) error {
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil || !isLoopback(host) {
		return usagef("--addr must be a loopback address such as 127.0.0.1:0, not %q: the page holds whole sessions", o.addr)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("view: %w", err)
	}
	url := "http://" + ln.Addr().String() + "/"
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintln(cmd.OutOrStdout(), url)
	fmt.Fprintf(cmd.ErrOrStderr(), "serving %d session%s on %s; Ctrl-C to stop\n", len(p.Sessions), viewPlural(len(p.Sessions)), url)
	if !o.noOpen {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "could not open a browser (%v): open %s yourself\n", err, url)
		}
	}
	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-done:
		return fmt.Errorf("view: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// openBrowser asks the desktop to open url.
func openBrowser(url string) error {
	var c *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		c = exec.Command("open", url)
	case "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		c = exec.Command("xdg-open", url)
	}
	if err := c.Start(); err != nil {
		return err
	}
	go c.Wait() // reap it; its exit status says nothing useful
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so that a reader never sees half a page.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// viewPlural is "s" unless n is 1.
func viewPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
