package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/rtmock/rtmock/scenarios"
)

// scenarioExec runs cmd with args and returns its output and error.
func scenarioExec(t *testing.T, cmd *cobra.Command, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	return out.String(), err
}

func TestScenarioListCmd(t *testing.T) {
	t.Parallel()
	out, err := scenarioExec(t, newScenariosCmd(), "")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	list := scenarios.List()
	if len(lines) != len(list) {
		t.Fatalf("%d lines for %d scenarios:\n%s", len(lines), len(list), out)
	}
	for i, sc := range list {
		name, desc, _ := strings.Cut(lines[i], " ")
		if name != sc.Name || strings.TrimSpace(desc) != sc.Description {
			t.Errorf("line %d = %q, want %s and its description", i, lines[i], sc.Name)
		}
	}
}

func TestScenarioListCmdJSON(t *testing.T) {
	t.Parallel()
	out, err := scenarioExec(t, newScenariosCmd(), "", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []scenarioListEntry
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var want []scenarioListEntry
	for _, sc := range scenarios.List() {
		want = append(want, scenarioListEntry{Name: sc.Name, Description: sc.Description, Dialects: sc.Dialects, Source: "builtin:" + sc.Name})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("--json (-want +got):\n%s", diff)
	}
}

func TestScenarioListCmdRejectsArgs(t *testing.T) {
	t.Parallel()
	if _, err := scenarioExec(t, newScenariosCmd(), "", "extra"); err == nil {
		t.Error("scenarios with an argument: no error")
	}
}

func TestScenarioValidateCmd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	missing := filepath.Join(dir, "missing.yaml")
	scenarioWrite(t, good, "name: good\nturns:\n  - when: response.create\n    reply: {transcript: Hi}\n")
	scenarioWrite(t, bad, "name: bad\ntrun: []\nturns:\n  - when: response.create\n    reply: {transcript: Hi, audio: {duration: 5}}\n")

	tests := []struct {
		name    string
		args    []string
		stdin   string
		want    string
		wantErr bool
	}{
		{
			name: "valid file",
			args: []string{good},
			want: good + ": ok\n",
		},
		{
			name: "every error of every file",
			args: []string{good, bad},
			want: good + ": ok\n" +
				bad + `:2:1: unknown key "trun" (did you mean "turns"?)` + "\n" +
				bad + ":5:47: turns[0].reply.audio.duration: 5 has no unit (write 5ms or 5s)\n",
			wantErr: true,
		},
		{
			name:    "unreadable file",
			args:    []string{missing},
			want:    missing + ": no such file or directory\n",
			wantErr: true,
		},
		{
			name: "missing files that name built-ins",
			args: []string{filepath.Join(dir, "scenarios", "builtin", "barge-in.yaml"), "barge-in.yml", "./hello.yaml"},
			want: filepath.Join(dir, "scenarios", "builtin", "barge-in.yaml") + ": no such file or directory; did you mean `barge-in`?\n" +
				"barge-in.yml: no such file or directory; did you mean `barge-in`?\n" +
				"./hello.yaml: no such file or directory; did you mean `hello`?\n",
			wantErr: true,
		},
		{
			name: "built-in names",
			args: []string{"barge-in", "builtin:hello"},
			want: "barge-in: ok\nbuiltin:hello: ok\n",
		},
		{
			name:  "standard input",
			args:  []string{"-"},
			stdin: "name: x\nturns: [{when: commit, user: {transcript: hi}}]\n",
			want:  "<stdin>: ok\n",
		},
		{
			name:    "standard input with errors",
			args:    []string{"-"},
			stdin:   "name: x\nseed: many\n",
			want:    "<stdin>:2:7: seed: want an integer, got a string\n",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := scenarioExec(t, newValidateCmd(), tt.stdin, tt.args...)
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if tt.wantErr != (err != nil) {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, scenarioErrValidation) {
				t.Errorf("error %v does not wrap scenarioErrValidation", err)
			}
		})
	}
}

func TestScenarioValidateCmdNeedsFiles(t *testing.T) {
	t.Parallel()
	_, err := scenarioExec(t, newValidateCmd(), "")
	if err == nil || errors.Is(err, scenarioErrValidation) {
		t.Errorf("validate without files: error %v, want a usage error", err)
	}
}

// TestScenarioValidateBuiltins validates the built-in files themselves, as
// a user would after copying one.
func TestScenarioValidateBuiltins(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no built-in files: %v", err)
	}
	out, err := scenarioExec(t, newValidateCmd(), "", files...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestScenarioShowCmd(t *testing.T) {
	t.Parallel()
	for _, sc := range scenarios.List() {
		out, err := scenarioExec(t, newScenariosCmd(), "", "show", sc.Name)
		if err != nil {
			t.Fatalf("show %s: %v", sc.Name, err)
		}
		file, err := os.ReadFile("../../scenarios/" + sc.Name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if out != string(file) {
			t.Errorf("show %s prints something else than scenarios/%s.yaml:\n%s", sc.Name, sc.Name, out)
		}
		// The template loads as the built-in it shows.
		back, err := scenarios.Parse(sc.Name+".yaml", []byte(out))
		if err != nil {
			t.Fatalf("show %s: %v", sc.Name, err)
		}
		back.Source = sc.Source
		if diff := cmp.Diff(sc, back); diff != "" {
			t.Errorf("show %s (-builtin +shown):\n%s", sc.Name, diff)
		}
	}
}

func TestScenarioShowCmdErrors(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(NewRootCmd(), []string{"scenarios", "show", "bargein"}, &stdout, &stderr)
	if code != ExitUsage || stdout.Len() > 0 || !strings.Contains(stderr.String(), `did you mean "barge-in"?`) {
		t.Errorf("show bargein: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	for _, args := range [][]string{{"scenarios", "show"}, {"scenarios", "show", "a", "b"}} {
		if code := run(NewRootCmd(), args, io.Discard, io.Discard); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func scenarioWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
