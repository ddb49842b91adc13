package hostcheck_test

import (
	"strings"
	"testing"

	"github.com/rtmock/rtmock/internal/hostcheck"
)

func TestLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost":              true,
		"LOCALHOST:8081":         true,
		"localhost.:8081":        true,
		"app.localhost:5173":     true,
		"127.0.0.1":              true,
		"127.0.0.1:8081":         true,
		"127.1.2.3:80":           true,
		"[::1]:8081":             true,
		"::1":                    true,
		"[::ffff:127.0.0.1]:80":  true,
		"":                       false,
		"evil.example:8081":      false,
		"localhost.evil.example": false,
		"evillocalhost":          false,
		"0.0.0.0:8081":           false,
		"192.168.1.5:8081":       false,
		"[::]:8081":              false,
		"127.0.0.1.nip.io":       false,
	} {
		if got := hostcheck.Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestChecker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		allowed []string
		accept  []string
		refuse  []string
	}{
		{"loopback only", nil,
			[]string{"localhost:8081", "127.0.0.1:8081", "[::1]:8081"},
			[]string{"", "evil.example:8081", "rec.internal", "192.168.1.5:8081"}},
		{"named hosts", []string{"rec.internal", "192.168.1.5", "[fd00::1]", "Build-Box."},
			[]string{"rec.internal:8081", "REC.INTERNAL", "192.168.1.5:8081", "[fd00::1]:8081", "build-box:1", "localhost"},
			[]string{"evil.example", "sub.rec.internal", "192.168.1.6:8081"}},
		{"a domain", []string{"*.corp.example"},
			[]string{"a.corp.example:8081", "x.y.corp.example"},
			[]string{"corp.example", "evilcorp.example", "corp.example.evil"}},
		{"any host", []string{"*"},
			[]string{"evil.example:8081", "anything"},
			[]string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := hostcheck.New(tt.allowed)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tt.accept {
				if err := c.Check(h); err != nil {
					t.Errorf("Check(%q) = %v, want nil", h, err)
				}
			}
			for _, h := range tt.refuse {
				if err := c.Check(h); err == nil {
					t.Errorf("Check(%q) = nil, want an error", h)
				}
			}
		})
	}
	var zero *hostcheck.Checker
	if !zero.Allowed("localhost:1") || zero.Allowed("evil.example") {
		t.Error("a nil Checker should accept loopback only")
	}
}

func TestCheckErrorIsShort(t *testing.T) {
	t.Parallel()
	err := (&hostcheck.Checker{}).Check(strings.Repeat("a", 1<<20) + ".example")
	if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), "DNS rebinding") {
		t.Errorf("Check of a 1 MB host = %d bytes: %.300v", len(err.Error()), err)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"", " ", "host:8081", "*.", "a*b.example", "http://host", "*.a:1"} {
		if _, err := hostcheck.New([]string{a}); err == nil {
			t.Errorf("New(%q) accepted it", a)
		}
	}
}
