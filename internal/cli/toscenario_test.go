package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/scenarios"
)

// toScenarioExec runs "rtmock cassette to-scenario ARGS…" and returns
// stdout, stderr and the exit code.
func toScenarioExec(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(NewRootCmd(), append([]string{"cassette", "to-scenario"}, args...), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func TestToScenarioCmd(t *testing.T) {
	t.Parallel()
	out, errOut, code := toScenarioExec(t, cassetteSession)
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	sc, err := scenarios.Parse("session.yaml", []byte(out))
	if err != nil {
		t.Fatalf("the output does not load: %v\n%s", err, out)
	}
	if len(sc.Turns) != 2 || sc.Turns[0].Reply.Transcript != "Hello there." {
		t.Errorf("turns %+v", sc.Turns)
	}

	path := filepath.Join(t.TempDir(), "s.yaml")
	if _, errOut, code := toScenarioExec(t, cassetteSession, "-o", path); code != ExitOK || errOut != "wrote "+path+" (2 turns)\n" {
		t.Fatalf("-o: exit %d, stderr %q", code, errOut)
	}
	if _, err := scenarios.Load(path); err != nil {
		t.Error(err)
	}
}

// TestToScenarioCmdTruncated converts a cassette whose recorder was killed
// inside the only response: every message names a line of the cassette,
// none a place in YAML the user never saw.
func TestToScenarioCmdTruncated(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../cassette/testdata/truncated.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.jsonl")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := toScenarioExec(t, path)
	want := "warning: " + path + ":6: the last line is incomplete (the recording was cut short); the scenario ends with the frame before it\n" +
		"warning: " + path + ":5: the recording ends inside response resp_1, before it said anything; the scenario leaves it out\n" +
		"rtmock: cassette " + path + " has no responses to turn into a scenario\n"
	if code != ExitUsage || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}
	if strings.Contains(errOut, "turns[") || strings.Contains(errOut, ".yaml") {
		t.Errorf("a message points into generated YAML:\n%s", errOut)
	}
}
