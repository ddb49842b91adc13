// Package drift compares two recorded sessions by structure, not by value:
// the order of the server's replies to each client event, the key sets
// and JSON types of each server event type, the values of the members
// that are enums, the formats of ids, and the reply latencies. Ids, audio,
// text and times are noise it ignores (latencies are reported, not
// judged). It is how a scenario library is kept honest as the service
// changes: record the live service, let rtmock answer the same client
// events, and compare.
package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rtmock/rtmock/cassette"
	"github.com/rtmock/rtmock/internal/livedata"
)

// Report is what differs between session A and session B.
type Report struct {
	A, B     string
	Sequence []SequenceDiff `json:"sequence,omitempty"` // replies in a different order
	Shapes   []ShapeDiff    `json:"shapes,omitempty"`   // key sets and types
	Enums    []EnumDiff     `json:"enums,omitempty"`    // enum values
	IDs      []IDDiff       `json:"ids,omitempty"`      // id formats
	Latency  []Latency      `json:"latency"`            // reported, not judged
}

// SequenceDiff is the replies to the n-th client event (of type Client)
// in each session, as event types with repeats folded ("delta ×12" is
// "delta+").
type SequenceDiff struct {
	N      int      `json:"n"`
	Client string   `json:"client"`
	A      []string `json:"a"`
	B      []string `json:"b"`
}

// ShapeDiff is a server event type whose paths or types differ.
type ShapeDiff struct {
	Type  string   `json:"type"`
	OnlyA []string `json:"only_a,omitempty"` // "path: types"
	OnlyB []string `json:"only_b,omitempty"`
}

// EnumDiff is an enum member whose values differ.
type EnumDiff struct {
	Type string   `json:"type"`
	Path string   `json:"path"`
	A    []string `json:"a"`
	B    []string `json:"b"`
}

// IDDiff is an id prefix whose lengths differ.
type IDDiff struct {
	Prefix string `json:"prefix"`
	A      []int  `json:"a"`
	B      []int  `json:"b"`
}

// Latency is the median time from a client event of a type to the first
// server event after it, in each session.
type Latency struct {
	Client string  `json:"client"`
	AMs    float64 `json:"a_ms"`
	BMs    float64 `json:"b_ms"`
}

// Drifted reports whether the sessions differ in structure.
func (r *Report) Drifted() bool {
	return len(r.Sequence)+len(r.Shapes)+len(r.Enums)+len(r.IDs) > 0
}

// enumPaths are the members whose values are part of the structure.
var enumPaths = []string{
	"object", "status", "role", "part.type", "item.type", "item.role", "item.status", "item.object",
	"response.status", "response.object", "response.status_details.type", "response.status_details.reason",
	"session.type", "session.object", "error.type", "error.code", "usage.type",
}

var idPattern = regexp.MustCompile(`^(event|sess|resp|item|call|conv|rtc)_([A-Za-z0-9]+)$`)

// side is what one session shows.
type side struct {
	seqs    [][]string // replies per client event, folded
	clients []string   // the client event types, in order
	paths   map[string]map[string]map[string]bool
	enums   map[string]map[string]map[string]bool // type → path → values
	ids     map[string]map[int]bool
	lat     map[string][]time.Duration
}

func read(c *cassette.Cassette) *side {
	s := &side{paths: map[string]map[string]map[string]bool{}, enums: map[string]map[string]map[string]bool{},
		ids: map[string]map[int]bool{}, lat: map[string][]time.Duration{}}
	cur, lastClient, lastAt := []string(nil), "", time.Duration(-1)
	for _, f := range c.All() {
		if f.Kind != cassette.KindText || f.Type == "" {
			continue
		}
		if f.Dir == cassette.Client {
			s.seqs = append(s.seqs, cur)
			s.clients = append(s.clients, f.Type)
			cur, lastClient, lastAt = nil, f.Type, f.T
			continue
		}
		if lastAt >= 0 {
			s.lat[lastClient] = append(s.lat[lastClient], f.T-lastAt)
			lastAt = -1
		}
		if n := len(cur); n > 0 && strings.TrimSuffix(cur[n-1], "+") == f.Type {
			cur[n-1] = f.Type + "+"
		} else {
			cur = append(cur, f.Type)
		}
		s.shape(f.Type, f.Data)
	}
	s.seqs = append(s.seqs, cur)
	return s
}

func (s *side) shape(typ string, data []byte) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return
	}
	if s.paths[typ] == nil {
		s.paths[typ] = map[string]map[string]bool{}
		s.enums[typ] = map[string]map[string]bool{}
	}
	for p, types := range livedata.Paths(v) {
		if s.paths[typ][p] == nil {
			s.paths[typ][p] = map[string]bool{}
		}
		for _, t := range types {
			s.paths[typ][p][t] = true
		}
	}
	obj, _ := v.(map[string]any)
	for _, p := range enumPaths {
		if val, ok := lookup(obj, p).(string); ok {
			if s.enums[typ][p] == nil {
				s.enums[typ][p] = map[string]bool{}
			}
			s.enums[typ][p][val] = true
		}
	}
	s.walkIDs(v)
}

func lookup(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[k]
	}
	return cur
}

func (s *side) walkIDs(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			s.walkIDs(c)
		}
	case []any:
		for _, c := range x {
			s.walkIDs(c)
		}
	case string:
		if m := idPattern.FindStringSubmatch(x); m != nil {
			if s.ids[m[1]] == nil {
				s.ids[m[1]] = map[int]bool{}
			}
			s.ids[m[1]][len(m[2])] = true
		}
	}
}

// Compare compares session a with session b.
func Compare(a, b *cassette.Cassette) *Report {
	sa, sb := read(a), read(b)
	r := &Report{A: a.Path(), B: b.Path()}
	r.Sequence = compareSeqs(sa, sb)
	r.Shapes = compareShapes(sa, sb)
	r.Enums = compareEnums(sa, sb)
	r.IDs = compareIDs(sa, sb)
	r.Latency = compareLatency(sa, sb)
	return r
}

func compareSeqs(a, b *side) []SequenceDiff {
	var out []SequenceDiff
	for i := 0; i < max(len(a.seqs), len(b.seqs)); i++ {
		var sa, sb []string
		if i < len(a.seqs) {
			sa = a.seqs[i]
		}
		if i < len(b.seqs) {
			sb = b.seqs[i]
		}
		if slices.Equal(sa, sb) {
			continue
		}
		client := "connect"
		if i > 0 && i-1 < len(a.clients) {
			client = a.clients[i-1]
		} else if i > 0 && i-1 < len(b.clients) {
			client = b.clients[i-1]
		}
		out = append(out, SequenceDiff{N: i, Client: client, A: orEmpty(sa), B: orEmpty(sb)})
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func compareShapes(a, b *side) []ShapeDiff {
	var out []ShapeDiff
	for _, typ := range slices.Sorted(maps.Keys(a.paths)) {
		pb, ok := b.paths[typ]
		if !ok {
			continue // a type only one session has shows in the sequence
		}
		d := ShapeDiff{Type: typ, OnlyA: pathsOnly(a.paths[typ], pb), OnlyB: pathsOnly(pb, a.paths[typ])}
		if len(d.OnlyA)+len(d.OnlyB) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// pathsOnly lists the paths (with types) x has and y does not.
func pathsOnly(x, y map[string]map[string]bool) []string {
	var out []string
	for p, types := range x {
		for t := range types {
			if !y[p][t] {
				out = append(out, p+": "+t)
			}
		}
	}
	sort.Strings(out)
	return out
}

func compareEnums(a, b *side) []EnumDiff {
	var out []EnumDiff
	for _, typ := range slices.Sorted(maps.Keys(a.enums)) {
		eb, ok := b.enums[typ]
		if !ok {
			continue
		}
		for _, p := range slices.Sorted(maps.Keys(a.enums[typ])) {
			va, vb := slices.Sorted(maps.Keys(a.enums[typ][p])), slices.Sorted(maps.Keys(eb[p]))
			if len(vb) > 0 && !slices.Equal(va, vb) {
				out = append(out, EnumDiff{Type: typ, Path: p, A: va, B: vb})
			}
		}
	}
	return out
}

func compareIDs(a, b *side) []IDDiff {
	var out []IDDiff
	for _, p := range slices.Sorted(maps.Keys(a.ids)) {
		if b.ids[p] == nil {
			continue
		}
		la, lb := slices.Sorted(maps.Keys(a.ids[p])), slices.Sorted(maps.Keys(b.ids[p]))
		if !slices.Equal(la, lb) {
			out = append(out, IDDiff{Prefix: p + "_", A: la, B: lb})
		}
	}
	return out
}

func compareLatency(a, b *side) []Latency {
	out := []Latency{}
	for _, c := range slices.Sorted(maps.Keys(a.lat)) {
		if len(b.lat[c]) == 0 {
			continue
		}
		out = append(out, Latency{Client: c, AMs: median(a.lat[c]), BMs: median(b.lat[c])})
	}
	return out
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "drift: %s (A) against %s (B)\n", r.A, r.B)
	for _, d := range r.Sequence {
		fmt.Fprintf(&b, "sequence: the replies to client event %d (%s) differ\n  A: %s\n  B: %s\n", d.N, d.Client, strings.Join(d.A, " "), strings.Join(d.B, " "))
	}
	for _, d := range r.Shapes {
		fmt.Fprintf(&b, "shape: %s\n", d.Type)
		for _, p := range d.OnlyA {
			fmt.Fprintf(&b, "  only in A: %s\n", p)
		}
		for _, p := range d.OnlyB {
			fmt.Fprintf(&b, "  only in B: %s\n", p)
		}
	}
	for _, d := range r.Enums {
		fmt.Fprintf(&b, "values: %s %s: A %v, B %v\n", d.Type, d.Path, d.A, d.B)
	}
	for _, d := range r.IDs {
		fmt.Fprintf(&b, "ids: %s… of %v characters in A, %v in B\n", d.Prefix, d.A, d.B)
	}
	for _, l := range r.Latency {
		fmt.Fprintf(&b, "latency: %s → first reply: A %.0f ms, B %.0f ms (median)\n", l.Client, l.AMs, l.BMs)
	}
	if r.Drifted() {
		fmt.Fprintf(&b, "DRIFT: %d sequences, %d shapes, %d value sets, %d id formats differ\n", len(r.Sequence), len(r.Shapes), len(r.Enums), len(r.IDs))
	} else {
		b.WriteString("no structural drift\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Report
		Drifted bool `json:"drifted"`
	}{r, r.Drifted()})
}
