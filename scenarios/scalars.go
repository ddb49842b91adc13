package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// This file decodes the scalar kinds of the table: strings, enums,
// booleans, numbers, durations, frequencies, paces and audio chunks.

// scalar checks that n is a scalar with one of the given short tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) bool {
	if !d.usable(n, path) {
		return false
	}
	if n.Kind == yaml.ScalarNode && slices.Contains(tags, n.ShortTag()) {
		return true
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && slices.Contains(tags, "!!str") && n.ShortTag() != "!!null" {
		hint = fmt.Sprintf("quote it: %s", strconv.Quote(n.Value))
	}
	d.typeError(n, path, want, hint)
	return false
}

func (d *decoder) str(f *spec.Field, n *yaml.Node, path string) (string, bool) {
	if !d.scalar(n, path, "a string", "!!str") {
		return "", false
	}
	if f.Val.Pattern != "" && !spec.Match(f.Val.Pattern, n.Value) {
		d.errorf(n, path, patternHint(f.Val.Pattern), "%q is not a valid %s", n.Value, f.Key)
		return "", false
	}
	return n.Value, true
}

func (d *decoder) enum(f *spec.Field, n *yaml.Node, path string) (string, bool) {
	if !d.scalar(n, path, "a string", "!!str", "!!int", "!!float", "!!bool") {
		return "", false
	}
	if slices.Contains(f.Val.Enum, n.Value) {
		return n.Value, true
	}
	msg, hint := enumError(f, n.Value)
	d.errorf(n, path, hint, "%s", msg)
	return "", false
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	if !d.usable(n, path) {
		return false, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	hint := ""
	switch strings.ToLower(n.Value) {
	case "yes", "on", "y", "1":
		hint = "write true"
	case "no", "off", "n", "0":
		hint = "write false"
	}
	d.typeError(n, path, "true or false", hint)
	return false, false
}

func (d *decoder) integer(f *spec.Field, n *yaml.Node, path string) (int64, bool) {
	if !d.usable(n, path) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && isNumber(strings.TrimLeft(n.Value, "+-")) && !strings.Contains(n.Value, ".") {
		d.errorf(n, path, "", "integer %s out of range", n.Value)
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		hint := ""
		if strings.HasSuffix(f.Key, "_ms") && n.Kind == yaml.ScalarNode {
			if dur, msg, _ := parseDuration(n.Value); msg == "" {
				hint = fmt.Sprintf("%s counts milliseconds: write %d", f.Key, dur.Milliseconds())
			}
		}
		d.typeError(n, path, "an integer", hint)
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		d.errorf(n, path, "", "integer %s out of range", n.Value)
		return 0, false
	}
	if !d.inRange(f, n, path, float64(v), n.Value) {
		return 0, false
	}
	return v, true
}

func (d *decoder) number(f *spec.Field, n *yaml.Node, path string) (float64, bool) {
	if !d.scalar(n, path, "a number", "!!int", "!!float") {
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		if err := n.Decode(&v); err != nil {
			d.errorf(n, path, "", "number %s out of range", n.Value)
			return 0, false
		}
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		d.errorf(n, path, "", "want a finite number, got %s", n.Value)
		return 0, false
	}
	if !d.inRange(f, n, path, v, n.Value) {
		return 0, false
	}
	return v, true
}

// inRange checks v against the bounds of f; shown is v as written.
func (d *decoder) inRange(f *spec.Field, n *yaml.Node, path string, v float64, shown string) bool {
	vs := f.Val
	low := vs.HasLo && (v < vs.Lo || vs.LoExcl && v == vs.Lo)
	high := vs.HasHi && v > vs.Hi
	if !low && !high {
		return true
	}
	show := func(x float64) string {
		switch vs.Kind {
		case spec.KDuration, spec.KChunks:
			return spec.FormatDuration(time.Duration(x))
		case spec.KFrequency:
			return spec.FormatFrequency(x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	var msg string
	switch {
	case low && vs.LoExcl:
		msg = fmt.Sprintf("must be more than %s, got %s", show(vs.Lo), shown)
	case low && !vs.HasHi:
		msg = fmt.Sprintf("must be at least %s, got %s", show(vs.Lo), shown)
	case low:
		msg = fmt.Sprintf("must be at least %s, got %s", show(vs.Lo), shown)
	default:
		msg = fmt.Sprintf("must be at most %s, got %s", show(vs.Hi), shown)
	}
	if vs.Kind != spec.KDuration && vs.Kind != spec.KChunks && vs.HasLo && vs.HasHi && !vs.LoExcl {
		msg = fmt.Sprintf("must be between %s and %s, got %s", show(vs.Lo), show(vs.Hi), shown)
	}
	hint := ""
	if f.Key == "threshold" && v > 1 && v <= 100 {
		hint = fmt.Sprintf("threshold is a fraction; did you mean %g?", v/100)
	}
	d.errorf(n, path, hint, "%s", msg)
	return false
}

func (d *decoder) duration(f *spec.Field, n *yaml.Node, path string) (time.Duration, bool) {
	if !d.scalar(n, path, "a duration", "!!str", "!!int", "!!float") {
		return 0, false
	}
	dur, msg, hint := parseDuration(n.Value)
	if msg != "" {
		d.errorf(n, path, hint, "%s", msg)
		return 0, false
	}
	return dur, d.durationRange(f, n, path, dur)
}

func (d *decoder) durationRange(f *spec.Field, n *yaml.Node, path string, dur time.Duration) bool {
	if !d.inRange(f, n, path, float64(dur), n.Value) {
		return false
	}
	if f.Val.WholeMs && dur%time.Millisecond != 0 {
		d.errorf(n, path, fmt.Sprintf("write %s", spec.FormatDuration(dur.Round(time.Millisecond))), "must be whole milliseconds, got %s", n.Value)
		return false
	}
	return true
}

func (d *decoder) frequency(f *spec.Field, n *yaml.Node, path string) (float64, bool) {
	if !d.scalar(n, path, "a frequency", "!!str", "!!int", "!!float") {
		return 0, false
	}
	hz, msg, hint := parseFrequency(n.Value)
	if msg != "" {
		d.errorf(n, path, hint, "%s", msg)
		return 0, false
	}
	return hz, d.inRange(f, n, path, hz, n.Value)
}

func (d *decoder) pace(n *yaml.Node, path string) (Pace, bool) {
	if !d.scalar(n, path, "a pace", "!!str", "!!int", "!!float") {
		return Pace{}, false
	}
	p, msg, hint := parsePace(n.Value)
	if msg != "" {
		d.errorf(n, path, hint, "%s", msg)
		return Pace{}, false
	}
	return p, true
}

// chunks reads one duration or a list of them.
func (d *decoder) chunks(f *spec.Field, n *yaml.Node, path string) ([]time.Duration, bool) {
	if !d.usable(n, path) {
		return nil, false
	}
	one := func(item *yaml.Node, p string) (time.Duration, bool) {
		if !d.scalar(item, p, "a duration", "!!str", "!!int", "!!float") {
			return 0, false
		}
		dur, msg, hint := parseDuration(item.Value)
		if msg != "" {
			d.errorf(item, p, hint, "%s", msg)
			return 0, false
		}
		return dur, d.durationRange(f, item, p, dur)
	}
	if n.Kind != yaml.SequenceNode {
		if dur, ok := one(n, path); ok {
			return []time.Duration{dur}, true
		}
		return nil, false
	}
	if len(n.Content) == 0 {
		d.errorf(n, path, "write one duration, or leave the key out for the server's default", "empty list of chunks")
		return nil, false
	}
	var out []time.Duration
	for i, item := range n.Content {
		p := index(path, i)
		d.setPos(p, item)
		if dur, ok := one(item, p); ok {
			out = append(out, dur)
		}
	}
	if len(out) != len(n.Content) {
		return nil, false
	}
	return out, true
}
