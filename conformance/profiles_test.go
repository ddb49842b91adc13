package conformance_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/refclient"
)

// TestEveryProfilePassesWhatAppliesToIt runs each kind of reference
// client through every built-in with the defaults: it passes every run
// that applies to it, and the runs that do not apply are the ones its
// profile leaves out.
func TestEveryProfilePassesWhatAppliesToIt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every built-in once per profile")
	}
	wantNA := map[refclient.Profile][]string{
		refclient.VoiceAgent: {"function-call", "greeting"},
		refclient.PushToTalk: {"audio-turn", "barge-in", "barge-in-late", "function-call"},
		refclient.Text:       {"audio-turn", "barge-in", "barge-in-late", "dictation", "function-call", "g711", "manual-commit", "transcription"},
		refclient.Tools:      {"audio-turn", "barge-in", "barge-in-late", "dictation", "g711", "manual-commit", "transcription"},
	}
	for _, p := range []refclient.Profile{refclient.VoiceAgent, refclient.PushToTalk, refclient.Text, refclient.Tools} {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			rep, err := conformance.Run(context.Background(), &conformance.Options{
				Func: refclient.New(&refclient.Options{Profile: p}), Name: string(p), Limits: loadTolerant, Parallel: 6,
			})
			if err != nil {
				t.Fatal(err)
			}
			var na []string
			for _, run := range rep.Runs {
				switch {
				case run.Failed():
					var b strings.Builder
					rep.WriteText(&b)
					t.Errorf("%s failed:\n%s", run.Name(), b.String())
				case run.NotApplicable != "":
					na = append(na, run.Scenario)
				}
			}
			if strings.Join(na, " ") != strings.Join(wantNA[p], " ") {
				t.Errorf("not applicable: %v, want %v", na, wantNA[p])
			}
		})
	}
}

// TestBugsAreCaughtInEveryProfile: a bug breaks its rule whichever kind of
// client makes it, wherever the rule applies to that kind. Each pair runs
// the scenarios of the rule that apply to the profile.
func TestBugsAreCaughtInEveryProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs broken variants of each profile")
	}
	pairs := []struct {
		bug     refclient.Bug
		profile refclient.Profile
	}{
		{refclient.NoTruncate, refclient.VoiceAgent},
		{refclient.TruncateReceived, refclient.VoiceAgent},
		{refclient.RaceResponseCreate, refclient.Text},
		{refclient.RaceResponseCreate, refclient.Tools},
		{refclient.QuitOnError, refclient.Text},
		{refclient.QuitOnError, refclient.PushToTalk},
		{refclient.NoRetry, refclient.Tools},
		{refclient.OddTail, refclient.VoiceAgent},
		{refclient.OddTail, refclient.PushToTalk},
		{refclient.BigEndian, refclient.PushToTalk},
	}
	bugs := refclient.Bugs()
	for _, pr := range pairs {
		rule := conformance.RuleByID(bugs[pr.bug])
		t.Run(string(pr.bug)+" as "+string(pr.profile), func(t *testing.T) {
			t.Parallel()
			rep, err := conformance.Run(context.Background(), &conformance.Options{
				Func: refclient.New(&refclient.Options{Bug: pr.bug, Profile: pr.profile}), Name: string(pr.bug),
				Scenarios: rule.Scenarios, Limits: loadTolerant, Parallel: 4,
			})
			if err != nil {
				t.Fatal(err)
			}
			caught := false
			for _, run := range rep.Runs {
				if v, ok := run.Verdict(rule.ID); ok && v.Failed() {
					caught = true
				}
			}
			if !caught {
				var b strings.Builder
				rep.WriteText(&b)
				t.Errorf("%s made by a %s client is not caught by %s:\n%s", pr.bug, pr.profile, rule.ID, b.String())
			}
		})
	}
}
