package livedata_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rtmock/rtmock/internal/leakcheck"
	"github.com/rtmock/rtmock/internal/livedata"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const (
	shapesFile = "../../testdata/live/shapes.json"
	catalogue  = "../../docs/live-service.md"
)

// The committed file parses, and it and the catalogue cite the same sources.
func TestShapesFileMatchesTheCatalogue(t *testing.T) {
	t.Parallel()
	s, err := livedata.Load(shapesFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(catalogue)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| \[(L[0-9]+)\] \|`).FindAllStringSubmatch(string(doc), -1) {
		defined[m[1]] = true
	}
	for _, src := range s.Sources {
		if !defined[src.ID] {
			t.Errorf("source %s is in %s but not in the source table of %s", src.ID, shapesFile, catalogue)
		}
	}
	inFile := map[string]bool{}
	for _, src := range s.Sources {
		inFile[src.ID] = true
	}
	for _, m := range regexp.MustCompile(`\[(L[0-9]+)\]`).FindAllStringSubmatch(string(doc), -1) {
		if !inFile[m[1]] {
			t.Errorf("%s cites [%s], which %s does not define", catalogue, m[1], shapesFile)
		}
	}
	if len(s.Events) == 0 || len(s.IDs) == 0 || len(s.Latencies) == 0 {
		t.Fatalf("events %d, ids %d, latencies %d: want all three", len(s.Events), len(s.IDs), len(s.Latencies))
	}
}

// The catalogue's appendix lists, for every entry, exactly the file's paths,
// types, optional and absent paths.
func TestCatalogueAppendixMatchesTheFile(t *testing.T) {
	t.Parallel()
	s, err := livedata.Load(shapesFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(catalogue)
	if err != nil {
		t.Fatal(err)
	}
	_, appendix, ok := strings.Cut(string(doc), "\n## Appendix: key sets by event\n")
	if !ok {
		t.Fatalf("%s has no appendix", catalogue)
	}
	listed := map[string][]string{} // "dialect type variant" -> lines of its code block
	heading := regexp.MustCompile("^### (preview|ga) · `([^`]+)`(?: \\((.+)\\))?$")
	var entry string
	inBlock := false
	for _, line := range strings.Split(appendix, "\n") {
		switch {
		case heading.MatchString(line):
			m := heading.FindStringSubmatch(line)
			entry = m[1] + " " + m[2] + " " + m[3]
			listed[entry] = []string{}
		case line == "```":
			inBlock = !inBlock
		case inBlock:
			listed[entry] = append(listed[entry], strings.Join(strings.Fields(line), " "))
		}
	}
	for _, e := range s.Events {
		id := e.Dialect + " " + e.Type + " " + e.Variant
		var want []string
		for p, types := range e.Keys {
			line := p + " " + types
			if slices.Contains(e.Optional, p) {
				line += " optional"
			}
			want = append(want, line)
		}
		for _, p := range e.Absent {
			want = append(want, p+" absent")
		}
		got, ok := listed[id]
		if !ok {
			t.Errorf("the appendix has no section for %s", id)
			continue
		}
		delete(listed, id)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("appendix section %s:\n got %q\nwant %q", id, got, want)
		}
	}
	for id := range listed {
		t.Errorf("the appendix has a section for %s, which the file lacks", id)
	}
}

// Facts the catalogue's text states are the facts the file holds.
func TestShapesFileHoldsTheStatedFacts(t *testing.T) {
	t.Parallel()
	s, err := livedata.Load(shapesFile)
	if err != nil {
		t.Fatal(err)
	}
	added := s.Event("ga", "conversation.item.added", "")
	if added == nil || !slices.Contains(added.Absent, "item.object") {
		t.Errorf("GA conversation.item.added: want item.object absent, got %+v", added)
	}
	done := s.Event("ga", "response.done", "")
	if done == nil || done.Keys["response.usage.input_token_details.image_tokens"] != livedata.TypeNumber {
		t.Errorf("GA response.done: want usage image_tokens a number")
	}
	delta := s.Event("ga", "response.output_audio_transcript.delta", "")
	if delta == nil || delta.Keys["obfuscation"] != livedata.TypeString || slices.Contains(delta.Optional, "obfuscation") {
		t.Errorf("GA output_audio_transcript.delta: want a required string obfuscation")
	}
	created := s.Event("preview", "session.created", "")
	if created == nil || !slices.Contains(created.Enums["session.modalities"], "audio,text") {
		t.Errorf("preview session.created: want the modalities order audio,text recorded")
	}
	var event21 bool
	for _, f := range s.IDs {
		event21 = event21 || (f.Prefix == "event_" && f.Length == 21)
	}
	if !event21 {
		t.Error("want the event_ + 21 id format")
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	var v any
	raw := `{"type":"x","item":{"content":[{"type":"input_audio","transcript":null},{"type":"input_text","text":"hi"}]},"n":1,"ok":true,"e":[]}`
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	got := livedata.Paths(v)
	want := map[string][]string{
		"type": {"string"}, "item": {"object"}, "item.content": {"array"},
		"item.content[].type": {"string"}, "item.content[].transcript": {"null"},
		"item.content[].text": {"string"}, "n": {"number"}, "ok": {"boolean"}, "e": {"array"},
	}
	if len(got) != len(want) {
		t.Fatalf("Paths = %v, want %v", got, want)
	}
	for p, ts := range want {
		if !slices.Equal(got[p], ts) {
			t.Errorf("Paths[%q] = %v, want %v", p, got[p], ts)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	e := &livedata.Event{
		Dialect: "ga", Type: "conversation.item.added", Frames: 1, Sources: []string{"L1"},
		Keys: map[string]string{
			"type": "string", "event_id": "string", "previous_item_id": "null|string",
			"item": "object", "item.id": "string", "item.content": "array",
			"item.content[].type": "string", "item.content[].transcript": "null",
		},
		Optional: []string{"item.content[].transcript"},
		Absent:   []string{"item.object"},
	}
	for _, tc := range []struct {
		name, frame string
		want        []string
	}{
		{"a frame like the recordings", `{"type":"t","event_id":"e","previous_item_id":null,"item":{"id":"i","content":[{"type":"input_text"}]}}`, nil},
		{"an empty array has no element paths to miss", `{"type":"t","event_id":"e","previous_item_id":"p","item":{"id":"i","content":[]}}`, nil},
		{"a required member is missing", `{"type":"t","previous_item_id":null,"item":{"id":"i","content":[]}}`, []string{"missing event_id"}},
		{"a member of a missing object is not reported twice", `{"type":"t","event_id":"e","previous_item_id":null}`, []string{"missing item"}},
		{"a type never recorded", `{"type":"t","event_id":1,"previous_item_id":null,"item":{"id":"i","content":[]}}`, []string{"event_id is number, recorded string"}},
		{"an absent member is present", `{"type":"t","event_id":"e","previous_item_id":null,"item":{"id":"i","object":"realtime.item","content":[]}}`, []string{"unexpected item.object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Check([]byte(tc.frame))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Check = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := e.Check([]byte(`{`)); err == nil {
		t.Error("Check of broken JSON: want an error")
	}
}

// valid is the smallest file that parses; the cases below break one thing each.
const valid = `{"format":1,"about":"x",
 "sources":[{"id":"L1","kind":"capture","provider":"openai","dialect":"ga","transport":"websocket","date":"2026-01-01","url":"https://example.com/x","server_events":1}],
 "events":[{"dialect":"ga","type":"error","providers":["openai"],"frames":1,"sources":["L1"],
   "keys":{"type":"string","error":"object","error.code":"null|string","list":"array","list[].a":"number"},
   "optional":["error.code"],"absent":["error.extra"],"enums":{"error.code":["x"]},
   "values":{"list[].a":[1]},"measures":{"type#chars":[5]}}],
 "ids":[{"prefix":"event_","length":21,"alphabet":"[0-9A-Za-z]","distinct":1,"sources":["L1"]}],
 "latencies":[{"request":"a","reply":"b","ms":[1.5],"provider":"openai","dialect":"ga","transport":"websocket","sources":["L1"]}]}`

func TestParseRejects(t *testing.T) {
	t.Parallel()
	if _, err := livedata.Parse([]byte(valid)); err != nil {
		t.Fatalf("the valid file: %v", err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"another format", `"format":1`, `"format":2`, "format 2"},
		{"an unknown member", `"about":"x"`, `"about":"x","extra":1`, "unknown field"},
		{"an event citing no known source", `"frames":1,"sources":["L1"]`, `"frames":1,"sources":["L9"]`, `source "L9" is not in sources`},
		{"a latency citing nothing", `"transport":"websocket","sources":["L1"]}]}`, `"transport":"websocket","sources":[]}]}`, "no sources"},
		{"a bad source id", `"id":"L1"`, `"id":"X1"`, "not L<number>"},
		{"a source nobody can find", `"url":"https://example.com/x",`, ``, "neither a url nor a title"},
		{"an unknown kind", `"kind":"capture"`, `"kind":"guess"`, "kind"},
		{"a type that is not JSON's", `"error.code":"null|string"`, `"error.code":"null|text"`, "not a JSON type"},
		{"a path without its parent", `"error":"object",`, ``, `parent "error"`},
		{"an element path under a non-array", `"list":"array"`, `"list":"object"`, `parent "list" is not a recorded array`},
		{"a malformed path", `"list[].a":"number"`, `"list[].a..b":"number"`, "malformed segment"},
		{"an optional path that is not a key", `"optional":["error.code"]`, `"optional":["error.nope"]`, "optional"},
		{"an absent path that is a key", `"absent":["error.extra"]`, `"absent":["error.code"]`, "absent"},
		{"a bad measure", `"type#chars"`, `"type"`, "measure"},
		{"a negative time", `"ms":[1.5]`, `"ms":[-1]`, "negative"},
		{"trailing data", `"sources":["L1"]}]}`, `"sources":["L1"]}]} {}`, "after the top-level"},
		{"a bad alphabet", `"alphabet":"[0-9A-Za-z]"`, `"alphabet":"[0-9"`, "alphabet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(valid, tc.old) {
				t.Fatalf("the valid file lacks %q", tc.old)
			}
			_, err := livedata.Parse([]byte(strings.Replace(valid, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDuplicateEntry(t *testing.T) {
	t.Parallel()
	var s livedata.Shapes
	if err := json.Unmarshal([]byte(valid), &s); err != nil {
		t.Fatal(err)
	}
	s.Events = append(s.Events, s.Events[0])
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "duplicate entry") {
		t.Errorf("Validate = %v, want a duplicate entry", err)
	}
}

func FuzzParse(f *testing.F) {
	// The committed file is not a seed: minimizing a 60 KB input stalls the
	// fuzzer for minutes, and TestShapesFileMatchesTheCatalogue parses it.
	f.Add([]byte(valid))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":1,"events":[{"keys":{"a[][]":"array"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := livedata.Parse(data)
		if err != nil {
			return
		}
		// What parses survives a round trip unchanged and still validates.
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		again, err := livedata.Parse(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		out2, err := json.Marshal(again)
		if err != nil || string(out) != string(out2) {
			t.Fatalf("round trip changed the data:\n%s\n%s", out, out2)
		}
		for _, e := range s.Events {
			if _, err := e.Check([]byte(`{"type":"x","a":[{"b":null}]}`)); err != nil {
				t.Fatalf("Check: %v", err)
			}
		}
	})
}
