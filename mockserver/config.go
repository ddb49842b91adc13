package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rtmock/rtmock/audio"
	"github.com/rtmock/rtmock/realtime"
	"github.com/rtmock/rtmock/scenarios"
)

// voices the service accepts.
var voices = []string{"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}

// turnDetection is the effective VAD configuration; nil on sessionConfig
// means manual mode (turn_detection null, or Azure's {"type":"none"}).
type turnDetection struct {
	Type              string
	Threshold         float64
	PrefixPaddingMs   int
	SilenceDurationMs int
	CreateResponse    bool
	InterruptResponse bool
	Eagerness         string
	IdleTimeoutMs     *int
}

func defaultTurnDetection() *turnDetection {
	return &turnDetection{Type: "server_vad", Threshold: 0.5, PrefixPaddingMs: 300, SilenceDurationMs: 200, CreateResponse: true, InterruptResponse: true}
}

// sessionConfig is the session's effective configuration, dialect-neutral.
type sessionConfig struct {
	ID, Model       string
	Type            string // GA session.type: realtime | transcription
	ExpiresAt       int64
	AudioOut        bool // modalities include audio (GA ["audio"], preview ["text","audio"])
	Instructions    string
	Voice           string
	InputFormat     audio.Format
	OutputFormat    audio.Format
	Transcription   json.RawMessage // null or {"model":…}
	NoiseReduction  json.RawMessage
	TurnDetection   *turnDetection
	Tools           json.RawMessage
	ToolChoice      json.RawMessage
	Temperature     float64
	MaxOutputTokens json.RawMessage
	Speed           float64
	Tracing         json.RawMessage
	Truncation      json.RawMessage
	Prompt          json.RawMessage
	Include         json.RawMessage
}

const defaultInstructions = "Your knowledge cutoff is 2023-10. You are a helpful, witty, and friendly AI. Act like a human, but remember that you aren't a human and that you can't do human things in the real world. Your voice and personality should be warm and engaging, with a lively and playful tone."

func defaultSessionConfig(d realtime.Dialect, model string) sessionConfig {
	if model == "" {
		model = "gpt-4o-realtime-preview"
		if d == realtime.GA {
			model = "gpt-realtime"
		}
	}
	return sessionConfig{
		Model: model, Type: "realtime", AudioOut: true,
		Instructions: defaultInstructions, Voice: "alloy",
		Transcription: jsonNull, NoiseReduction: jsonNull,
		TurnDetection: defaultTurnDetection(),
		Tools:         json.RawMessage(`[]`), ToolChoice: json.RawMessage(`"auto"`),
		Temperature: 0.8, MaxOutputTokens: json.RawMessage(`"inf"`), Speed: 1,
		Tracing: jsonNull, Truncation: json.RawMessage(`"auto"`), Prompt: jsonNull, Include: jsonNull,
	}
}

var jsonNull = json.RawMessage("null")

func (c *sessionConfig) clone() sessionConfig {
	n := *c
	if c.TurnDetection != nil {
		td := *c.TurnDetection
		n.TurnDetection = &td
	}
	return n
}

// applyScenario applies a scenario's session defaults.
func (c *sessionConfig) applyScenario(s *scenarios.Session) {
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
		if td.Type == "none" || td.Type == "" {
			c.TurnDetection = nil
		} else {
			n := defaultTurnDetection()
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
			if td.CreateResponse != nil {
				n.CreateResponse = *td.CreateResponse
			}
			if td.InterruptResponse != nil {
				n.InterruptResponse = *td.InterruptResponse
			}
			if n.Type == "semantic_vad" {
				n.Eagerness = "auto"
			}
			c.TurnDetection = n
		}
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

// fields is a JSON object being validated: every member must be consumed.
type fields struct {
	path string
	m    map[string]json.RawMessage
	keys []string // in document order, for "first unknown parameter"
}

func decodeObject(path string, raw json.RawMessage) (*fields, *realtime.Error) {
	if isNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, realtime.ErrInvalidType(path, "an object", jsonKind(raw))
	}
	return &fields{path: path, m: m, keys: objectKeys(raw)}, nil
}

// objectKeys lists the keys of a JSON object in document order.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}

func (f *fields) sub(k string) string {
	if f.path == "" {
		return k
	}
	return f.path + "." + k
}

// take removes and returns member k.
func (f *fields) take(k string) (json.RawMessage, bool) {
	v, ok := f.m[k]
	if ok {
		delete(f.m, k)
	}
	return v, ok
}

// unknown reports the first member no handler consumed.
func (f *fields) unknown() *realtime.Error {
	for _, k := range f.keys {
		if _, ok := f.m[k]; ok {
			return realtime.ErrUnknownParameter(f.sub(k))
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (f *fields) str(k string, dst *string) *realtime.Error {
	raw, ok := f.take(k)
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return realtime.ErrInvalidType(f.sub(k), "a string", jsonKind(raw))
	}
	return nil
}

func (f *fields) boolean(k string, dst *bool) *realtime.Error {
	raw, ok := f.take(k)
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || isNull(raw) {
		return realtime.ErrInvalidType(f.sub(k), "a boolean", jsonKind(raw))
	}
	return nil
}

func (f *fields) number(k string, dst *float64, min, max float64) *realtime.Error {
	raw, ok := f.take(k)
	if !ok {
		return nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || isNull(raw) {
		return realtime.ErrInvalidType(f.sub(k), "a decimal", jsonKind(raw))
	}
	if v < min {
		return realtime.ErrBelowMin(f.sub(k), min, v, false)
	}
	if v > max {
		return realtime.ErrAboveMax(f.sub(k), max, v, false)
	}
	*dst = v
	return nil
}

func (f *fields) integer(k string, dst *int, min, max int) *realtime.Error {
	raw, ok := f.take(k)
	if !ok {
		return nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || isNull(raw) || v != float64(int(v)) {
		return realtime.ErrInvalidType(f.sub(k), "an integer", jsonKind(raw))
	}
	if int(v) < min {
		return realtime.ErrBelowMin(f.sub(k), float64(min), v, true)
	}
	if int(v) > max {
		return realtime.ErrAboveMax(f.sub(k), float64(max), v, true)
	}
	*dst = int(v)
	return nil
}

// rawAny keeps member k as it is (validated only as JSON).
func (f *fields) rawAny(k string, dst *json.RawMessage) {
	if raw, ok := f.take(k); ok {
		*dst = append(json.RawMessage(nil), raw...)
	}
}

func (f *fields) enum(k string, dst *string, allowed []string) *realtime.Error {
	var v string
	raw, ok := f.m[k]
	if !ok {
		return nil
	}
	if err := f.str(k, &v); err != nil {
		return err
	}
	_ = raw
	if !slices.Contains(allowed, v) {
		return realtime.ErrInvalidValue(f.sub(k), v, allowed)
	}
	*dst = v
	return nil
}

// parseSessionUpdate applies a session.update's "session" object to a copy of
// cur and returns it; on any error cur is left as it was (the service
// discards a rejected update whole).
func parseSessionUpdate(d realtime.Dialect, p Provider, cur sessionConfig, raw json.RawMessage, audioOutPresent bool) (sessionConfig, *realtime.Error) {
	c := cur.clone()
	f, err := decodeObject("session", raw)
	if err != nil {
		return cur, err
	}
	if f == nil {
		return cur, realtime.ErrMissingParameter("session")
	}
	// Read-only fields some clients echo back from session.created.
	for _, k := range []string{"id", "object", "expires_at", "client_secret"} {
		f.take(k)
	}
	if err := f.str("model", &c.Model); err != nil {
		return cur, err
	}
	if err := f.str("instructions", &c.Instructions); err != nil {
		return cur, err
	}
	f.rawAny("tools", &c.Tools)
	f.rawAny("tool_choice", &c.ToolChoice)
	f.rawAny("tracing", &c.Tracing)
	var voice string
	if d == realtime.GA {
		if _, ok := f.m["type"]; !ok {
			return cur, realtime.ErrMissingParameter("session.type")
		}
		if err := f.enum("type", &c.Type, []string{"realtime", "transcription"}); err != nil {
			return cur, err
		}
		var mods []string
		if raw, ok := f.take("output_modalities"); ok {
			if json.Unmarshal(raw, &mods) != nil {
				return cur, realtime.ErrInvalidType("session.output_modalities", "an array", jsonKind(raw))
			}
			switch {
			case slices.Equal(mods, []string{"audio"}):
				c.AudioOut = true
			case slices.Equal(mods, []string{"text"}):
				c.AudioOut = false
			default:
				return cur, realtime.ErrInvalidValue("session.output_modalities", strings.Join(mods, ","), []string{"audio", "text"})
			}
		}
		f.rawAny("max_output_tokens", &c.MaxOutputTokens)
		f.rawAny("truncation", &c.Truncation)
		f.rawAny("prompt", &c.Prompt)
		f.rawAny("include", &c.Include)
		if raw, ok := f.take("audio"); ok {
			if err := parseGAAudio(&c, raw, &voice); err != nil {
				return cur, err
			}
		}
	} else {
		if raw, ok := f.take("modalities"); ok {
			var mods []string
			if json.Unmarshal(raw, &mods) != nil {
				return cur, realtime.ErrInvalidType("session.modalities", "an array", jsonKind(raw))
			}
			hasText, hasAudio := slices.Contains(mods, "text"), slices.Contains(mods, "audio")
			for _, m := range mods {
				if m != "text" && m != "audio" {
					return cur, realtime.ErrInvalidValue("session.modalities", m, []string{"text", "audio"})
				}
			}
			if !hasText {
				return cur, &realtime.Error{Type: realtime.InvalidRequestError, Code: realtime.CodeInvalidValue, Param: "session.modalities",
					Message: fmt.Sprintf("Invalid modalities: %s. Supported combinations are: ['text'] and ['audio', 'text'].", pyList(mods))}
			}
			c.AudioOut = hasAudio
		}
		if err := f.str("voice", &voice); err != nil {
			return cur, err
		}
		for k, dst := range map[string]*audio.Format{"input_audio_format": &c.InputFormat, "output_audio_format": &c.OutputFormat} {
			var s string
			if err := f.str(k, &s); err != nil {
				return cur, err
			}
			if s == "" {
				continue
			}
			fm, perr := parsePreviewFormat(s, p)
			if perr != nil {
				return cur, realtime.ErrInvalidValue("session."+k, s, []string{"pcm16", "g711_ulaw", "g711_alaw"})
			}
			*dst = fm
		}
		if raw, ok := f.take("input_audio_transcription"); ok {
			if err := checkTranscription("session.input_audio_transcription", raw); err != nil {
				return cur, err
			}
			c.Transcription = append(json.RawMessage(nil), raw...)
		}
		f.rawAny("input_audio_noise_reduction", &c.NoiseReduction)
		if raw, ok := f.take("turn_detection"); ok {
			td, err := parseTurnDetection("session.turn_detection", raw, false)
			if err != nil {
				return cur, err
			}
			c.TurnDetection = td
		}
		if err := f.number("temperature", &c.Temperature, 0.6, 1.2); err != nil {
			return cur, err
		}
		f.rawAny("max_response_output_tokens", &c.MaxOutputTokens)
		if err := f.number("speed", &c.Speed, 0.25, 1.5); err != nil {
			return cur, err
		}
	}
	if err := f.unknown(); err != nil {
		return cur, err
	}
	if voice != "" {
		if !slices.Contains(voices, voice) {
			param := "session.voice"
			if d == realtime.GA {
				param = "session.audio.output.voice"
			}
			return cur, realtime.ErrInvalidValue(param, voice, voices)
		}
		if voice != cur.Voice && audioOutPresent {
			return cur, realtime.ErrCannotUpdateVoice()
		}
		c.Voice = voice
	}
	if err := checkMaxTokens(d, c.MaxOutputTokens); err != nil {
		return cur, err
	}
	return c, nil
}

func pyList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = "'" + x + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func checkMaxTokens(d realtime.Dialect, raw json.RawMessage) *realtime.Error {
	param := "session.max_response_output_tokens"
	if d == realtime.GA {
		param = "session.max_output_tokens"
	}
	if isNull(raw) || string(raw) == `"inf"` {
		return nil
	}
	var n float64
	if json.Unmarshal(raw, &n) != nil || n != float64(int(n)) {
		return realtime.ErrInvalidType(param, `an integer or "inf"`, jsonKind(raw))
	}
	if n < 1 {
		return realtime.ErrBelowMin(param, 1, n, true)
	}
	if n > 4096 {
		return realtime.ErrAboveMax(param, 4096, n, true)
	}
	return nil
}

// parsePreviewFormat accepts the preview names; Azure's rtclient also sends
// hyphenated G.711 names, which only the Azure path accepts.
func parsePreviewFormat(s string, p Provider) (audio.Format, error) {
	switch s {
	case "pcm16", "g711_ulaw", "g711_alaw":
		return audio.ParseFormat(s)
	case "g711-ulaw", "g711-alaw":
		if p == Azure {
			return audio.ParseFormatLenient(s)
		}
	}
	return 0, fmt.Errorf("unknown format %q", s)
}

func checkTranscription(path string, raw json.RawMessage) *realtime.Error {
	f, err := decodeObject(path, raw)
	if err != nil || f == nil {
		return err
	}
	var model, lang, prompt string
	for k, dst := range map[string]*string{"model": &model, "language": &lang, "prompt": &prompt} {
		if err := f.str(k, dst); err != nil {
			return err
		}
	}
	return f.unknown()
}

// parseTurnDetection reads a turn_detection value: null (or Azure's
// {"type":"none"}) is manual mode; an object resets every field it leaves out
// to the service default, as the service does.
func parseTurnDetection(path string, raw json.RawMessage, ga bool) (*turnDetection, *realtime.Error) {
	f, err := decodeObject(path, raw)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, nil
	}
	td := defaultTurnDetection()
	if _, ok := f.m["type"]; !ok {
		if ga {
			return nil, realtime.ErrMissingParameter(path + ".type")
		}
	} else {
		allowed := []string{"server_vad", "semantic_vad"}
		if !ga {
			allowed = append(allowed, "none")
		}
		if err := f.enum("type", &td.Type, allowed); err != nil {
			return nil, err
		}
		if td.Type == "none" {
			return nil, nil
		}
	}
	if td.Type == "semantic_vad" {
		td.Eagerness = "auto"
		if err := f.enum("eagerness", &td.Eagerness, []string{"low", "medium", "high", "auto"}); err != nil {
			return nil, err
		}
	} else {
		if err := f.number("threshold", &td.Threshold, 0, 1); err != nil {
			return nil, err
		}
		if err := f.integer("prefix_padding_ms", &td.PrefixPaddingMs, 0, 10000); err != nil {
			return nil, err
		}
		if err := f.integer("silence_duration_ms", &td.SilenceDurationMs, 0, 10000); err != nil {
			return nil, err
		}
		if ga {
			if raw, ok := f.m["idle_timeout_ms"]; ok && !isNull(raw) {
				var v int
				if err := f.integer("idle_timeout_ms", &v, 5000, 30000); err != nil {
					return nil, err
				}
				td.IdleTimeoutMs = &v
			} else {
				f.take("idle_timeout_ms")
			}
		}
	}
	if err := f.boolean("create_response", &td.CreateResponse); err != nil {
		return nil, err
	}
	if err := f.boolean("interrupt_response", &td.InterruptResponse); err != nil {
		return nil, err
	}
	return td, f.unknown()
}

// parseGAAudio reads GA's nested session.audio object.
func parseGAAudio(c *sessionConfig, raw json.RawMessage, voice *string) *realtime.Error {
	f, err := decodeObject("session.audio", raw)
	if err != nil || f == nil {
		return err
	}
	if raw, ok := f.take("input"); ok {
		in, err := decodeObject("session.audio.input", raw)
		if err != nil {
			return err
		}
		if in != nil {
			if raw, ok := in.take("format"); ok {
				fm, err := parseGAFormat("session.audio.input.format", raw)
				if err != nil {
					return err
				}
				c.InputFormat = fm
			}
			if raw, ok := in.take("transcription"); ok {
				if err := checkTranscription("session.audio.input.transcription", raw); err != nil {
					return err
				}
				c.Transcription = append(json.RawMessage(nil), raw...)
			}
			in.rawAny("noise_reduction", &c.NoiseReduction)
			if raw, ok := in.take("turn_detection"); ok {
				td, err := parseTurnDetection("session.audio.input.turn_detection", raw, true)
				if err != nil {
					return err
				}
				c.TurnDetection = td
			}
			if err := in.unknown(); err != nil {
				return err
			}
		}
	}
	if raw, ok := f.take("output"); ok {
		out, err := decodeObject("session.audio.output", raw)
		if err != nil {
			return err
		}
		if out != nil {
			if raw, ok := out.take("format"); ok {
				fm, err := parseGAFormat("session.audio.output.format", raw)
				if err != nil {
					return err
				}
				c.OutputFormat = fm
			}
			if err := out.str("voice", voice); err != nil {
				return err
			}
			if err := out.number("speed", &c.Speed, 0.25, 1.5); err != nil {
				return err
			}
			if err := out.unknown(); err != nil {
				return err
			}
		}
	}
	return f.unknown()
}

func parseGAFormat(path string, raw json.RawMessage) (audio.Format, *realtime.Error) {
	f, err := decodeObject(path, raw)
	if err != nil {
		return 0, err
	}
	if f == nil {
		return 0, realtime.ErrInvalidType(path, "an object", "null")
	}
	var typ string
	if _, ok := f.m["type"]; !ok {
		return 0, realtime.ErrMissingParameter(path + ".type")
	}
	if err := f.enum("type", &typ, []string{"audio/pcm", "audio/pcmu", "audio/pcma"}); err != nil {
		return 0, err
	}
	if typ == "audio/pcm" {
		rate := 24000
		if err := f.integer("rate", &rate, 24000, 24000); err != nil {
			return 0, err
		}
	}
	if err := f.unknown(); err != nil {
		return 0, err
	}
	fm, _ := audio.ParseFormat(typ)
	return fm, nil
}

// render returns the session object as the dialect shows it.
func (c *sessionConfig) render(d realtime.Dialect) any {
	if d == realtime.GA {
		return c.renderGA()
	}
	return c.renderPreview()
}

type previewSession struct {
	ID                       string          `json:"id"`
	Object                   string          `json:"object"`
	Model                    string          `json:"model"`
	ExpiresAt                int64           `json:"expires_at"`
	Modalities               []string        `json:"modalities"`
	Instructions             string          `json:"instructions"`
	Voice                    string          `json:"voice"`
	InputAudioFormat         string          `json:"input_audio_format"`
	OutputAudioFormat        string          `json:"output_audio_format"`
	InputAudioTranscription  json.RawMessage `json:"input_audio_transcription"`
	InputAudioNoiseReduction json.RawMessage `json:"input_audio_noise_reduction"`
	TurnDetection            any             `json:"turn_detection"`
	Tools                    json.RawMessage `json:"tools"`
	ToolChoice               json.RawMessage `json:"tool_choice"`
	Temperature              float64         `json:"temperature"`
	MaxResponseOutputTokens  json.RawMessage `json:"max_response_output_tokens"`
	Speed                    float64         `json:"speed"`
	Tracing                  json.RawMessage `json:"tracing"`
}

type previewTurnDetection struct {
	Type              string   `json:"type"`
	Threshold         *float64 `json:"threshold,omitempty"`
	PrefixPaddingMs   *int     `json:"prefix_padding_ms,omitempty"`
	SilenceDurationMs *int     `json:"silence_duration_ms,omitempty"`
	Eagerness         string   `json:"eagerness,omitempty"`
	CreateResponse    bool     `json:"create_response"`
	InterruptResponse bool     `json:"interrupt_response"`
}

func (c *sessionConfig) modalities() []string {
	if c.AudioOut {
		return []string{"text", "audio"}
	}
	return []string{"text"}
}

func (c *sessionConfig) renderPreview() previewSession {
	var td any
	if t := c.TurnDetection; t != nil {
		pt := previewTurnDetection{Type: t.Type, CreateResponse: t.CreateResponse, InterruptResponse: t.InterruptResponse, Eagerness: t.Eagerness}
		if t.Type == "server_vad" {
			pt.Threshold, pt.PrefixPaddingMs, pt.SilenceDurationMs = &t.Threshold, &t.PrefixPaddingMs, &t.SilenceDurationMs
		}
		td = pt
	}
	return previewSession{
		ID: c.ID, Object: "realtime.session", Model: c.Model, ExpiresAt: c.ExpiresAt,
		Modalities: c.modalities(), Instructions: c.Instructions, Voice: c.Voice,
		InputAudioFormat: c.InputFormat.String(), OutputAudioFormat: c.OutputFormat.String(),
		InputAudioTranscription: orNull(c.Transcription), InputAudioNoiseReduction: orNull(c.NoiseReduction),
		TurnDetection: td, Tools: c.Tools, ToolChoice: c.ToolChoice, Temperature: c.Temperature,
		MaxResponseOutputTokens: c.MaxOutputTokens, Speed: c.Speed, Tracing: orNull(c.Tracing),
	}
}

func orNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return jsonNull
	}
	return r
}

type gaFormat struct {
	Type string `json:"type"`
	Rate int    `json:"rate,omitempty"`
}

func renderGAFormat(f audio.Format) gaFormat {
	g := gaFormat{Type: f.GAType()}
	if f == audio.PCM16 {
		g.Rate = 24000
	}
	return g
}

type gaTurnDetection struct {
	Type              string   `json:"type"`
	Threshold         *float64 `json:"threshold,omitempty"`
	PrefixPaddingMs   *int     `json:"prefix_padding_ms,omitempty"`
	SilenceDurationMs *int     `json:"silence_duration_ms,omitempty"`
	IdleTimeoutMs     *int     `json:"idle_timeout_ms"`
	Eagerness         string   `json:"eagerness,omitempty"`
	CreateResponse    bool     `json:"create_response"`
	InterruptResponse bool     `json:"interrupt_response"`
}

type gaSession struct {
	Type             string          `json:"type"`
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Model            string          `json:"model"`
	OutputModalities []string        `json:"output_modalities"`
	Instructions     string          `json:"instructions"`
	Tools            json.RawMessage `json:"tools"`
	ToolChoice       json.RawMessage `json:"tool_choice"`
	MaxOutputTokens  json.RawMessage `json:"max_output_tokens"`
	Tracing          json.RawMessage `json:"tracing"`
	Truncation       json.RawMessage `json:"truncation"`
	Prompt           json.RawMessage `json:"prompt"`
	ExpiresAt        int64           `json:"expires_at"`
	Audio            gaSessionAudio  `json:"audio"`
	Include          json.RawMessage `json:"include"`
}

type gaSessionAudio struct {
	Input struct {
		Format         gaFormat        `json:"format"`
		Transcription  json.RawMessage `json:"transcription"`
		NoiseReduction json.RawMessage `json:"noise_reduction"`
		TurnDetection  any             `json:"turn_detection"`
	} `json:"input"`
	Output struct {
		Format gaFormat `json:"format"`
		Voice  string   `json:"voice"`
		Speed  float64  `json:"speed"`
	} `json:"output"`
}

func (c *sessionConfig) outputModalities() []string {
	if c.AudioOut {
		return []string{"audio"}
	}
	return []string{"text"}
}

func (c *sessionConfig) renderGA() gaSession {
	obj := "realtime.session"
	if c.Type == "transcription" {
		obj = "realtime.transcription_session"
	}
	s := gaSession{
		Type: c.Type, Object: obj, ID: c.ID, Model: c.Model, OutputModalities: c.outputModalities(),
		Instructions: c.Instructions, Tools: c.Tools, ToolChoice: c.ToolChoice, MaxOutputTokens: c.MaxOutputTokens,
		Tracing: orNull(c.Tracing), Truncation: orNull(c.Truncation), Prompt: orNull(c.Prompt), ExpiresAt: c.ExpiresAt,
		Include: orNull(c.Include),
	}
	s.Audio.Input.Format = renderGAFormat(c.InputFormat)
	s.Audio.Input.Transcription = orNull(c.Transcription)
	s.Audio.Input.NoiseReduction = orNull(c.NoiseReduction)
	if t := c.TurnDetection; t != nil {
		gt := gaTurnDetection{Type: t.Type, IdleTimeoutMs: t.IdleTimeoutMs, Eagerness: t.Eagerness, CreateResponse: t.CreateResponse, InterruptResponse: t.InterruptResponse}
		if t.Type == "server_vad" {
			gt.Threshold, gt.PrefixPaddingMs, gt.SilenceDurationMs = &t.Threshold, &t.PrefixPaddingMs, &t.SilenceDurationMs
		}
		s.Audio.Input.TurnDetection = gt
	}
	s.Audio.Output.Format = renderGAFormat(c.OutputFormat)
	s.Audio.Output.Voice = c.Voice
	s.Audio.Output.Speed = c.Speed
	return s
}

// transcriptionEnabled reports whether input transcription is on.
func (c *sessionConfig) transcriptionEnabled() bool { return !isNull(c.Transcription) }
