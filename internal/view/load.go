package view

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Report is what the page reads of a conformance report (the JSON of
// "rtmock conformance --json", report.json in an output directory).
type Report struct {
	Client string      `json:"client"`
	Runs   []ReportRun `json:"runs"`
}

// ReportRun is one scenario in one dialect.
type ReportRun struct {
	Scenario     string          `json:"scenario"`
	Dialect      string          `json:"dialect"`
	Passed       bool            `json:"passed"`
	Problems     []string        `json:"problems"`
	Verdicts     []reportVerdict `json:"verdicts"`
	Expectations []reportVerdict `json:"expectations"`
	Transcripts  []string        `json:"transcripts"` // cassettes of its sessions, in order
}

type reportVerdict struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Findings []struct {
		T       float64 `json:"t"`
		Session int     `json:"session"`
		Problem string  `json:"problem"`
		Want    string  `json:"want"`
		Frames  []Quote `json:"frames"`
	} `json:"findings"`
}

// Name is "SCENARIO [DIALECT]", as the conformance report names runs.
func (r *ReportRun) Name() string { return fmt.Sprintf("%s [%s]", r.Scenario, r.Dialect) }

// Findings returns the failed rules and expectations of session n
// (1-based) of the run, or of all its sessions when n is 0, in time order.
func (r *ReportRun) Findings(n int) []Finding {
	var out []Finding
	for _, v := range slices.Concat(r.Verdicts, r.Expectations) {
		if v.Status != "fail" {
			continue
		}
		for _, f := range v.Findings {
			if n > 0 && max(f.Session, 1) != n {
				continue
			}
			out = append(out, Finding{T: f.T, Rule: v.Rule, Severity: v.Severity, Problem: f.Problem, Want: f.Want, Frames: f.Frames})
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(a.T, b.T) })
	return out
}

// ParseReport reads a conformance report; name is used in errors.
func ParseReport(data []byte, name string) (*Report, error) {
	var probe struct {
		Runs *json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("view: report %s: %w", name, err)
	}
	if probe.Runs == nil {
		return nil, fmt.Errorf("view: %s is no conformance report: it has no \"runs\"", name)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("view: report %s: %w", name, err)
	}
	return &r, nil
}

// Load reads the sessions the paths name, in order: cassette files;
// conformance JSON reports (*.json), whose runs' transcripts are loaded
// with their findings pinned; and directories (what "rtmock conformance
// --out" writes), whose *.jsonl cassettes are loaded with the findings of
// the report.json beside them.
func Load(paths []string) ([]*Session, error) {
	var out []*Session
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("view: %w", err)
		}
		var ss []*Session
		switch {
		case st.IsDir():
			ss, err = loadDir(p)
		case strings.HasSuffix(p, ".json"):
			ss, err = loadReport(p)
		default:
			var s *Session
			s, err = loadFile(p)
			ss = []*Session{s}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	return out, nil
}

func loadFile(path string) (*Session, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	return ParseSession(data, path)
}

func readReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	return ParseReport(data, path)
}

// loadReport loads the transcripts a report names, found where the report
// says or, failing that, beside the report.
func loadReport(path string) ([]*Session, error) {
	r, err := readReport(path)
	if err != nil {
		return nil, err
	}
	var out []*Session
	for _, run := range r.Runs {
		for i, tr := range run.Transcripts {
			p := tr
			if _, err := os.Stat(p); err != nil {
				p = filepath.Join(filepath.Dir(path), filepath.Base(tr))
			}
			s, err := loadFile(p)
			if err != nil {
				return nil, fmt.Errorf("view: report %s names transcript %s: %w", path, tr, err)
			}
			run.Pin(s, i+1)
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("view: report %s names no transcripts (only failing runs keep theirs, with rtmock conformance --out DIR)", path)
	}
	return out, nil
}

// loadDir loads the cassettes of a directory, pinning the findings of its
// report.json to the transcripts it names.
func loadDir(dir string) ([]*Session, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("view: no cassettes (*.jsonl) in %s", dir)
	}
	slices.Sort(files)
	r, err := readReport(filepath.Join(dir, "report.json"))
	if errors.Is(err, os.ErrNotExist) {
		r, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Session
	for _, f := range files {
		s, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		if r != nil {
			pinByName(s, r)
		}
		out = append(out, s)
	}
	return out, nil
}

// pinByName finds the run whose transcripts name s's file and pins its
// findings.
func pinByName(s *Session, r *Report) {
	base := filepath.Base(s.Source)
	for k := range r.Runs {
		for i, tr := range r.Runs[k].Transcripts {
			if filepath.Base(tr) == base {
				r.Runs[k].Pin(s, i+1)
				return
			}
		}
	}
}

// Pin makes s session n (1-based) of the run: it takes the run's name,
// the findings of that session and the run's problems as notes.
func (run *ReportRun) Pin(s *Session, n int) {
	s.Name = run.Name()
	if len(run.Transcripts) > 1 || n > 1 {
		s.Name += fmt.Sprintf(" session %d", n)
	}
	s.Findings = append(s.Findings, run.Findings(n)...)
	for _, p := range run.Problems {
		s.Notes = append(s.Notes, "run problem: "+p)
	}
}
