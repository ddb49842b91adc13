package view_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/internal/view"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	report := filepath.Join(slowTruncateDir, "report.json")
	empty := t.TempDir()
	noTranscripts := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(noTranscripts, []byte(`{"client":"c","runs":[{"scenario":"hello","dialect":"ga","passed":true,"verdicts":[]}]}`), 0o644)
	notAReport := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notAReport, []byte(`{"rtcassette":1}`), 0o644)
	for _, tc := range []struct {
		name     string
		paths    []string
		sessions []string // names
		findings []int
		err      string
	}{
		{name: "a cassette", paths: []string{bargeInCassette}, sessions: []string{"barge-in.jsonl"}, findings: []int{0}},
		{name: "a conformance directory", paths: []string{slowTruncateDir}, sessions: []string{"barge-in [ga]"}, findings: []int{2}},
		{name: "a report finds its transcripts beside it", paths: []string{report}, sessions: []string{"barge-in [ga]"}, findings: []int{2}},
		{name: "several, in order", paths: []string{report, bargeInCassette}, sessions: []string{"barge-in [ga]", "barge-in.jsonl"}, findings: []int{2, 0}},
		{name: "a directory without cassettes", paths: []string{empty}, err: "no cassettes (*.jsonl) in " + empty},
		{name: "a report of passing runs", paths: []string{noTranscripts}, err: "names no transcripts"},
		{name: "JSON that is no report", paths: []string{notAReport}, err: `no conformance report: it has no "runs"`},
		{name: "a missing file", paths: []string{"nope.jsonl"}, err: "nope.jsonl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss, err := view.Load(tc.paths)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var findings []int
			for _, s := range ss {
				names = append(names, s.Name)
				findings = append(findings, len(s.Findings))
			}
			if strings.Join(names, "|") != strings.Join(tc.sessions, "|") || len(findings) != len(tc.findings) {
				t.Fatalf("sessions %q, want %q", names, tc.sessions)
			}
			for i := range findings {
				if findings[i] != tc.findings[i] {
					t.Errorf("session %s: %d findings, want %d", names[i], findings[i], tc.findings[i])
				}
			}
		})
	}
}
