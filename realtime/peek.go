package realtime

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors returned by [Peek] and [StringField]. A *SyntaxError matches
// ErrNotJSON with errors.Is.
var (
	ErrNotJSON     = errors.New("not a JSON object")
	ErrMissingType = errors.New(`the "type" field is missing`)
	ErrTypeNotText = errors.New(`the "type" field is not a string`)
)

// Header is what [Peek] reads from the top level of an event.
type Header struct {
	Type    string // the "type" field
	EventID string // the optional "event_id" field, "" when absent or not a string
}

// errStop ends a member walk early.
var errStop = errors.New("stop")

// members walks the members of the top-level object in data with the
// project's one scanner, calling fn with each key's raw contents and its
// value's text. The whole object is checked, nested values included.
func members(data []byte, fn func(key, val []byte) error) error {
	i := SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return &SyntaxError{Offset: i, Msg: "expected '{'"}
	}
	sc := Scanner{B: data}
	end, err := sc.Object(i, func(key []byte, start, end int) error { return fn(key, data[start:end]) })
	if err != nil {
		return err
	}
	if j := SkipSpace(data, end); j != len(data) {
		return errAt(j, "data after the object")
	}
	return nil
}

// Peek reads the top-level "type" and "event_id" of a JSON event without
// decoding anything else (long base64 strings are crossed sixteen bytes at a
// time). The whole object is checked for well-formedness.
//
// A frame that is not a JSON object gives an error matching [ErrNotJSON]; an
// object without "type" one matching [ErrMissingType]; a non-string "type"
// [ErrTypeNotText]. The Header is filled as far as it could be read.
func Peek(data []byte) (Header, error) {
	var h Header
	var haveType, typeNotText bool
	err := members(data, func(key, val []byte) error {
		switch string(key) {
		case "type":
			if val[0] != '"' {
				typeNotText = true
				return nil
			}
			h.Type, haveType = unquote(val[1:len(val)-1]), true
		case "event_id":
			if val[0] == '"' {
				h.EventID = unquote(val[1 : len(val)-1])
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return h, err
	case typeNotText:
		return h, fmt.Errorf("%w", ErrTypeNotText)
	case !haveType:
		return h, fmt.Errorf("%w", ErrMissingType)
	}
	return h, nil
}

// StringField returns the raw contents (between the quotes, escapes not
// processed) of the top-level string field key, and whether it was present as
// a string. Use [Unquote] on the result when it may contain escapes.
func StringField(data []byte, key string) ([]byte, bool, error) {
	var out []byte
	var found bool
	err := members(data, func(k, val []byte) error {
		if string(k) == key && val[0] == '"' {
			out, found = val[1:len(val)-1], true
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, found, nil
}

// Unquote decodes the JSON escapes of raw string contents as returned by
// [StringField]. Contents without a backslash are returned as they are.
func Unquote(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, nil
	}
	return appendUnescaped(make([]byte, 0, len(raw)), raw)
}

// unquote decodes raw string contents for a header field, replacing
// invalid UTF-8 with U+FFFD as encoding/json does.
func unquote(raw []byte) string {
	b, err := Unquote(raw)
	if err != nil {
		b = raw
	}
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out = utf8.AppendRune(out, r)
		b = b[n:]
	}
	return string(out)
}

// Keys returns the top-level member names of a JSON object in document order.
func Keys(data []byte) ([]string, error) {
	var keys []string
	err := members(data, func(key, _ []byte) error {
		keys = append(keys, unquote(key))
		return nil
	})
	return keys, err
}
