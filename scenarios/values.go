package scenarios

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a duration as scenarios write it: a decimal number
// and a unit, "1200ms", "1.5s", "2m", "1h", or several of them, "1m30s".
// A bare number is an error (is "1200" milliseconds or seconds?) except "0".
// Keys whose name ends in "_ms" (prefix_padding_ms, silence_duration_ms)
// are plain integers of milliseconds instead and never go through
// ParseDuration. Negative durations are errors.
func ParseDuration(s string) (time.Duration, error) {
	d, msg, hint := parseDuration(s)
	if msg != "" {
		return 0, fmtValueError("invalid duration", msg, hint)
	}
	return d, nil
}

// ParsePace parses a pace: "live" (the live service's latencies), "realtime"
// (audio streamed at exactly playback speed), "instant" (no waiting) or a
// speed-up of the live pace such as "4x" or "0.5x" (latencies divided by the
// factor). The CLI's --pace flag takes the same words. Every parsed Pace has
// a Factor, 1 unless the words give another, so that callers may divide by
// it whatever the mode.
func ParsePace(s string) (Pace, error) {
	p, msg, hint := parsePace(s)
	if msg != "" {
		return Pace{}, fmtValueError("invalid pace", msg, hint)
	}
	return p, nil
}

func fmtValueError(what, msg, hint string) error {
	if hint != "" {
		return fmt.Errorf("%s: %s (%s)", what, msg, hint)
	}
	return fmt.Errorf("%s: %s", what, msg)
}

// durationUnits documents the units in hints.
const durationUnits = "write durations like 1200ms, 1.5s or 2m"

func parseDuration(s string) (d time.Duration, msg, hint string) {
	switch {
	case s == "":
		return 0, "empty duration", durationUnits
	case s == "0":
		return 0, "", ""
	case isNumber(s):
		return 0, fmt.Sprintf("%s has no unit", s), fmt.Sprintf("write %sms or %ss", s, s)
	case strings.HasPrefix(s, "-"):
		return 0, fmt.Sprintf("%s is negative", s), ""
	case strings.ContainsAny(s, " \t"):
		return 0, fmt.Sprintf("%q has a space", s), fmt.Sprintf("write %s", strings.Join(strings.Fields(s), ""))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		var numErr *strconv.NumError
		if errors.As(err, &numErr) || strings.Contains(err.Error(), "invalid duration") && isNumberPrefix(s) {
			return 0, fmt.Sprintf("%s is out of range", s), "durations go up to about 290 years"
		}
		return 0, fmt.Sprintf("%q is not a duration", s), "units are ms, s, m and h; " + durationUnits
	}
	return d, "", ""
}

// isNumber reports whether s is a plain unsigned decimal number.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// isNumberPrefix reports whether s looks like digits followed by a known
// unit, so that a failure to parse it is an overflow.
func isNumberPrefix(s string) bool {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 || !isNumber(s[:i]) {
		return false
	}
	switch s[i:] {
	case "ns", "us", "µs", "ms", "s", "m", "h":
		return true
	}
	return false
}

// Pace factors outside these bounds are errors.
const (
	minPaceFactor = 0.01
	maxPaceFactor = 1000
)

var paceWords = []string{string(PaceLive), string(PaceRealtime), string(PaceInstant), "4x", "0.5x"}

func parsePace(s string) (p Pace, msg, hint string) {
	switch PaceMode(s) {
	case PaceLive:
		return Pace{Mode: PaceLive, Factor: 1}, "", ""
	case PaceRealtime, PaceInstant:
		return Pace{Mode: PaceMode(s), Factor: 1}, "", ""
	}
	if s == "" {
		return Pace{}, "empty pace", "use live, realtime, instant or a factor such as 4x"
	}
	if isNumber(s) {
		return Pace{}, fmt.Sprintf("%s is not a pace", s), fmt.Sprintf("write %sx for %s times the live speed", s, s)
	}
	if num, ok := strings.CutSuffix(strings.ToLower(s), "x"); ok && isNumber(num) {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f < minPaceFactor || f > maxPaceFactor {
			return Pace{}, fmt.Sprintf("the factor of %s must be between %g and %g", s, float64(minPaceFactor), float64(maxPaceFactor)), ""
		}
		if s[len(s)-1] == 'X' {
			return Pace{}, fmt.Sprintf("%s is not a pace", s), fmt.Sprintf("write %sx", num)
		}
		return Pace{Mode: PaceLive, Factor: f}, "", ""
	}
	hint = didYouMean(s, paceWords[:3])
	if hint == "" {
		hint = "use live, realtime, instant or a factor such as 4x"
	}
	return Pace{}, fmt.Sprintf("unknown pace %q", s), hint
}

// String returns the pace as [ParsePace] reads it: "live", "realtime",
// "instant", "4x", or "" for the default pace.
func (p Pace) String() string {
	switch p.Mode {
	case PaceLive:
		if p.Factor == 0 || p.Factor == 1 {
			return string(PaceLive)
		}
		return strconv.FormatFloat(p.Factor, 'g', -1, 64) + "x"
	default:
		return string(p.Mode)
	}
}

// Set parses s with [ParsePace] into p, so that *Pace is a flag.Value (and,
// with Type, a pflag.Value) for a --pace flag.
func (p *Pace) Set(s string) error {
	v, err := ParsePace(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Type names the flag value type in command help.
func (p *Pace) Type() string { return "pace" }

// parseFrequency reads "440Hz", "440hz", "1.2kHz" or a bare number of hertz.
func parseFrequency(s string) (hz float64, msg, hint string) {
	t := strings.ToLower(s)
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "khz"):
		t, mult = t[:len(t)-3], 1000
	case strings.HasSuffix(t, "hz"):
		t = t[:len(t)-2]
	}
	if strings.HasSuffix(t, " ") {
		return 0, fmt.Sprintf("%q has a space", s), fmt.Sprintf("write %s", strings.ReplaceAll(s, " ", ""))
	}
	if !isNumber(t) {
		return 0, fmt.Sprintf("%q is not a frequency", s), "write a frequency like 440Hz or 1.2kHz"
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f*mult, 0) {
		return 0, fmt.Sprintf("%q is not a frequency", s), "write a frequency like 440Hz or 1.2kHz"
	}
	return f * mult, "", ""
}
