// Package spec is the one table of the scenario language: every mapping
// (an [Object]), its keys (a [Field] each), what each key accepts (a
// [Value]: kind, enum, pattern, bounds) and its documentation.
//
// The scenarios decoder walks this table to check keys, required keys,
// enums, patterns and ranges; scenarios/schema.json and the key reference in
// docs/scenarios.md are generated from it by scenarios/internal/gen ("go
// generate ./scenarios"), and a test fails when either has drifted. Adding
// a key is one Field here and one binding in the scenarios package, which
// stores the decoded value in the Go types.
package spec

import (
	"regexp"
	"slices"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// Kind is the type of a value in a scenario file.
type Kind uint8

// The kinds of values.
const (
	KString     Kind = iota + 1
	KBool            // true or false
	KInt             // an integer
	KNumber          // an integer or decimal number
	KDuration        // "1200ms", "1.5s", "2m"
	KFrequency       // "440Hz", "1.2kHz" or a number of hertz
	KPace            // live, realtime, instant, 4x
	KEnum            // one of a fixed set of strings
	KObject          // a mapping with the keys of Obj
	KList            // a sequence of Elem
	KJSONObject      // any mapping (a JSON Schema)
	KArguments       // a JSON object as text, or a mapping
	KChunks          // a duration or a sequence of durations
	KMatch           // a mapping of dotted paths to values or matchers
)

// Value describes what a key accepts.
type Value struct {
	Kind     Kind
	Enum     []string // KEnum
	Obj      *Object  // KObject
	Elem     *Value   // KList
	Item     string   // KList: what one item is called in messages ("dialect"); "" for the key's name
	Nullable bool     // KObject: null is accepted
	Pattern  string   // KString: a regular expression the whole string must match
	// Bounds of KInt and KNumber, or of KDuration and KChunks in
	// nanoseconds, or of KFrequency in hertz.
	Lo, Hi       float64
	HasLo, HasHi bool
	LoExcl       bool // the lower bound itself is out of range
	WholeMs      bool // KDuration, KChunks: whole milliseconds only
	MinItems     int  // KList
}

// Field is one key of an object.
type Field struct {
	Key      string
	Val      Value
	Required bool
	Def      string // the documented default; "" when there is none
	Example  string // a YAML value for the reference
	Doc      string
	// Hints map common wrong values of a KEnum key to the value meant.
	Hints map[string]string
}

// Object is a mapping the language defines.
type Object struct {
	Name   string // the schema's $defs name and the reference's heading
	Where  string // where the mapping appears, as a path
	Doc    string
	Fields []Field
}

// Lookup returns the field named key, or nil.
func (o *Object) Lookup(key string) *Field {
	for i := range o.Fields {
		if o.Fields[i].Key == key {
			return &o.Fields[i]
		}
	}
	return nil
}

// Keys returns the keys of o in table order.
func (o *Object) Keys() []string {
	ks := make([]string, len(o.Fields))
	for i, f := range o.Fields {
		ks[i] = f.Key
	}
	return ks
}

func vString() value             { return Value{Kind: KString} }
func vPattern(p string) value    { return Value{Kind: KString, Pattern: p} }
func vBool() value               { return Value{Kind: KBool} }
func vEnum(vals ...string) value { return Value{Kind: KEnum, Enum: vals} }
func vObject(o *Object) value    { return Value{Kind: KObject, Obj: o} }
func vNullable(o *Object) value  { return Value{Kind: KObject, Obj: o, Nullable: true} }
func vList(elem value) value     { return Value{Kind: KList, Elem: &elem} }
func vPace() value               { return Value{Kind: KPace} }

// vItems is a list whose items are called item in messages.
func vItems(item string, elem value) value { return Value{Kind: KList, Elem: &elem, Item: item} }

func vInt(lo, hi float64) value {
	return Value{Kind: KInt, Lo: lo, Hi: hi, HasLo: true, HasHi: true}
}

func vNumber(lo, hi float64) value {
	return Value{Kind: KNumber, Lo: lo, Hi: hi, HasLo: true, HasHi: true}
}

// vDuration accepts durations in [lo, hi], or (lo, hi] with loExcl.
func vDuration(lo, hi time.Duration, loExcl, wholeMs bool) value {
	return Value{Kind: KDuration, Lo: float64(lo), Hi: float64(hi), HasLo: true, HasHi: true, LoExcl: loExcl, WholeMs: wholeMs}
}

// value is Value, short for the table.
type value = Value

// Limits of the language, checked on load.
const (
	// MaxAudio is the longest reply audio a scenario may ask for.
	MaxAudio = 30 * time.Minute
	// MinChunk and MaxChunk bound the duration of one audio delta.
	MinChunk = 10 * time.Millisecond
	MaxChunk = 10 * time.Second
	// MaxExpiresAfter is the live service's longest session.
	MaxExpiresAfter = 60 * time.Minute
)

// Voices the live service offers.
var Voices = []string{"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}

// Formats are the audio format spellings: preview names first, then the GA
// types.
var Formats = []string{"pcm16", "g711_ulaw", "g711_alaw", "audio/pcm", "audio/pcmu", "audio/pcma"}

// Triggers are the values of a turn's when.
var Triggers = []string{"connect", "response.create", "user_speech", "item.create", "commit", "response", "idle_timeout"}

// Premises are the client traits a scenario may require (the premise key).
var Premises = []string{"audio_input", "text_input", "response_create", "tools", "server_vad", "manual_turns"}

// Interrupt is the pseudo event an expectation's after may name: the
// simulated user talking over a reply (a turn's interrupt).
const InterruptAnchor = "interrupt"

// ClientEvents are the client event types of either dialect, in the order
// the preview service lists them, then the GA additions.
var ClientEvents = func() []string {
	names := realtime.ClientTypes(realtime.Preview)
	for _, n := range realtime.ClientTypes(realtime.GA) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}()

// ServerEvents are the server event types of either dialect.
var ServerEvents = func() []string {
	var names []string
	for k := realtime.Kind(1); ; k++ {
		p, g := realtime.Preview.Name(k), realtime.GA.Name(k)
		if p == "" && g == "" {
			break
		}
		for _, n := range []string{p, g} {
			if n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}()

// Patterns of the language. PatDuration, PatFreq and PatPace are for the
// schema; the decoder parses those values itself.
const (
	PatName     = `^[A-Za-z0-9][A-Za-z0-9._-]*$`
	PatToolName = `^[A-Za-z0-9_-]{1,64}$`
	PatPath     = `^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$`
	PatDuration = `^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)$`
	PatFreq     = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)([kK]?[hH][zZ])?$`
	PatPace     = `^(live|realtime|instant|([0-9]+(\.[0-9]*)?|\.[0-9]+)x)$`
)

// patterns holds the compiled patterns that string keys use, built once.
var patterns = map[string]*regexp.Regexp{
	PatName:     regexp.MustCompile(PatName),
	PatToolName: regexp.MustCompile(PatToolName),
	PatPath:     regexp.MustCompile(PatPath),
}

// Match reports whether s matches pattern p, one of PatName, PatToolName
// and PatPath.
func Match(p, s string) bool { return patterns[p].MatchString(s) }
