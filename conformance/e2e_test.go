package conformance_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
