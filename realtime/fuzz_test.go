package realtime

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSessionUpdate feeds arbitrary session objects to the session.update
// decoder of both dialects: it must never panic, a rejected update must
// leave the configuration as it was, and an accepted one must render as
// JSON.
func FuzzSessionUpdate(f *testing.F) {
	for _, s := range []string{
		`{"voice":"shimmer","turn_detection":null}`,
		`{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"turn_detection":{"type":"semantic_vad","eagerness":"low"}},"output":{"voice":"marin","speed":1.2}}}`,
		`{"modalities":["text"],"input_audio_format":"g711-ulaw","temperature":0.7,"max_response_output_tokens":"inf"}`,
		`{"type":"realtime","output_modalities":["text"],"tools":[{"type":"function","name":"f"}],"max_output_tokens":4096}`,
		`{"turn_detection":{"type":"server_vad","threshold":0.9,"prefix_padding_ms":0,"silence_duration_ms":1000,"create_response":false}}`,
		`[]`, `null`, `{"input_audio_transcription":{"model":"whisper-1","language":"de"}}`,
		`{"input_audio_format":"pcm16","input_audio_transcription":{"model":"gpt-4o-transcribe"},"turn_detection":{"type":"server_vad"},"include":null}`,
		`{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","idle_timeout_ms":6000}}}}`,
	} {
		f.Add(s, true, false)
		f.Add(s, false, false)
		f.Add(s, false, true)
	}
	// transcription reads the preview transcription_session.update.
	f.Fuzz(func(t *testing.T, raw string, ga, transcription bool) {
		d := Preview
		if ga {
			d = GA
		}
		var p Parser
		v, err := p.Parse([]byte(raw))
		if err != nil {
			return
		}
		cur := DefaultSessionConfig(d, "")
		before := cur.AppendJSON(nil, d)
		next, perr := ParseSessionUpdate(d, cur, v, &SessionUpdateOptions{AzureFormats: !ga, Transcription: transcription && !ga})
		if perr != nil {
			if after := next.AppendJSON(nil, d); !bytes.Equal(after, before) {
				t.Fatalf("a rejected update (%v) changed the session:\n%s\n%s", perr, before, after)
			}
			if perr.Message == "" {
				t.Fatalf("error without a message: %+v", perr)
			}
			return
		}
		if !json.Valid(next.AppendJSON(nil, d)) {
			t.Fatalf("accepted update renders as invalid JSON")
		}
	})
}

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

// FuzzDecodeClient feeds arbitrary frames to the client event decoder of
// both dialects: it never panics, and it either decodes an event of a
// known kind or answers with an error event that has a message.
func FuzzDecodeClient(f *testing.F) {
	for _, s := range []string{
		`{"type":"input_audio_buffer.append","audio":"AAAA"}`, `{"type":"response.create","response":{"modalities":["text"]}}`,
		`{"type":"conversation.item.truncate","item_id":"i","content_index":0,"audio_end_ms":1.5}`, `{"type":"ping"}`,
		`{"type":"session.update","session":{},"x":1}`, `{"event_id":"e"}`, `[]`, "{\"type\":\"a\xff\"}", `{"type":5}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, ga bool) {
		d := Preview
		if ga {
			d = GA
		}
		var p Parser
		p.StrictUTF8 = true
		ev, err := DecodeClient(&p, d, b)
		if err != nil {
			if err.Message == "" {
				t.Fatalf("DecodeClient(%q): error without a message", b)
			}
			return
		}
		if ev.Kind == ClientUnknown || !ev.Kind.Spec().Dialects.Has(d) {
			t.Fatalf("DecodeClient(%q) accepted kind %v in %s", b, ev.Kind, d)
		}
	})
}
