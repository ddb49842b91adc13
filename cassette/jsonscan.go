package cassette

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small JSON scanner. It exists because every recorded text
// frame must be checked before it is embedded verbatim in a line, and
// encoding/json's checker runs at about 200 MB/s: a 40 KB audio delta would
// cost 200 µs. Realtime events are mostly one long base64 string, which the
// scanner crosses eight bytes at a time.

// maxDepth bounds nesting, like encoding/json.
const maxDepth = 10000

// scanError is a syntax error at byte offset off.
type scanError struct {
	off int
	msg string
}

func (e *scanError) Error() string { return e.msg }

func errAt(off int, format string, args ...any) error {
	return &scanError{off, fmt.Sprintf(format, args...)}
}

// validLine reports whether b is exactly one JSON value (surrounding spaces
// and tabs allowed) with no line break anywhere, that is whether it can be
// embedded verbatim in a cassette line.
func validLine(b []byte) bool {
	sc := scanner{b: b, oneLine: true}
	end, err := sc.value(sc.skipSpace(0), 0)
	return err == nil && sc.skipSpace(end) == len(b)
}

// scanner scans the JSON in b. With oneLine, line breaks are not
// whitespace (inside strings they are never allowed), so a successful
// scan proves the text fits on one line.
type scanner struct {
	b       []byte
	oneLine bool
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

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func (sc *scanner) skipSpace(i int) int {
	if !sc.oneLine {
		return skipSpace(sc.b, i)
	}
	for i < len(sc.b) && (sc.b[i] == ' ' || sc.b[i] == '\t') {
		i++
	}
	return i
}

// value returns the index just past the JSON value starting at b[i].
func (sc *scanner) value(i, depth int) (int, error) {
	b := sc.b
	if i >= len(b) {
		return i, errAt(i, "unexpected end of line, expected a value")
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{':
		return sc.object(i, depth+1, nil)
	case c == '[':
		return sc.array(i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	default:
		return i, errAt(i, "invalid character %q looking for a value", c)
	}
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errAt(i, "invalid literal, expected %s", lit)
	}
	return i + len(lit), nil
}

// scanString returns the index just past the string whose opening quote is
// at b[i].
func scanString(b []byte, i int) (int, error) {
	start := i
	i++
	for {
		for i+16 <= len(b) {
			v := binary.LittleEndian.Uint64(b[i:])
			w := binary.LittleEndian.Uint64(b[i+8:])
			if special(v)|special(w) != 0 {
				break
			}
			i += 16
		}
		for i+8 <= len(b) && special(binary.LittleEndian.Uint64(b[i:])) == 0 {
			i += 8
		}
		if i >= len(b) {
			return i, errAt(start, "unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, errAt(start, "unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex4(b[i+2:i+6]) {
					return i, errAt(i, `invalid \u escape`)
				}
				i += 6
			default:
				return i, errAt(i, "invalid escape %q in string", b[i+1])
			}
		case c < 0x20:
			return i, errAt(i, "control character %q in string", c)
		default:
			i++
		}
	}
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

func (sc *scanner) array(i, depth int) (int, error) {
	b := sc.b
	if depth > maxDepth {
		return i, errAt(i, "nested too deeply")
	}
	i = sc.skipSpace(i + 1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := sc.value(i, depth)
		if err != nil {
			return end, err
		}
		i = sc.skipSpace(end)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of line in array")
		}
		switch b[i] {
		case ',':
			i = sc.skipSpace(i + 1)
		case ']':
			return i + 1, nil
		default:
			return i, errAt(i, "invalid character %q after array element", b[i])
		}
	}
}

// object returns the index just past the object starting at b[i],
// calling member (when not nil) with each key's raw contents and the span of
// its value. An error from member stops the scan and is returned as is.
func (sc *scanner) object(i, depth int, member func(key []byte, start, end int) error) (int, error) {
	b := sc.b
	if depth > maxDepth {
		return i, errAt(i, "nested too deeply")
	}
	i = sc.skipSpace(i + 1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(i, "expected a member name")
		}
		kend, err := scanString(b, i)
		if err != nil {
			return kend, err
		}
		key := b[i+1 : kend-1]
		i = sc.skipSpace(kend)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(i, "expected ':' after member name")
		}
		vstart := sc.skipSpace(i + 1)
		vend, err := sc.value(vstart, depth)
		if err != nil {
			return vend, err
		}
		if member != nil {
			if err := member(key, vstart, vend); err != nil {
				return vstart, err
			}
		}
		i = sc.skipSpace(vend)
		if i >= len(b) {
			return i, errAt(i, "unexpected end of line in object")
		}
		switch b[i] {
		case ',':
			i = sc.skipSpace(i + 1)
		case '}':
			return i + 1, nil
		default:
			return i, errAt(i, "invalid character %q after object member", b[i])
		}
	}
}

var errNotString = errors.New("not a string")

// appendUnquoted appends the contents of the JSON string literal s
// (including its quotes, already scanned) to dst with escapes decoded.
// Bytes that are not escapes are copied as they are, so text that is not
// valid UTF-8 survives a round trip.
func appendUnquoted(dst, s []byte) ([]byte, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return dst, errNotString
	}
	s = s[1 : len(s)-1]
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
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				return dst, errNotString
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := lowSurrogate(s[i:]); ok {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, errNotString
		}
		i += 2
	}
	return dst, nil
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
