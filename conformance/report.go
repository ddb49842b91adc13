package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"

	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// Report is the outcome of [Run].
type Report struct {
	Client   string
	Started  time.Time
	Duration time.Duration
	Runs     []*RunResult
	// Verbose makes WriteText list every rule of passing runs too.
	Verbose bool
}

// RunResult is one scenario in one dialect.
type RunResult struct {
	Scenario     string
	Dialect      realtime.Dialect
	Duration     time.Duration
	Verdicts     []Verdict     // one per rule, in catalogue order
	Expectations []Verdict     // one per expect entry of the scenario
	Sessions     []*Session    // the sessions the client opened, in order
	HungUp       bool          // the runner ended the call
	Jitter       time.Duration // how late the runner's timers fired during the run (see RunFacts.Jitter)
	Exit         string        // how the client ended: "exit status 0", "signal: interrupt", "returned", …
	Problems     []string      // what went wrong around the rules: no session, a timeout, a client that would not exit
	Stdout       string
	Stderr       string
	Transcripts  []string // files the sessions were written to (failing runs, with Options.OutDir)
	// Profile is what the client showed of itself in the run's sessions.
	Profile Profile
	// NotApplicable, when not "", says why the scenario does not apply to
	// this client (its premise, or its dialect); nothing else was judged.
	NotApplicable string

	scenario *scenarios.Scenario
}

// Failed reports whether the run failed: an error-severity rule or an
// expectation failed, or the run had a problem.
func (r *RunResult) Failed() bool {
	if len(r.Problems) > 0 {
		return true
	}
	if r.NotApplicable != "" {
		return false
	}
	for _, v := range r.Verdicts {
		if v.Failed() {
			return true
		}
	}
	for _, v := range r.Expectations {
		if v.Failed() {
			return true
		}
	}
	return false
}

// Verdict returns the run's verdict on rule id.
func (r *RunResult) Verdict(id string) (Verdict, bool) {
	for _, v := range append(r.Verdicts[:len(r.Verdicts):len(r.Verdicts)], r.Expectations...) {
		if v.Rule == id {
			return v, true
		}
	}
	return Verdict{}, false
}

// Name is "SCENARIO [DIALECT]".
func (r *RunResult) Name() string { return fmt.Sprintf("%s [%s]", r.Scenario, r.Dialect) }

// Failed reports whether any run failed.
func (r *Report) Failed() bool {
	for _, run := range r.Runs {
		if run.Failed() {
			return true
		}
	}
	return false
}

// counts tallies the report.
func (r *Report) counts() (failedRuns, failures, warnings int) {
	for _, run := range r.Runs {
		if run.Failed() {
			failedRuns++
		}
		for _, v := range append(run.Verdicts[:len(run.Verdicts):len(run.Verdicts)], run.Expectations...) {
			switch {
			case v.Failed():
				failures++
			case v.Status == Fail:
				warnings++
			}
		}
	}
	return
}

// Summary is the report's closing line: "N passed, M failed, K not
// applicable", with the rule failures and warnings.
func (r *Report) Summary() string {
	failedRuns, failures, warnings := r.counts()
	na := 0
	for _, run := range r.Runs {
		if run.NotApplicable != "" && !run.Failed() {
			na++
		}
	}
	verdict := "PASS"
	if failedRuns > 0 {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %d passed, %d failed, %d not applicable (%d rule failures, %d warnings) in %s",
		verdict, len(r.Runs)-failedRuns-na, failedRuns, na, failures, warnings, r.Duration.Round(time.Millisecond))
}

// ordered lists the runs failures first, then passes, then the runs that
// did not apply, each group in suite order.
func (r *Report) ordered() []*RunResult {
	rank := func(run *RunResult) int {
		switch {
		case run.Failed():
			return 0
		case run.NotApplicable != "":
			return 2
		}
		return 1
	}
	out := slices.Clone(r.Runs)
	slices.SortStableFunc(out, func(a, b *RunResult) int { return rank(a) - rank(b) })
	return out
}

// WriteText writes the human-readable report: failing runs first, with
// every rule and the frames of every failure quoted with their times; a
// line for each passing run (every rule with Verbose) and each run that
// did not apply, with the reason; and the summary.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "rtmock conformance: %s\n", r.Client)
	for _, run := range r.ordered() {
		r.writeRun(ew, run)
	}
	fmt.Fprintf(ew, "\n%s\n", r.Summary())
	return ew.err
}

func (r *Report) writeRun(w io.Writer, run *RunResult) {
	if run.NotApplicable != "" && !run.Failed() {
		fmt.Fprintf(w, "N/A  %s: %s\n", run.Name(), run.NotApplicable)
		return
	}
	status := "PASS"
	if run.Failed() {
		status = "FAIL"
	}
	busy := ""
	if run.Jitter >= 100*time.Millisecond {
		busy = fmt.Sprintf(", timers up to %s late", run.Jitter.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "%s %s (%s, %d session%s, client %s%s)\n", status, run.Name(), run.Duration.Round(time.Millisecond), len(run.Sessions), plural(run.Sessions), run.Exit, busy)
	if !run.Failed() && !r.Verbose {
		return
	}
	for _, p := range run.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	for _, v := range append(run.Verdicts[:len(run.Verdicts):len(run.Verdicts)], run.Expectations...) {
		writeVerdict(w, v)
	}
	for _, t := range run.Transcripts {
		fmt.Fprintf(w, "  transcript: %s\n", t)
	}
	if run.Failed() && run.Stderr != "" {
		fmt.Fprintf(w, "  client stderr:\n%s", indent(strings.TrimRight(run.Stderr, "\n"), "    "))
	}
	fmt.Fprintln(w)
}

func writeVerdict(w io.Writer, v Verdict) {
	label := string(v.Status)
	if v.Status == Fail && v.Severity == SeverityWarning {
		label = "warn"
	}
	switch v.Status {
	case Pass:
		if strings.HasPrefix(v.Rule, "EXPECT-") {
			fmt.Fprintf(w, "  %-4s  %-21s %s\n", label, v.Rule, v.Reason)
		} else {
			fmt.Fprintf(w, "  %-4s  %s\n", label, v.Rule)
		}
	case NA:
		fmt.Fprintf(w, "  %-4s  %-21s %s\n", label, v.Rule, v.Why)
	case Fail:
		for i, f := range v.Findings {
			id := v.Rule
			if i > 0 {
				id = ""
			}
			problem := f.Problem
			if f.Session > 0 {
				problem = fmt.Sprintf("session %d: %s", f.Session, problem)
			}
			fmt.Fprintf(w, "  %-4s  %-21s %s\n", label, id, problem)
			for _, q := range f.Frames {
				fmt.Fprintf(w, "          %8s %-6s %s\n", fmtT(q.At), q.Dir, q.Text)
			}
			if f.Want != "" {
				fmt.Fprintf(w, "          expected: %s\n", f.Want)
			}
		}
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix) + "\n"
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// The JSON shape of a report.
type (
	jsonReport struct {
		Client     string    `json:"client"`
		Started    time.Time `json:"started"`
		DurationMs int64     `json:"duration_ms"`
		Passed     bool      `json:"passed"`
		Runs       []jsonRun `json:"runs"`
	}
	jsonRun struct {
		Scenario      string        `json:"scenario"`
		Dialect       string        `json:"dialect"`
		Passed        bool          `json:"passed"`
		DurationMs    int64         `json:"duration_ms"`
		Sessions      int           `json:"sessions"`
		HungUp        bool          `json:"hung_up"`
		JitterMs      int64         `json:"jitter_ms"`
		Exit          string        `json:"exit"`
		Problems      []string      `json:"problems,omitempty"`
		NotApplicable string        `json:"not_applicable,omitempty"`
		Profile       string        `json:"profile,omitempty"`
		Verdicts      []jsonVerdict `json:"verdicts"`
		Expectations  []jsonVerdict `json:"expectations,omitempty"`
		Transcripts   []string      `json:"transcripts,omitempty"`
		Stdout        string        `json:"stdout,omitempty"`
		Stderr        string        `json:"stderr,omitempty"`
	}
	jsonVerdict struct {
		Rule     string        `json:"rule"`
		Severity Severity      `json:"severity"`
		Status   Status        `json:"status"`
		Reason   string        `json:"reason,omitempty"`
		Why      string        `json:"why,omitempty"`
		Findings []jsonFinding `json:"findings,omitempty"`
	}
	jsonFinding struct {
		T       float64     `json:"t"`
		Session int         `json:"session,omitempty"`
		Problem string      `json:"problem"`
		Want    string      `json:"want,omitempty"`
		Frames  []jsonQuote `json:"frames,omitempty"`
	}
	jsonQuote struct {
		T     float64            `json:"t"`
		Dir   cassette.Direction `json:"dir"`
		Type  string             `json:"type,omitempty"`
		Frame string             `json:"frame"`
	}
)

func jsonVerdicts(vs []Verdict) []jsonVerdict {
	out := make([]jsonVerdict, 0, len(vs))
	for _, v := range vs {
		jv := jsonVerdict{Rule: v.Rule, Severity: v.Severity, Status: v.Status, Reason: v.Reason, Why: v.Why}
		for _, f := range v.Findings {
			jf := jsonFinding{T: f.At.Seconds(), Session: f.Session, Problem: f.Problem, Want: f.Want}
			for _, q := range f.Frames {
				jf.Frames = append(jf.Frames, jsonQuote{T: q.At.Seconds(), Dir: q.Dir, Type: q.Type, Frame: q.Text})
			}
			jv.Findings = append(jv.Findings, jf)
		}
		out = append(out, jv)
	}
	return out
}

// WriteJSON writes the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	jr := jsonReport{Client: r.Client, Started: r.Started.UTC(), DurationMs: r.Duration.Milliseconds(), Passed: !r.Failed()}
	for _, run := range r.Runs {
		jr.Runs = append(jr.Runs, jsonRun{
			Scenario: run.Scenario, Dialect: string(run.Dialect), Passed: !run.Failed(),
			DurationMs: run.Duration.Milliseconds(), Sessions: len(run.Sessions), HungUp: run.HungUp, JitterMs: run.Jitter.Milliseconds(), Exit: run.Exit,
			Problems: run.Problems, NotApplicable: run.NotApplicable, Profile: profileText(run),
			Verdicts: jsonVerdicts(run.Verdicts), Expectations: jsonVerdicts(run.Expectations),
			Transcripts: run.Transcripts, Stdout: run.Stdout, Stderr: run.Stderr,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jr)
}

func profileText(run *RunResult) string {
	if len(run.Sessions) == 0 {
		return ""
	}
	return run.Profile.String()
}

// The JUnit XML shape that CI systems read.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  string          `xml:"system-out,omitempty"`
		SystemErr  string          `xml:"system-err,omitempty"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitMessage `xml:"failure,omitempty"`
		Skipped   *junitMessage `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the report as JUnit XML: a test suite per run, a test
// case per rule and expectation. Failed error rules are failures, n/a
// verdicts are skipped, and failed warnings pass with the warning in
// system-out, as the exit code treats them.
func (r *Report) WriteJUnit(w io.Writer) error {
	js := junitSuites{Name: "rtmock conformance", Time: seconds(r.Duration)}
	for _, run := range r.Runs {
		s := junitSuite{
			Name: run.Name(), Time: seconds(run.Duration), Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
			Properties: []junitProperty{{"client", r.Client}, {"exit", run.Exit}, {"dialect", string(run.Dialect)}},
			SystemOut:  run.Stdout, SystemErr: run.Stderr,
		}
		class := "conformance." + fileName(run.Scenario) + "." + string(run.Dialect)
		if len(run.Problems) > 0 {
			s.Cases = append(s.Cases, junitCase{Name: "run", Classname: class, Time: seconds(run.Duration),
				Failure: &junitMessage{Message: run.Problems[0], Type: "problem", Text: strings.Join(run.Problems, "\n")}})
			s.Failures++
		} else if run.NotApplicable != "" {
			s.Cases = append(s.Cases, junitCase{Name: "run", Classname: class, Time: seconds(run.Duration),
				Skipped: &junitMessage{Message: "not applicable: " + run.NotApplicable}})
			s.Skipped++
		}
		for _, v := range append(run.Verdicts[:len(run.Verdicts):len(run.Verdicts)], run.Expectations...) {
			c := junitCase{Name: v.Rule, Classname: class, Time: "0"}
			switch {
			case v.Failed():
				c.Failure = &junitMessage{Message: v.Findings[0].Problem, Type: string(v.Severity), Text: findingsText(v)}
				s.Failures++
			case v.Status == Fail:
				c.SystemOut = "warning: " + findingsText(v)
			case v.Status == NA:
				c.Skipped = &junitMessage{Message: "n/a: " + v.Why}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		js.Tests += s.Tests
		js.Failures += s.Failures
		js.Skipped += s.Skipped
		js.Suites = append(js.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(js); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func findingsText(v Verdict) string {
	var b strings.Builder
	writeVerdict(&b, v)
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// Judge judges recorded sessions of one call (from [LoadSession]) against
// rules (nil: every rule) and, when sc is not nil, the expectations of the
// scenario they played, as a report of one run named name.
func Judge(name string, sc *scenarios.Scenario, rules []*Rule, sessions ...*Session) *Report {
	run := &RunResult{Scenario: name, Sessions: sessions, scenario: sc, Exit: "recorded"}
	if len(sessions) > 0 {
		run.Dialect = sessions[0].Dialect
		run.Duration = sessions[len(sessions)-1].End()
	}
	run.Verdicts = Check(rules, sessions...)
	run.Expectations = Expectations(sc, sessions...)
	return &Report{Client: name, Started: time.Now(), Duration: run.Duration, Runs: []*RunResult{run}}
}
