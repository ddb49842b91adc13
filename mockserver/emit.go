package mockserver

import (
	"encoding/json"
	"strconv"

	"github.com/rtmock/rtmock/realtime"
)

// kv is one member of an event, in order.
type kv struct {
	k string
	v any
}

// rawJSON is a member value that is already JSON.
type rawJSON []byte

// appendMember appends ,"k":v to an event being written.
func appendMember(b []byte, typ string, m kv) []byte {
	b = append(b, ',', '"')
	b = append(b, m.k...)
	b = append(b, '"', ':')
	switch v := m.v.(type) {
	case rawJSON:
		if len(v) == 0 {
			return append(b, "null"...)
		}
		return append(b, v...)
	case string:
		return realtime.AppendJSONString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case nil:
		return append(b, "null"...)
	}
	j, err := json.Marshal(m.v)
	if err != nil {
		panic("mockserver: cannot encode " + typ + "." + m.k + ": " + err.Error())
	}
	return append(b, j...)
}

// nullable is s, or JSON null when it is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func appendInt(b []byte, v int) []byte { return strconv.AppendInt(b, int64(v), 10) }
