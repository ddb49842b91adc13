package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// This file decodes the JSON-like kinds of the table: tool parameters
// (JSON Schemas), function call arguments and the field checks of
// expectations.

// appendJSON appends the JSON form of a YAML value, keeping the order of
// mapping keys. It returns false after reporting a value JSON cannot hold.
func (d *decoder) appendJSON(dst []byte, n *yaml.Node, path string) ([]byte, bool) {
	if !d.usable(n, path) {
		return dst, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		dst = append(dst, '{')
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key, kok := d.key(k, path)
			if !kok {
				ok = false
				continue
			}
			if first, dup := seen[key]; dup {
				d.errorf(k, path, fmt.Sprintf("the first is at line %d:%d", first.Line, first.Column), "duplicate key %q", key)
				ok = false
				continue
			}
			seen[key] = k
			if len(seen) > 1 {
				dst = append(dst, ',')
			}
			dst = realtime.AppendJSONString(dst, key)
			dst = append(dst, ':')
			var vok bool
			dst, vok = d.appendJSON(dst, v, child(path, key))
			ok = ok && vok
		}
		return append(dst, '}'), ok
	case yaml.SequenceNode:
		dst = append(dst, '[')
		ok := true
		for i, item := range n.Content {
			if i > 0 {
				dst = append(dst, ',')
			}
			var iok bool
			dst, iok = d.appendJSON(dst, item, index(path, i))
			ok = ok && iok
		}
		return append(dst, ']'), ok
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return append(dst, "null"...), true
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				d.errorf(n, path, "", "invalid boolean %q", n.Value)
				return dst, false
			}
			return strconv.AppendBool(dst, b), true
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return strconv.AppendInt(dst, i, 10), true
			}
			fallthrough
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				d.errorf(n, path, "JSON numbers are finite", "number %s cannot be JSON", n.Value)
				return dst, false
			}
			return strconv.AppendFloat(dst, f, 'g', -1, 64), true
		default:
			return realtime.AppendJSONString(dst, n.Value), true
		}
	}
	d.errorf(n, path, "", "want a JSON value, got %s", describe(n))
	return dst, false
}

// jsonValue decodes a YAML value into the values encoding/json produces:
// map[string]any, []any, string, float64, bool and nil.
func (d *decoder) jsonValue(n *yaml.Node, path string) (any, bool) {
	raw, ok := d.appendJSON(nil, n, path)
	if !ok {
		return nil, false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		d.errorf(n, path, "", "cannot be JSON: %v", err)
		return nil, false
	}
	return v, true
}

// jsonObject reads a mapping that is a JSON object (a JSON Schema).
func (d *decoder) jsonObject(n *yaml.Node, path string) (map[string]any, bool) {
	if !d.usable(n, path) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping", "")
		return nil, false
	}
	v, ok := d.jsonValue(n, path)
	if !ok {
		return nil, false
	}
	return v.(map[string]any), true
}

// arguments reads function call arguments: JSON text or a mapping, both
// stored as compact JSON text of an object.
func (d *decoder) arguments(n *yaml.Node, path string) (string, bool) {
	if !d.usable(n, path) {
		return "", false
	}
	switch {
	case n.Kind == yaml.MappingNode:
		raw, ok := d.appendJSON(nil, n, path)
		if !ok {
			return "", false
		}
		return string(raw), true
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(n.Value)); err != nil {
			msg := "invalid JSON: " + err.Error()
			var v any
			var se *json.SyntaxError
			if err := json.Unmarshal([]byte(n.Value), &v); errors.As(err, &se) {
				msg = fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())
			}
			d.errorf(n, path, "give a JSON object as text, or write the arguments as a YAML mapping", "%s", msg)
			return "", false
		}
		if buf.Len() == 0 || buf.Bytes()[0] != '{' {
			d.errorf(n, path, `write {"key": value}`, "want a JSON object, got %s", n.Value)
			return "", false
		}
		return buf.String(), true
	}
	d.typeError(n, path, "a JSON object (as text or a mapping)", "")
	return "", false
}

// match reads the field checks of an expectation. Checks that do not
// decode are left out of the result, which is valid as a whole when n is a
// mapping.
func (d *decoder) match(n *yaml.Node, path string) (map[string]Matcher, bool) {
	if !d.usable(n, path) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping of field paths to values", "")
		return nil, false
	}
	out := make(map[string]Matcher, len(n.Content)/2)
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key, ok := d.key(k, path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorf(k, path, fmt.Sprintf("the first is at line %d:%d", first.Line, first.Column), "duplicate key %q", key)
			continue
		}
		seen[key] = k
		p := child(path, key)
		d.setPos(p, v)
		if !spec.Match(spec.PatPath, key) {
			d.errorf(k, path, patternHint(spec.PatPath), "invalid field path %q", key)
			continue
		}
		if key == "type" {
			d.errorf(k, path, "the event type is the expectation's client key", "match cannot check type")
			continue
		}
		if m, ok := d.matcher(v, p, key); ok {
			out[key] = m
		}
	}
	if len(n.Content) == 0 {
		d.errorf(n, path, "leave match out to accept any event of the type", "empty match")
	}
	return out, true
}

// matcher reads one value of match: a value to equal or {between: [a, b]}.
func (d *decoder) matcher(n *yaml.Node, path, key string) (Matcher, bool) {
	if !d.usable(n, path) {
		return Matcher{}, false
	}
	if n.Kind != yaml.MappingNode {
		v, ok := d.jsonValue(n, path)
		return Matcher{Equals: v}, ok
	}
	if len(n.Content) != 2 {
		d.errorf(n, path, fmt.Sprintf("to check nested fields write %s.FIELD: value", key), "want one matcher such as {between: [lo, hi]}, got %d keys", len(n.Content)/2)
		return Matcher{}, false
	}
	op, ok := d.key(n.Content[0], path)
	if !ok {
		return Matcher{}, false
	}
	if op != "between" {
		hint := didYouMean(op, []string{"between"})
		if hint == "" {
			hint = fmt.Sprintf("a mapping here is a matcher; to check a nested field write %s.%s: …", key, op)
		}
		d.errorf(n.Content[0], path, hint, "unknown matcher %q", op)
		return Matcher{}, false
	}
	bn := n.Content[1]
	p := child(path, "between")
	if !d.usable(bn, p) {
		return Matcher{}, false
	}
	if bn.Kind != yaml.SequenceNode || len(bn.Content) != 2 {
		d.errorf(bn, p, "write between: [1000, 1400]", "want a list of two numbers, got %s", describeLen(bn))
		return Matcher{}, false
	}
	var b [2]float64
	for i, item := range bn.Content {
		if !d.scalar(item, index(p, i), "a number", "!!int", "!!float") {
			return Matcher{}, false
		}
		v, err := strconv.ParseFloat(item.Value, 64)
		if err != nil {
			if err := item.Decode(&v); err != nil {
				d.errorf(item, index(p, i), "", "number %s out of range", item.Value)
				return Matcher{}, false
			}
		}
		if math.IsNaN(v) {
			d.errorf(item, index(p, i), "", "want a number, got %s", item.Value)
			return Matcher{}, false
		}
		b[i] = v
	}
	if b[0] > b[1] {
		d.errorf(bn, p, fmt.Sprintf("write [%g, %g]", b[1], b[0]), "the bounds are reversed: %g > %g", b[0], b[1])
		return Matcher{}, false
	}
	return Matcher{Between: &b}, true
}

func describeLen(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return fmt.Sprintf("%d items", len(n.Content))
	}
	return describe(n)
}
