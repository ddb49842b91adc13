package view_test

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a test leaves a server or a browser behind.
func TestMain(m *testing.M) { leakcheck.Main(m) }
