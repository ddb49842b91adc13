package clock_test

import (
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }
