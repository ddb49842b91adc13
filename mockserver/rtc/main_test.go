package rtc_test

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a call leaves a goroutine behind: Handler.Close
// must own every call it started.
func TestMain(m *testing.M) { leakcheck.Main(m) }
