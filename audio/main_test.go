package audio

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// TestMain fails the run if a test leaves goroutines behind. Only the
// concurrency test starts any, and it waits for them.
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		if err := checkGoroutines(before); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkGoroutines waits, by yielding rather than sleeping, for goroutines
// that have finished their work to exit, then reports any that remain.
func checkGoroutines(want int) error {
	for range 10000 {
		if runtime.NumGoroutine() <= want {
			return nil
		}
		runtime.Gosched()
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return fmt.Errorf("leaked goroutines: %d running, %d at start\n%s", runtime.NumGoroutine(), want, buf)
}
