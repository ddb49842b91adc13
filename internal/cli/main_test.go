package cli

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a command leaves a server or session running.
func TestMain(m *testing.M) { leakcheck.Main(m) }
