package hostcheck_test

import (
	"testing"

	"github.com/rtmock/rtmock/internal/hostcheck"
	"github.com/rtmock/rtmock/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// FuzzCheck feeds arbitrary Host headers to a Checker with no allowed
// names: it never panics, accepts exactly the loopback hosts, and its
// errors stay short whatever the host's length.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"localhost:8081", "[::1]:1", "127.0.0.1", "evil.example:8081", "", "[", "]:", "::ffff:127.0.0.1", "a.localhost."} {
		f.Add(s)
	}
	var c hostcheck.Checker
	f.Fuzz(func(t *testing.T, host string) {
		err := c.Check(host)
		if (err == nil) != (host != "" && hostcheck.Loopback(host)) {
			t.Errorf("Check(%q) = %v, Loopback = %v", host, err, hostcheck.Loopback(host))
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("error of %d bytes", len(err.Error()))
		}
	})
}
