package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"github.com/rtmock/rtmock/scenarios"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/conformance"
)

// TestOpenAINodeClientFromTheCLI drives the npm openai package's realtime
// client (testdata/clients/openai-agent.mjs) through the suite the way a
// user does: rtmock conformance --client 'node …', and checks the report.
func TestOpenAINodeClientFromTheCLI(t *testing.T) {
	if os.Getenv("RTMOCK_SKIP_E2E") == "1" {
		t.Skip("RTMOCK_SKIP_E2E=1: the end-to-end test with the Node.js openai client is skipped")
	}
	const hint = "install the Node.js clients with e2e/install.sh (needs Node.js 20+ and npm), or set RTMOCK_SKIP_E2E=1 to skip this test"
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH: %s", hint)
	}
	if _, err := os.Stat(filepath.Join("..", "e2e", "node_modules", "openai", "package.json")); err != nil {
		t.Fatalf("e2e/node_modules has no openai package: %s", hint)
	}
	t.Parallel()

	dir := t.TempDir()
	bin := filepath.Join(dir, "rtmock")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rtmock/rtmock/cmd/rtmock").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rtmock: %v\n%s", err, out)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "clients", "openai-agent.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	junit := filepath.Join(dir, "report.xml")
	cmd := exec.Command(bin, "conformance", "--client", "node '"+script+"'",
		"--scenario", "hello", "--scenario", "barge-in", "--dialect", "both", "--json", "--junit", junit, "--out", filepath.Join(dir, "out"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run rtmock conformance: %v", err)
	}

	var rep struct {
		Passed bool
		Runs   []struct {
			Scenario, Dialect string
			Passed            bool
			Sessions          int
			Jitter            int64 `json:"jitter_ms"`
			Verdicts          []struct{ Rule, Status, Why string }
			Stderr            string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if len(rep.Runs) != 4 {
		t.Fatalf("%d runs, want hello and barge-in in both dialects", len(rep.Runs))
	}
	for _, run := range rep.Runs {
		name := run.Scenario + " [" + run.Dialect + "]"
		if run.Sessions != 1 {
			t.Errorf("%s: %d sessions, want 1; client stderr:\n%s", name, run.Sessions, run.Stderr)
		}
		want := map[string]string{"RT-DIALECT": "pass", "RT-CONFIG-FIRST": "pass", "RT-ACTIVE-RESPONSE": "pass", "RT-CLOSE-NORMAL": "pass", "RT-EVENT-TYPES": "pass"}
		if run.Scenario == "barge-in" {
			// The user speaks (the premise is a client that streams audio):
			// server VAD starts the responses, and the agent, like most voice
			// agents, never sends response.create.
			delete(want, "RT-ACTIVE-RESPONSE")
			want["RT-BARGEIN-TRUNCATE"], want["RT-TRUNCATE-PLAYED"], want["RT-TRUNCATE-VALUE"] = "pass", "pass", "pass"
		}
		for _, v := range run.Verdicts {
			if w, ok := want[v.Rule]; ok && v.Status != w {
				t.Errorf("%s: %s is %s (%s), want %s", name, v.Rule, v.Status, v.Why, w)
			}
			if v.Status == "fail" && run.Jitter < busy.Milliseconds() {
				t.Errorf("%s: %s failed", name, v.Rule)
			}
		}
	}
	if rep.Passed != (exit == nil) {
		t.Errorf("the report says passed=%v but rtmock exited with %v; stderr:\n%s", rep.Passed, err, stderr.String())
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("the JUnit report does not parse: %v", err)
	}
	if len(suites.Suites) != 4 || suites.Tests == 0 {
		t.Errorf("JUnit report has %d suites and %d tests, want 4 suites of rules", len(suites.Suites), suites.Tests)
	}
}

// runCLI runs rtmock conformance --json with default flags but those
// given, in dir, and decodes the report.
func runCLI(t *testing.T, dir, client string, args ...string) cliReport {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rtmock")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rtmock/rtmock/cmd/rtmock").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rtmock: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"conformance", "--client", client, "--json", "--out", t.TempDir()}, args...)...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run rtmock conformance: %v", err)
	}
	var rep cliReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\nstderr:\n%s", err, stderr.String())
	}
	return rep
}

type cliReport struct {
	Passed bool
	Runs   []struct {
		Scenario, Dialect string
		Passed            bool
		NotApplicable     string `json:"not_applicable"`
		Verdicts          []struct{ Rule, Status, Why, Severity string }
		Expectations      []struct{ Rule, Status, Severity string }
		Stderr            string
	}
}

// failedRules lists the rules and expectations a run failed (warnings
// do not fail a run).
func (r cliReport) failedRules(i int) []string {
	var out []string
	for _, v := range r.Runs[i].Verdicts {
		if v.Status == "fail" && v.Severity == "error" {
			out = append(out, v.Rule)
		}
	}
	for _, v := range r.Runs[i].Expectations {
		if v.Status == "fail" && v.Severity == "error" {
			out = append(out, v.Rule)
		}
	}
	return out
}

func needNode(t *testing.T, pkg string) {
	t.Helper()
	if os.Getenv("RTMOCK_SKIP_E2E") == "1" {
		t.Skip("RTMOCK_SKIP_E2E=1: the end-to-end test with the Node.js clients is skipped")
	}
	const hint = "install the Node.js clients with e2e/install.sh (needs Node.js 20+ and npm), or set RTMOCK_SKIP_E2E=1 to skip this test"
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH: %s", hint)
	}
	if _, err := os.Stat(filepath.Join("..", "e2e", "node_modules", pkg, "package.json")); err != nil {
		t.Fatalf("e2e/node_modules has no %s package: %s", pkg, hint)
	}
}

// TestAzureQuickstartVerdicts runs the unmodified Azure quickstart program
// (rt-client, text in, audio out, one response) through every built-in
// with default flags. It passes or is not applicable everywhere except
// where it has a real defect: it ends the call at the first error event,
// which the service does not (invalid-events, server-error).
func TestAzureQuickstartVerdicts(t *testing.T) {
	needNode(t, "rt-client")
	t.Parallel()
	rep := runCLI(t, filepath.Join("..", "e2e"), "node quickstart/text-in-audio-out.js")
	wantFail := map[string][]string{
		"invalid-events": {conformance.RuleErrorRecovery, "EXPECT-1"},
		"server-error":   {conformance.RuleErrorRecovery, "EXPECT-1"},
	}
	wantNA := []string{"audio-turn", "barge-in", "barge-in-late", "dictation", "function-call", "g711", "manual-commit", "transcription"}
	if n := len(scenarios.List()); len(rep.Runs) != n {
		t.Fatalf("%d runs, want one per built-in (%d)", len(rep.Runs), n)
	}
	for i, run := range rep.Runs {
		failed := rep.failedRules(i)
		switch {
		case wantFail[run.Scenario] != nil:
			if strings.Join(failed, " ") != strings.Join(wantFail[run.Scenario], " ") {
				t.Errorf("%s: failed %v, want %v", run.Scenario, failed, wantFail[run.Scenario])
			}
		case slices.Contains(wantNA, run.Scenario):
			if run.NotApplicable == "" {
				t.Errorf("%s: judged (failed %v), want not applicable: the program sends no audio and declares no tools", run.Scenario, failed)
			}
		case !run.Passed:
			t.Errorf("%s [%s]: failed %v; stderr:\n%s", run.Scenario, run.Dialect, failed, run.Stderr)
		case run.Dialect != "preview":
			t.Errorf("%s: judged as %s, want preview (the program's endpoint)", run.Scenario, run.Dialect)
		}
	}
}

// TestOpenAIAgentVerdicts runs the npm openai voice agent through every
// built-in with default flags: it passes every one that applies to it.
func TestOpenAIAgentVerdicts(t *testing.T) {
	needNode(t, "openai")
	t.Parallel()
	script, err := filepath.Abs(filepath.Join("testdata", "clients", "openai-agent.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	rep := runCLI(t, ".", "node '"+script+"'")
	na := 0
	for i, run := range rep.Runs {
		if run.NotApplicable != "" {
			na++
			continue
		}
		if !run.Passed {
			t.Errorf("%s [%s]: failed %v; stderr:\n%s", run.Scenario, run.Dialect, rep.failedRules(i), run.Stderr)
		}
	}
	if na > 2 {
		t.Errorf("%d runs not applicable; the agent declares no tools and never asks first, so want 2 (function-call, greeting)", na)
	}
}
