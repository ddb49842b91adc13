package realtime

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the project's one JSON scanner. Every frame rtmock reads,
// records or judges goes through it once: the mock decodes client events
// with it ([Parser]), the cassette format checks and reads lines with it,
// and [Peek] classifies frames with it. It exists because encoding/json
// runs at about 200 MB/s and realtime events are mostly one long base64
// string, which the scanner crosses sixteen bytes at a time.

// maxDepth bounds nesting, like encoding/json.
const maxDepth = 10000

// SyntaxError is malformed JSON, with the byte offset of the problem.
type SyntaxError struct {
	Offset int
	Msg    string
	// BadUTF8 is set when the problem is a string that is not valid UTF-8
	// (found only by scanners in strict mode).
	BadUTF8 bool
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg) }

// Unwrap lets errors.Is(err, ErrNotJSON) match every syntax error.
func (e *SyntaxError) Unwrap() error { return ErrNotJSON }

func errAt(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Scanner scans the JSON in B. The zero options accept what encoding/json
// accepts.
type Scanner struct {
	B []byte
	// OneLine makes line breaks no whitespace (inside strings they are never
	// allowed), so that a successful scan proves the text fits on one line.
	OneLine bool
	// StrictUTF8 rejects strings that are not valid UTF-8, as a WebSocket
	// text frame must be (RFC 6455 §8.1); encoding/json lets them through.
	StrictUTF8 bool
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special is nonzero when a byte of v may end a plain run in a string: a
// quote, a backslash or a control character. Space and '!' (below '"')
// are caught too, which costs a detour through the byte loop but saves an
// operation on the long base64 runs that make up most events.
func special(v uint64) uint64 { return hasLess(v, '"'+1) | hasByte(v, '\\') }

// hasByte is nonzero when a byte of v equals c (exact, no false positives
// below the first match; possibly above it, which callers tolerate).
func hasByte(v uint64, c byte) uint64 {
	x := v ^ (lsb * uint64(c))
	return (x - lsb) &^ x & msb
}

// hasLess is nonzero when a byte of v is below n (n <= 128).
func hasLess(v uint64, n byte) uint64 {
	return (v - lsb*uint64(n)) &^ v & msb
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first byte at or after i in b that is
// not JSON whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func (sc *Scanner) skipSpace(i int) int {
	if !sc.OneLine {
		return SkipSpace(sc.B, i)
	}
	for i < len(sc.B) && (sc.B[i] == ' ' || sc.B[i] == '\t') {
		i++
	}
	return i
}

// Value returns the index just past the JSON value starting at B[i].
func (sc *Scanner) Value(i int) (int, error) { return sc.value(i, 0, nil) }

// tapeWriter receives the structure of what a scanner reads; nil when only
// validating.
type tapeWriter interface {
	open(kind JSONKind, start int, key []byte) int
	leaf(kind JSONKind, start, end int, key []byte)
	close(n, end int)
}

func (sc *Scanner) value(i, depth int, tw tapeWriter) (int, error) {
	return sc.member(i, depth, tw, nil)
}

// member scans the value at B[i], telling tw about it under key.
func (sc *Scanner) member(i, depth int, tw tapeWriter, key []byte) (int, error) {
	b := sc.B
	if i >= len(b) {
		return i, errAt(i, "unexpected end of input, expected a value")
	}
	var kind JSONKind
	var end int
	var err error
	switch c := b[i]; {
	case c == '"':
		kind = JSONString
		end, err = sc.scanString(i)
	case c == '{':
		return sc.object(i, depth+1, tw, key, nil)
	case c == '[':
		return sc.array(i, depth+1, tw, key)
	case c == '-' || (c >= '0' && c <= '9'):
		kind = JSONNumber
		end, err = scanNumber(b, i)
	case c == 't':
		kind = JSONBool
		end, err = scanLiteral(b, i, "true")
	case c == 'f':
		kind = JSONBool
		end, err = scanLiteral(b, i, "false")
	case c == 'n':
		kind = JSONNull
		end, err = scanLiteral(b, i, "null")
	default:
		return i, errAt(i, "invalid character %q looking for a value", c)
	}
	if err == nil && tw != nil {
		tw.leaf(kind, i, end, key)
	}
	return end, err
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errAt(i, "invalid literal, expected %s", lit)
	}
	return i + len(lit), nil
}

// scanString returns the index just past the string whose opening quote is
// at B[i].
func (sc *Scanner) scanString(i int) (int, error) {
	b := sc.B
	start := i
	i++
	for {
		i = plainRun(b, i, sc.StrictUTF8)
		if i >= len(b) {
			return i, errAt(start, "unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			n, err := escapeLen(b, i, start)
			if err != nil {
				return i, err
			}
			i += n
		case c < 0x20:
			return i, errAt(i, "control character %q in string", c)
		case c >= utf8.RuneSelf && sc.StrictUTF8:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				return i, &SyntaxError{Offset: i, Msg: "invalid UTF-8 in string", BadUTF8: true}
			}
			i += n
		default:
			i++
		}
	}
}

// plainRun skips the bytes from i that need no attention, sixteen or eight
// at a time; in strict mode bytes above ASCII need attention.
func plainRun(b []byte, i int, strict bool) int {
	var hi uint64
	if strict {
		hi = msb
	}
	for i+16 <= len(b) {
		v := binary.LittleEndian.Uint64(b[i:])
		w := binary.LittleEndian.Uint64(b[i+8:])
		if special(v)|special(w)|(v|w)&hi != 0 {
			break
		}
		i += 16
	}
	for i+8 <= len(b) {
		v := binary.LittleEndian.Uint64(b[i:])
		if special(v)|v&hi != 0 {
			break
		}
		i += 8
	}
	return i
}

// escapeLen returns the length of the escape sequence at b[i].
func escapeLen(b []byte, i, start int) (int, error) {
	if i+1 >= len(b) {
		return 0, errAt(start, "unterminated string")
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		if len(b)-i < 6 || !isHex4(b[i+2:i+6]) {
			return 0, errAt(i, `invalid \u escape`)
		}
		return 6, nil
	}
	return 0, errAt(i, "invalid escape %q in string", b[i+1])
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func scanNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return i, errAt(start, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return i, errAt(start, "invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return i, errAt(start, "invalid number")
		}
	}
	return i, nil
}

func (sc *Scanner) array(i, depth int, tw tapeWriter, key []byte) (int, error) {
	b := sc.B
	if depth > maxDepth {
		return i, errAt(i, "nested too deeply")
	}
	n := -1
	if tw != nil {
		n = tw.open(JSONArray, i, key)
	}
	i = sc.skipSpace(i + 1)
	if i < len(b) && b[i] == ']' {
		if tw != nil {
			tw.close(n, i+1)
		}
		return i + 1, nil
	}
	for {
		end, err := sc.member(i, depth, tw, nil)
		if err != nil {
			return end, err
		}
		i = sc.skipSpace(end)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of input in array")
		}
		switch b[i] {
		case ',':
			i = sc.skipSpace(i + 1)
		case ']':
			if tw != nil {
				tw.close(n, i+1)
			}
			return i + 1, nil
		default:
			return i, errAt(i, "invalid character %q after array element", b[i])
		}
	}
}

// Object returns the index just past the object starting at B[i], calling
// member (when not nil) with each key's raw contents and the span of its
// value. An error from member stops the scan and is returned as it is.
func (sc *Scanner) Object(i int, member func(key []byte, start, end int) error) (int, error) {
	return sc.object(i, 1, nil, nil, member)
}

func (sc *Scanner) object(i, depth int, tw tapeWriter, key []byte, member func(key []byte, start, end int) error) (int, error) {
	b := sc.B
	if depth > maxDepth {
		return i, errAt(i, "nested too deeply")
	}
	n := -1
	if tw != nil {
		n = tw.open(JSONObject, i, key)
	}
	i = sc.skipSpace(i + 1)
	if i < len(b) && b[i] == '}' {
		if tw != nil {
			tw.close(n, i+1)
		}
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(i, "expected a member name")
		}
		kend, err := sc.scanString(i)
		if err != nil {
			return kend, err
		}
		k := b[i+1 : kend-1]
		i = sc.skipSpace(kend)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(i, "expected ':' after member name")
		}
		vstart := sc.skipSpace(i + 1)
		vend, err := sc.member(vstart, depth, tw, k)
		if err != nil {
			return vend, err
		}
		if member != nil {
			if err := member(k, vstart, vend); err != nil {
				return vstart, err
			}
		}
		i = sc.skipSpace(vend)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of input in object")
		}
		switch b[i] {
		case ',':
			i = sc.skipSpace(i + 1)
		case '}':
			if tw != nil {
				tw.close(n, i+1)
			}
			return i + 1, nil
		default:
			return i, errAt(i, "invalid character %q after object member", b[i])
		}
	}
}

// ValidLine reports whether b is exactly one JSON value (surrounding spaces
// and tabs allowed) with no line break anywhere, that is whether it can be
// embedded verbatim in a JSONL line.
func ValidLine(b []byte) bool {
	sc := Scanner{B: b, OneLine: true}
	end, err := sc.Value(sc.skipSpace(0))
	return err == nil && sc.skipSpace(end) == len(b)
}

var errNotString = errAt(0, "not a JSON string")

// AppendUnquoted appends the contents of the JSON string literal s
// (including its quotes, already scanned) to dst with escapes decoded.
// Bytes that are not escapes are copied as they are, so text that is not
// valid UTF-8 survives a round trip.
func AppendUnquoted(dst, s []byte) ([]byte, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return dst, errNotString
	}
	return appendUnescaped(dst, s[1:len(s)-1])
}

func appendUnescaped(dst, s []byte) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return dst, errNotString
		}
		e := s[i+1]
		if e == 'u' {
			var n int
			var ok bool
			if dst, n, ok = appendUnicodeEscape(dst, s[i:]); !ok {
				return dst, errNotString
			}
			i += n
			continue
		}
		r, ok := simpleEscapes[e]
		if !ok {
			return dst, errNotString
		}
		dst = append(dst, r)
		i += 2
	}
	return dst, nil
}

var simpleEscapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// appendUnicodeEscape decodes the \uXXXX escape (and its low surrogate) at
// the start of s, returning how many bytes it took.
func appendUnicodeEscape(dst, s []byte) ([]byte, int, bool) {
	r, ok := hex4(s[2:])
	if !ok {
		return dst, 0, false
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := lowSurrogate(s[6:]); ok {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return utf8.AppendRune(dst, dec), 12, true
			}
		}
		r = utf8.RuneError
	}
	return utf8.AppendRune(dst, r), 6, true
}

func lowSurrogate(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	return hex4(s[2:])
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
