package cli

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"
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
