package realtime

import (
	"bytes"
	"iter"
	"strconv"
)

// JSONKind is the type of a JSON value.
type JSONKind uint8

// The JSON kinds. The zero JSONKind is no value (a member that is absent).
const (
	JSONNone JSONKind = iota
	JSONNull
	JSONBool
	JSONNumber
	JSONString
	JSONObject
	JSONArray
)

var jsonKindNames = [...]string{"nothing", "null", "a boolean", "a number", "a string", "an object", "an array"}

// String names the kind as the service's error messages do: "a string",
// "an object", …
func (k JSONKind) String() string {
	if int(k) < len(jsonKindNames) {
		return jsonKindNames[k]
	}
	return "a value"
}

// node is one value on a Parser's tape. Values are laid out depth-first:
// the members of an object or the elements of an array follow it, and next
// is the index just past its subtree.
type node struct {
	kind          JSONKind
	start, end    int32 // the value's span in the input
	keyStart, key int32 // an object member's key: the raw contents' span (key is its end); keyStart -1 otherwise
	next          int32
}

// Parser decodes JSON into a tape of nodes in one pass of the [Scanner], so
// that nothing is scanned twice, however deep a caller looks. A Parser is
// reused from one input to the next without allocating once its tape has
// grown; it is not safe for concurrent use, and the [Value]s it returned
// are valid only until its next Parse.
type Parser struct {
	// StrictUTF8 rejects strings that are not valid UTF-8.
	StrictUTF8 bool

	b    []byte
	tape []node
}

// Parse decodes data, which must hold exactly one JSON value (surrounded by
// whitespace at most), and returns it. Errors are *SyntaxError.
func (p *Parser) Parse(data []byte) (Value, error) {
	p.b, p.tape = data, p.tape[:0]
	sc := Scanner{B: data, StrictUTF8: p.StrictUTF8}
	i := SkipSpace(data, 0)
	end, err := sc.value(i, 0, p)
	if err != nil {
		return Value{}, err
	}
	if j := SkipSpace(data, end); j != len(data) {
		return Value{}, errAt(j, "data after the value")
	}
	return Value{p: p, i: 0}, nil
}

// Detach returns a copy of the parser's current tape in a new Parser, so
// that the values of one input outlive the next Parse. Values from the
// original must be re-rooted with [Value.In].
func (p *Parser) Detach() *Parser {
	return &Parser{StrictUTF8: p.StrictUTF8, b: p.b, tape: append([]node(nil), p.tape...)}
}

func keySpan(p *Parser, key []byte) (int32, int32) {
	if key == nil {
		return -1, -1
	}
	// key is a subslice of p.b: find its offset by pointer arithmetic on
	// the shared backing array.
	off := cap(p.b) - cap(key)
	return int32(off), int32(off + len(key))
}

func (p *Parser) open(kind JSONKind, start int, key []byte) int {
	ks, ke := keySpan(p, key)
	p.tape = append(p.tape, node{kind: kind, start: int32(start), keyStart: ks, key: ke})
	return len(p.tape) - 1
}

func (p *Parser) close(n, end int) {
	p.tape[n].end = int32(end)
	p.tape[n].next = int32(len(p.tape))
}

func (p *Parser) leaf(kind JSONKind, start, end int, key []byte) {
	ks, ke := keySpan(p, key)
	p.tape = append(p.tape, node{kind: kind, start: int32(start), end: int32(end), keyStart: ks, key: ke, next: int32(len(p.tape) + 1)})
}

// Value is a JSON value decoded by a [Parser]. The zero Value is absent
// (Kind JSONNone): looking up a member that is not there gives it, so
// lookups chain without checks.
type Value struct {
	p *Parser
	i int32
}

func (v Value) node() *node { return &v.p.tape[v.i] }

// Kind is the value's JSON type; JSONNone for an absent value.
func (v Value) Kind() JSONKind {
	if v.p == nil {
		return JSONNone
	}
	return v.node().kind
}

// Exists reports whether the value is present (null counts as present).
func (v Value) Exists() bool { return v.p != nil }

// IsNull reports whether the value is JSON null.
func (v Value) IsNull() bool { return v.Kind() == JSONNull }

// Raw returns the value's JSON text, nil when absent.
func (v Value) Raw() []byte {
	if v.p == nil {
		return nil
	}
	n := v.node()
	return v.p.b[n.start:n.end:n.end]
}

// Offset is the byte offset of the value in the parsed input.
func (v Value) Offset() int {
	if v.p == nil {
		return 0
	}
	return int(v.node().start)
}

// In returns the value at the same place in q, a [Parser.Detach] copy of
// v's parser.
func (v Value) In(q *Parser) Value {
	if v.p == nil {
		return v
	}
	return Value{p: q, i: v.i}
}

// RawString returns the contents of a string value between its quotes,
// escapes not decoded, and whether it is a string.
func (v Value) RawString() ([]byte, bool) {
	if v.Kind() != JSONString {
		return nil, false
	}
	n := v.node()
	return v.p.b[n.start+1 : n.end-1 : n.end-1], true
}

// Bytes returns a string value's decoded contents: its raw contents when
// they hold no escape (no copy), a fresh slice otherwise.
func (v Value) Bytes() ([]byte, bool) {
	raw, ok := v.RawString()
	if !ok {
		return nil, false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	out, err := appendUnescaped(make([]byte, 0, len(raw)), raw)
	return out, err == nil
}

// Str returns a string value decoded, and whether it is a string.
func (v Value) Str() (string, bool) {
	b, ok := v.Bytes()
	if !ok {
		return "", false
	}
	return string(b), true
}

// Float returns a number value, and whether it is a number.
func (v Value) Float() (float64, bool) {
	if v.Kind() != JSONNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v.Raw()), 64)
	return f, err == nil
}

// Int returns a number value that is a whole number (2 and 2.0 alike), and
// whether it is one.
func (v Value) Int() (int64, bool) {
	f, ok := v.Float()
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// Bool returns a boolean value, and whether it is one.
func (v Value) Bool() (bool, bool) {
	if v.Kind() != JSONBool {
		return false, false
	}
	return v.p.b[v.node().start] == 't', true
}

// Key returns the raw contents of the member name under which v sits in
// its object (escapes not decoded), or nil.
func (v Value) Key() []byte {
	if v.p == nil {
		return nil
	}
	n := v.node()
	if n.keyStart < 0 {
		return nil
	}
	return v.p.b[n.keyStart:n.key:n.key]
}

// KeyString returns the member name of v decoded.
func (v Value) KeyString() string {
	k := v.Key()
	if bytes.IndexByte(k, '\\') < 0 {
		return string(k)
	}
	out, _ := appendUnescaped(nil, k)
	return string(out)
}

// children yields the members of an object or the elements of an array.
func (v Value) children() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		k := v.Kind()
		if k != JSONObject && k != JSONArray {
			return
		}
		end := v.node().next
		for i := v.i + 1; i < end; i = v.p.tape[i].next {
			if !yield(Value{p: v.p, i: i}) {
				return
			}
		}
	}
}

// Members yields the members of an object in document order; Key and
// KeyString of each tell its name.
func (v Value) Members() iter.Seq[Value] {
	if v.Kind() != JSONObject {
		return func(func(Value) bool) {}
	}
	return v.children()
}

// Elems yields the elements of an array in order.
func (v Value) Elems() iter.Seq[Value] {
	if v.Kind() != JSONArray {
		return func(func(Value) bool) {}
	}
	return v.children()
}

// Len is the number of members of an object or elements of an array.
func (v Value) Len() int {
	n := 0
	for range v.children() {
		n++
	}
	return n
}

// Get returns the member key of an object (the last one when a name
// repeats, as encoding/json keeps), or an absent Value.
func (v Value) Get(key string) Value {
	var found Value
	for m := range v.Members() {
		if keyEquals(m.Key(), key) {
			found = m
		}
	}
	return found
}

// keyEquals compares a raw member name with a plain one.
func keyEquals(raw []byte, key string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == key
	}
	out, err := appendUnescaped(nil, raw)
	return err == nil && string(out) == key
}

// Path returns the value at a path of member names, or an absent Value.
func (v Value) Path(keys ...string) Value {
	for _, k := range keys {
		v = v.Get(k)
	}
	return v
}
