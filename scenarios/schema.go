package scenarios

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns a JSON Schema (draft 2020-12) of the scenario language, for
// editors that check and complete YAML against a schema. It is generated
// from the table the decoder checks keys against, so it knows every key; the
// checks the schema cannot express (durations in range, contradictions
// between keys) are the decoder's alone. The caller may modify the result.
func Schema() []byte { return slices.Clone(schemaJSON) }

// jsonObj is a JSON object that keeps its key order.
type jsonObj []jsonKV

type jsonKV struct {
	k string
	v any
}

func (o jsonObj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

const schemaID = "https://github.com/rtmock/rtmock/scenarios/schema.json"

// generateSchema renders the table as a JSON Schema.
func generateSchema() []byte {
	defs := jsonObj{}
	for _, o := range objects[1:] {
		defs = append(defs, jsonKV{o.name, objectSchema(o)})
	}
	dur := jsonObj{
		{"type", "string"},
		{"pattern", patDuration},
		{"description", "A duration: a number and a unit (ms, s, m, h), such as 1200ms, 1.5s or 2m."},
	}
	defs = append(defs,
		jsonKV{"duration", dur},
		jsonKV{"frequency", jsonObj{
			{"anyOf", []any{
				jsonObj{{"type", "number"}, {"exclusiveMinimum", 0}},
				jsonObj{{"type", "string"}, {"pattern", patFreq}},
			}},
			{"description", "A frequency such as 440Hz or 1.2kHz, or a number of hertz."},
		}},
		jsonKV{"pace", jsonObj{
			{"type", "string"},
			{"pattern", patPace},
			{"description", "live, realtime, instant, or a speed-up of the live pace such as 4x."},
		}},
		jsonKV{"chunks", jsonObj{
			{"anyOf", []any{
				jsonObj{{"$ref", "#/$defs/duration"}},
				jsonObj{{"type", "array"}, {"items", jsonObj{{"$ref", "#/$defs/duration"}}}, {"minItems", 1}},
			}},
		}},
		jsonKV{"arguments", jsonObj{
			{"anyOf", []any{
				jsonObj{{"type", "string"}, {"contentMediaType", "application/json"}},
				jsonObj{{"type", "object"}},
			}},
		}},
		jsonKV{"match", jsonObj{
			{"type", "object"},
			{"propertyNames", jsonObj{{"pattern", patPath}}},
			{"additionalProperties", jsonObj{
				{"anyOf", []any{
					jsonObj{{"type", []string{"string", "number", "boolean", "null", "array"}}},
					jsonObj{
						{"type", "object"},
						{"properties", jsonObj{{"between", jsonObj{
							{"type", "array"},
							{"items", jsonObj{{"type", "number"}}},
							{"minItems", 2},
							{"maxItems", 2},
						}}}},
						{"required", []string{"between"}},
						{"additionalProperties", false},
					},
				}},
			}},
		}},
	)
	root := jsonObj{
		{"$schema", "https://json-schema.org/draft/2020-12/schema"},
		{"$id", schemaID},
		{"title", "rtmock scenario"},
	}
	root = append(root, objectSchema(scenarioSpec)...)
	root = append(root, jsonKV{"$defs", defs})
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic("scenarios: schema: " + err.Error())
	}
	return append(out, '\n')
}

func objectSchema(o *object) jsonObj {
	props := jsonObj{}
	var required []string
	for _, f := range o.fields {
		s := valueSchema(f.val)
		desc := f.doc
		if f.def != "" {
			desc += " Default: " + strings.ReplaceAll(f.def, "`", "") + "."
		}
		s = append(s, jsonKV{"description", desc})
		if ex, ok := exampleValue(f.example); ok {
			s = append(s, jsonKV{"examples", []any{ex}})
		}
		props = append(props, jsonKV{f.key, s})
		if f.required {
			required = append(required, f.key)
		}
	}
	s := jsonObj{
		{"type", "object"},
		{"description", o.doc},
		{"properties", props},
		{"additionalProperties", false},
	}
	if len(required) > 0 {
		s = append(s, jsonKV{"required", required})
	}
	return s
}

// exampleValue decodes a YAML example into a JSON value.
func exampleValue(ex string) (any, bool) {
	if ex == "" {
		return nil, false
	}
	var v any
	if err := yaml.Unmarshal([]byte(ex), &v); err != nil {
		return nil, false
	}
	return v, true
}

func valueSchema(v value) jsonObj {
	var s jsonObj
	switch v.kind {
	case kString:
		s = jsonObj{{"type", "string"}}
		if v.pattern != "" {
			s = append(s, jsonKV{"pattern", v.pattern})
		}
	case kBool:
		s = jsonObj{{"type", "boolean"}}
	case kInt, kNumber:
		t := "integer"
		if v.kind == kNumber {
			t = "number"
		}
		s = jsonObj{{"type", t}}
		if v.hasLo {
			if v.loExcl {
				s = append(s, jsonKV{"exclusiveMinimum", v.lo})
			} else {
				s = append(s, jsonKV{"minimum", v.lo})
			}
		}
		if v.hasHi {
			s = append(s, jsonKV{"maximum", v.hi})
		}
	case kDuration:
		s = jsonObj{{"$ref", "#/$defs/duration"}}
	case kFrequency:
		s = jsonObj{{"$ref", "#/$defs/frequency"}}
	case kPace:
		s = jsonObj{{"$ref", "#/$defs/pace"}}
	case kEnum:
		s = jsonObj{{"type", "string"}, {"enum", v.enum}}
	case kObject:
		ref := jsonObj{{"$ref", "#/$defs/" + v.obj.name}}
		if v.nullable {
			s = jsonObj{{"anyOf", []any{ref, jsonObj{{"type", "null"}}}}}
		} else {
			s = ref
		}
	case kList:
		s = jsonObj{{"type", "array"}, {"items", valueSchema(*v.elem)}}
		if v.minItems > 0 {
			s = append(s, jsonKV{"minItems", v.minItems})
		}
	case kJSONObject:
		s = jsonObj{{"type", "object"}}
	case kArguments:
		s = jsonObj{{"$ref", "#/$defs/arguments"}}
	case kChunks:
		s = jsonObj{{"$ref", "#/$defs/chunks"}}
	case kMatch:
		s = jsonObj{{"$ref", "#/$defs/match"}}
	default:
		panic(fmt.Sprintf("scenarios: schema: kind %d", v.kind))
	}
	return s
}

// Markers around the generated parts of docs/scenarios.md.
const (
	refBegin      = "<!-- BEGIN GENERATED KEY REFERENCE: edit scenarios/spec.go and run go test ./scenarios -update -->"
	refEnd        = "<!-- END GENERATED KEY REFERENCE -->"
	builtinsBegin = "<!-- BEGIN GENERATED BUILT-IN LIST: edit scenarios/*.yaml and run go test ./scenarios -update -->"
	builtinsEnd   = "<!-- END GENERATED BUILT-IN LIST -->"
)

// keyReference renders the table as the Markdown key reference.
func keyReference() string {
	var b strings.Builder
	for i, o := range objects {
		if i > 0 {
			b.WriteString("\n")
		}
		title := "Top level"
		if o != scenarioSpec {
			title = "`" + o.name + "`"
		}
		fmt.Fprintf(&b, "### %s\n\n", title)
		if o.where != "" {
			fmt.Fprintf(&b, "At `%s`. ", o.where)
		}
		fmt.Fprintf(&b, "%s\n\n", o.doc)
		b.WriteString("| Key | Type | Default | Example | Meaning |\n|---|---|---|---|---|\n")
		for _, f := range o.fields {
			def := f.def
			switch {
			case f.required:
				def = "required"
			case def == "":
				def = "—"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s: %s` | %s |\n",
				f.key, cell(typeName(f.val)), cell(def), f.key, cell(f.example), cell(f.doc))
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// anchor is the link target of an object's heading in the reference.
func anchor(o *object) string { return "#" + o.name }

// typeName describes a value for the reference.
func typeName(v value) string {
	bounds := func(show func(float64) string) string {
		switch {
		case v.hasLo && v.hasHi && v.loExcl:
			return fmt.Sprintf(", above %s, at most %s", show(v.lo), show(v.hi))
		case v.hasLo && v.hasHi:
			return fmt.Sprintf(", %s to %s", show(v.lo), show(v.hi))
		}
		return ""
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	dur := func(x float64) string { return formatDuration(time.Duration(x)) }
	switch v.kind {
	case kString:
		return "string"
	case kBool:
		return "boolean"
	case kInt:
		return "integer" + bounds(num)
	case kNumber:
		return "number" + bounds(num)
	case kDuration:
		s := "duration" + bounds(dur)
		if v.wholeMs {
			s += ", whole ms"
		}
		return s
	case kFrequency:
		return "frequency" + bounds(func(x float64) string { return formatFrequency(x) })
	case kPace:
		return "pace"
	case kEnum:
		switch {
		case slices.Equal(v.enum, clientEventNames):
			return "client event type"
		case slices.Equal(v.enum, serverEventNames):
			return "server event type (either dialect's name)"
		}
		quoted := make([]string, len(v.enum))
		for i, e := range v.enum {
			quoted[i] = "`" + e + "`"
		}
		return "one of " + strings.Join(quoted, ", ")
	case kObject:
		s := fmt.Sprintf("mapping ([%s](%s))", v.obj.name, anchor(v.obj))
		if v.nullable {
			s += " or `null`"
		}
		return s
	case kList:
		s := "list of " + typeName(*v.elem)
		if v.minItems > 0 {
			s = "non-empty " + s
		}
		return s
	case kJSONObject:
		return "mapping (JSON Schema)"
	case kArguments:
		return "JSON object, as text or a mapping"
	case kChunks:
		return "duration or list of durations" + bounds(dur) + " each, whole ms"
	case kMatch:
		return "mapping of field path to value or `{between: [lo, hi]}`"
	}
	return "?"
}

// builtinReference renders the list of built-in scenarios for the docs.
func builtinReference() string {
	var b strings.Builder
	b.WriteString("| Name | What it exercises |\n|---|---|\n")
	for _, sc := range List() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", sc.Name, cell(sc.Description))
	}
	return b.String()
}
