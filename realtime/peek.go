package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors returned by [Peek] and [StringField]. They wrap into a *SyntaxError
// that tells the byte offset.
var (
	ErrNotJSON     = errors.New("not a JSON object")
	ErrMissingType = errors.New(`the "type" field is missing`)
	ErrTypeNotText = errors.New(`the "type" field is not a string`)
)

// SyntaxError is a malformed frame, with the byte offset of the problem.
type SyntaxError struct {
	Offset int
	Err    error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("byte %d: %v", e.Offset, e.Err) }
func (e *SyntaxError) Unwrap() error { return e.Err }

// Header is what [Peek] reads from the top level of an event.
type Header struct {
	Type    string // the "type" field
	EventID string // the optional "event_id" field, "" when absent or not a string
}

// Peek reads the top-level "type" and "event_id" of a JSON event without
// decoding anything else: long string values (base64 audio) are skipped with
// a byte search, so classifying an append of several kilobytes costs well
// under a microsecond per kilobyte. Nested values are skipped by bracket
// matching; Peek checks the framing of the object, not every nested value.
//
// A frame that is not a JSON object gives an error wrapping [ErrNotJSON]; an
// object without "type" one wrapping [ErrMissingType]; a non-string "type"
// [ErrTypeNotText]. The Header is filled as far as it could be read.
func Peek(data []byte) (Header, error) {
	var h Header
	var haveType, typeNotText bool
	err := scanObject(data, func(key []byte, val []byte, isString bool) bool {
		switch string(key) {
		case "type":
			if !isString {
				typeNotText = true
				return true
			}
			h.Type, haveType = unquote(val), true
		case "event_id":
			if isString {
				h.EventID = unquote(val)
			}
		}
		return true
	})
	switch {
	case err != nil:
		return h, err
	case typeNotText:
		return h, &SyntaxError{0, ErrTypeNotText}
	case !haveType:
		return h, &SyntaxError{0, ErrMissingType}
	}
	return h, nil
}

// StringField returns the raw contents (between the quotes, escapes not
// processed) of the top-level string field key, and whether it was present as
// a string. Use [Unquote] on the result when it may contain escapes.
func StringField(data []byte, key string) ([]byte, bool, error) {
	var out []byte
	var found bool
	err := scanObject(data, func(k []byte, val []byte, isString bool) bool {
		if string(k) == key && isString {
			out, found = val, true
		}
		return true
	})
	if err != nil {
		return nil, false, err
	}
	return out, found, nil
}

// Unquote decodes the JSON escapes of raw string contents as returned by
// [StringField], replacing invalid UTF-8 with U+FFFD as encoding/json does.
// Valid contents without a backslash are returned as they are.
func Unquote(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return raw, nil
	}
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

func unquote(raw []byte) string {
	b, err := Unquote(raw)
	if err != nil {
		return string(raw)
	}
	return string(b)
}

var errStop = errors.New("stop")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// scanObject walks the members of the top-level object in data, calling fn
// with each key, the value's bytes (string contents without quotes when
// isString) and whether the value is a string. fn returning false stops the
// walk with errStop.
func scanObject(data []byte, fn func(key, val []byte, isString bool) bool) error {
	bad := func(i int, format string, args ...any) error {
		return &SyntaxError{i, fmt.Errorf("%w: "+format, append([]any{ErrNotJSON}, args...)...)}
	}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return bad(i, "expected '{'")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return bad(i, "expected a member name")
		}
		end, ok := stringEnd(data, i+1)
		if !ok {
			return bad(i, "unterminated string")
		}
		key := data[i+1 : end]
		if bytes.IndexByte(key, '\\') >= 0 {
			if k, err := Unquote(key); err == nil {
				key = k
			}
		}
		i = skipSpace(data, end+1)
		if i >= len(data) || data[i] != ':' {
			return bad(i, "expected ':'")
		}
		i = skipSpace(data, i+1)
		if i >= len(data) {
			return bad(i, "expected a value")
		}
		if data[i] == '"' {
			end, ok := stringEnd(data, i+1)
			if !ok {
				return bad(i, "unterminated string")
			}
			if !fn(key, data[i+1:end], true) {
				return errStop
			}
			i = end + 1
		} else {
			end, err := skipValue(data, i)
			if err != nil {
				return err
			}
			if !fn(key, data[i:end], false) {
				return errStop
			}
			i = end
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return bad(i, "unexpected end of object")
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return trailing(data, i+1)
		default:
			return bad(i, "expected ',' or '}'")
		}
	}
}

func trailing(data []byte, i int) error {
	i = skipSpace(data, i)
	if i != len(data) {
		return &SyntaxError{i, fmt.Errorf("%w: data after the object", ErrNotJSON)}
	}
	return nil
}

// stringEnd returns the index of the closing quote of the string whose
// contents start at i.
func stringEnd(data []byte, i int) (int, bool) {
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return 0, false
		}
		j += i
		// Count the backslashes before the quote: an odd number escapes it.
		n := 0
		for k := j - 1; k >= i && data[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j, true
		}
		i = j + 1
	}
}

// skipValue returns the index just past the non-string value starting at i.
func skipValue(data []byte, i int) (int, error) {
	start := i
	switch c := data[i]; {
	case c == '{' || c == '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				end, ok := stringEnd(data, i+1)
				if !ok {
					return 0, &SyntaxError{i, fmt.Errorf("%w: unterminated string", ErrNotJSON)}
				}
				i = end
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, &SyntaxError{start, fmt.Errorf("%w: unterminated %c", ErrNotJSON, data[start])}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(data[i:], []byte(lit)) {
				return i + len(lit), nil
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		for i < len(data) && (data[i] == '-' || data[i] == '+' || data[i] == '.' || data[i] == 'e' || data[i] == 'E' || (data[i] >= '0' && data[i] <= '9')) {
			i++
		}
		return i, nil
	}
	return 0, &SyntaxError{i, fmt.Errorf("%w: invalid character %q", ErrNotJSON, data[i])}
}

// Keys returns the top-level member names of a JSON object in document order,
// skipping values by scanning (cheap for large audio strings).
func Keys(data []byte) ([]string, error) {
	var keys []string
	err := scanObject(data, func(key, _ []byte, _ bool) bool {
		keys = append(keys, string(key))
		return true
	})
	return keys, err
}
