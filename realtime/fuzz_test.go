package realtime

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParser checks the tape decoder against encoding/json: it accepts
// exactly what encoding/json accepts, and every string and number it reads
// back equals encoding/json's.
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		`{"type":"x","a":[1,2.5e-3,-0,true,false,null,{"b":"\u00e9\n"}]}`, `{"a":1,}`, `[1,}`, `"\x"`, `01`,
		`{"a":"b","a":"c"}`, `{"k\u0065y":1}`, `[[],{},""]`, ` {"a" : [ ] } `, `"\ud83d\ude00"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Parser
		v, err := p.Parse(b)
		if (err == nil) != json.Valid(b) {
			t.Fatalf("Parse(%q) error = %v, encoding/json valid = %v", b, err, json.Valid(b))
		}
		if err != nil {
			return
		}
		var want any
		if json.Unmarshal(b, &want) != nil {
			t.Fatalf("encoding/json cannot decode %q", b)
		}
		if got := toAny(v); !equalJSON(got, want) {
			t.Fatalf("Parse(%q) = %#v, encoding/json = %#v", b, got, want)
		}
	})
}

// toAny converts a Value into what encoding/json decodes into any.
func toAny(v Value) any {
	switch v.Kind() {
	case JSONObject:
		m := map[string]any{}
		for mem := range v.Members() {
			m[mem.KeyString()] = toAny(mem)
		}
		return m
	case JSONArray:
		a := []any{}
		for e := range v.Elems() {
			a = append(a, toAny(e))
		}
		return a
	case JSONString:
		b, _ := v.Bytes()
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	case JSONNumber:
		f, _ := v.Float()
		return f
	case JSONBool:
		b, _ := v.Bool()
		return b
	}
	return nil
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

