package conformance_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/scenarios"
)

// TestEveryRuleIsExercisedForEveryProfile: a rule that applies to a kind
// of client must meet it in at least one built-in, or a client of that
// kind could break it unnoticed.
func TestEveryRuleIsExercisedForEveryProfile(t *testing.T) {
	t.Parallel()
	// knownGaps are the empty cells there is no built-in for yet, each
	// with the reason; the matrix prints them as NONE.
	knownGaps := map[string]string{
		conformance.RuleErrorRecovery + "/voice-agent": "an error the mock sends as a turn starts reads to a client as the answer to its own request; a non-fatal error in the middle of a VAD turn needs an error step inside the reply",
	}
	scs := scenarios.List()
	for _, r := range conformance.Rules() {
		for _, p := range conformance.Profiles {
			if _, known := knownGaps[r.ID+"/"+p.Name]; known {
				continue
			}
			if cell := conformance.Coverage(r, p.Profile, scs); cell != nil && len(cell) == 0 {
				t.Errorf("%s applies to %s clients, and no built-in exercises it for them (it names %v)", r.ID, p.Name, r.Scenarios)
			}
		}
	}
	var b bytes.Buffer
	if err := conformance.WriteMatrix(&b, conformance.Rules()); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "NONE") != len(knownGaps) || !strings.Contains(b.String(), "voice-agent") {
		t.Errorf("matrix:\n%s", b.String())
	}
}

// TestCoverageFollowsPremises checks the matrix's reading of premises on
// one rule: barge-in is exercised for the voice agent only.
func TestCoverageFollowsPremises(t *testing.T) {
	t.Parallel()
	r := conformance.RuleByID(conformance.RuleBargeInTruncate)
	got := map[string]int{}
	for _, p := range conformance.Profiles {
		if cell := conformance.Coverage(r, p.Profile, scenarios.List()); cell != nil {
			got[p.Name] = len(cell)
		}
	}
	if len(got) != 1 || got["voice-agent"] != 2 {
		t.Errorf("barge-in coverage %v, want voice-agent only, by barge-in and barge-in-late", got)
	}
}
