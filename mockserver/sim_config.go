package mockserver

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// applyScenario applies a scenario's session defaults to c.
func applyScenario(c *realtime.SessionConfig, s *scenarios.Session) {
	if s == nil {
		return
	}
	if s.Instructions != nil {
		c.Instructions = *s.Instructions
	}
	if s.Voice != "" {
		c.Voice = s.Voice
	}
	if len(s.Modalities) > 0 {
		c.AudioOut = slices.Contains(s.Modalities, "audio")
	}
	if f, err := audio.ParseFormatLenient(s.InputAudioFormat); s.InputAudioFormat != "" && err == nil {
		c.InputFormat = f
	}
	if f, err := audio.ParseFormatLenient(s.OutputAudioFormat); s.OutputAudioFormat != "" && err == nil {
		c.OutputFormat = f
	}
	if td := s.TurnDetection; td != nil {
		c.TurnDetection = scenarioTurnDetection(td)
	}
	if t := s.InputTranscription; t != nil {
		m := map[string]string{"model": t.Model}
		if t.Language != "" {
			m["language"] = t.Language
		}
		if t.Prompt != "" {
			m["prompt"] = t.Prompt
		}
		c.Transcription, _ = json.Marshal(m)
	}
	if len(s.Tools) > 0 {
		tools := make([]map[string]any, 0, len(s.Tools))
		for _, t := range s.Tools {
			tools = append(tools, map[string]any{"type": "function", "name": t.Name, "description": t.Description, "parameters": t.Parameters})
		}
		c.Tools, _ = json.Marshal(tools)
	}
	if s.Temperature != nil {
		c.Temperature = *s.Temperature
	}
}

// scenarioTurnDetection is a scenario's turn detection over the service's
// defaults; type "none" is manual mode.
func scenarioTurnDetection(td *scenarios.TurnDetection) *realtime.TurnDetection {
	if td.Type == "none" || td.Type == "" {
		return nil
	}
	n := realtime.DefaultTurnDetection()
	n.Type = td.Type
	if td.Threshold != nil {
		n.Threshold = *td.Threshold
	}
	if td.PrefixPaddingMs != nil {
		n.PrefixPaddingMs = *td.PrefixPaddingMs
	}
	if td.SilenceDurationMs != nil {
		n.SilenceDurationMs = *td.SilenceDurationMs
	}
	if td.IdleTimeoutMs != nil {
		ms := *td.IdleTimeoutMs
		n.IdleTimeoutMs = &ms
	}
	if td.CreateResponse != nil {
		n.CreateResponse = *td.CreateResponse
	}
	if td.InterruptResponse != nil {
		n.InterruptResponse = *td.InterruptResponse
	}
	if n.Type == "semantic_vad" {
		n.Eagerness = orDefault(td.Eagerness, "auto")
	}
	return n
}

// responseKeys are members of response.create's response the mock accepts
// and ignores.
var ignoredResponseKeys = []string{"tools", "tool_choice", "prompt", "tracing", "parallel_tool_calls"}

// azureDraftKeys are fields of the early Azure preview draft, still sent by
// rtclient.
var azureDraftKeys = []string{"commit", "cancel_previous", "append_input_items", "input_items"}

func (m *sim) parseResponseParams(v realtime.Value) (*responseParams, *realtime.Error) {
	p := &responseParams{conversation: "auto"}
	r, e := realtime.NewObjectReader("response", v)
	if e != nil || r == nil {
		return p, e
	}
	var instr, voice string
	if r.Has("instructions") {
		if e := r.Str("instructions", &instr); e != nil {
			return nil, e
		}
		p.instructions = &instr
	}
	if e := r.Enum("conversation", &p.conversation, []string{"auto", "none"}); e != nil {
		return nil, e
	}
	var ignored json.RawMessage
	r.Raw("metadata", &p.metadata)
	for _, k := range ignoredResponseKeys {
		r.Raw(k, &ignored)
	}
	if in, ok := r.Take("input"); ok {
		p.hasInput = !in.IsNull()
	}
	if m.dialect == realtime.GA {
		e = m.gaResponseParams(r, p, &voice)
	} else {
		e = m.previewResponseParams(r, p, &voice)
	}
	if e == nil {
		e = r.Unknown()
	}
	if e != nil {
		return nil, e
	}
	if voice != "" {
		if !realtime.IsVoice(voice) {
			return nil, realtime.NewInvalidValueError("response.voice", voice, realtime.Voices())
		}
		p.voice = voice
	}
	return p, nil
}

func (m *sim) gaResponseParams(r *realtime.ObjectReader, p *responseParams, voice *string) *realtime.Error {
	if v, ok := r.Take("output_modalities"); ok {
		if e := readModalities("response.output_modalities", v, true, p); e != nil {
			return e
		}
	}
	r.Raw("max_output_tokens", &p.maxTokens)
	a, ok := r.Take("audio")
	if !ok {
		return nil
	}
	ar, e := realtime.NewObjectReader("response.audio", a)
	if e != nil || ar == nil {
		return e
	}
	if o, ok := ar.Take("output"); ok {
		or, e := realtime.NewObjectReader("response.audio.output", o)
		if e != nil {
			return e
		}
		if or != nil {
			if f, ok := or.Take("format"); ok {
				fm, e := realtime.ParseGAFormat("response.audio.output.format", f)
				if e != nil {
					return e
				}
				p.format = &fm
			}
			if e := or.Str("voice", voice); e != nil {
				return e
			}
			if e := or.Unknown(); e != nil {
				return e
			}
		}
	}
	return ar.Unknown()
}

func (m *sim) previewResponseParams(r *realtime.ObjectReader, p *responseParams, voice *string) *realtime.Error {
	if v, ok := r.Take("modalities"); ok {
		if e := readModalities("response.modalities", v, false, p); e != nil {
			return e
		}
	}
	if e := r.Str("voice", voice); e != nil {
		return e
	}
	var fs string
	if e := r.Str("output_audio_format", &fs); e != nil {
		return e
	}
	if fs != "" {
		fm, err := realtime.ParsePreviewFormat(fs, m.hs.provider == Azure)
		if err != nil {
			return realtime.NewInvalidValueError("response.output_audio_format", fs, []string{"pcm16", "g711_ulaw", "g711_alaw"})
		}
		p.format = &fm
	}
	var temp float64
	if e := r.Number("temperature", &temp, 0.6, 1.2); e != nil {
		return e
	}
	r.Raw("max_response_output_tokens", &p.maxTokens)
	var ignored json.RawMessage
	for _, k := range azureDraftKeys {
		r.Raw(k, &ignored)
	}
	return nil
}

// readModalities reads a response's modalities: GA takes exactly one of
// audio or text; preview takes text, with or without audio.
func readModalities(path string, v realtime.Value, ga bool, p *responseParams) *realtime.Error {
	var mods []string
	for e := range v.Elems() {
		s, ok := e.Str()
		if !ok {
			return realtime.NewInvalidTypeError(path, "an array of strings", v.Kind().String())
		}
		mods = append(mods, s)
	}
	if v.Kind() != realtime.JSONArray {
		return realtime.NewInvalidTypeError(path, "an array", v.Kind().String())
	}
	a := slices.Contains(mods, "audio")
	if ga && len(mods) != 1 {
		return realtime.NewInvalidValueError(path, strings.Join(mods, ","), []string{"audio", "text"})
	}
	if !ga && !slices.Contains(mods, "text") {
		return &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: path,
			Message: fmt.Sprintf("Invalid modalities: %s. Supported combinations are: ['text'] and ['audio', 'text'].", pyList(mods))}
	}
	p.audioOut = &a
	p.textFirst = len(mods) > 0 && mods[0] == "text"
	return nil
}

func pyList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = "'" + x + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
