package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rtmock/rtmock/faults"
	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/realtime"
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
	d := &decoder{file: name, pos: make(map[string]pos), bad: make(map[string]bool)}
	root := d.parseYAML(data)
	if root == nil {
		return nil, d.result()
	}
	sc := d.scenario(root)
	if sc.Name == "" && !d.failed("name") {
		base := filepath.Base(name)
		sc.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	}
	sc.Source = name
	d.validate(sc)
	if err := d.result(); err != nil {
		return nil, err
	}
	return sc, nil
}

// pos is a place in the file.
type pos struct{ line, col int }

// decoder walks the YAML nodes of one file and collects errors.
type decoder struct {
	file  string
	errs  ErrorList
	lines int             // lines in the file, to clamp parser positions
	pos   map[string]pos  // the position of the value at each decoded path
	bad   map[string]bool // the paths with an error at or inside them
}

func (d *decoder) result() error {
	d.errs.sort()
	if len(d.errs) > maxErrors {
		last := d.errs[maxErrors-1]
		d.errs = append(d.errs[:maxErrors:maxErrors], &Error{File: d.file, Line: last.Line, Column: last.Column, Msg: "too many errors"})
	}
	return d.errs.Err()
}

// keptErrors bounds the errors kept in memory; the first maxErrors of them
// in file order are reported.
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
	if len(d.errs) < keptErrors {
		d.errs = append(d.errs, &Error{File: d.file, Line: p.line, Column: p.col, Path: path, Msg: msg, Hint: hint})
	}
}

func (d *decoder) errorf(n *yaml.Node, path, hint, format string, args ...any) {
	d.add(nodePos(n), path, hint, fmt.Sprintf(format, args...))
}

func nodePos(n *yaml.Node) pos { return pos{n.Line, n.Column} }

// failed reports whether an error was found at path or inside it, so that
// semantic checks skip what is already known to be broken.
func (d *decoder) failed(path string) bool { return d.bad[path] }

// at returns the position of path, or of its closest decoded parent.
func (d *decoder) at(path string) pos {
	for {
		if p, ok := d.pos[path]; ok {
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

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses data into its single document's root node, or records
// why it cannot.
func (d *decoder) parseYAML(data []byte) (root *yaml.Node) {
	d.lines = countLines(data)
	defer func() {
		if r := recover(); r != nil {
			d.add(pos{1, 0}, "", "", fmt.Sprintf("invalid YAML: the parser failed: %v", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(pos{1, 1}, "", "a scenario has at least a name or turns", "empty file")
		} else {
			d.yamlError(err, data)
		}
		return nil
	}
	if len(doc.Content) == 0 {
		d.add(pos{1, 1}, "", "a scenario has at least a name or turns", "empty file")
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil && emptyDocument(&extra):
	case err == nil:
		d.add(pos{max(extra.Line, 1), 1}, "", "put each scenario in its own file", "a second YAML document")
	case !errors.Is(err, io.EOF):
		d.yamlError(err, data)
	}
	root = doc.Content[0]
	d.pos[""] = nodePos(root)
	return root
}

// emptyDocument reports whether doc holds nothing, as after a trailing "---".
func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Value == ""
}

// yamlError turns a yaml.v3 parser error into an Error with a line.
func (d *decoder) yamlError(err error, data []byte) {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
		line = locateProblem(data)
	}
	line = min(max(line, 1), d.lines)
	hint := ""
	switch {
	case strings.Contains(msg, "cannot start any token") && lineHasTab(data, line):
		hint = "indent with spaces, not tabs"
	case strings.Contains(msg, "mapping values are not allowed"):
		hint = `quote values that contain ": "`
	case strings.Contains(msg, "did not find expected key"):
		hint = "check the indentation of this line and the ones before it"
	}
	d.add(pos{line, 0}, "", hint, "invalid YAML: "+msg)
}

// countLines counts lines as YAML does: "\n", "\r\n", "\r" and the Unicode
// line breaks NEL, LS and PS each end a line.
func countLines(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			n++
		case data[i] == '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			n++
		case data[i] == 0xc2 && i+1 < len(data) && data[i+1] == 0x85:
			n++
			i++
		case data[i] == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9):
			n++
			i += 2
		}
	}
	return n
}

// locateProblem finds the line of the first byte yaml.v3 rejects without
// saying where: invalid UTF-8 or a control character.
func locateProblem(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return countLines(data[:i])
		}
		i += size
	}
	return 1
}

func lineHasTab(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	return line >= 1 && line <= len(lines) && bytes.ContainsRune(lines[line-1], '\t')
}

// describe names the kind of a node for type errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!timestamp":
		return "a date"
	case "!!binary":
		return "binary data"
	}
	return "a value tagged " + n.Tag
}

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
	if hint == "" && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		hint = "the key has no value; give it one or remove it"
	}
	d.errorf(n, path, hint, "want %s, got %s", want, got)
}

// object checks that n is a mapping of o's keys and calls set for each
// known key in document order. It reports unknown, duplicated and missing
// required keys. It returns false when n is not a mapping.
func (d *decoder) object(n *yaml.Node, path string, o *object, set func(f *field, v *yaml.Node, path string)) bool {
	if !d.usable(n, path) {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping", objectHint(o, lastKey(path), n))
		return false
	}
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
		f := o.lookup(key)
		if f == nil {
			d.errorf(k, path, unknownKeyHint(o, key), "unknown key %q", key)
			continue
		}
		p := child(path, key)
		d.pos[p] = nodePos(v)
		set(f, v, p)
	}
	for _, f := range o.fields {
		if f.required && seen[f.key] == nil {
			hint := ""
			if f.val.kind == kEnum && len(f.val.enum) <= 10 {
				hint = "one of " + quoteList(f.val.enum)
			}
			d.errorf(n, path, hint, "missing required key %q", f.key)
		}
	}
	return true
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

// unknownKeyHint suggests a key of o, or names the mapping the key belongs in.
func unknownKeyHint(o *object, key string) string {
	if h := didYouMean(key, o.keys()); h != "" {
		return h
	}
	var homes []string
	for _, other := range objects {
		if other != o && other.lookup(key) != nil {
			homes = append(homes, other.where)
		}
	}
	switch {
	case len(homes) == 1 && homes[0] == "":
		return fmt.Sprintf("%q is a top-level key", key)
	case len(homes) > 0:
		return fmt.Sprintf("%q is a key of %s", key, quoteList(homes))
	}
	return "known keys: " + strings.Join(o.keys(), ", ")
}

// objectHint explains how to write a mapping that was given as a scalar.
func objectHint(o *object, key string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	switch o {
	case audioSpec:
		if _, msg, _ := parseDuration(n.Value); msg == "" {
			return fmt.Sprintf("write %s: {duration: %s}", key, n.Value)
		}
	case turnDetectionSpec:
		if n.Value == "none" {
			return fmt.Sprintf("write %s: null, or {type: none}", key)
		}
		return fmt.Sprintf("write %s: {type: %s}", key, n.Value)
	case transcriptionSpec:
		return fmt.Sprintf("write %s: {model: %s}", key, n.Value)
	case replySpec:
		return fmt.Sprintf("write %s: {transcript: %s}, or {text: …}", key, strconv.Quote(n.Value))
	case userSpec:
		return fmt.Sprintf("write %s: {transcript: %s}", key, strconv.Quote(n.Value))
	case functionCallSpec:
		return fmt.Sprintf("write %s: {name: %s}", key, n.Value)
	case interruptSpec:
		return fmt.Sprintf("write %s: {after_played: %s}", key, n.Value)
	case faultSpec:
		return fmt.Sprintf("write %s: {close: %s}", key, n.Value)
	}
	return ""
}

// list calls each for every item of the sequence n.
func (d *decoder) list(f *field, n *yaml.Node, path string, each func(i int, item *yaml.Node, path string)) {
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
	if len(n.Content) < f.val.minItems {
		d.errorf(n, path, "", "want at least %d item(s), got none", f.val.minItems)
		return
	}
	for i, item := range n.Content {
		p := index(path, i)
		d.pos[p] = nodePos(item)
		each(i, item, p)
	}
}

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

func (d *decoder) str(f *field, n *yaml.Node, path string) string {
	if !d.scalar(n, path, "a string", "!!str") {
		return ""
	}
	if f.val.pattern != "" && !patterns[f.val.pattern].MatchString(n.Value) {
		d.errorf(n, path, patternHint(f.val.pattern), "%q is not a valid %s", n.Value, f.key)
		return ""
	}
	return n.Value
}

func patternHint(p string) string {
	switch p {
	case patName:
		return "use letters, digits, '.', '_' and '-', starting with a letter or digit"
	case patToolName:
		return "use letters, digits, '_' and '-', at most 64"
	case patPath:
		return "write a dotted path such as item.content.0.type"
	}
	return ""
}

// valueHints suggest the right value for common mistakes, per key.
var valueHints = map[string]map[string]string{
	"when": {
		"conversation.item.create":          "item.create",
		"input_audio_buffer.commit":         "commit",
		"input_audio_buffer.committed":      "commit",
		"input_audio_buffer.speech_started": "user_speech",
		"input_audio_buffer.speech_stopped": "user_speech",
		"speech":                            "user_speech",
		"vad":                               "user_speech",
		"session.created":                   "connect",
		"response.created":                  "response.create",
	},
	"transcription": {"complete": "completed", "fail": "failed", "true": "completed", "false": "failed"},
	"type":          {"server": "server_vad", "semantic": "semantic_vad", "null": "none", "manual": "none"},
}

func (d *decoder) enum(f *field, n *yaml.Node, path string) string {
	if !d.scalar(n, path, "a string", "!!str", "!!int", "!!float", "!!bool") {
		return ""
	}
	if slices.Contains(f.val.enum, n.Value) {
		return n.Value
	}
	msg, hint := enumError(f, n.Value)
	d.errorf(n, path, hint, "%s", msg)
	return ""
}

// enumError words an unknown value of an enum key.
func enumError(f *field, v string) (msg, hint string) {
	msg = fmt.Sprintf("unknown %s %q", f.key, v)
	switch f.key {
	case "after", "until":
		msg = fmt.Sprintf("unknown server event type %q", v)
		if slices.Contains(clientEventNames, v) {
			msg = fmt.Sprintf("%q is a client event; %s names a server event", v, f.key)
		}
	case "client", "before":
		msg = fmt.Sprintf("unknown client event type %q", v)
		if slices.Contains(serverEventNames, v) {
			msg = fmt.Sprintf("%q is a server event; %s names a client event", v, f.key)
			if f.key == "client" {
				return msg, "to start the clock at it, write after: " + v
			}
			return msg, "to end the window at it, write until: " + v
		}
	}
	if s, ok := valueHints[f.key][v]; ok {
		return msg, fmt.Sprintf("did you mean %q?", s)
	}
	if h := didYouMean(v, f.val.enum); h != "" {
		return msg, h
	}
	if len(f.val.enum) <= 10 {
		return msg, "one of " + quoteList(f.val.enum)
	}
	return msg, ""
}

func (d *decoder) boolean(f *field, n *yaml.Node, path string) bool {
	if !d.usable(n, path) {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
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
	return false
}

func (d *decoder) integer(f *field, n *yaml.Node, path string) (int64, bool) {
	if !d.usable(n, path) {
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && isNumber(strings.TrimLeft(n.Value, "+-")) && !strings.Contains(n.Value, ".") {
		d.errorf(n, path, "", "integer %s out of range", n.Value)
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		hint := ""
		if strings.HasSuffix(f.key, "_ms") && n.Kind == yaml.ScalarNode {
			if dur, msg, _ := parseDuration(n.Value); msg == "" {
				hint = fmt.Sprintf("%s counts milliseconds: write %d", f.key, dur.Milliseconds())
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

func (d *decoder) number(f *field, n *yaml.Node, path string) (float64, bool) {
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
func (d *decoder) inRange(f *field, n *yaml.Node, path string, v float64, shown string) bool {
	vs := f.val
	if vs.kind == kList && vs.elem != nil {
		vs = *vs.elem
	}
	low := vs.hasLo && (v < vs.lo || vs.loExcl && v == vs.lo)
	high := vs.hasHi && v > vs.hi
	if !low && !high {
		return true
	}
	show := func(x float64) string {
		switch vs.kind {
		case kDuration, kChunks:
			return formatDuration(time.Duration(x))
		case kFrequency:
			return formatFrequency(x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	var msg string
	switch {
	case low && vs.loExcl:
		msg = fmt.Sprintf("must be more than %s, got %s", show(vs.lo), shown)
	case low && !vs.hasHi:
		msg = fmt.Sprintf("must be at least %s, got %s", show(vs.lo), shown)
	case low:
		msg = fmt.Sprintf("must be at least %s, got %s", show(vs.lo), shown)
	default:
		msg = fmt.Sprintf("must be at most %s, got %s", show(vs.hi), shown)
	}
	if vs.kind != kDuration && vs.kind != kChunks && vs.hasLo && vs.hasHi && !vs.loExcl {
		msg = fmt.Sprintf("must be between %s and %s, got %s", show(vs.lo), show(vs.hi), shown)
	}
	hint := ""
	if f.key == "threshold" && v > 1 && v <= 100 {
		hint = fmt.Sprintf("threshold is a fraction; did you mean %g?", v/100)
	}
	d.errorf(n, path, hint, "%s", msg)
	return false
}

func (d *decoder) duration(f *field, n *yaml.Node, path string) (time.Duration, bool) {
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

func (d *decoder) durationRange(f *field, n *yaml.Node, path string, dur time.Duration) bool {
	if !d.inRange(f, n, path, float64(dur), n.Value) {
		return false
	}
	if f.val.wholeMs && dur%time.Millisecond != 0 {
		d.errorf(n, path, fmt.Sprintf("write %s", formatDuration(dur.Round(time.Millisecond))), "must be whole milliseconds, got %s", n.Value)
		return false
	}
	return true
}

func (d *decoder) frequency(f *field, n *yaml.Node, path string) (float64, bool) {
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

func (d *decoder) pace(f *field, n *yaml.Node, path string) Pace {
	if !d.scalar(n, path, "a pace", "!!str", "!!int", "!!float") {
		return Pace{}
	}
	p, msg, hint := parsePace(n.Value)
	if msg != "" {
		d.errorf(n, path, hint, "%s", msg)
		return Pace{}
	}
	return p
}

// chunks reads one duration or a list of them.
func (d *decoder) chunks(f *field, n *yaml.Node, path string) []time.Duration {
	if !d.usable(n, path) {
		return nil
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
			return []time.Duration{dur}
		}
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, path, "write one duration, or leave the key out for the server's default", "empty list of chunks")
		return nil
	}
	var out []time.Duration
	for i, item := range n.Content {
		p := index(path, i)
		d.pos[p] = nodePos(item)
		if dur, ok := one(item, p); ok {
			out = append(out, dur)
		}
	}
	if len(out) != len(n.Content) {
		return nil
	}
	return out
}

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
func (d *decoder) jsonObject(f *field, n *yaml.Node, path string) map[string]any {
	if !d.usable(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping", "")
		return nil
	}
	v, ok := d.jsonValue(n, path)
	if !ok {
		return nil
	}
	return v.(map[string]any)
}

// arguments reads function call arguments: JSON text or a mapping, both
// stored as compact JSON text of an object.
func (d *decoder) arguments(f *field, n *yaml.Node, path string) string {
	if !d.usable(n, path) {
		return ""
	}
	switch {
	case n.Kind == yaml.MappingNode:
		raw, ok := d.appendJSON(nil, n, path)
		if !ok {
			return ""
		}
		return string(raw)
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
			return ""
		}
		if buf.Len() == 0 || buf.Bytes()[0] != '{' {
			d.errorf(n, path, `write {"key": value}`, "want a JSON object, got %s", n.Value)
			return ""
		}
		return buf.String()
	}
	d.typeError(n, path, "a JSON object (as text or a mapping)", "")
	return ""
}

// match reads the field checks of an expectation.
func (d *decoder) match(f *field, n *yaml.Node, path string) map[string]Matcher {
	if !d.usable(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping of field paths to values", "")
		return nil
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
		d.pos[p] = nodePos(v)
		if !patterns[patPath].MatchString(key) {
			d.errorf(k, path, patternHint(patPath), "invalid field path %q", key)
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
	return out
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

// unhandled marks a key the table has and a decode function forgot; the
// tests decode a file with every key, so this cannot ship.
func unhandled(f *field) { panic("scenarios: key " + f.key + " is in the table but not decoded") }

func (d *decoder) scenario(n *yaml.Node) *Scenario {
	sc := &Scenario{}
	d.object(n, "", scenarioSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "name":
			sc.Name = d.str(f, v, p)
		case "description":
			sc.Description = d.str(f, v, p)
		case "dialects":
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				s := d.enum(&field{key: "dialect", val: *f.val.elem}, item, ip)
				if s == "" {
					return
				}
				if slices.Contains(sc.Dialects, s) {
					d.errorf(item, ip, "", "dialect %q listed twice", s)
					return
				}
				sc.Dialects = append(sc.Dialects, s)
			})
		case "session":
			sc.Session = d.session(v, p)
		case "expires_after":
			sc.ExpiresAfter, _ = d.duration(f, v, p)
		case "seed":
			sc.Seed, _ = d.integer(f, v, p)
		case "pace":
			sc.Pace = d.pace(f, v, p)
		case "default_reply":
			sc.DefaultReply = d.reply(v, p)
		case "turns":
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				sc.Turns = append(sc.Turns, d.turn(item, ip))
			})
		case "expect":
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				sc.Expect = append(sc.Expect, d.expectation(item, ip))
			})
		case "faults":
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				s := d.str(&field{key: "fault", val: *f.val.elem}, item, ip)
				if s == "" {
					return
				}
				ft, err := faults.Parse(s)
				if err != nil {
					d.errorf(item, ip, "see docs/faults.md for the syntax", "%v", err)
					return
				}
				sc.Faults = append(sc.Faults, ft)
			})
		default:
			unhandled(f)
		}
	})
	return sc
}

// formatAliases normalizes the GA spellings of audio formats to the preview
// ones the Session type uses.
var formatAliases = map[string]string{"audio/pcm": "pcm16", "audio/pcmu": "g711_ulaw", "audio/pcma": "g711_alaw"}

func normalizeFormat(s string) string {
	if p, ok := formatAliases[s]; ok {
		return p
	}
	return s
}

func (d *decoder) session(n *yaml.Node, path string) *Session {
	s := &Session{}
	d.object(n, path, sessionSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "voice":
			s.Voice = d.enum(f, v, p)
		case "instructions":
			str := d.str(f, v, p)
			s.Instructions = &str
		case "modalities":
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				m := d.enum(&field{key: "modality", val: *f.val.elem}, item, ip)
				if m == "" {
					return
				}
				if slices.Contains(s.Modalities, m) {
					d.errorf(item, ip, "", "modality %q listed twice", m)
					return
				}
				s.Modalities = append(s.Modalities, m)
			})
		case "input_audio_format":
			s.InputAudioFormat = normalizeFormat(d.enum(f, v, p))
		case "output_audio_format":
			s.OutputAudioFormat = normalizeFormat(d.enum(f, v, p))
		case "turn_detection":
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				s.TurnDetection = &TurnDetection{Type: "none"}
				return
			}
			s.TurnDetection = d.turnDetection(v, p)
		case "input_audio_transcription":
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				return
			}
			s.InputTranscription = d.transcription(v, p)
		case "tools":
			names := map[string]string{}
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				t := d.tool(item, ip)
				if t.Name != "" {
					if first, dup := names[t.Name]; dup {
						d.add(d.at(child(ip, "name")), child(ip, "name"), "tool names must be unique", fmt.Sprintf("tool %q is already defined at %s", t.Name, first))
					}
					names[t.Name] = ip
				}
				s.Tools = append(s.Tools, t)
			})
		case "temperature":
			if t, ok := d.number(f, v, p); ok {
				s.Temperature = &t
			}
		default:
			unhandled(f)
		}
	})
	return s
}

func (d *decoder) turnDetection(n *yaml.Node, path string) *TurnDetection {
	td := &TurnDetection{}
	keys := map[string]*yaml.Node{}
	d.object(n, path, turnDetectionSpec, func(f *field, v *yaml.Node, p string) {
		keys[f.key] = v
		switch f.key {
		case "type":
			td.Type = d.enum(f, v, p)
		case "threshold":
			if x, ok := d.number(f, v, p); ok {
				td.Threshold = &x
			}
		case "prefix_padding_ms":
			if x, ok := d.integer(f, v, p); ok {
				i := int(x)
				td.PrefixPaddingMs = &i
			}
		case "silence_duration_ms":
			if x, ok := d.integer(f, v, p); ok {
				i := int(x)
				td.SilenceDurationMs = &i
			}
		case "eagerness":
			td.Eagerness = d.enum(f, v, p)
		case "create_response":
			b := d.boolean(f, v, p)
			td.CreateResponse = &b
		case "interrupt_response":
			b := d.boolean(f, v, p)
			td.InterruptResponse = &b
		default:
			unhandled(f)
		}
	})
	if keys["type"] == nil {
		td.Type = "server_vad"
	}
	if td.Type == "" {
		return td
	}
	for _, f := range turnDetectionSpec.fields {
		v := keys[f.key]
		if v == nil || f.key == "type" {
			continue
		}
		var applies bool
		switch f.key {
		case "threshold", "prefix_padding_ms", "silence_duration_ms":
			applies = td.Type == "server_vad"
		case "eagerness":
			applies = td.Type == "semantic_vad"
		default:
			applies = td.Type != "none"
		}
		p := child(path, f.key)
		if applies || d.failed(p) {
			continue
		}
		switch {
		case td.Type == "none":
			d.errorf(v, p, "remove it, or choose type server_vad", "type none takes no other keys: there is no voice activity detection")
		case f.key == "eagerness":
			d.errorf(v, p, "use type: semantic_vad, or remove eagerness", "eagerness applies only to semantic_vad, not %s", td.Type)
		default:
			d.errorf(v, p, "use type: server_vad, or use eagerness with semantic_vad", "%s applies only to server_vad, not %s", f.key, td.Type)
		}
	}
	return td
}

func (d *decoder) transcription(n *yaml.Node, path string) *Transcription {
	t := &Transcription{}
	d.object(n, path, transcriptionSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "model":
			t.Model = d.str(f, v, p)
		case "language":
			t.Language = d.str(f, v, p)
		case "prompt":
			t.Prompt = d.str(f, v, p)
		default:
			unhandled(f)
		}
	})
	return t
}

func (d *decoder) tool(n *yaml.Node, path string) Tool {
	var t Tool
	d.object(n, path, toolSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "type":
			d.enum(f, v, p)
		case "name":
			t.Name = d.str(f, v, p)
		case "description":
			t.Description = d.str(f, v, p)
		case "parameters":
			t.Parameters = d.jsonObject(f, v, p)
		default:
			unhandled(f)
		}
	})
	return t
}

func (d *decoder) turn(n *yaml.Node, path string) Turn {
	var t Turn
	d.object(n, path, turnSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "when":
			t.When = Trigger(d.enum(f, v, p))
		case "repeat":
			t.Repeat = d.boolean(f, v, p)
		case "user":
			t.User = d.user(v, p)
		case "reply":
			t.Reply = d.reply(v, p)
		case "interrupt":
			t.Interrupt = d.interrupt(v, p)
		case "error":
			t.Error = d.errorSpec(v, p)
		case "fault":
			t.Fault = d.fault(v, p)
		default:
			unhandled(f)
		}
	})
	return t
}

func (d *decoder) user(n *yaml.Node, path string) *UserSpeech {
	u := &UserSpeech{}
	d.object(n, path, userSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "transcript":
			u.Transcript = d.str(f, v, p)
		case "transcription":
			u.TranscriptionFails = d.enum(f, v, p) == "failed"
		default:
			unhandled(f)
		}
	})
	return u
}

func (d *decoder) reply(n *yaml.Node, path string) *Reply {
	r := &Reply{}
	keys := map[string]*yaml.Node{}
	d.object(n, path, replySpec, func(f *field, v *yaml.Node, p string) {
		keys[f.key] = v
		switch f.key {
		case "text":
			r.Text = d.str(f, v, p)
		case "transcript":
			r.Transcript = d.str(f, v, p)
		case "audio":
			r.Audio = d.audio(v, p)
		case "pace":
			r.Pace = d.pace(f, v, p)
		case "function_call":
			fc := d.functionCall(v, p)
			r.FunctionCalls = append([]FunctionCall{fc}, r.FunctionCalls...)
		case "function_calls":
			d.list(f, v, p, func(i int, item *yaml.Node, ip string) {
				r.FunctionCalls = append(r.FunctionCalls, d.functionCall(item, ip))
			})
		case "status":
			r.Status = d.enum(f, v, p)
		case "reason":
			r.StatusReason = d.enum(f, v, p)
		default:
			unhandled(f)
		}
	})
	if keys["text"] != nil && keys["transcript"] != nil {
		d.errorf(keys["transcript"], child(path, "transcript"), "use text for a text-only reply, or transcript for the words of its audio", "a reply has text or transcript, not both")
	}
	if keys["function_call"] != nil && keys["function_calls"] != nil {
		d.errorf(keys["function_calls"], child(path, "function_calls"), "move the function_call into the function_calls list", "a reply has function_call or function_calls, not both")
	}
	if r.Status == "" && !d.failed(child(path, "status")) {
		r.Status = "completed"
	}
	if v := keys["reason"]; v != nil && r.Status == "completed" && r.StatusReason != "" {
		d.errorf(v, child(path, "reason"), "add status: incomplete", "reason applies only to incomplete replies")
	}
	if r.Status == "incomplete" && r.StatusReason == "" && keys["reason"] == nil {
		r.StatusReason = "max_output_tokens"
	}
	return r
}

func (d *decoder) audio(n *yaml.Node, path string) *AudioSpec {
	a := &AudioSpec{}
	d.object(n, path, audioSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "tone":
			a.ToneHz, _ = d.frequency(f, v, p)
		case "duration":
			a.Duration, _ = d.duration(f, v, p)
		case "chunk":
			a.Chunks = d.chunks(f, v, p)
		case "amplitude":
			a.Amplitude, _ = d.number(f, v, p)
		default:
			unhandled(f)
		}
	})
	return a
}

func (d *decoder) functionCall(n *yaml.Node, path string) FunctionCall {
	var fc FunctionCall
	d.object(n, path, functionCallSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "name":
			fc.Name = d.str(f, v, p)
		case "arguments":
			fc.Arguments = d.arguments(f, v, p)
		case "call_id":
			fc.CallID = d.str(f, v, p)
		default:
			unhandled(f)
		}
	})
	if fc.Arguments == "" && !d.failed(child(path, "arguments")) {
		fc.Arguments = "{}"
	}
	return fc
}

func (d *decoder) interrupt(n *yaml.Node, path string) *Interrupt {
	in := &Interrupt{}
	d.object(n, path, interruptSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "after_played":
			in.AfterPlayed, _ = d.duration(f, v, p)
		case "speech":
			in.Speech, _ = d.duration(f, v, p)
		case "transcript":
			in.Transcript = d.str(f, v, p)
		default:
			unhandled(f)
		}
	})
	if in.Speech == 0 {
		in.Speech = DefaultInterruptSpeech
	}
	return in
}

func (d *decoder) errorSpec(n *yaml.Node, path string) *ErrorSpec {
	e := &ErrorSpec{}
	var hasMessage bool
	ok := d.object(n, path, errorSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "type":
			e.Type = d.enum(f, v, p)
		case "code":
			e.Code = d.str(f, v, p)
		case "message":
			hasMessage = true
			e.Message = d.str(f, v, p)
		case "param":
			e.Param = d.str(f, v, p)
		default:
			unhandled(f)
		}
	})
	if !ok || d.failed(child(path, "type")) {
		return e
	}
	if e.Type == "" {
		e.Type = realtime.InvalidRequestError
	}
	if !hasMessage {
		if e.Type == realtime.ServerError {
			e.Message = realtime.NewServerError("").Message
		} else {
			d.errorf(n, path, "only server_error has a default message", "missing required key %q", "message")
		}
	}
	return e
}

// maxCloseReason is the longest close reason a WebSocket close frame holds.
const maxCloseReason = 123

func (d *decoder) fault(n *yaml.Node, path string) *Fault {
	ft := &Fault{}
	d.object(n, path, faultSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "close":
			code, ok := d.integer(f, v, p)
			if !ok {
				return
			}
			switch code {
			case 1004, 1005, 1006, 1015:
				d.errorf(v, p, "use 1011 for a server failure, or 1001 for going away", "close code %d is reserved and never sent in a close frame", code)
				return
			}
			ft.CloseCode = int(code)
		case "reason":
			ft.CloseReason = d.str(f, v, p)
			if len(ft.CloseReason) > maxCloseReason {
				d.errorf(v, p, "", "a close reason holds at most %d bytes, got %d", maxCloseReason, len(ft.CloseReason))
			}
		case "delay":
			ft.Delay, _ = d.duration(f, v, p)
		default:
			unhandled(f)
		}
	})
	return ft
}

func (d *decoder) expectation(n *yaml.Node, path string) Expectation {
	var e Expectation
	d.object(n, path, expectSpec, func(f *field, v *yaml.Node, p string) {
		switch f.key {
		case "client":
			e.Client = d.enum(f, v, p)
		case "after":
			e.After = d.enum(f, v, p)
		case "until":
			e.Until = d.enum(f, v, p)
		case "before":
			e.Before = d.enum(f, v, p)
		case "within":
			e.Within, _ = d.duration(f, v, p)
		case "never":
			e.Never = d.boolean(f, v, p)
		case "match":
			e.Match = d.match(f, v, p)
		case "description":
			e.Description = d.str(f, v, p)
		default:
			unhandled(f)
		}
	})
	return e
}
