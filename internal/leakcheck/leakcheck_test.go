package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestCheckFindsAndForgets(t *testing.T) {
	before := Take()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-stop
	}()
	leaked := before.Check(10 * time.Millisecond)
	if len(leaked) != 1 || !strings.Contains(leaked[0], "TestCheckFindsAndForgets") {
		t.Fatalf("Check found %d goroutines, want the one this test started:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
	close(stop)
	<-done
	if leaked := before.Check(Wait); len(leaked) != 0 {
		t.Fatalf("Check still finds goroutines after they ended:\n%s", strings.Join(leaked, "\n\n"))
	}
}

func TestCheckWaitsForGoroutinesToEnd(t *testing.T) {
	before := Take()
	release := make(chan struct{})
	go func() { <-release }()
	// The goroutine ends while Check is looking: it is not a leak.
	time.AfterFunc(20*time.Millisecond, func() { close(release) })
	if leaked := before.Check(Wait); len(leaked) != 0 {
		t.Fatalf("Check reported a goroutine that ended while it waited:\n%s", strings.Join(leaked, "\n\n"))
	}
}
