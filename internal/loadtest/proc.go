package loadtest

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// procStatus returns a memory figure of /proc/self/status ("VmRSS",
// "VmHWM") in bytes, or 0 where the system has no such file.
func procStatus(key string) int64 { return procStatusOf("/proc/self/status", key) }

// procStatusOf is procStatus of another status file (/proc/PID/status).
func procStatusOf(path, key string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte(key+":"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// loadAverage returns the 1, 5 and 15 minute load averages of
// /proc/loadavg, or "" where the system has no such file.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// cpuPressure returns the share of time in which some runnable task waited
// for a CPU over the last 10 and 60 seconds (/proc/pressure/cpu), as
// "avg10=… avg60=…", or "" where the system does not tell.
func cpuPressure() string {
	data, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "some ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) >= 2 {
			return f[0] + " " + f[1]
		}
	}
	return ""
}
