// Package livedata reads testdata/live/shapes.json: the key sets, JSON types,
// observed values, id formats and reply latencies of server events recorded
// from the live Realtime API, as catalogued in docs/live-service.md.
//
// Parse decodes the file strictly and validates it: every path is well formed
// and has its parent, every list refers to known paths, every citation
// resolves to a source. Paths, Event.Check and Shapes.Event let a fidelity test
// compare an event rtmock sends with what the service was seen to send.
//
// # Paths
//
// A path names a member of an event with dots, "[]" standing for the elements
// of an array: "response.output[].content[].type". The root has no name, so an
// event's "type" member is the path "type". Members of an element are
// compared element by element; an empty array has no element paths.
package livedata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// Format is the version of shapes.json this package reads.
const Format = 1

// The JSON types a path can have.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeBoolean = "boolean"
	TypeNull    = "null"
	TypeObject  = "object"
	TypeArray   = "array"
)

// Shapes is the decoded file.
type Shapes struct {
	Format    int        `json:"format"`
	About     string     `json:"about"`
	Sources   []Source   `json:"sources"`
	Events    []Event    `json:"events"`
	IDs       []IDFormat `json:"ids"`
	Latencies []Latency  `json:"latencies"`
}

// Source is one published recording; ID is the tag docs/live-service.md cites.
type Source struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`      // capture, doc-example or issue-log
	Provider     string `json:"provider"`  // openai, azure or unknown
	Dialect      string `json:"dialect"`   // preview, ga or unknown
	Transport    string `json:"transport"` // websocket, webrtc or unknown
	Date         string `json:"date"`
	Title        string `json:"title,omitempty"`
	Repo         string `json:"repo,omitempty"`
	Path         string `json:"path,omitempty"`
	Commit       string `json:"commit,omitempty"`
	URL          string `json:"url,omitempty"`
	Note         string `json:"note,omitempty"`
	ServerEvents int    `json:"server_events"`
}

// Event is what the recordings show of one server event type in one dialect.
type Event struct {
	Dialect   string   `json:"dialect"`           // preview or ga
	Type      string   `json:"type"`              // the event's type
	Variant   string   `json:"variant,omitempty"` // "path=value" when one type has several shapes
	Providers []string `json:"providers"`
	Frames    int      `json:"frames"` // recorded frames the entry was derived from
	Sources   []string `json:"sources"`
	// Keys maps each path seen to its JSON types, "|"-separated ("null|string").
	Keys map[string]string `json:"keys"`
	// Optional lists the paths some frames lacked although their parent was there.
	Optional []string `json:"optional,omitempty"`
	// Absent lists paths checked to be missing from every frame whose parent was there.
	Absent []string `json:"absent,omitempty"`
	// Enums lists the string values seen (not necessarily all there are).
	Enums map[string][]string `json:"enums,omitempty"`
	// Values lists the scalar values seen in session events.
	Values map[string][]any `json:"values,omitempty"`
	// Measures are numbers derived from a value, "path#what" (such as "#chars").
	Measures map[string][]float64 `json:"measures,omitempty"`
}

// IDFormat is a family of ids: Prefix followed by Length characters of Alphabet.
type IDFormat struct {
	Prefix   string   `json:"prefix"`
	Length   int      `json:"length"`
	Alphabet string   `json:"alphabet"`
	Distinct int      `json:"distinct"` // distinct ids seen
	Sources  []string `json:"sources"`
	Events   []string `json:"events,omitempty"` // when only these events use it
}

// Latency is how long after a request a reply was seen, in milliseconds.
type Latency struct {
	Request   string    `json:"request"`
	Reply     string    `json:"reply"`
	MS        []float64 `json:"ms"`
	Provider  string    `json:"provider"`
	Dialect   string    `json:"dialect"`
	Transport string    `json:"transport"`
	Sources   []string  `json:"sources"`
	Note      string    `json:"note,omitempty"`
}

// Load reads and parses the file at path.
func Load(path string) (*Shapes, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("livedata: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("livedata: %s: %w", path, err)
	}
	return s, nil
}

// Parse decodes data, refusing unknown members and trailing data, and validates it.
func Parse(data []byte) (*Shapes, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Shapes
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode: data after the top-level object")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Event returns the entry for a dialect, type and variant ("" for none), or nil.
func (s *Shapes) Event(dialect, typ, variant string) *Event {
	for i := range s.Events {
		e := &s.Events[i]
		if e.Dialect == dialect && e.Type == typ && e.Variant == variant {
			return e
		}
	}
	return nil
}

// Paths returns the paths of a decoded JSON value (as json.Unmarshal into any
// makes it) with the types each one has, in the notation of the package doc.
func Paths(v any) map[string][]string {
	out := map[string][]string{}
	walk(v, "", out)
	return out
}

func walk(v any, at string, out map[string][]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if at != "" {
				p = at + "." + k
			}
			if t := typeOf(x); !slices.Contains(out[p], t) {
				out[p] = append(out[p], t)
			}
			walk(x, p, out)
		}
	case []any:
		for _, x := range v {
			walk(x, at+"[]", out)
		}
	}
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return TypeNull
	case bool:
		return TypeBoolean
	case float64, json.Number:
		return TypeNumber
	case string:
		return TypeString
	case []any:
		return TypeArray
	default:
		return TypeObject
	}
}

// Check compares one event's JSON with the entry and returns what differs,
// sorted: a path the recordings always had is missing (when its parent is
// there), a path has a type never seen, or a path the recordings never had is
// present. Paths the recordings never showed are not reported unless Absent.
func (e *Event) Check(frame []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(frame, &v); err != nil {
		return nil, fmt.Errorf("livedata: check %s: %w", e.Type, err)
	}
	got := Paths(v)
	var diffs []string
	for p, want := range e.Keys {
		types, ok := got[p]
		switch {
		case !ok:
			if !slices.Contains(e.Optional, p) && parentPresent(p, got) {
				diffs = append(diffs, "missing "+p)
			}
		default:
			for _, t := range types {
				if !slices.Contains(strings.Split(want, "|"), t) {
					diffs = append(diffs, fmt.Sprintf("%s is %s, recorded %s", p, t, want))
				}
			}
		}
	}
	for _, p := range e.Absent {
		if _, ok := got[p]; ok {
			diffs = append(diffs, "unexpected "+p)
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}

// parentPresent reports whether the object or array elements holding p exist.
func parentPresent(p string, got map[string][]string) bool {
	parent, _, isArray := parentOf(p)
	if parent == "" {
		return !isArray
	}
	types := got[parent]
	if isArray {
		// Element paths exist only when some element is an object with members.
		for q := range got {
			if strings.HasPrefix(q, parent+"[].") {
				return true
			}
		}
		return false
	}
	return slices.Contains(types, TypeObject)
}

// parentOf splits p into the path of its container and its last member name;
// isArray tells that the container is the elements of an array.
func parentOf(p string) (parent, name string, isArray bool) {
	i := strings.LastIndexByte(p, '.')
	if i < 0 {
		return "", p, false
	}
	parent, name = p[:i], p[i+1:]
	if strings.HasSuffix(parent, "[]") {
		return strings.TrimSuffix(parent, "[]"), name, true
	}
	return parent, name, false
}
