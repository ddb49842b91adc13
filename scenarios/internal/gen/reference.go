package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtmock/rtmock/scenarios"
	"github.com/rtmock/rtmock/scenarios/internal/spec"
)

// The generated sections of docs/scenarios.md, between markers. A begin
// marker is found by its first words, so that its advice can change.
var sections = []struct {
	begin, end string
	body       func() string
}{
	{"<!-- BEGIN GENERATED BUILT-IN LIST: edit scenarios/*.yaml and run go generate ./scenarios -->",
		"<!-- END GENERATED BUILT-IN LIST -->", builtinReference},
	{"<!-- BEGIN GENERATED KEY REFERENCE: edit scenarios/internal/spec/objects.go and run go generate ./scenarios -->",
		"<!-- END GENERATED KEY REFERENCE -->", keyReference},
}

// spliceSections replaces the generated sections of doc and leaves the rest
// of the page alone.
func spliceSections(doc []byte) ([]byte, error) {
	out := string(doc)
	for _, s := range sections {
		prefix, _, _ := strings.Cut(s.begin, ":")
		i := strings.Index(out, prefix)
		j := strings.Index(out, s.end)
		if i < 0 || j < i {
			return nil, errors.New("markers " + prefix + " … " + s.end + " missing")
		}
		out = out[:i] + s.begin + "\n\n" + s.body() + "\n" + out[j:]
	}
	return []byte(out), nil
}

// keyReference renders the table as the Markdown key reference.
func keyReference() string {
	var b strings.Builder
	for i, o := range spec.Objects {
		if i > 0 {
			b.WriteString("\n")
		}
		title := "Top level"
		if o != spec.Scenario {
			title = "`" + o.Name + "`"
		}
		fmt.Fprintf(&b, "### %s\n\n", title)
		if o.Where != "" {
			fmt.Fprintf(&b, "At `%s`. ", o.Where)
		}
		fmt.Fprintf(&b, "%s\n\n", o.Doc)
		b.WriteString("| Key | Type | Default | Example | Meaning |\n|---|---|---|---|---|\n")
		for _, f := range o.Fields {
			def := f.Def
			switch {
			case f.Required:
				def = "required"
			case def == "":
				def = "—"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | `%s: %s` | %s |\n",
				f.Key, cell(typeName(f.Val)), cell(def), f.Key, cell(f.Example), cell(f.Doc))
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// anchor is the link target of an object's heading in the reference.
func anchor(o *spec.Object) string { return "#" + o.Name }

// typeName describes a value for the reference.
func typeName(v spec.Value) string {
	bounds := func(show func(float64) string) string {
		switch {
		case v.HasLo && v.HasHi && v.LoExcl:
			return fmt.Sprintf(", above %s, at most %s", show(v.Lo), show(v.Hi))
		case v.HasLo && v.HasHi:
			return fmt.Sprintf(", %s to %s", show(v.Lo), show(v.Hi))
		}
		return ""
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	dur := func(x float64) string { return spec.FormatDuration(time.Duration(x)) }
	switch v.Kind {
	case spec.KString:
		return "string"
	case spec.KBool:
		return "boolean"
	case spec.KInt:
		return "integer" + bounds(num)
	case spec.KNumber:
		return "number" + bounds(num)
	case spec.KDuration:
		s := "duration" + bounds(dur)
		if v.WholeMs {
			s += ", whole ms"
		}
		return s
	case spec.KFrequency:
		return "frequency" + bounds(func(x float64) string { return spec.FormatFrequency(x) })
	case spec.KPace:
		return "pace"
	case spec.KEnum:
		return enumTypeName(v.Enum)
	case spec.KObject:
		s := fmt.Sprintf("mapping ([%s](%s))", v.Obj.Name, anchor(v.Obj))
		if v.Nullable {
			s += " or `null`"
		}
		return s
	case spec.KList:
		s := "list of " + typeName(*v.Elem)
		if v.MinItems > 0 {
			s = "non-empty " + s
		}
		return s
	case spec.KJSONObject:
		return "mapping (JSON Schema)"
	case spec.KArguments:
		return "JSON object, as text or a mapping"
	case spec.KChunks:
		return "duration or list of durations" + bounds(dur) + " each, whole ms"
	case spec.KMatch:
		return "mapping of field path to value or `{between: [lo, hi]}`"
	}
	return "?"
}

// enumTypeName describes the values of an enum for the reference.
func enumTypeName(enum []string) string {
	switch {
	case slices.Equal(enum, spec.ClientEvents):
		return "client event type"
	case slices.Equal(enum, spec.ServerEvents):
		return "server event type (either dialect's name)"
	}
	quoted := make([]string, len(enum))
	for i, e := range enum {
		quoted[i] = "`" + e + "`"
	}
	return "one of " + strings.Join(quoted, ", ")
}

// builtinReference renders the list of built-in scenarios for the docs.
func builtinReference() string {
	var b strings.Builder
	b.WriteString("| Name | What it exercises |\n|---|---|\n")
	for _, sc := range scenarios.List() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", sc.Name, cell(sc.Description))
	}
	return b.String()
}
