package audio

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

// TestMain fails the run if a test leaves goroutines behind. Only the
// concurrency test of Tone starts any, and it waits for them. The package
// itself imports only the standard library; leakcheck is for tests only.
func TestMain(m *testing.M) { leakcheck.Main(m) }
