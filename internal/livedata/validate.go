package livedata

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	sourceID    = regexp.MustCompile(`^L[1-9][0-9]*$`)
	pathSegment = regexp.MustCompile(`^[A-Za-z0-9_]+(\[\])*$`)
	kinds       = []string{"capture", "doc-example", "issue-log"}
	providers   = []string{"openai", "azure", "unknown"}
	dialects    = []string{"preview", "ga", "unknown"}
	transports  = []string{"websocket", "webrtc", "unknown"}
	jsonTypes   = []string{TypeString, TypeNumber, TypeBoolean, TypeNull, TypeObject, TypeArray}
)

// Validate reports the first inconsistency in s: an unknown format, a
// malformed source or path, a list naming a path the entry lacks, a path
// without its parent, a duplicate entry, or a citation of no source.
func (s *Shapes) Validate() error {
	if s.Format != Format {
		return fmt.Errorf("format %d, want %d", s.Format, Format)
	}
	known, err := validateSources(s.Sources)
	if err != nil {
		return err
	}
	cite := func(where string, ids []string) error {
		if len(ids) == 0 {
			return fmt.Errorf("%s: no sources", where)
		}
		for _, id := range ids {
			if !known[id] {
				return fmt.Errorf("%s: source %q is not in sources", where, id)
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for i := range s.Events {
		e := &s.Events[i]
		where := fmt.Sprintf("events[%d] (%s %s)", i, e.Dialect, e.Type)
		id := e.Dialect + " " + e.Type + " " + e.Variant
		if seen[id] {
			return fmt.Errorf("%s: duplicate entry", where)
		}
		seen[id] = true
		if err := cite(where, e.Sources); err != nil {
			return err
		}
		if err := e.validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	if err := validateIDs(s.IDs, cite); err != nil {
		return err
	}
	return validateLatencies(s.Latencies, cite)
}

func validateIDs(ids []IDFormat, cite func(string, []string) error) error {
	for i, f := range ids {
		where := fmt.Sprintf("ids[%d] (%s)", i, f.Prefix)
		if !strings.HasSuffix(f.Prefix, "_") || len(f.Prefix) < 2 || f.Length < 1 || f.Alphabet == "" {
			return fmt.Errorf("%s: want a prefix ending in _, a length and an alphabet", where)
		}
		if _, err := regexp.Compile("^" + f.Alphabet + "$"); err != nil {
			return fmt.Errorf("%s: alphabet: %w", where, err)
		}
		if err := cite(where, f.Sources); err != nil {
			return err
		}
	}
	return nil
}

func validateLatencies(lats []Latency, cite func(string, []string) error) error {
	for i, l := range lats {
		where := fmt.Sprintf("latencies[%d] (%s → %s)", i, l.Request, l.Reply)
		if l.Request == "" || l.Reply == "" || len(l.MS) == 0 {
			return fmt.Errorf("%s: want a request, a reply and at least one time", where)
		}
		for _, ms := range l.MS {
			if ms < 0 {
				return fmt.Errorf("%s: negative time %v", where, ms)
			}
		}
		if err := cite(where, l.Sources); err != nil {
			return err
		}
	}
	return nil
}

func validateSources(sources []Source) (map[string]bool, error) {
	known := map[string]bool{}
	for i, src := range sources {
		where := fmt.Sprintf("sources[%d] (%s)", i, src.ID)
		switch {
		case !sourceID.MatchString(src.ID):
			return nil, fmt.Errorf("%s: id is not L<number>", where)
		case known[src.ID]:
			return nil, fmt.Errorf("%s: duplicate id", where)
		case !slices.Contains(kinds, src.Kind):
			return nil, fmt.Errorf("%s: kind %q, want one of %v", where, src.Kind, kinds)
		case !slices.Contains(providers, src.Provider):
			return nil, fmt.Errorf("%s: provider %q, want one of %v", where, src.Provider, providers)
		case !slices.Contains(dialects, src.Dialect):
			return nil, fmt.Errorf("%s: dialect %q, want one of %v", where, src.Dialect, dialects)
		case !slices.Contains(transports, src.Transport):
			return nil, fmt.Errorf("%s: transport %q, want one of %v", where, src.Transport, transports)
		case src.URL == "" && src.Title == "":
			return nil, fmt.Errorf("%s: neither a url nor a title says where it is", where)
		case src.Date == "":
			return nil, fmt.Errorf("%s: no date", where)
		}
		known[src.ID] = true
	}
	return known, nil
}

func (e *Event) validate() error {
	if e.Dialect != "preview" && e.Dialect != "ga" {
		return fmt.Errorf("dialect %q, want preview or ga", e.Dialect)
	}
	if e.Type == "" || e.Frames < 1 || len(e.Keys) == 0 {
		return errors.New("want a type, at least one frame and at least one key")
	}
	if _, ok := e.Keys["type"]; !ok {
		return errors.New(`keys lack "type"`)
	}
	for p, types := range e.Keys {
		if err := checkPath(p); err != nil {
			return err
		}
		for _, t := range strings.Split(types, "|") {
			if !slices.Contains(jsonTypes, t) {
				return fmt.Errorf("key %q: type %q is not a JSON type", p, t)
			}
		}
		if err := e.checkParent(p); err != nil {
			return err
		}
	}
	return e.validateLists()
}

func (e *Event) validateLists() error {
	for _, p := range e.Optional {
		if _, ok := e.Keys[p]; !ok {
			return fmt.Errorf("optional %q is not a key", p)
		}
	}
	for _, p := range e.Absent {
		if err := checkPath(p); err != nil {
			return err
		}
		if _, ok := e.Keys[p]; ok {
			return fmt.Errorf("absent %q is also a key", p)
		}
	}
	for p := range e.Enums {
		if !strings.Contains(e.Keys[p], TypeString) && !strings.Contains(e.Keys[p], TypeArray) {
			return fmt.Errorf("enum %q is not a string or array key", p)
		}
	}
	for p := range e.Values {
		if _, ok := e.Keys[p]; !ok {
			return fmt.Errorf("value %q is not a key", p)
		}
	}
	for m := range e.Measures {
		p, what, ok := strings.Cut(m, "#")
		if _, isKey := e.Keys[p]; !ok || what == "" || !isKey {
			return fmt.Errorf("measure %q is not key#name", m)
		}
	}
	return nil
}

func checkPath(p string) error {
	for _, seg := range strings.Split(p, ".") {
		if !pathSegment.MatchString(seg) {
			return fmt.Errorf("path %q: malformed segment %q", p, seg)
		}
	}
	return nil
}

// checkParent requires the container of p among the keys: an object, or an
// array for the members of its elements.
func (e *Event) checkParent(p string) error {
	parent, _, isArray := parentOf(p)
	if parent == "" {
		if isArray {
			return fmt.Errorf("key %q: the root is not an array", p)
		}
		return nil
	}
	want := TypeObject
	if isArray {
		want = TypeArray
	}
	if !slices.Contains(strings.Split(e.Keys[parent], "|"), want) {
		return fmt.Errorf("key %q: parent %q is not a recorded %s", p, parent, want)
	}
	return nil
}
