// Package leakcheck finds goroutines that tests leave running.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// Main takes a snapshot of the running goroutines, runs the tests, and
// fails the run if goroutines that were not there before are still running
// afterwards. Goroutines take a moment to end after the code that stopped
// them returns, so it looks again for a short while before it reports.
// Goroutines of the runtime, the testing package and os/signal are ignored.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Wait is how long Main and Snapshot.Check wait for new goroutines to end.
const Wait = 5 * time.Second

// Snapshot is the set of goroutines running at one moment, by id.
type Snapshot map[string]bool

// Take returns the goroutines running now.
func Take() Snapshot {
	s := Snapshot{}
	for _, g := range goroutines() {
		s[goroutineID(g)] = true
	}
	return s
}

// Check returns the stacks of goroutines that run now but were not in s,
// after waiting up to wait for them to end; nil when there are none.
func (s Snapshot) Check(wait time.Duration) []string {
	deadline := time.Now().Add(wait)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var leaked []string
		for _, g := range goroutines() {
			if !s[goroutineID(g)] && !ignored(g) {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return leaked
		}
		time.Sleep(delay)
	}
}

// Main runs m's tests and exits, with status 1 when they failed or left
// goroutines running.
func Main(m *testing.M) {
	before := Take()
	code := m.Run()
	if code == 0 {
		if leaked := before.Check(Wait); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutines leaked by the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// goroutines returns the stack of every goroutine but the caller's.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stacks := strings.Split(string(buf), "\n\n")
	return stacks[1:] // the first is the caller
}

// goroutineID is the "goroutine N" at the start of a stack.
func goroutineID(stack string) string {
	id, _, _ := strings.Cut(stack, " [")
	return id
}

// ignored tells goroutines of the test binary and the runtime, which
// are not the code under test's, by a function on their stack.
func ignored(stack string) bool {
	for _, fn := range []string{
		"testing.(*M).",
		"testing.tRunner(",
		"testing.runFuzzing(",
		"testing.(*F).Fuzz",
		"os/signal.signal_recv(",
		"os/signal.loop(",
		"runtime.ensureSigM(",
	} {
		if strings.Contains(stack, fn) {
			return true
		}
	}
	return false
}
