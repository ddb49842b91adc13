package cli

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/cassette"
)

// cassetteExec runs "cassette ARGS…" as the rtmock root would, and returns
// stdout, stderr and the exit code.
func cassetteExec(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := newCassetteCmd()
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var stdout, stderr bytes.Buffer
	code := run(cmd, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

const cassetteSession = "../../cassette/testdata/session.jsonl"

// cassetteWrite writes a cassette of frames to a temporary file.
func cassetteWrite(t *testing.T, frames ...cassette.Frame) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := cassette.NewWriter(f, cassette.Header{
		Created:  time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Endpoint: cassette.Endpoint{Path: "/openai/realtime", Query: map[string]string{"api-key": "key-123456"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		w.WriteFrame(fr)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCassetteInspect(t *testing.T) {
	t.Parallel()
	out, errOut, code := cassetteExec(t, "inspect", cassetteSession)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"azure preview /openai/realtime?api-version=2024-10-01-preview&deployment=gpt-4o-realtime-preview",
		"11 frames over 9.870s",
		"turns: 1",
		`resp_1  completed  0.400s to 0.500s (100ms)  audio 100ms  "Hello there."`,
		"server to client  100ms (4800 bytes in 1 events, 1 elided)",
		"server  response.audio.delta",
		"closed by the client at 9.870s: 1000",
		"error invalid_request_error/invalid_value",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
}

func TestCassetteInspectJSON(t *testing.T) {
	t.Parallel()
	out, errOut, code := cassetteExec(t, "inspect", "--json", "../../cassette/testdata/truncated.jsonl")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got cassetteJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Frames != 4 || len(got.Turns) != 1 || got.Turns[0].StartMs != 400 || !strings.Contains(got.Warning, "truncated last line") {
		t.Errorf("summary = %+v", got)
	}
}

func TestCassetteInspectFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"inspect", "nope.jsonl"}, ExitFailure, "no such file"},
		{"unknown version", []string{"inspect", "../../cassette/testdata/version2.jsonl"}, ExitFailure, "version2.jsonl:1:2: unknown cassette version 2"},
		{"no file", []string{"inspect"}, ExitUsage, "want one cassette file"},
		{"unknown flag", []string{"inspect", "--yaml", cassetteSession}, ExitUsage, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errOut, code := cassetteExec(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

func TestCassetteScrub(t *testing.T) {
	t.Parallel()
	path := cassetteWrite(t, cassette.Frame{Dir: cassette.Client, Kind: cassette.KindText,
		Data: []byte(`{"type":"session.update","session":{"instructions":"Call Alice at 555-0100"}}`)})
	out := filepath.Join(filepath.Dir(path), "scrubbed.jsonl")
	stdout, errOut, code := cassetteExec(t, "scrub", path, "--redact", "Alice", "--redact", "555-0100", "--redact", "key-123456", "-o", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "scrubbed 1 frames into") {
		t.Errorf("stdout: %s", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Alice", "555-0100", "key-123456"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("scrubbed cassette still holds %q:\n%s", s, b)
		}
	}
	if _, err := cassette.Load(out); err != nil {
		t.Errorf("scrubbed cassette does not load: %v", err)
	}
	if orig, _ := os.ReadFile(path); !bytes.Contains(orig, []byte("Alice")) {
		t.Error("scrub -o changed the original")
	}
	if _, _, code := cassetteExec(t, "scrub", path); code != ExitUsage {
		t.Errorf("scrub without --redact: exit %d, want %d", code, ExitUsage)
	}
	// In place.
	if _, errOut, code := cassetteExec(t, "scrub", path, "--redact", "Alice"); code != ExitOK {
		t.Fatalf("in place: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(path); bytes.Contains(b, []byte("Alice")) {
		t.Error("scrub in place left the value")
	}
}

func TestCassetteAudio(t *testing.T) {
	t.Parallel()
	path := cassetteWrite(t,
		cassette.Frame{Dir: cassette.Server, Kind: cassette.KindText, Data: []byte(`{"type":"response.audio.delta","delta":"AQACAAMA"}`)},
		cassette.Frame{Dir: cassette.Server, Kind: cassette.KindText, Data: []byte(`{"type":"response.audio.delta","delta":"rtmock-elided:pcm16:4"}`)},
		cassette.Frame{Dir: cassette.Client, Kind: cassette.KindText, Data: []byte(`{"type":"input_audio_buffer.append","audio":"CQAKAA=="}`)},
	)
	wav := filepath.Join(t.TempDir(), "out.wav")
	stdout, errOut, code := cassetteExec(t, "audio", path, "--out", wav)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "server audio (pcm16, 10 bytes from 2 events)") || !strings.Contains(stdout, "1 events had their audio elided") {
		t.Errorf("stdout: %s", stdout)
	}
	b, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file: %q", b)
	}
	if rate := binary.LittleEndian.Uint32(b[24:28]); rate != 24000 {
		t.Errorf("sample rate %d, want 24000", rate)
	}
	if !bytes.HasSuffix(b, []byte{1, 0, 2, 0, 3, 0, 0, 0, 0, 0}) {
		t.Errorf("WAV data does not end with the server's audio and 4 bytes of silence: % x", b[44:])
	}
	if _, errOut, code := cassetteExec(t, "audio", path, "--out", wav, "--dir", "client"); code != ExitOK {
		t.Fatalf("client audio: exit %d: %s", code, errOut)
	}
	if _, _, code := cassetteExec(t, "audio", path, "--out", wav, "--dir", "up"); code != ExitUsage {
		t.Errorf("--dir up: exit %d, want %d", code, ExitUsage)
	}
	if _, _, code := cassetteExec(t, "audio", path); code != ExitUsage {
		t.Errorf("no --out: exit %d, want %d", code, ExitUsage)
	}
}
