//go:build !unix

package loadtest

import "time"

// cpuTime is 0: this system's CPU time is not read.
func cpuTime() time.Duration { return 0 }
