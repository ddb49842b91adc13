package mockserver_test

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a test leaves a session, reader or server
// goroutine behind: Server.Close must own everything it started.
func TestMain(m *testing.M) { leakcheck.Main(m) }
