package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/refclient"
	"github.com/rtmock/rtmock/internal/view"
	"github.com/rtmock/rtmock/realtime"
)

var (
	bargeInCassette = filepath.Join("..", "..", "testdata", "cassettes", "barge-in.jsonl")
	slowTruncateDir = filepath.Join("..", "..", "testdata", "conformance", "slow-truncate")
)

func TestViewFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args    []string
		want    viewOptions
		wantErr string
	}{
		{args: []string{"a.jsonl"}, want: viewOptions{paths: []string{"a.jsonl"}, addr: "127.0.0.1:0", maxAudio: view.DefaultMaxAudio}},
		{args: []string{"a.jsonl", "dir/", "--html", "out.html", "--no-open", "--max-audio", "1m", "--addr", "127.0.0.1:7000"},
			want: viewOptions{paths: []string{"a.jsonl", "dir/"}, html: "out.html", noOpen: true, maxAudio: time.Minute, addr: "127.0.0.1:7000"}},
		{args: []string{"a.jsonl", "--check", "--scenario", "barge-in"},
			want: viewOptions{paths: []string{"a.jsonl"}, addr: "127.0.0.1:0", maxAudio: view.DefaultMaxAudio, check: true, scenario: "barge-in"}},
		{args: nil, wantErr: "name at least one"},
	} {
		var got *viewOptions
		cmd := viewNewCmd(func(_ *cobra.Command, o *viewOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err %v, want %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if diff := cmp.Diff(tc.want, *got, cmp.AllowUnexported(viewOptions{})); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.args, diff)
		}
	}
}

// pageData extracts the sessions a page carries inline.
func pageData(t *testing.T, html []byte) (sessions []struct {
	Name     string
	Findings int
	Model    *view.Model
}) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="rtmock-data">(.*?)</script>`).FindSubmatch(html)
	if m == nil {
		t.Fatalf("no session data in the page")
	}
	var d struct {
		Sessions []struct {
			Name     string
			Findings int
			Model    *view.Model
		}
	}
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatal(err)
	}
	return d.Sessions
}

func TestViewWritesOneSelfContainedFile(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "sub", "barge-in.html")
	var stdout, stderr bytes.Buffer
	if code := run(NewRootCmd(), []string{"view", "--html", out, bargeInCassette, slowTruncateDir}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "wrote "+out+" (2 sessions, ") {
		t.Errorf("output %q", stdout.String())
	}
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`src="`, `href="http`, `href="//`, `url(http`, `url(//`, `@import`} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("the page refers to something outside itself: %s", bad)
		}
	}
	if !bytes.Contains(html, []byte(`content="default-src 'none'; script-src 'sha256-`)) {
		t.Errorf("the page has no strict Content-Security-Policy")
	}
	ss := pageData(t, html)
	if len(ss) != 2 || ss[0].Model == nil || ss[1].Findings != 2 || ss[1].Name != "barge-in [ga]" {
		t.Errorf("sessions in the page: %+v", ss)
	}
}

func TestViewBrokenCassetteNamesItsLine(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"rtcassette":1}`+"\n"+`{"t":0.1,"dir":"server","event":{"type":"x"}}`+"\n"+`{"t":0.2,"dir":"up","event":{}}`+"\n"), 0o644)
	var stderr bytes.Buffer
	if code := run(NewRootCmd(), []string{"view", "--html", bad + ".html", bad}, io.Discard, &stderr); code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	if !strings.Contains(stderr.String(), bad+":3") {
		t.Errorf("stderr %q does not name line 3", stderr.String())
	}
	if code := run(NewRootCmd(), []string{"view", "--addr", "0.0.0.0:0", bargeInCassette}, io.Discard, io.Discard); code != ExitUsage {
		t.Errorf("a non-loopback --addr: exit %d, want %d", code, ExitUsage)
	}
}

// TestViewCheckPinsFailures judges a cassette that fails the barge-in
// scenario's expectation and a rule, as rtmock conformance check would.
func TestViewCheckPinsFailures(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "page.html")
	cassette := filepath.Join(slowTruncateDir, "barge-in-ga.jsonl")
	var stderr bytes.Buffer
	if code := run(NewRootCmd(), []string{"view", "--check", "--scenario", "barge-in", "--html", out, cassette, bargeInCassette}, io.Discard, &stderr); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ss := pageData(t, html)
	if len(ss) != 2 {
		t.Fatalf("%d sessions", len(ss))
	}
	var rules []string
	for _, f := range ss[0].Model.Findings {
		rules = append(rules, f.Rule)
	}
	if got := strings.Join(rules, " "); !strings.Contains(got, conformance.RuleBargeInReaction) || !strings.Contains(got, "EXPECT-1") {
		t.Errorf("the slow truncate is judged %q, want %s and EXPECT-1", got, conformance.RuleBargeInReaction)
	}
	if n := len(ss[1].Model.Findings); n != 0 {
		t.Errorf("the good barge-in got %d findings: %+v", n, ss[1].Model.Findings)
	}
	if code := run(NewRootCmd(), []string{"view", "--scenario", "barge-in", "--html", out, cassette}, io.Discard, io.Discard); code != ExitUsage {
		t.Errorf("--scenario without --check: exit %d, want %d", code, ExitUsage)
	}
}

// TestViewServesOnLoopback runs "rtmock view" as a user would, reads the
// URL from its first line, fetches the page and a session, and stops it.
func TestViewServesOnLoopback(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	cmd := NewRootCmd()
	cmd.SetArgs([]string{"view", "--no-open", bargeInCassette})
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var url string
	for url == "" {
		if first, _, ok := strings.Cut(out.String(), "\n"); ok {
			url = first
			break
		}
		select {
		case err := <-done:
			t.Fatalf("view exited early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/$`).MatchString(url) {
		t.Fatalf("first line %q is not the page's URL", url)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path, host string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", url+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get("", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") || !bytes.Contains(body, []byte(`"fetch":"session/"`)) {
		t.Errorf("page: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
	}
	resp, body = get("session/0.json", "")
	var m view.Model
	if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil || m.Name != "barge-in.jsonl" || len(m.Truncates) != 1 {
		t.Errorf("session 0: %s, model %q with %d truncates", resp.Status, m.Name, len(m.Truncates))
	}
	if resp, _ := get("session/1.json", ""); resp.StatusCode != 404 {
		t.Errorf("a session that does not exist: %s", resp.Status)
	}
	if resp, _ := get("", "rebound.example:80"); resp.StatusCode != 403 {
		t.Errorf("a request for another host name: %s, want 403", resp.Status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("view returned %v", err)
	}
}

// TestConformanceHTMLWritesAPagePerRun runs the reference client, with a
// bug and without, and writes the timelines as rtmock conformance --html
// does.
func TestConformanceHTMLWritesAPagePerRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := conformance.Run(ctx, &conformance.Options{
		Func: refclient.New(&refclient.Options{Bug: refclient.NoTruncate}), Name: "refclient no-truncate",
		Scenarios: []string{"barge-in", "hello"}, Dialects: []realtime.Dialect{realtime.GA},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := &cobra.Command{}
	cmd.SetErr(io.Discard)
	if err := viewConformance(cmd, dir, rep); err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<a href="barge-in-ga.html">barge-in [ga]</a>`, `<a href="hello-ga.html">hello [ga]</a>`, "FAIL", conformance.RuleBargeInTruncate} {
		if !bytes.Contains(index, []byte(want)) {
			t.Errorf("index.html lacks %q:\n%s", want, index)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "barge-in-ga.html"))
	if err != nil {
		t.Fatal(err)
	}
	ss := pageData(t, page)
	if len(ss) != 1 || ss[0].Model == nil {
		t.Fatalf("sessions %+v", ss)
	}
	var rules []string
	for _, f := range ss[0].Model.Findings {
		rules = append(rules, f.Rule)
	}
	if !strings.Contains(strings.Join(rules, " "), conformance.RuleBargeInTruncate) {
		t.Errorf("the barge-in page pins %v, want %s", rules, conformance.RuleBargeInTruncate)
	}
	if _, err := os.Stat(filepath.Join(dir, "hello-ga.html")); err != nil {
		t.Errorf("no page for the passing run: %v", err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build info", nil, devVersion},
		{"go install @v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"a checkout with a commit", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "false"}}}, devVersion + "+0123456789ab"},
		{"a changed checkout", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}}, devVersion + "+0123456789ab.dirty"},
	} {
		if got := buildVersion(tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out bytes.Buffer
		if code := run(NewRootCmd(), args, &out, io.Discard); code != 0 || out.String() != "rtmock "+Version+"\n" {
			t.Errorf("rtmock %v: exit %d, %q", args, code, out.String())
		}
		var rout bytes.Buffer
		rec := NewRecordCmd()
		rec.SetArgs(args)
		rec.SetOut(&rout)
		if err := rec.Execute(); err != nil || rout.String() != "rtrecord "+Version+"\n" {
			t.Errorf("rtrecord %v: %v, %q", args, err, rout.String())
		}
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	if code := run(NewRootCmd(), []string{"healthcheck", srv.URL + "/healthz"}, io.Discard, io.Discard); code != ExitOK {
		t.Errorf("a healthy server: exit %d", code)
	}
	if code := run(NewRootCmd(), []string{"healthcheck", srv.URL + "/nope"}, io.Discard, io.Discard); code != ExitFailure {
		t.Errorf("a 404: exit %d, want %d", code, ExitFailure)
	}
	srv.Close()
	var stderr bytes.Buffer
	if code := run(NewRootCmd(), []string{"healthcheck", srv.URL + "/healthz", "--timeout", "2s"}, io.Discard, &stderr); code != ExitFailure || !strings.Contains(stderr.String(), "unhealthy") {
		t.Errorf("no server: exit %d, %q", code, stderr.String())
	}
}

// TestServeReadyFile starts rtmock serve on a random port and learns the
// port from --ready-file, as a script would.
func TestServeReadyFile(t *testing.T) {
	t.Parallel()
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := NewRootCmd()
	cmd.SetArgs([]string{"serve", "hello", "--addr", "127.0.0.1:0", "--no-tls", "--ready-file", ready})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var url string
	for url == "" {
		if b, err := os.ReadFile(ready); err == nil {
			url = strings.TrimSuffix(string(b), "\n")
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if code := run(NewRootCmd(), []string{"healthcheck", url + "/healthz"}, io.Discard, io.Discard); code != ExitOK {
		t.Errorf("the URL in the ready file (%q) does not answer /healthz: exit %d", url, code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v", err)
	}
	if _, err := os.Stat(ready); !os.IsNotExist(err) {
		t.Errorf("the ready file outlives the server: %v", err)
	}
}
