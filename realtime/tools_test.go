package realtime_test

import (
	"testing"

	"github.com/rtmock/rtmock/realtime"
)

func TestCheckTools(t *testing.T) {
	tests := []struct {
		d          realtime.Dialect
		tools      string
		code, path string // "" when the tools are accepted
	}{
		{realtime.Preview, `[]`, "", ""},
		{realtime.Preview, `null`, "", ""},
		{realtime.Preview, `[{"type":"function","name":"get_weather","description":"d","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`, "", ""},
		{realtime.GA, `[{"type":"function","name":"a-b_C9"},{"type":"mcp","server_label":"x","server_url":"https://example.com"}]`, "", ""},
		{realtime.Preview, `{"a":1}`, "invalid_type", "session.tools"},
		{realtime.Preview, `"notalist"`, "invalid_type", "session.tools"},
		{realtime.Preview, `[1]`, "invalid_type", "session.tools[0]"},
		{realtime.Preview, `[{"name":"x"}]`, "missing_required_parameter", "session.tools[0].type"},
		{realtime.Preview, `[{"type":7}]`, "invalid_type", "session.tools[0].type"},
		{realtime.Preview, `[{"type":"mcp"}]`, "invalid_value", "session.tools[0].type"},
		{realtime.GA, `[{"type":"function","name":"ok"},{"type":"function"}]`, "missing_required_parameter", "session.tools[1].name"},
		{realtime.GA, `[{"type":"function","name":""}]`, "invalid_value", "session.tools[0].name"},
		{realtime.GA, `[{"type":"function","name":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]`, "invalid_value", "session.tools[0].name"},
		{realtime.GA, `[{"type":"function","name":"x","parameters":"{}"}]`, "invalid_type", "session.tools[0].parameters"},
		{realtime.GA, `[{"type":"function","name":"x","parameters":{"type":"string"}}]`, "invalid_function_parameters", "session.tools[0].parameters"},
		{realtime.Preview, `[{"type":"function","name":"x","parameters":{"type":["object"]}}]`, "invalid_function_parameters", "session.tools[0].parameters"},
		{realtime.GA, `[{"type":"function","name":"x","parameters":{}}]`, "", ""},
	}
	for _, tt := range tests {
		var p realtime.Parser
		v, err := p.Parse([]byte(tt.tools))
		if err != nil {
			t.Fatal(err)
		}
		e := realtime.CheckTools(tt.d, "session.tools", v)
		switch {
		case tt.code == "" && e != nil:
			t.Errorf("%s %s: refused with %v; the service takes it", tt.d, tt.tools, e)
		case tt.code != "" && e == nil:
			t.Errorf("%s %s: accepted, want %s at %s", tt.d, tt.tools, tt.code, tt.path)
		case tt.code != "" && (e.Code != tt.code || e.Param != tt.path):
			t.Errorf("%s %s: %s at %s, want %s at %s", tt.d, tt.tools, e.Code, e.Param, tt.code, tt.path)
		}
	}
}

func FuzzCheckTools(f *testing.F) {
	f.Add([]byte(`[{"type":"function","name":"a","parameters":{}}]`))
	f.Add([]byte(`[{"type":"mcp"},1,null]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p realtime.Parser
		v, err := p.Parse(data)
		if err != nil {
			return
		}
		for _, d := range []realtime.Dialect{realtime.Preview, realtime.GA} {
			if e := realtime.CheckTools(d, "tools", v); e != nil && (e.Code == "" || e.Message == "") {
				t.Fatalf("an error without code or message: %+v", e)
			}
		}
	})
}
