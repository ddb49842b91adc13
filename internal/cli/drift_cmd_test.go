package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/mockserver"
	"github.com/rtmock/rtmock/scenarios"
)

func TestDriftExitCodes(t *testing.T) {
	t.Parallel()
	barge := filepath.Join("..", "..", "testdata", "cassettes", "barge-in.jsonl")
	turn := filepath.Join("..", "..", "testdata", "cassettes", "audio-turn.jsonl")
	var out bytes.Buffer
	if code := run(NewRootCmd(), []string{"drift", barge, barge}, &out, io.Discard); code != ExitOK || !strings.Contains(out.String(), "no structural drift") {
		t.Errorf("a cassette against itself: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run(NewRootCmd(), []string{"drift", barge, turn}, &out, io.Discard); code != ExitFailure || !strings.Contains(out.String(), "DRIFT") {
		t.Errorf("barge-in against audio-turn: exit %d\n%s", code, out.String())
	}
	if code := run(NewRootCmd(), []string{"drift", barge, "no-such.jsonl"}, io.Discard, io.Discard); code != ExitUsage {
		t.Errorf("a missing file: exit %d, want %d", code, ExitUsage)
	}
}

func TestConformanceServerAgainstRtmock(t *testing.T) {
	t.Parallel()
	srv, err := mockserver.New(&mockserver.Options{DisableTLS: true, Seed: 1, Pace: scenarios.Pace{Mode: scenarios.PaceInstant, Factor: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out bytes.Buffer
	junit := filepath.Join(t.TempDir(), "reports", "server.xml")
	if code := run(NewRootCmd(), []string{"conformance", "--server", srv.URL() + "/openai/v1/realtime?model=gpt-realtime", "--junit", junit}, &out, io.Discard); code != ExitOK || !strings.Contains(out.String(), "0 of 5 exchanges failed") {
		t.Errorf("exit %d:\n%s", code, out.String())
	}
	if x, err := os.ReadFile(junit); err != nil || !strings.Contains(string(x), `tests="5" failures="0"`) {
		t.Errorf("JUnit report: %v\n%s", err, x)
	}
	if code := run(NewRootCmd(), []string{"conformance", "--server", srv.URL() + "/elsewhere"}, io.Discard, io.Discard); code != ExitUsage {
		t.Errorf("a URL that is no realtime endpoint: exit %d, want %d", code, ExitUsage)
	}
}
