package conformance

import (
	"fmt"
	"github.com/rtmock/rtmock/cassette"
	"strings"
	"time"
)

// Severity says how bad breaking a rule is. Errors are what the service
// punishes (an error event, lost context, a broken conversation) and fail
// a run; warnings are what degrades a conversation without an error, and
// are reported without failing it.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Status is a verdict.
type Status string

// Verdicts.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	NA   Status = "n/a" // nothing in the session to judge: Why says why
)

// Rule is one thing a realtime client must get right, with the check
// that judges a session against it.
type Rule struct {
	ID       string   // RT-…
	Reason   string   // one line: what and why, citing the reference
	Source   string   // the sections of the protocol reference it comes from
	Severity Severity // what breaking it costs
	// Scenarios are the built-in scenarios that exercise the rule. The
	// runner judges every session against every rule; elsewhere the rule
	// is usually n/a.
	Scenarios []string
	// Needs are the client traits (scenarios.Premise*) without which the
	// rule has nothing to judge: a barge-in needs a client that streams
	// audio with server VAD on. The coverage matrix holds that every
	// profile with them meets a scenario that exercises the rule.
	Needs []string
	// Check judges one session.
	Check func(*Session) Result
}

// Result is what a rule's Check found in one session.
type Result struct {
	Status   Status
	Why      string // for n/a: why there was nothing to judge
	Findings []Finding
	// Unreliable marks an n/a because the run's recorded times were too
	// skewed by a busy machine to judge a timing rule (RunFacts.Jitter).
	Unreliable bool
}

// Finding is one breach of a rule: what the client did, quoting its frames
// with their times, and what the service expects instead.
type Finding struct {
	At      time.Duration // when it happened, since the session's upgrade
	Session int           // which session of the run (1-based) when a run had several
	Problem string
	Want    string
	Frames  []Quote
}

// Quote is a frame as a finding cites it: its time, direction, type and
// text, with audio replaced by its size.
type Quote struct {
	At   time.Duration
	Dir  cassette.Direction
	Type string
	Text string
}

// Verdict is a rule's outcome for a run: one scenario in one dialect,
// over all the sessions the client opened.
type Verdict struct {
	Rule     string // the rule's id, or EXPECT-n for a scenario's n-th expectation
	Reason   string // the rule's reason, or the expectation's description
	Severity Severity
	Status   Status
	Why      string
	Findings []Finding
	// Unreliable is set when the verdict is n/a only because the machine
	// was too busy to judge timing (see RunFacts.Jitter).
	Unreliable bool
}

// Failed reports whether the verdict fails a run: a failed rule of
// severity error.
func (v Verdict) Failed() bool { return v.Status == Fail && v.Severity == SeverityError }

// result makes a Result: failed with findings, otherwise n/a when naWhy is
// set, otherwise passed.
func result(findings []Finding, naWhy string) Result {
	switch {
	case len(findings) > 0:
		return Result{Status: Fail, Findings: findings}
	case naWhy != "":
		return Result{Status: NA, Why: naWhy}
	}
	return Result{Status: Pass}
}

func notApplicable(format string, args ...any) Result {
	return Result{Status: NA, Why: fmt.Sprintf(format, args...)}
}

// Check judges sessions (the sessions of one run, in order) against rules
// (nil: every rule of [Rules]). A rule fails when it fails in any
// session, passes when it passes in one and fails in none, and is n/a
// otherwise, with the first session's reason.
func Check(rules []*Rule, sessions ...*Session) []Verdict {
	if rules == nil {
		rules = Rules()
	}
	out := make([]Verdict, 0, len(rules))
	for _, r := range rules {
		out = append(out, combine(Verdict{Rule: r.ID, Reason: r.Reason, Severity: r.Severity}, r.Check, sessions))
	}
	return out
}

// combine judges sessions with check and folds the results into v.
func combine(v Verdict, check func(*Session) Result, sessions []*Session) Verdict {
	v.Status = NA
	for n, s := range sessions {
		res := check(s)
		switch res.Status {
		case Fail:
			v.Status, v.Why = Fail, ""
			for _, f := range res.Findings {
				if len(sessions) > 1 {
					f.Session = n + 1
				}
				v.Findings = append(v.Findings, f)
			}
		case Pass:
			if v.Status == NA {
				v.Status, v.Why = Pass, ""
			}
		case NA:
			if v.Status == NA && v.Why == "" {
				v.Why = res.Why
			}
			v.Unreliable = v.Unreliable || res.Unreliable
		}
	}
	if len(sessions) == 0 {
		v.Why = "the client opened no session"
	}
	if v.Status != NA {
		v.Unreliable = false
	}
	return v
}

// quote cites an event.
func quote(e *event) Quote {
	return Quote{At: e.at, Dir: e.dir, Type: e.typ, Text: quoteText(e)}
}

func quotes(es ...*event) []Quote {
	q := make([]Quote, 0, len(es))
	for _, e := range es {
		if e != nil {
			q = append(q, quote(e))
		}
	}
	return q
}

// maxQuote bounds how much of a frame a report shows.
const maxQuote = 320

// quoteText is a frame's text with its base64 audio replaced by its size
// and the whole cut to maxQuote bytes.
func quoteText(e *event) string {
	if e.f.Kind == cassette.KindBinary {
		return fmt.Sprintf("<binary frame of %d bytes>", len(e.f.Data))
	}
	data := e.f.Data
	var b strings.Builder
	if e.audio && e.audioB64 != nil {
		start := cap(data) - cap(e.audioB64) // the audio is a slice of the frame
		if start >= 0 && start+len(e.audioB64) <= len(data) {
			b.Write(data[:start])
			fmt.Fprintf(&b, "<%d bytes of audio>", e.audioN)
			b.Write(data[start+len(e.audioB64):])
			data = []byte(b.String())
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > maxQuote {
		s = s[:maxQuote] + "…"
	}
	return s
}

// fmtT formats a time in a session: "1.742s".
func fmtT(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}

// fmtMs formats a duration in milliseconds: "1200 ms".
func fmtMs(v float64) string {
	return fmt.Sprintf("%.0f ms", v)
}
