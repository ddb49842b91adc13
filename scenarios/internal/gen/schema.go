package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

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

// schemaJSON renders the table as a JSON Schema.
func schemaJSON() []byte {
	defs := jsonObj{}
	for _, o := range spec.Objects[1:] {
		defs = append(defs, jsonKV{o.Name, objectSchema(o)})
	}
	dur := jsonObj{
		{"type", "string"},
		{"pattern", spec.PatDuration},
		{"description", "A duration: a number and a unit (ms, s, m, h), such as 1200ms, 1.5s or 2m."},
	}
	defs = append(defs,
		jsonKV{"duration", dur},
		jsonKV{"frequency", jsonObj{
			{"anyOf", []any{
				jsonObj{{"type", "number"}, {"exclusiveMinimum", 0}},
				jsonObj{{"type", "string"}, {"pattern", spec.PatFreq}},
			}},
			{"description", "A frequency such as 440Hz or 1.2kHz, or a number of hertz."},
		}},
		jsonKV{"pace", jsonObj{
			{"type", "string"},
			{"pattern", spec.PatPace},
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
			{"propertyNames", jsonObj{{"pattern", spec.PatPath}}},
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
	root = append(root, objectSchema(spec.Scenario)...)
	root = append(root, jsonKV{"$defs", defs})
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic("gen: schema: " + err.Error())
	}
	return append(out, '\n')
}

func objectSchema(o *spec.Object) jsonObj {
	props := jsonObj{}
	var required []string
	for _, f := range o.Fields {
		s := valueSchema(f.Val)
		desc := f.Doc
		if f.Def != "" {
			desc += " Default: " + strings.ReplaceAll(f.Def, "`", "") + "."
		}
		s = append(s, jsonKV{"description", desc})
		if ex, ok := exampleValue(f.Example); ok {
			s = append(s, jsonKV{"examples", []any{ex}})
		}
		props = append(props, jsonKV{f.Key, s})
		if f.Required {
			required = append(required, f.Key)
		}
	}
	s := jsonObj{
		{"type", "object"},
		{"description", o.Doc},
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

func valueSchema(v spec.Value) jsonObj {
	var s jsonObj
	switch v.Kind {
	case spec.KString:
		s = jsonObj{{"type", "string"}}
		if v.Pattern != "" {
			s = append(s, jsonKV{"pattern", v.Pattern})
		}
	case spec.KBool:
		s = jsonObj{{"type", "boolean"}}
	case spec.KInt, spec.KNumber:
		t := "integer"
		if v.Kind == spec.KNumber {
			t = "number"
		}
		s = jsonObj{{"type", t}}
		if v.HasLo {
			if v.LoExcl {
				s = append(s, jsonKV{"exclusiveMinimum", v.Lo})
			} else {
				s = append(s, jsonKV{"minimum", v.Lo})
			}
		}
		if v.HasHi {
			s = append(s, jsonKV{"maximum", v.Hi})
		}
	case spec.KDuration:
		s = jsonObj{{"$ref", "#/$defs/duration"}}
	case spec.KFrequency:
		s = jsonObj{{"$ref", "#/$defs/frequency"}}
	case spec.KPace:
		s = jsonObj{{"$ref", "#/$defs/pace"}}
	case spec.KEnum:
		s = jsonObj{{"type", "string"}, {"enum", v.Enum}}
	case spec.KObject:
		ref := jsonObj{{"$ref", "#/$defs/" + v.Obj.Name}}
		if v.Nullable {
			s = jsonObj{{"anyOf", []any{ref, jsonObj{{"type", "null"}}}}}
		} else {
			s = ref
		}
	case spec.KList:
		s = jsonObj{{"type", "array"}, {"items", valueSchema(*v.Elem)}}
		if v.MinItems > 0 {
			s = append(s, jsonKV{"minItems", v.MinItems})
		}
	case spec.KJSONObject:
		s = jsonObj{{"type", "object"}}
	case spec.KArguments:
		s = jsonObj{{"$ref", "#/$defs/arguments"}}
	case spec.KChunks:
		s = jsonObj{{"$ref", "#/$defs/chunks"}}
	case spec.KMatch:
		s = jsonObj{{"$ref", "#/$defs/match"}}
	default:
		panic(fmt.Sprintf("gen: schema: kind %d", v.Kind))
	}
	return s
}
