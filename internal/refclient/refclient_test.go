package refclient_test

import (
	"testing"

	"github.com/rtmock/rtmock/conformance"
	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/refclient"
)

// TestMain fails the run if a test leaves goroutines behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }

// The conformance package's tests run the client and every bug through
// the suite; here only the bookkeeping that ties bugs to rules.
func TestEveryBugNamesARuleOfTheCatalogue(t *testing.T) {
	t.Parallel()
	broken := map[string]bool{}
	for bug, id := range refclient.Bugs() {
		if bug == refclient.NoBug {
			t.Errorf("the well-behaved client is listed as a bug")
		}
		if conformance.RuleByID(id) == nil {
			t.Errorf("bug %s names unknown rule %s", bug, id)
		}
		broken[id] = true
	}
	for _, r := range conformance.Rules() {
		if !broken[r.ID] {
			t.Errorf("no bug breaks %s", r.ID)
		}
	}
}
