package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// TestSchemaIsTheFile checks that Schema returns schema.json, which
// scenarios/internal/gen writes (its test fails when the file has drifted
// from the table).
func TestSchemaIsTheFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) || !bytes.Equal(Schema(), data) {
		t.Error("Schema() is not schema.json, or not JSON")
	}
}

// TestBindingsCoverTable checks that every key of the table has a setter
// and every setter a key, so that adding a key cannot go half-done.
func TestBindingsCoverTable(t *testing.T) {
	t.Parallel()
	if len(bindings) != len(spec.Objects) {
		t.Errorf("%d bindings for %d objects", len(bindings), len(spec.Objects))
	}
	for _, o := range spec.Objects {
		b := bindings[o]
		if b == nil {
			t.Errorf("object %s has no binding", o.Name)
			continue
		}
		for _, k := range o.Keys() {
			if b.keys[k] == nil {
				t.Errorf("key %s.%s has no setter", o.Name, k)
			}
		}
		for k := range b.keys {
			if o.Lookup(k) == nil {
				t.Errorf("setter %s.%s has no key in the table", o.Name, k)
			}
		}
	}
}

// loadSchema reads schema.json from disk (the file editors use).
func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlValue reads a YAML file as plain values, as an editor's schema
// checker sees it.
func yamlValue(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func propertyKeys(s map[string]any) []string {
	props, _ := s["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestBuiltinsMatchSchema checks every built-in and kitchen-sink file
// against schema.json: the top-level and turn keys against the schema's key
// sets, and the whole document with a validator for the schema keywords the
// generator uses.
func TestBuiltinsMatchSchema(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	defs := schema["$defs"].(map[string]any)
	topKeys := propertyKeys(schema)
	turnKeys := propertyKeys(defs["turn"].(map[string]any))
	if !cmp.Equal(topKeys, sortedCopy(spec.Scenario.Keys())) || !cmp.Equal(turnKeys, sortedCopy(spec.Turn.Keys())) {
		t.Fatalf("schema.json key sets differ from the decoder's table: top %v, turn %v (run go generate ./scenarios)", topKeys, turnKeys)
	}
	files, _ := filepath.Glob("*.yaml")
	files = append(files, "testdata/kitchen-sink.yaml", "testdata/kitchen-sink-2.yaml")
	for _, path := range files {
		v := yamlValue(t, path)
		doc := v.(map[string]any)
		for k := range doc {
			if !slices.Contains(topKeys, k) {
				t.Errorf("%s: top-level key %q not in the schema", path, k)
			}
		}
		turns, _ := doc["turns"].([]any)
		for i, turn := range turns {
			for k := range turn.(map[string]any) {
				if !slices.Contains(turnKeys, k) {
					t.Errorf("%s: turns[%d] key %q not in the schema", path, i, k)
				}
			}
		}
		for _, problem := range (&schemaChecker{root: schema}).check(schema, v, "") {
			t.Errorf("%s: %s", path, problem)
		}
	}
}

// TestSchemaRejects makes sure the validator used above does find
// problems, so that its silence means something.
func TestSchemaRejects(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	for _, in := range []string{
		"trun: []",
		"turns: [{when: later}]",
		"turns: [{reply: {text: hi}}]",
		"session: {turn_detection: {threshold: 2}}",
		"turns: [{when: response.create, reply: {audio: {duration: 5}}}]",
		"expect: [{client: response.create, match: {a: {betwen: [1, 2]}}}]",
		"pace: fast",
	} {
		var v any
		if err := yaml.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		if problems := (&schemaChecker{root: schema}).check(schema, v, ""); len(problems) == 0 {
			t.Errorf("schema accepts %q", in)
		}
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

// schemaChecker validates values against the JSON Schema keywords the
// generator emits. It fails loudly on any other keyword, so that the
// generator cannot start using one this check ignores.
type schemaChecker struct{ root map[string]any }

var ignoredKeywords = []string{"$schema", "$id", "$defs", "title", "description", "examples", "contentMediaType"}

func (c *schemaChecker) check(s map[string]any, v any, path string) []string {
	var out []string
	for kw, arg := range s {
		k, ok := keywordChecks[kw]
		if !ok {
			if !slices.Contains(ignoredKeywords, kw) {
				panic("schema keyword not checked by the test: " + kw)
			}
			continue
		}
		out = append(out, k(c, kwCall{schema: s, kw: kw, arg: arg, v: v, path: path})...)
	}
	return out
}

// kwCall is one keyword of a schema applied to a value.
type kwCall struct {
	schema map[string]any
	kw     string
	arg, v any
	path   string
}

func (k kwCall) fail(format string, args ...any) []string {
	return []string{k.path + ": " + fmt.Sprintf(format, args...)}
}

// keywordChecks are the JSON Schema keywords the generator emits, each
// checked by one small function. Set in init: the checks call check,
// which reads the table.
var keywordChecks map[string]func(c *schemaChecker, k kwCall) []string

func init() { keywordChecks = schemaKeywords() }

func schemaKeywords() map[string]func(c *schemaChecker, k kwCall) []string {
	return map[string]func(c *schemaChecker, k kwCall) []string{
		"$ref": func(c *schemaChecker, k kwCall) []string {
			name := strings.TrimPrefix(k.arg.(string), "#/$defs/")
			return c.check(c.root["$defs"].(map[string]any)[name].(map[string]any), k.v, k.path)
		},
		"type": checkType,
		"enum": func(_ *schemaChecker, k kwCall) []string {
			if !slices.ContainsFunc(k.arg.([]any), func(e any) bool { return e == k.v }) {
				return k.fail("%v is not in the enum", k.v)
			}
			return nil
		},
		"pattern": func(_ *schemaChecker, k kwCall) []string {
			if s, ok := k.v.(string); ok && !regexp.MustCompile(k.arg.(string)).MatchString(s) {
				return k.fail("%q does not match %s", s, k.arg)
			}
			return nil
		},
		"properties":           checkProperties,
		"additionalProperties": checkAdditional,
		"required": func(_ *schemaChecker, k kwCall) []string {
			obj, _ := k.v.(map[string]any)
			var out []string
			for _, r := range k.arg.([]any) {
				if _, ok := obj[r.(string)]; obj != nil && !ok {
					out = append(out, k.fail("missing %q", r)...)
				}
			}
			return out
		},
		"propertyNames": func(c *schemaChecker, k kwCall) []string {
			obj, _ := k.v.(map[string]any)
			var out []string
			for key := range obj {
				out = append(out, c.check(k.arg.(map[string]any), key, k.path+"."+key)...)
			}
			return out
		},
		"items": func(c *schemaChecker, k kwCall) []string {
			arr, _ := k.v.([]any)
			var out []string
			for i, item := range arr {
				out = append(out, c.check(k.arg.(map[string]any), item, fmt.Sprintf("%s[%d]", k.path, i))...)
			}
			return out
		},
		"minItems": checkItemCount,
		"maxItems": checkItemCount,
		"anyOf": func(c *schemaChecker, k kwCall) []string {
			for _, alt := range k.arg.([]any) {
				if len(c.check(alt.(map[string]any), k.v, k.path)) == 0 {
					return nil
				}
			}
			return k.fail("matches none of anyOf")
		},
		"minimum":          checkBound,
		"maximum":          checkBound,
		"exclusiveMinimum": checkBound,
	}
}

func checkType(_ *schemaChecker, k kwCall) []string {
	var types []string
	switch a := k.arg.(type) {
	case string:
		types = []string{a}
	case []any:
		for _, x := range a {
			types = append(types, x.(string))
		}
	}
	if !slices.ContainsFunc(types, func(typ string) bool { return hasType(k.v, typ) }) {
		return k.fail("want type %v, got %T", types, k.v)
	}
	return nil
}

func checkProperties(c *schemaChecker, k kwCall) []string {
	obj, _ := k.v.(map[string]any)
	props, _ := k.arg.(map[string]any)
	var out []string
	for key, pv := range obj {
		if ps, ok := props[key]; ok {
			out = append(out, c.check(ps.(map[string]any), pv, k.path+"."+key)...)
		}
	}
	return out
}

func checkAdditional(c *schemaChecker, k kwCall) []string {
	obj, _ := k.v.(map[string]any)
	props, _ := k.schema["properties"].(map[string]any)
	var out []string
	for key, pv := range obj {
		if _, ok := props[key]; ok {
			continue
		}
		switch a := k.arg.(type) {
		case bool:
			if !a {
				out = append(out, k.fail("unknown key %q", key)...)
			}
		case map[string]any:
			out = append(out, c.check(a, pv, k.path+"."+key)...)
		}
	}
	return out
}

func checkItemCount(_ *schemaChecker, k kwCall) []string {
	arr, ok := k.v.([]any)
	if !ok {
		return nil
	}
	n := int(k.arg.(float64))
	if k.kw == "minItems" && len(arr) < n || k.kw == "maxItems" && len(arr) > n {
		return k.fail("%d items breaks %s %d", len(arr), k.kw, n)
	}
	return nil
}

func checkBound(_ *schemaChecker, k kwCall) []string {
	f, ok := number(k.v)
	if !ok {
		return nil
	}
	lim := k.arg.(float64)
	if k.kw == "minimum" && f < lim || k.kw == "maximum" && f > lim || k.kw == "exclusiveMinimum" && f <= lim {
		return k.fail("%v breaks %s %v", f, k.kw, lim)
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		f, ok := number(v)
		return ok && f == math.Trunc(f)
	}
	return false
}

// TestKitchenSinkCoversEveryKey makes sure the kitchen-sink files use every
// key of the table, so that TestKitchenSink and the round trips exercise the
// decoder for each.
func TestKitchenSinkCoversEveryKey(t *testing.T) {
	t.Parallel()
	seen := map[*spec.Object]map[string]bool{}
	var walk func(o *spec.Object, n *yaml.Node)
	walk = func(o *spec.Object, n *yaml.Node) {
		if n.Kind != yaml.MappingNode {
			return
		}
		if seen[o] == nil {
			seen[o] = map[string]bool{}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			f := o.Lookup(n.Content[i].Value)
			if f == nil {
				t.Fatalf("kitchen sink has unknown key %q in %s", n.Content[i].Value, o.Name)
			}
			seen[o][f.Key] = true
			v := n.Content[i+1]
			switch {
			case f.Val.Kind == spec.KObject:
				walk(f.Val.Obj, v)
			case f.Val.Kind == spec.KList && f.Val.Elem.Kind == spec.KObject:
				for _, item := range v.Content {
					walk(f.Val.Elem.Obj, item)
				}
			}
		}
	}
	for _, path := range []string{"testdata/kitchen-sink.yaml", "testdata/kitchen-sink-2.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		walk(spec.Scenario, doc.Content[0])
	}
	for _, o := range spec.Objects {
		for _, k := range o.Keys() {
			if !seen[o][k] {
				t.Errorf("no kitchen-sink file uses %s.%s", o.Name, k)
			}
		}
	}
}

// TestHintsPointHome checks that every key that lives in exactly one
// mapping is found from the others, so misplaced keys get a useful hint.
func TestHintsPointHome(t *testing.T) {
	t.Parallel()
	h := unknownKeyHint(spec.Reply, "after_played")
	if h != `"after_played" is a key of turns[].interrupt` {
		t.Errorf("hint = %q", h)
	}
	if h := unknownKeyHint(spec.Turn, "expires_after"); h != `"expires_after" is a top-level key` {
		t.Errorf("hint = %q", h)
	}
}

// TestPremisesMatchTable keeps the Premise constants and the table's values
// of premise the same.
func TestPremisesMatchTable(t *testing.T) {
	t.Parallel()
	got := []string{PremiseAudioInput, PremiseTextInput, PremiseResponseCreate, PremiseTools, PremiseServerVAD, PremiseManualTurns}
	if !slices.Equal(got, spec.Premises) || AfterInterrupt != spec.InterruptAnchor {
		t.Errorf("Premise constants %v, table %v; interrupt %q, table %q", got, spec.Premises, AfterInterrupt, spec.InterruptAnchor)
	}
}

// TestTriggersMatchTable keeps the Trigger constants and the table's
// values of when the same.
func TestTriggersMatchTable(t *testing.T) {
	t.Parallel()
	got := []string{string(OnConnect), string(OnResponseCreate), string(OnUserSpeech), string(OnItemCreate), string(OnCommit), string(OnResponse), string(OnIdleTimeout)}
	if !slices.Equal(got, spec.Triggers) {
		t.Errorf("Trigger constants %v, table %v", got, spec.Triggers)
	}
}
