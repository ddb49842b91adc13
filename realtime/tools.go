package realtime

import (
	"strconv"
)

// toolTypes are the tool types each dialect's session takes.
var toolTypes = map[Dialect][]string{
	Preview: {"function"},
	GA:      {"function", "mcp"},
}

// CheckTools validates a session's or a response's tools as the service
// does before it accepts an update: an array of objects, each with a known
// type; a function with a name of letters, digits, '_' and '-' (at most 64)
// and, when given, object parameters. null clears the tools and passes.
func CheckTools(d Dialect, path string, v Value) *Error {
	if v.IsNull() {
		return nil
	}
	if v.Kind() != JSONArray {
		return NewInvalidTypeError(path, "an array", v.Kind().String())
	}
	i := 0
	for t := range v.Elems() {
		if err := checkTool(d, path+"["+strconv.Itoa(i)+"]", t); err != nil {
			return err
		}
		i++
	}
	return nil
}

func checkTool(d Dialect, path string, t Value) *Error {
	if t.Kind() != JSONObject {
		return NewInvalidTypeError(path, "an object", t.Kind().String())
	}
	typ := t.Get("type")
	if !typ.Exists() {
		return NewMissingParameterError(path + ".type")
	}
	s, ok := typ.Str()
	if !ok {
		return NewInvalidTypeError(path+".type", "a string", typ.Kind().String())
	}
	if !containsString(toolTypes[d], s) {
		return NewInvalidValueError(path+".type", s, toolTypes[d])
	}
	if s != "function" {
		return nil
	}
	return checkFunction(path, t)
}

func checkFunction(path string, t Value) *Error {
	name := t.Get("name")
	if !name.Exists() {
		return NewMissingParameterError(path + ".name")
	}
	s, ok := name.Str()
	if !ok {
		return NewInvalidTypeError(path+".name", "a string", name.Kind().String())
	}
	if !validToolName(s) {
		return invalid(CodeInvalidValue, path+".name",
			"Invalid '%s': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.", path+".name")
	}
	p := t.Get("parameters")
	if p.Exists() && !p.IsNull() && p.Kind() != JSONObject {
		return NewInvalidTypeError(path+".parameters", "an object", p.Kind().String())
	}
	if p.Kind() == JSONObject {
		return checkParameters(path+".parameters", s, p)
	}
	return nil
}

// checkParameters refuses a parameters schema that is not of type object,
// with the code and wording OpenAI's HTTP APIs use for it
// (invalid_function_parameters); no Realtime frame of it was found
// (docs/live-service.md §7), so the wording is inferred.
// A schema without a type passes: clients send {} for a function without
// arguments, and refusing it on no evidence would fail them.
func checkParameters(path, name string, p Value) *Error {
	v := p.Get("type")
	if !v.Exists() {
		return nil
	}
	typ, ok := v.Str()
	if ok && typ == "object" {
		return nil
	}
	if !ok {
		typ = v.Kind().String()
	}
	return invalid(CodeInvalidFunctionParameters, path,
		"Invalid schema for function '%s': schema must be a JSON Schema of 'type: \"object\"', got 'type: \"%s\"'.", name, typ)
}

func validToolName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
