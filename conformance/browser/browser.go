// Package browser runs a web page as a conformance client: headless
// Chromium opens the page with the run's endpoint in its query, its
// microphone playing the scenario's user speech, and the page's calls
// (WebRTC, or WebSocket) are the run's sessions, judged like any client's.
//
//	fn, err := browser.Client(&browser.Options{Page: "web/agent.html"})
//	rep, err := conformance.Run(ctx, &conformance.Options{Func: fn, Name: "agent.html"})
//
// # What the page is given
//
// The page's URL gets these query parameters (the page's own are kept):
//
//	rtmock_endpoint     the mock's base URL, http://127.0.0.1:PORT (AZURE_OPENAI_ENDPOINT)
//	rtmock_key          the key it accepts: a standard key, from which the page may mint
//	                    ephemeral keys (POST {endpoint}/v1/realtime/client_secrets)
//	rtmock_deployment   the deployment, for Azure routes
//	rtmock_api_version  the api-version, for Azure preview routes
//	rtmock_dialect      preview, ga, or auto
//	rtmock_scenario     the scenario's name
//	rtmock_input_text   what the user types, when the scenario's user types instead of speaking
//
// The microphone (getUserMedia) plays the scenario's user speech once
// (Chromium's fake capture device, fed the run's RTMOCK_INPUT_WAV), then
// silence. When the scenario's user types, the microphone says the same
// line (conformance.SpeechWAV), so that a page that only listens takes
// part; a page that types has the text in rtmock_input_text.
//
// # The end of a run
//
// The page may end its run itself by setting window.rtmockDone = true, as
// a command exits. A page whose calls (peer connections and WebSockets)
// are all over, closed by either side, and that opens no new one within
// 1.5 s has ended its part too: a page does not exit, it stops calling.
// Otherwise the runner hangs up as for any client: it
// calls the page's window.rtmockHangUp() when it has one (and awaits the
// promise it returns, up to 5 s), or else closes every RTCPeerConnection
// and WebSocket the page opened, as a user hanging up does (the page's
// constructors are wrapped to know them). Then the page is unloaded and
// Chromium stopped.
//
// Console messages go to the run's stdout, uncaught exceptions to its
// stderr; both are in the report of a failing run.
package browser

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/rtmock/rtmock/conformance"
)

// Options configure a browser client.
type Options struct {
	// Page is the page to open: an http(s) URL, or an HTML file, whose
	// folder is then served on a loopback port for the run.
	Page string
	// Chromium is the browser's executable. Default: $RTMOCK_CHROMIUM, then
	// the first of chromium, chromium-browser, google-chrome and
	// google-chrome-stable on PATH.
	Chromium string
	// Flags are added to Chromium's command line ("name" or "name=value",
	// without the dashes).
	Flags []string
}

// ErrNoChromium: no Chromium executable was found.
var ErrNoChromium = errors.New("no Chromium found: install chromium (apt-get install chromium) or name it with RTMOCK_CHROMIUM or --chromium")

// unloadWait bounds the page's hang-up and its unload; closeWait is the
// moment left for the closes to go out on the wire before the unload.
// reconnectWait is how long a page whose calls are all over has to make a
// new one before its run counts it as ended (the runner's grace is 2 s).
const (
	unloadWait    = 5 * time.Second
	closeWait     = 300 * time.Millisecond
	reconnectWait = 1500 * time.Millisecond
)

// Client returns the conformance client that opens the page. It checks the
// options now: the page must exist and Chromium must be found.
func Client(o *Options) (conformance.Func, error) {
	if o == nil || strings.TrimSpace(o.Page) == "" {
		return nil, errors.New("browser: no page")
	}
	exe, err := findChromium(o.Chromium)
	if err != nil {
		return nil, err
	}
	c := &client{exe: exe, flags: o.Flags}
	if u, err := url.Parse(o.Page); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		c.page = u
		return c.run, nil
	}
	abs, err := filepath.Abs(o.Page)
	if err != nil {
		return nil, fmt.Errorf("browser: page %s: %w", o.Page, err)
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		return nil, fmt.Errorf("browser: page %s: not an http(s) URL nor an HTML file", o.Page)
	}
	c.file = abs
	return c.run, nil
}

func findChromium(exe string) (string, error) {
	if exe == "" {
		exe = os.Getenv("RTMOCK_CHROMIUM")
	}
	if exe != "" {
		p, err := exec.LookPath(exe)
		if err != nil {
			return "", fmt.Errorf("browser: chromium %s: %w", exe, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

type client struct {
	exe   string
	flags []string
	page  *url.URL // the page's URL, or nil for a file
	file  string   // the page's file, served from its folder
}

// run is one run: serve the page if it is a file, start Chromium, open the
// page, wait for the hang-up or the page's end, unload it, stop Chromium.
func (c *client) run(ctx context.Context, env conformance.Env) error {
	dir, err := os.MkdirTemp("", "rtmock-browser-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	mic, err := microphone(dir, env)
	if err != nil {
		return err
	}
	pageURL := c.page
	if pageURL == nil {
		base, stop, err := serveFolder(filepath.Dir(c.file))
		if err != nil {
			return err
		}
		defer stop()
		pageURL = base.JoinPath(filepath.Base(c.file))
	}
	tab, stop, err := c.start(filepath.Join(dir, "profile"), mic, env)
	if err != nil {
		return err
	}
	defer stop()
	if _, err := chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: tracker}); err != nil {
		return fmt.Errorf("prepare the page: %w", err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(withRun(pageURL, env).String())); err != nil {
		return fmt.Errorf("open %s: %w", pageURL, err)
	}
	if waitEnd(ctx, tab) {
		hangUp(tab)
	}
	uctx, cancel := context.WithTimeout(tab, unloadWait)
	defer cancel()
	chromedp.Do(uctx, chromedp.Navigate("about:blank"))
	return nil
}

// tracker runs in the page before its own scripts: it keeps the peer
// connections and WebSockets the page opens, so that the hang-up can
// close them.
const tracker = `(() => {
  const calls = [];
  const PC = window.RTCPeerConnection, WS = window.WebSocket;
  if (PC) window.RTCPeerConnection = class extends PC { constructor(...a) { super(...a); calls.push(this); } };
  if (WS) window.WebSocket = class extends WS { constructor(...a) { super(...a); calls.push(this); } };
  window.__rtmockCallsOver = () => calls.length > 0 && calls.every((c) => (WS && c instanceof WS)
    ? c.readyState >= 2 : ["closed", "failed"].includes(c.connectionState));
  window.__rtmockCloseAll = () => {
    for (const c of calls) { try { (WS && c instanceof WS) ? c.close(1000) : c.close(); } catch (e) {} }
    return calls.length;
  };
})();`

// hangUp ends the page's calls when the runner hangs up: with the page's
// own window.rtmockHangUp when it has one (awaited), else by closing every
// peer connection and WebSocket it opened, as a user hanging up does. It
// then leaves the closes a moment to go out before the page is unloaded.
func hangUp(tab context.Context) {
	ctx, cancel := context.WithTimeout(tab, unloadWait)
	defer cancel()
	chromedp.Run(ctx, chromedp.Evaluate[any](`(async () => {
  if (typeof window.rtmockHangUp === "function") { await window.rtmockHangUp(); return; }
  if (window.__rtmockCloseAll) window.__rtmockCloseAll();
})()`, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	select {
	case <-ctx.Done():
	case <-time.After(closeWait):
	}
}

// start launches Chromium with the fake microphone and returns its tab,
// whose console goes to the run's output.
func (c *client) start(profile, mic string, env conformance.Env) (context.Context, func(), error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(c.exe),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", mic+"%noloop"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	for _, f := range c.flags {
		name, val, ok := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, val))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	stop := func() { cancelTab(); cancelAlloc() }
	if err := chromedp.Listen(tab, func(ev any) { logEvent(ev, env) }); err != nil {
		stop()
		return nil, nil, fmt.Errorf("start chromium %s: %w", c.exe, err)
	}
	return tab, stop, nil
}

// logEvent writes the page's console messages to stdout and its uncaught
// exceptions to stderr.
func logEvent(ev any, env conformance.Env) {
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if a.Value != nil {
				s := string(a.Value)
				if uq, err := unquote(s); err == nil {
					s = uq
				}
				parts = append(parts, s)
			} else {
				parts = append(parts, a.Description)
			}
		}
		fmt.Fprintln(env.Stdout, strings.Join(parts, " "))
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg = d.Exception.Description
		}
		fmt.Fprintf(env.Stderr, "uncaught: %s (%s:%d:%d)\n", msg, d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
}

func unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' {
		return "", errors.New("not a string")
	}
	var out string
	_, err := fmt.Sscanf(s, "%q", &out)
	return out, err
}

// waitEnd returns when the runner hangs up (ctx), true, or when the page
// ended its part, false: it set window.rtmockDone, or every call it made is
// over (the server ended it, or the page hung up) and it made no new one
// within reconnectWait, or the browser went away.
func waitEnd(ctx context.Context, tab context.Context) bool {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var overSince time.Time
	for {
		select {
		case <-ctx.Done():
			return true
		case <-tab.Done():
			return false
		case <-tick.C:
		}
		st, err := chromedp.Run(tab, chromedp.Evaluate[pageState](`({done: window.rtmockDone === true, over: !!(window.__rtmockCallsOver && window.__rtmockCallsOver())})`))
		switch {
		case err != nil:
		case st.Done:
			return false
		case !st.Over:
			overSince = time.Time{}
		case overSince.IsZero():
			overSince = time.Now()
		case time.Since(overSince) >= reconnectWait:
			return false
		}
	}
}

// pageState is what waitEnd reads of the page.
type pageState struct {
	Done bool `json:"done"` // window.rtmockDone
	Over bool `json:"over"` // every call the page made is over
}

// withRun adds the run's parameters to the page's query.
func withRun(page *url.URL, env conformance.Env) *url.URL {
	u := *page
	q := u.Query()
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("rtmock_endpoint", env.Endpoint)
	set("rtmock_key", env.APIKey)
	set("rtmock_deployment", env.Deployment)
	set("rtmock_api_version", env.APIVersion)
	set("rtmock_dialect", env.Get(conformance.EnvDialect))
	set("rtmock_scenario", env.Scenario)
	set("rtmock_input_text", env.InputText)
	u.RawQuery = q.Encode()
	return &u
}

// microphone returns the WAV the fake microphone plays: the run's user
// speech, or, when the scenario's user types, the same spoken line (a page
// that only listens still gets its turn; one that types has the text in
// rtmock_input_text).
func microphone(dir string, env conformance.Env) (string, error) {
	if env.InputWAV != "" {
		return env.InputWAV, nil
	}
	p := filepath.Join(dir, "speech-24k.wav")
	return p, os.WriteFile(p, conformance.SpeechWAV(), 0o644)
}

// serveFolder serves folder on a loopback port until stop.
func serveFolder(folder string) (*url.URL, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(folder)), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/"}, func() { srv.Close() }, nil
}
