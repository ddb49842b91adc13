package conformance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/refclient"
)

// TestEveryRuleCatchesItsBug runs each deliberately broken variant of the
// reference client through the scenarios of the rule its bug breaks, in
// both dialects, and checks that the rule fails in at least one run and
// every other rule passes or is n/a in all of them: each rule bites, and
// bites alone.
func TestEveryRuleCatchesItsBug(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every broken variant through its scenarios (about 10 s)")
	}
	bugs := refclient.Bugs()
	covered := map[string]bool{}
	type variant struct {
		bug  refclient.Bug
		rule *conformance.Rule
		rep  *conformance.Report
		err  error
	}
	var vs []*variant
	for bug, id := range bugs {
		r := conformance.RuleByID(id)
		if r == nil {
			t.Fatalf("bug %s names unknown rule %s", bug, id)
		}
		covered[id] = true
		vs = append(vs, &variant{bug: bug, rule: r})
	}
	for _, r := range conformance.Rules() {
		if !covered[r.ID] {
			t.Errorf("no broken variant of the reference client breaks %s", r.ID)
		}
	}
	// Runs mostly wait on timers, but a hundred sessions at once starve two
	// cores under -race and the timing rules would judge the starvation:
	// a few variants go at a time, those with the most runs first.
	slices.SortStableFunc(vs, func(a, b *variant) int { return len(b.rule.Scenarios) - len(a.rule.Scenarios) })
	work := make(chan *variant)
	var wg sync.WaitGroup
	for range variantsAtOnce {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range work {
				v.rep, v.err = conformance.Run(context.Background(), &conformance.Options{
					Func: refclient.New(&refclient.Options{Bug: v.bug}), Name: string(v.bug), Scenarios: v.rule.Scenarios,
					Limits: loadTolerant,
				})
			}
		}()
	}
	for _, v := range vs {
		work <- v
	}
	close(work)
	wg.Wait()
	for _, v := range vs {
		t.Run(fmt.Sprintf("%s breaks only %s", v.bug, v.rule.ID), func(t *testing.T) {
			if v.err != nil {
				t.Fatal(v.err)
			}
			caught, unjudged := false, false
			for _, run := range v.rep.Runs {
				if run.Jitter > busy {
					t.Logf("%s not judged: the machine was busy (timers up to %s late)", run.Name(), run.Jitter)
					unjudged = true
					continue
				}
				for _, p := range run.Problems {
					t.Errorf("%s: %s", run.Name(), p)
				}
				for _, vd := range run.Verdicts {
					switch {
					case vd.Rule == v.rule.ID && vd.Unreliable:
						unjudged = true
					case vd.Status != conformance.Fail:
					case vd.Rule == v.rule.ID:
						caught = true
					default:
						t.Errorf("%s: %s fails too:\n%s", run.Name(), vd.Rule, findings(vd))
					}
				}
			}
			if !caught && unjudged {
				t.Skipf("%s was not judged: the machine was too busy to keep time", v.rule.ID)
			}
			if !caught {
				var b strings.Builder
				v.rep.WriteText(&b)
				t.Errorf("%s did not fail in %v:\n%s", v.rule.ID, v.rule.Scenarios, b.String())
			}
		})
	}
}

// variantsAtOnce is how many broken variants run at the same time.
const variantsAtOnce = 4

// busy is how late the runner's own timers may fire during a run for the
// run to count: on a machine much busier than that, recorded times tell
// about the machine, not the client.
const busy = 300 * time.Millisecond

// loadTolerant are timing limits for a machine busy with other tests:
// looser than the defaults where scheduling delays show up in recorded
// times, still far tighter than the bugs the timing rules must catch (a
// whole recording sent at once, a truncate 2 s late).
var loadTolerant = conformance.Limits{Lead: 1500 * time.Millisecond, Reaction: time.Second, Grace: 3 * time.Second}

func findings(v conformance.Verdict) string {
	var b strings.Builder
	for _, f := range v.Findings {
		fmt.Fprintf(&b, "  %s\n  expected: %s\n", f.Problem, f.Want)
		for _, q := range f.Frames {
			fmt.Fprintf(&b, "    %v %s %s\n", q.At, q.Dir, q.Text)
		}
	}
	return b.String()
}
