package loadtest

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a test leaves a session, client or server
// goroutine behind: Run must stop everything it started.
func TestMain(m *testing.M) { leakcheck.Main(m) }
