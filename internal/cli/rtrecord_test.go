package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/recorder"
)

// recordParse runs the rtrecord command with args and returns the options
// its action received.
func recordParse(t *testing.T, args ...string) (*recordOptions, error) {
	t.Helper()
	var got *recordOptions
	cmd := recordNewCmd(func(_ *cobra.Command, o *recordOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

func TestRecordFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want recordOptions
	}{
		{"defaults", []string{"--upstream", "https://r.openai.azure.com"},
			recordOptions{upstream: "https://r.openai.azure.com", addr: "127.0.0.1:8081", out: "cassettes", name: recorder.DefaultName, logFormat: "text",
				idleTimeout: 60 * time.Second, maxHeader: 64 << 10, maxMessage: cassette.MaxFrameSize, queueBytes: 16 << 20}},
		{"every flag", []string{"--upstream", "http://127.0.0.1:9", "--addr", ":0", "--out", "rec", "--name", "{{.Seq}}.jsonl",
			"--redact", "a", "--redact", "b,c", "--elide-audio", "--log-format", "json", "-v", "--allow-host", "rec.internal", "--allow-host", "*.lan",
			"--idle-timeout", "5s", "--max-header-bytes", "8192", "--max-message-bytes", "1048576", "--queue-bytes", "1024"},
			recordOptions{upstream: "http://127.0.0.1:9", addr: ":0", out: "rec", name: "{{.Seq}}.jsonl", redact: []string{"a", "b,c"}, elideAudio: true, logFormat: "json",
				verbose: true, allowHosts: []string{"rec.internal", "*.lan"}, idleTimeout: 5 * time.Second, maxHeader: 8192, maxMessage: 1 << 20, queueBytes: 1024}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := recordParse(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.AllowUnexported(recordOptions{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--upstream", "https://x", "--nope"}, "unknown flag: --nope"},
		{"an argument", []string{"https://x"}, "rtrecord takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := recordParse(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one about %q", err, tt.want)
			}
			if code := recordExitCode(err); code != ExitUsage {
				t.Errorf("exit code %d, want %d", code, ExitUsage)
			}
		})
	}
}

func TestRecordRunUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    recordOptions
		want string
	}{
		{"no upstream", recordOptions{addr: "127.0.0.1:0", logFormat: "text"}, "--upstream is required"},
		{"upstream without scheme", recordOptions{upstream: "r.openai.azure.com", addr: "127.0.0.1:0", logFormat: "text", out: t.TempDir()}, "want https://host"},
		{"bad log format", recordOptions{upstream: "https://r", addr: "127.0.0.1:0", logFormat: "xml"}, "--log-format must be text or json"},
		{"bad name template", recordOptions{upstream: "https://r", addr: "127.0.0.1:0", logFormat: "text", name: "{{.Nope"}, "cassette name template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := NewRecordCmd()
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			cmd.SetContext(context.Background())
			err := recordRun(cmd, &tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one about %q", err, tt.want)
			}
			if code := recordExitCode(err); code != ExitUsage {
				t.Errorf("exit code %d, want %d", code, ExitUsage)
			}
		})
	}
	if code := recordExitCode(errors.New("listen tcp: address in use")); code != ExitFailure {
		t.Errorf("exit code of a failure %d, want %d", code, ExitFailure)
	}
	if code := recordExitCode(nil); code != ExitOK {
		t.Errorf("exit code of success %d, want %d", code, ExitOK)
	}
}

func TestRecordFallbackAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		upstream string
		env      map[string]string
		want     string
		apiKey   string
		token    string
	}{
		{"Azure with a key", "https://r.openai.azure.com", map[string]string{"AZURE_OPENAI_API_KEY": "k1"}, "AZURE_OPENAI_API_KEY", "k1", ""},
		{"Azure without a key uses Entra ID", "https://r.openai.azure.com", nil, "Microsoft Entra ID (DefaultAzureCredential)", "", ""},
		{"OpenAI with a key", "https://api.openai.com", map[string]string{"OPENAI_API_KEY": "sk-1", "AZURE_OPENAI_API_KEY": "k1"}, "OPENAI_API_KEY", "", "sk-1"},
		{"OpenAI without a key", "https://api.openai.com", nil, "", "", ""},
		{"another host with the Azure key", "http://127.0.0.1:9000", map[string]string{"AZURE_OPENAI_API_KEY": "k2"}, "AZURE_OPENAI_API_KEY", "k2", ""},
		{"another host without keys", "http://127.0.0.1:9000", nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := &recorder.Options{}
			got := recordFallbackAuth(opts, tt.upstream, func(k string) string { return tt.env[k] })
			if got != tt.want || opts.APIKey != tt.apiKey {
				t.Errorf("auth %q with api key %q, want %q with %q", got, opts.APIKey, tt.want, tt.apiKey)
			}
			if tt.token != "" {
				tok, err := opts.TokenSource.Token(context.Background())
				if err != nil || tok != tt.token {
					t.Errorf("token %q, %v; want %q", tok, err, tt.token)
				}
				// A credential is scrubbed where it stands; Redact would
				// search the conversation for it too.
				if len(opts.Redact) != 0 {
					t.Errorf("the token is in Redact: %v", opts.Redact)
				}
			}
			if (opts.TokenSource != nil) != (tt.token != "" || strings.Contains(tt.want, "Entra")) {
				t.Errorf("token source %v for %q", opts.TokenSource, tt.want)
			}
		})
	}
}

func TestRecordBanner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr     net.TCPAddr
		loopback bool
		url      string
	}{
		{net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8081}, true, "http://127.0.0.1:8081"},
		{net.TCPAddr{IP: net.IPv6loopback, Port: 8081}, true, "http://[::1]:8081"},
		{net.TCPAddr{IP: net.IPv4zero, Port: 9000}, false, "http://127.0.0.1:9000"},
	}
	for _, tt := range tests {
		if got := recordIsLoopback(&tt.addr); got != tt.loopback {
			t.Errorf("recordIsLoopback(%v) = %v", &tt.addr, got)
		}
		var b strings.Builder
		recordBanner(&b, "wss://r.openai.azure.com", &tt.addr, "cassettes", "AZURE_OPENAI_API_KEY")
		for _, want := range []string{
			"rtrecord: listening on " + tt.url + "\n",
			"export AZURE_OPENAI_ENDPOINT=" + tt.url + "\n",
			"export OPENAI_BASE_URL=" + tt.url + "/v1\n",
			"authenticated with AZURE_OPENAI_API_KEY",
		} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("banner for %v lacks %q:\n%s", &tt.addr, want, b.String())
			}
		}
	}
}

// An --out that cannot hold cassettes stops rtrecord before it listens,
// instead of failing every session with 500.
func TestRecordFailsAtStartOnABadOut(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	outs := []string{file, filepath.Join(file, "sub")}
	if runtime.GOOS == "linux" {
		outs = append(outs, "/proc") // a directory no one, root included, can create files in
	}
	for _, out := range outs {
		var stdout bytes.Buffer
		cmd := NewRecordCmd()
		cmd.SetOut(&stdout)
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetContext(context.Background())
		err := recordRun(cmd, &recordOptions{upstream: "http://127.0.0.1:9", addr: "127.0.0.1:0", logFormat: "text", out: out})
		if err == nil || !strings.Contains(err.Error(), "cassette directory") || !strings.Contains(err.Error(), filepath.Base(strings.TrimSuffix(out, "/sub"))) {
			t.Errorf("--out %s: %v, want an error about the cassette directory", out, err)
		}
		if strings.Contains(stdout.String(), "listening") {
			t.Errorf("--out %s: rtrecord listened first:\n%s", out, stdout.String())
		}
	}
}
