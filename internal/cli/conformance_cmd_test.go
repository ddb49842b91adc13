package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/realtime"
)

func TestConformanceFlagsMapOntoOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want conformance.Options
	}{
		{
			name: "defaults run every built-in once, in the dialect the client chooses",
			args: []string{"--client", "node agent.mjs"},
			want: conformance.Options{Command: "node agent.mjs", Dialects: []realtime.Dialect{conformance.DialectAuto},
				Timeout: 30 * time.Second, Limits: conformance.Limits{Tolerance: 150 * time.Millisecond}},
		},
		{
			name: "repeated scenarios, one dialect, a tolerance and a timeout",
			args: []string{"--client", "./agent", "--scenario", "hello", "--scenario", "barge-in", "--dialect", "ga",
				"--tolerance", "300ms", "--timeout", "10s", "--out", "reports", "--parallel", "4"},
			want: conformance.Options{Command: "./agent", Scenarios: []string{"hello", "barge-in"}, Dialects: []realtime.Dialect{realtime.GA},
				OutDir: "reports", Timeout: 10 * time.Second, Limits: conformance.Limits{Tolerance: 300 * time.Millisecond}, Parallel: 4},
		},
		{
			name: "a browser page runs two at a time",
			args: []string{"--browser", "testdata/browser/call.html", "--chromium", "sh", "--scenario", "audio-turn"},
			want: conformance.Options{Func: func(context.Context, conformance.Env) error { return nil }, Name: "testdata/browser/call.html",
				Scenarios: []string{"audio-turn"}, Dialects: []realtime.Dialect{conformance.DialectAuto},
				Timeout: 30 * time.Second, Limits: conformance.Limits{Tolerance: 150 * time.Millisecond}, Parallel: 2},
		},
		{
			name: "--parallel overrides the browsers' two",
			args: []string{"--browser", "http://127.0.0.1:3000/agent.html", "--chromium", "sh", "--parallel", "1"},
			want: conformance.Options{Func: func(context.Context, conformance.Env) error { return nil }, Name: "http://127.0.0.1:3000/agent.html",
				Dialects: []realtime.Dialect{conformance.DialectAuto}, Timeout: 30 * time.Second,
				Limits: conformance.Limits{Tolerance: 150 * time.Millisecond}, Parallel: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *conformance.Options
			cmd := conformanceNewCmd(func(_ *cobra.Command, o *conformanceOptions) error {
				var err error
				got, err = conformanceOpts(o)
				return err
			}, nil)
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.Comparer(func(a, b conformance.Func) bool { return (a == nil) == (b == nil) })); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConformanceUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"conformance"},
		{"conformance", "--client", "x", "--dialect", "beta2"},
		{"conformance", "--client", "x", "--scenario", "no-such-scenario"},
		{"conformance", "--client", "x", "--timeout", "0s"},
		{"conformance", "--client", "x", "extra-argument"},
		{"conformance", "--client", "x", "--browser", "testdata/browser/call.html"},
		{"conformance", "--client", "x", "--chromium", "sh"},
		{"conformance", "--browser", "no-such-page.html", "--chromium", "sh"},
		{"conformance", "--browser", "testdata/browser/call.html", "--chromium", "no-such-chromium"},
		{"conformance", "check"},
		{"conformance", "check", "no-such-file.jsonl"},
		{"conformance", "check", "--scenario", "nope", "x.jsonl"},
	} {
		var stderr bytes.Buffer
		if code := run(NewRootCmd(), args, io.Discard, &stderr); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d; stderr: %s", args, code, ExitUsage, stderr.String())
		}
	}
}

func TestConformanceClientThatNeverConnectsIsASetupError(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	code := run(NewRootCmd(), []string{"conformance", "--client", "echo broken >&2; exit 3", "--scenario", "hello", "--dialect", "ga", "--out", t.TempDir()}, io.Discard, &stderr)
	if code != ExitUsage || !strings.Contains(stderr.String(), "opened no session") || !strings.Contains(stderr.String(), "broken") {
		t.Errorf("exit %d, stderr %q; want exit %d naming the missing session and the client's stderr", code, stderr.String(), ExitUsage)
	}
}

func TestConformanceRulesListsTheCatalogue(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := run(NewRootCmd(), []string{"conformance", "rules"}, &out, io.Discard); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, r := range conformance.Rules() {
		if !strings.Contains(out.String(), r.ID) {
			t.Errorf("rules output lacks %s", r.ID)
		}
	}
}

// conformanceCassette writes a GA session in which the client sends
// extra, then closes with 1000.
func conformanceCassette(t *testing.T, extra ...string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := cassette.NewWriter(&b, cassette.Header{Dialect: realtime.GA, Provider: "azure", Endpoint: cassette.Endpoint{Path: "/openai/v1/realtime"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames := []cassette.Frame{
		{T: 1 * time.Millisecond, Dir: cassette.Server, Kind: cassette.KindText, Data: []byte(`{"type":"session.created","event_id":"event_1","session":{"id":"sess_1","type":"realtime"}}`)},
		{T: 5 * time.Millisecond, Dir: cassette.Client, Kind: cassette.KindText, Data: []byte(`{"type":"session.update","session":{"type":"realtime","instructions":"Be brief."}}`)},
		{T: 260 * time.Millisecond, Dir: cassette.Server, Kind: cassette.KindText, Data: []byte(`{"type":"session.updated","event_id":"event_2","session":{"id":"sess_1","type":"realtime"}}`)},
	}
	for i, e := range extra {
		frames = append(frames, cassette.Frame{T: time.Duration(300+i) * time.Millisecond, Dir: cassette.Client, Kind: cassette.KindText, Data: []byte(e)})
	}
	frames = append(frames, cassette.Frame{T: time.Second, Dir: cassette.Client, Kind: cassette.KindClose, Code: 1000})
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "session.jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConformanceCheckJudgesARecording(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		extra    []string
		wantCode int
		wantOut  string
	}{
		{name: "a clean session passes", wantCode: ExitOK, wantOut: "PASS"},
		{name: "an invented ping event fails RT-EVENT-TYPES", extra: []string{`{"type":"ping"}`}, wantCode: ExitFailure, wantOut: "fail  RT-EVENT-TYPES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := conformanceCassette(t, tt.extra...)
			junit := filepath.Join(t.TempDir(), "junit.xml")
			var out, stderr bytes.Buffer
			code := run(NewRootCmd(), []string{"conformance", "check", path, "--junit", junit}, &out, &stderr)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("exit %d, want %d, output lacks %q:\n%s%s", code, tt.wantCode, tt.wantOut, out.String(), stderr.String())
			}
			if _, err := os.Stat(junit); err != nil {
				t.Errorf("no JUnit report: %v", err)
			}
		})
	}
}

// TestConformanceBrowserPage runs a plain WebRTC page, given as a file, in
// Chromium through rtmock conformance --browser: the page's folder is
// served, its microphone speaks the scenario's user turn, and the run
// passes.
func TestConformanceBrowserPage(t *testing.T) {
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (scripts/install-chromium installs it); the e2e/webrtc tests install it and run pages too")
	}
	var stdout, stderr bytes.Buffer
	code := run(NewRootCmd(), []string{"conformance", "--browser", "testdata/browser/call.html", "--chromium", exe,
		"--scenario", "audio-turn", "--dialect", "ga", "--out", t.TempDir(), "--verbose"}, &stdout, &stderr)
	t.Log(stdout.String())
	if code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	for _, want := range []string{"PASS audio-turn [ga]", "pass  EXPECT-1", "pass  RT-CLOSE-NORMAL"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
