package cassette_test

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a test leaves a goroutine behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }
