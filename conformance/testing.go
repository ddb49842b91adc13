package conformance

import (
	"strings"
	"testing"
)

// Test runs the suite against a client from a Go test, in the user's own
// module:
//
//	func TestMyAgentConforms(t *testing.T) {
//		conformance.Test(t, &conformance.Options{Func: myagent.Run})
//	}
//
// Each run is a subtest named after its scenario and dialect, and each
// rule and expectation a subtest of it: a failed error rule fails it with
// the findings, a rule or a run that does not apply is skipped with the
// reason, a failed warning is logged. A setup error (an unknown scenario,
// no client) fails t at once.
func Test(t *testing.T, opts *Options) *Report {
	t.Helper()
	rep, err := Run(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range rep.Runs {
		t.Run(strings.ReplaceAll(run.Name(), " ", "_"), func(t *testing.T) { testRun(t, run) })
	}
	return rep
}

// testRun reports one run as subtests.
func testRun(t *testing.T, run *RunResult) {
	for _, p := range run.Problems {
		t.Errorf("problem: %s", p)
	}
	if run.NotApplicable != "" && len(run.Problems) == 0 {
		t.Skip("not applicable: " + run.NotApplicable)
	}
	for _, v := range append(run.Verdicts[:len(run.Verdicts):len(run.Verdicts)], run.Expectations...) {
		t.Run(v.Rule, func(t *testing.T) { testVerdict(t, v) })
	}
	if run.Failed() && run.Stderr != "" {
		t.Logf("client stderr:\n%s", run.Stderr)
	}
}

func testVerdict(t *testing.T, v Verdict) {
	var b strings.Builder
	writeVerdict(&b, v)
	switch {
	case v.Failed():
		t.Error(b.String())
	case v.Status == Fail:
		t.Log("warning: " + b.String())
	case v.Status == NA:
		t.Skip("n/a: " + v.Why)
	}
}
