package scenarios

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// Parse decodes and validates the scenario in data. name is used in error
// messages and as the scenario's Source, and (without its directory and
// extension) as its Name when the file has no name key.
//
// Decoding is strict: unknown or duplicated keys, values of the wrong type or
// out of range, and scenarios that contradict themselves are errors. The
// error, when not nil, is an [ErrorList] of every problem found, each an
// [*Error] that tells the line and column.
func Parse(name string, data []byte) (*Scenario, error) {
	return parse(name, data, len(data) >= chunkMin, splitMin)
}

// parse is Parse, reading data in pieces (chunk.go) when inPieces is set
// and that works, with lists from split bytes on read an item at a time.
func parse(name string, data []byte, inPieces bool, split int) (*Scenario, error) {
	if inPieces {
		d := newDecoder(name, data)
		if root := d.pieces(data, split); root != nil {
			sc := d.scenario(root)
			d.readRest()
			if !d.abandoned {
				return d.finish(sc)
			}
		}
	}
	d := newDecoder(name, data)
	root := d.parseYAML(data)
	if root == nil {
		return nil, d.result()
	}
	return d.finish(d.scenario(root))
}

func newDecoder(name string, data []byte) *decoder {
	return &decoder{file: name, data: data, lines: countLines(data),
		pos: make(map[string]pos), bad: make(map[string]bool), lazy: make(map[*yaml.Node]*lazyList)}
}

// finish names the scenario and returns it, or the errors found.
func (d *decoder) finish(sc *Scenario) (*Scenario, error) {
	if err := d.result(); err != nil {
		return nil, err
	}
	if sc.Name == "" {
		base := filepath.Base(d.file)
		sc.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	}
	sc.Source = d.file
	return sc, nil
}

// scenario decodes the top-level mapping. The lists of turns and of
// expectations come last, an item at a time: each item is checked as soon
// as it is decoded, against the session, the default reply and the turns
// before it, and the positions recorded inside it are dropped then, so
// that a long file does not keep a position for every value it has.
func (d *decoder) scenario(root *yaml.Node) *Scenario {
	b := bindings[spec.Scenario]
	sc := new(Scenario)
	entries, _ := d.fields(root, "", spec.Scenario)
	var turns, expect *entry
	for i, e := range entries {
		switch e.f.Key {
		case "turns":
			turns = &entries[i]
		case "expect":
			expect = &entries[i]
		default:
			d.apply(b.keys[e.f.Key], sc, e.f, e.v, e.path)
		}
	}
	v := &validator{d: d, sc: sc, firstRepeat: map[Trigger]int{}, firstConnect: -1}
	v.defaultReply()
	if turns != nil {
		d.applyItems(b.keys["turns"], sc, turns, v.turn)
	}
	if expect != nil {
		d.applyItems(b.keys["expect"], sc, expect, v.expectation)
	}
	return sc
}

// applyItems decodes the items of the list e and gives each to set, then
// to check with its index and path, and then forgets the positions inside
// it.
func (d *decoder) applyItems(set setter, dst any, e *entry, check func(i int, path string)) {
	item := &spec.Field{Key: e.f.Key, Val: *e.f.Val.Elem}
	d.scoped = make(map[string]pos)
	defer func() { d.scoped = nil }()
	d.list(e.f, e.v, e.path, func(i int, n *yaml.Node, path string) {
		v, _ := d.value(item, n, path)
		set(slot{d, n, path}, dst, v)
		check(i, path)
		clear(d.scoped)
	})
}

// The decoder walks the YAML nodes of a file along the table of the
// language (scenarios/internal/spec): the table says which keys a mapping
// has and what each accepts, and decoding checks that generically — kinds,
// required and unknown keys, enums, patterns, ranges. The bindings of
// bind.go store each decoded value in the Go types.

// pos is a place in the file.
type pos struct{ line, col int }

// decoder walks the YAML nodes of one file and collects errors.
type decoder struct {
	file  string
	data  []byte
	errs  ErrorList
	lines int             // lines in the file, to clamp parser positions
	pos   map[string]pos  // the position of the value at each decoded path
	bad   map[string]bool // the paths with an error at or inside them

	// scoped, when not nil, holds the positions inside the list item being
	// decoded instead of pos.
	scoped map[string]pos
	// lazy holds the lists of a file read in pieces (chunk.go), by their
	// placeholder node; abandoned says a piece did not parse and the file
	// must be read whole.
	lazy      map[*yaml.Node]*lazyList
	abandoned bool
}

func (d *decoder) result() error {
	d.errs.sort()
	if len(d.errs) > maxErrors {
		last := d.errs[maxErrors-1]
		d.errs = append(d.errs[:maxErrors:maxErrors], &Error{File: d.file, Line: last.Line, Column: last.Column, Msg: "too many errors"})
	}
	return d.errs.Err()
}

// keptErrors bounds the errors kept in memory: once twice as many were
// found, only the first keptErrors in file order are kept, of which the
// first maxErrors are reported.
const keptErrors = 10 * maxErrors

func (d *decoder) add(p pos, path, hint, msg string) {
	if p.line < 1 {
		p.line = 1
	}
	if d.lines > 0 && p.line > d.lines {
		// yaml.v3 places an empty document ("---") on the line after the
		// last one; point at the last line instead.
		p.line, p.col = d.lines, 1
	}
	for q := path; ; {
		d.bad[q] = true
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			break
		}
		q = q[:i]
	}
	d.bad[""] = true
	d.errs = append(d.errs, &Error{File: d.file, Line: p.line, Column: p.col, Path: path, Msg: msg, Hint: hint})
	if len(d.errs) >= 2*keptErrors {
		d.errs.sort()
		clear(d.errs[keptErrors:])
		d.errs = d.errs[:keptErrors]
	}
}

func (d *decoder) errorf(n *yaml.Node, path, hint, format string, args ...any) {
	d.add(nodePos(n), path, hint, fmt.Sprintf(format, args...))
}

func nodePos(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// failed reports whether an error was found at path or inside it, so that
// semantic checks skip what is already known to be broken.
func (d *decoder) failed(path string) bool { return d.bad[path] }

// setPos records where the value at path is.
func (d *decoder) setPos(path string, n *yaml.Node) {
	if d.scoped != nil {
		d.scoped[path] = nodePos(n)
		return
	}
	d.pos[path] = nodePos(n)
}

// position returns the recorded position of path.
func (d *decoder) position(path string) (pos, bool) {
	if p, ok := d.scoped[path]; ok {
		return p, true
	}
	p, ok := d.pos[path]
	return p, ok
}

// hasPos reports whether a value was decoded at path.
func (d *decoder) hasPos(path string) bool {
	_, ok := d.position(path)
	return ok
}

// at returns the position of path, or of its closest decoded parent.
func (d *decoder) at(path string) pos {
	for {
		if p, ok := d.position(path); ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			if p, ok := d.pos[""]; ok {
				return p
			}
			return pos{1, 1}
		}
		path = path[:i]
	}
}

// lastKey is the last key of a path: "audio" for "turns[0].reply.audio".
func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	return path
}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// usable reports whether n can be decoded at all: aliases and custom tags are
// errors wherever they appear.
func (d *decoder) usable(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		d.errorf(n, path, "repeat the value instead, or use repeat: true on a turn", "aliases (*%s) are not supported", n.Value)
		return false
	}
	if t := n.Tag; t != "" && !strings.HasPrefix(t, "!!") && !strings.HasPrefix(t, "tag:yaml.org,2002:") {
		d.errorf(n, path, "remove the tag", "unsupported tag %s", t)
		return false
	}
	return true
}

// typeError reports n as not being what the key wants.
func (d *decoder) typeError(n *yaml.Node, path, want, hint string) {
	got := describe(n)
	if hint == "" && isNull(n) {
		hint = "the key has no value; give it one or remove it"
	}
	d.errorf(n, path, hint, "want %s, got %s", want, got)
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// entry is one key of a decoded mapping: its field in the table, its key
// and value nodes, and the path of the value.
type entry struct {
	f    *spec.Field
	k, v *yaml.Node
	path string
}

// objectNode is a mapping being decoded, for the checks of a binding that
// span its keys.
type objectNode struct {
	n       *yaml.Node
	path    string
	ok      bool // n is a mapping
	entries []entry
}

// get returns the value node of key, or nil when the mapping does not have
// it.
func (o *objectNode) get(key string) *yaml.Node {
	for _, e := range o.entries {
		if e.f.Key == key {
			return e.v
		}
	}
	return nil
}

// object decodes the mapping n, an o, into a new value of o's Go type and
// stores each key's value with its binding. It returns the value even when
// n is not a mapping (ok false), empty then, so that the parts around it
// still decode.
func (d *decoder) object(o *spec.Object, n *yaml.Node, path string) (any, bool) {
	b := bindings[o]
	dst := b.make()
	entries, ok := d.fields(n, path, o)
	for _, e := range entries {
		d.apply(b.keys[e.f.Key], dst, e.f, e.v, e.path)
	}
	if b.finish != nil {
		b.finish(d, dst, &objectNode{n: n, path: path, ok: ok, entries: entries})
	}
	return dst, ok
}

// apply decodes the value of one key and gives it to its setter: the whole
// value, or each item of a list. A value that does not decode is not set,
// except a mapping, which is set (empty) whatever n is.
func (d *decoder) apply(set setter, dst any, f *spec.Field, n *yaml.Node, path string) {
	if f.Val.Kind != spec.KList {
		if v, ok := d.value(f, n, path); ok || f.Val.Kind == spec.KObject {
			set(slot{d, n, path}, dst, v)
		}
		return
	}
	item := &spec.Field{Key: cmp.Or(f.Val.Item, f.Key), Val: *f.Val.Elem}
	d.list(f, n, path, func(_ int, n *yaml.Node, path string) {
		if v, ok := d.value(item, n, path); ok || item.Val.Kind == spec.KObject {
			set(slot{d, n, path}, dst, v)
		}
	})
}

// value decodes n as the value of f and reports whether it is valid. The
// Go type of the result follows the kind: string (KString, KEnum,
// KArguments), bool, int64, float64 (KNumber, KFrequency), time.Duration,
// Pace, []time.Duration (KChunks), map[string]any (KJSONObject),
// map[string]Matcher (KMatch), or the pointer an object's binding makes
// (nil for the null of a nullable object).
func (d *decoder) value(f *spec.Field, n *yaml.Node, path string) (any, bool) {
	switch f.Val.Kind {
	case spec.KString:
		return d.str(f, n, path)
	case spec.KEnum:
		return d.enum(f, n, path)
	case spec.KBool:
		return d.boolean(n, path)
	case spec.KInt:
		return d.integer(f, n, path)
	case spec.KNumber:
		return d.number(f, n, path)
	case spec.KDuration:
		return d.duration(f, n, path)
	case spec.KFrequency:
		return d.frequency(f, n, path)
	case spec.KPace:
		return d.pace(n, path)
	case spec.KChunks:
		return d.chunks(f, n, path)
	case spec.KJSONObject:
		return d.jsonObject(n, path)
	case spec.KArguments:
		return d.arguments(n, path)
	case spec.KMatch:
		return d.match(n, path)
	case spec.KObject:
		if f.Val.Nullable && isNull(n) {
			return nil, true
		}
		return d.object(f.Val.Obj, n, path)
	}
	panic(fmt.Sprintf("scenarios: key %s has kind %d, which the decoder does not know", f.Key, f.Val.Kind))
}

// fields checks that n is a mapping of o's keys and returns them in
// document order. It reports unknown, duplicated and missing required
// keys, and returns false when n is not a mapping.
func (d *decoder) fields(n *yaml.Node, path string, o *spec.Object) ([]entry, bool) {
	if !d.usable(n, path) {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping", objectHint(o, lastKey(path), n))
		return nil, false
	}
	entries := make([]entry, 0, len(n.Content)/2)
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
		f := o.Lookup(key)
		if f == nil {
			d.errorf(k, path, unknownKeyHint(o, key), "unknown key %q", key)
			continue
		}
		p := child(path, key)
		d.setPos(p, v)
		entries = append(entries, entry{f: f, k: k, v: v, path: p})
	}
	for i := range o.Fields {
		f := &o.Fields[i]
		if f.Required && seen[f.Key] == nil {
			hint := ""
			if f.Val.Kind == spec.KEnum && len(f.Val.Enum) <= 10 {
				hint = "one of " + quoteList(f.Val.Enum)
			}
			d.errorf(n, path, hint, "missing required key %q", f.Key)
		}
	}
	return entries, true
}

// key reads a mapping key.
func (d *decoder) key(k *yaml.Node, path string) (string, bool) {
	if !d.usable(k, path) {
		return "", false
	}
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "", "want a key name, got %s", describe(k))
		return "", false
	}
	if k.Value == "<<" && k.ShortTag() == "!!merge" {
		d.errorf(k, path, "write the keys out", "merge keys (<<) are not supported")
		return "", false
	}
	return k.Value, true
}

// list calls each for every item of the sequence n.
func (d *decoder) list(f *spec.Field, n *yaml.Node, path string, each func(i int, item *yaml.Node, path string)) {
	if !d.usable(n, path) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			hint = fmt.Sprintf("write [%s]", n.Value)
		} else if n.Kind == yaml.MappingNode {
			hint = "start each item with \"- \""
		}
		d.typeError(n, path, "a list", hint)
		return
	}
	l := d.lazy[n]
	if count := len(n.Content); l == nil && count < f.Val.MinItems {
		d.errorf(n, path, "", "want at least %d item(s), got none", f.Val.MinItems)
		return
	}
	if l != nil {
		i := 0
		d.eachLazy(l, func(item *yaml.Node) bool {
			p := index(path, i)
			d.setPos(p, item)
			each(i, item, p)
			i++
			return true
		})
		return
	}
	for i, item := range n.Content {
		p := index(path, i)
		d.setPos(p, item)
		each(i, item, p)
	}
}
