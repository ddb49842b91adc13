package conformance

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a test leaves goroutines behind: the runner
// starts a mock server, a tap and a client per run and must stop them all.
func TestMain(m *testing.M) { leakcheck.Main(m) }
