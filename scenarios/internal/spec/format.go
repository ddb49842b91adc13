package spec

import (
	"strconv"
	"time"
)

// FormatDuration renders d as a scenario writes it, in the unit a person
// would use ("2m", "5s", "1200ms"), so that the decoder reads it back
// exactly.
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d%time.Millisecond == 0:
		return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
	}
	return d.String()
}

// FormatFrequency renders hz as a scenario writes it: "440Hz".
func FormatFrequency(hz float64) string {
	return strconv.FormatFloat(hz, 'g', -1, 64) + "Hz"
}
