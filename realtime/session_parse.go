package realtime

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SessionUpdateOptions tune [ParseSessionUpdate].
type SessionUpdateOptions struct {
	// AzureFormats accepts the hyphenated G.711 names ("g711-ulaw") that
	// Azure's rtclient sends and the Azure service takes.
	AzureFormats bool
	// AudioOutPresent refuses a voice change, as the service does once the
	// assistant has spoken (cannot_update_voice).
	AudioOutPresent bool
	// Lenient ignores unknown members and the GA requirement of
	// session.type: for reading what a server sent rather than what a client
	// asked.
	Lenient bool
	// Transcription reads the session of a preview
	// transcription_session.update: input audio settings only.
	Transcription bool
}

// ParseSessionUpdate applies the "session" object of a session.update (or
// a session.created/updated read back) to a copy of cur and returns it. On
// any error cur is returned unchanged with the service's error: the service
// discards a rejected update whole (§4(b)).
func ParseSessionUpdate(d Dialect, cur SessionConfig, session Value, opts *SessionUpdateOptions) (SessionConfig, *Error) {
	if opts == nil {
		opts = &SessionUpdateOptions{}
	}
	o, err := newObj("session", session, opts.Lenient)
	if err != nil {
		return cur, err
	}
	if o == nil {
		return cur, NewMissingParameterError("session")
	}
	c := cur.Clone()
	var voice string
	sp := sessionParse{c: &c, o: o, opts: opts, voice: &voice, d: d}
	switch {
	case d == GA:
		err = sp.ga()
	case opts.Transcription:
		err = sp.previewTranscription()
	default:
		err = sp.preview()
	}
	if err == nil {
		err = o.unknown()
	}
	if err == nil {
		err = applyVoice(d, &c, cur.Voice, voice, opts.AudioOutPresent)
	}
	if err == nil {
		err = checkMaxTokens(d, c.MaxOutputTokens)
	}
	if err != nil && !opts.Lenient {
		return cur, err
	}
	return c, nil
}

// sessionParse is one session object being applied to a config.
type sessionParse struct {
	c     *SessionConfig
	o     *obj
	opts  *SessionUpdateOptions
	voice *string
	d     Dialect
}

// common reads the members both dialects share.
func (p *sessionParse) common() *Error {
	c, o := p.c, p.o
	// Read-only members some clients echo back from session.created.
	for _, k := range []string{"id", "object", "expires_at", "client_secret"} {
		o.take(k)
	}
	if v := o.v.Get("tools"); v.Exists() && !p.opts.Lenient {
		if err := CheckTools(p.d, o.sub("tools"), v); err != nil {
			return err
		}
	}
	return firstError(
		o.str("model", &c.Model),
		o.str("instructions", &c.Instructions),
		o.raw("tools", &c.Tools),
		o.raw("tool_choice", &c.ToolChoice),
		o.raw("tracing", &c.Tracing),
	)
}

func firstError(errs ...*Error) *Error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (p *sessionParse) ga() *Error {
	c, o := p.c, p.o
	if err := p.common(); err != nil {
		return err
	}
	if !o.has("type") && !p.opts.Lenient {
		return NewMissingParameterError("session.type")
	}
	if err := o.enum("type", &c.Type, []string{"realtime", "transcription"}); err != nil {
		return err
	}
	if v, ok := o.take("output_modalities"); ok {
		if err := gaModalities("session.output_modalities", v, &c.AudioOut); err != nil {
			return err
		}
	}
	if err := firstError(o.raw("max_output_tokens", &c.MaxOutputTokens), o.raw("truncation", &c.Truncation),
		o.raw("prompt", &c.Prompt), o.raw("include", &c.Include)); err != nil {
		return err
	}
	if v, ok := o.take("audio"); ok {
		return p.gaAudio(v)
	}
	return nil
}

// gaModalities reads GA output_modalities: ["audio"] or ["text"].
func gaModalities(path string, v Value, audioOut *bool) *Error {
	mods, ok := stringList(v)
	if !ok {
		return NewInvalidTypeError(path, "an array", v.Kind().String())
	}
	switch {
	case len(mods) == 1 && mods[0] == "audio":
		*audioOut = true
	case len(mods) == 1 && mods[0] == "text":
		*audioOut = false
	default:
		return NewInvalidValueError(path, strings.Join(mods, ","), []string{"audio", "text"})
	}
	return nil
}

// previewModalities reads preview modalities: ["text"] or ["audio","text"]
// in any order.
func previewModalities(path string, v Value, audioOut, textFirst *bool) *Error {
	mods, ok := stringList(v)
	if !ok {
		return NewInvalidTypeError(path, "an array", v.Kind().String())
	}
	for _, m := range mods {
		if m != "text" && m != "audio" {
			return NewInvalidValueError(path, m, []string{"text", "audio"})
		}
	}
	if !containsString(mods, "text") {
		return &Error{Type: InvalidRequestError, Code: CodeInvalidValue, Param: path,
			Message: fmt.Sprintf("Invalid modalities: %s. Supported combinations are: ['text'] and ['audio', 'text'].", pyList(mods))}
	}
	*audioOut = containsString(mods, "audio")
	*textFirst = mods[0] == "text"
	return nil
}

func stringList(v Value) ([]string, bool) {
	if v.Kind() != JSONArray {
		return nil, false
	}
	var out []string
	for e := range v.Elems() {
		s, ok := e.Str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func (p *sessionParse) preview() *Error {
	c, o := p.c, p.o
	if err := p.common(); err != nil {
		return err
	}
	if v, ok := o.take("modalities"); ok {
		if err := previewModalities("session.modalities", v, &c.AudioOut, &c.TextFirst); err != nil {
			return err
		}
	}
	if err := o.str("voice", p.voice); err != nil {
		return err
	}
	if err := p.previewFormat("input_audio_format", &c.InputFormat); err != nil {
		return err
	}
	if err := p.previewFormat("output_audio_format", &c.OutputFormat); err != nil {
		return err
	}
	if v, ok := o.take("input_audio_transcription"); ok {
		if err := checkTranscription("session.input_audio_transcription", v); err != nil {
			return err
		}
		c.Transcription = cloneRaw(v)
	}
	if err := o.raw("input_audio_noise_reduction", &c.NoiseReduction); err != nil {
		return err
	}
	if v, ok := o.take("turn_detection"); ok {
		td, err := parseTurnDetection("session.turn_detection", v, false)
		if err != nil {
			return err
		}
		c.TurnDetection = td
	}
	return firstError(
		o.number("temperature", &c.Temperature, 0.6, 1.2),
		o.raw("max_response_output_tokens", &c.MaxOutputTokens),
		o.number("speed", &c.Speed, 0.25, 1.5),
	)
}

// previewTranscription reads the session of a preview
// transcription_session.update: input audio settings only.
func (p *sessionParse) previewTranscription() *Error {
	c, o := p.c, p.o
	for _, k := range []string{"id", "object", "expires_at", "client_secret"} {
		o.take(k)
	}
	if v, ok := o.take("modalities"); ok {
		var audioOut, textFirst bool
		if err := previewModalities("session.modalities", v, &audioOut, &textFirst); err != nil {
			return err
		}
	}
	if err := p.previewFormat("input_audio_format", &c.InputFormat); err != nil {
		return err
	}
	if v, ok := o.take("input_audio_transcription"); ok {
		if err := checkTranscription("session.input_audio_transcription", v); err != nil {
			return err
		}
		c.Transcription = cloneRaw(v)
	}
	if v, ok := o.take("turn_detection"); ok {
		td, err := parseTurnDetection("session.turn_detection", v, false)
		if err != nil {
			return err
		}
		c.TurnDetection = td
	}
	return firstError(o.raw("input_audio_noise_reduction", &c.NoiseReduction), o.raw("include", &c.Include))
}

func (p *sessionParse) previewFormat(key string, dst *Format) *Error {
	var s string
	if err := p.o.str(key, &s); err != nil || s == "" {
		return err
	}
	fm, err := ParsePreviewFormat(s, p.opts.AzureFormats)
	if err != nil {
		return NewInvalidValueError("session."+key, s, formatNames)
	}
	*dst = fm
	return nil
}

// ParsePreviewFormat accepts the preview format names; with azure it also
// accepts the hyphenated G.711 names Azure's rtclient sends.
func ParsePreviewFormat(s string, azure bool) (Format, error) {
	switch s {
	case "pcm16", "g711_ulaw", "g711_alaw":
		return ParseFormat(s)
	case "g711-ulaw", "g711-alaw":
		if azure {
			return ParseFormatLenient(s)
		}
	}
	return 0, fmt.Errorf("unknown format %q", s)
}

// gaAudio reads GA's nested session.audio object.
func (p *sessionParse) gaAudio(v Value) *Error {
	a, err := newObj("session.audio", v, p.opts.Lenient)
	if err != nil || a == nil {
		return err
	}
	if v, ok := a.take("input"); ok {
		if err := p.gaInput(v); err != nil {
			return err
		}
	}
	if v, ok := a.take("output"); ok {
		if err := p.gaOutput(v); err != nil {
			return err
		}
	}
	return a.unknown()
}

func (p *sessionParse) gaInput(v Value) *Error {
	in, err := newObj("session.audio.input", v, p.opts.Lenient)
	if err != nil || in == nil {
		return err
	}
	c := p.c
	if v, ok := in.take("format"); ok {
		fm, err := ParseGAFormat("session.audio.input.format", v)
		if err != nil {
			return err
		}
		c.InputFormat = fm
	}
	if v, ok := in.take("transcription"); ok {
		if err := checkTranscription("session.audio.input.transcription", v); err != nil {
			return err
		}
		c.Transcription = cloneRaw(v)
	}
	if err := in.raw("noise_reduction", &c.NoiseReduction); err != nil {
		return err
	}
	if v, ok := in.take("turn_detection"); ok {
		td, err := parseTurnDetection("session.audio.input.turn_detection", v, true)
		if err != nil {
			return err
		}
		c.TurnDetection = td
	}
	return in.unknown()
}

func (p *sessionParse) gaOutput(v Value) *Error {
	out, err := newObj("session.audio.output", v, p.opts.Lenient)
	if err != nil || out == nil {
		return err
	}
	if v, ok := out.take("format"); ok {
		fm, err := ParseGAFormat("session.audio.output.format", v)
		if err != nil {
			return err
		}
		p.c.OutputFormat = fm
	}
	return firstError(out.str("voice", p.voice), out.number("speed", &p.c.Speed, 0.25, 1.5), out.unknown())
}

// ParseGAFormat reads a GA format object: {"type":"audio/pcm","rate":24000},
// {"type":"audio/pcmu"} or {"type":"audio/pcma"}.
func ParseGAFormat(path string, v Value) (Format, *Error) {
	o, err := newObj(path, v, false)
	if err != nil {
		return 0, err
	}
	if o == nil {
		return 0, NewInvalidTypeError(path, "an object", "null")
	}
	if !o.has("type") {
		return 0, NewMissingParameterError(path + ".type")
	}
	var typ string
	if err := o.enum("type", &typ, []string{"audio/pcm", "audio/pcmu", "audio/pcma"}); err != nil {
		return 0, err
	}
	if typ == "audio/pcm" {
		rate := 24000
		if err := o.integer("rate", &rate, 24000, 24000); err != nil {
			return 0, err
		}
	}
	if err := o.unknown(); err != nil {
		return 0, err
	}
	fm, _ := ParseFormat(typ)
	return fm, nil
}

func checkTranscription(path string, v Value) *Error {
	o, err := newObj(path, v, false)
	if err != nil || o == nil {
		return err
	}
	var s string
	return firstError(o.str("model", &s), o.str("language", &s), o.str("prompt", &s), o.unknown())
}

// parseTurnDetection reads a turn_detection value: null (or Azure's
// {"type":"none"}) is manual mode; an object resets every field it leaves out
// to the service default, as the service does.
func parseTurnDetection(path string, v Value, ga bool) (*TurnDetection, *Error) {
	o, err := newObj(path, v, false)
	if err != nil || o == nil {
		return nil, err
	}
	td := DefaultTurnDetection()
	if !o.has("type") {
		if ga {
			return nil, NewMissingParameterError(path + ".type")
		}
	} else {
		allowed := []string{"server_vad", "semantic_vad"}
		if !ga {
			allowed = append(allowed, "none")
		}
		if err := o.enum("type", &td.Type, allowed); err != nil {
			return nil, err
		}
		if td.Type == "none" {
			return nil, nil
		}
	}
	if err := vadParams(o, td, ga); err != nil {
		return nil, err
	}
	return td, firstError(o.boolean("create_response", &td.CreateResponse),
		o.boolean("interrupt_response", &td.InterruptResponse), o.unknown())
}

// vadParams reads the parameters of the detector type: eagerness for
// semantic VAD, threshold, padding, silence and (GA) the idle timeout for
// server VAD.
func vadParams(o *obj, td *TurnDetection, ga bool) *Error {
	if td.Type == "semantic_vad" {
		td.Eagerness = "auto"
		return o.enum("eagerness", &td.Eagerness, []string{"low", "medium", "high", "auto"})
	}
	if err := firstError(o.number("threshold", &td.Threshold, 0, 1),
		o.integer("prefix_padding_ms", &td.PrefixPaddingMs, 0, 10000),
		o.integer("silence_duration_ms", &td.SilenceDurationMs, 0, 10000)); err != nil {
		return err
	}
	if !ga {
		return nil
	}
	v, ok := o.take("idle_timeout_ms")
	if !ok || v.IsNull() {
		return nil
	}
	o.untake("idle_timeout_ms")
	var ms int
	if err := o.integer("idle_timeout_ms", &ms, 5000, 30000); err != nil {
		return err
	}
	td.IdleTimeoutMs = &ms
	return nil
}

func applyVoice(d Dialect, c *SessionConfig, cur, voice string, audioOutPresent bool) *Error {
	if voice == "" {
		return nil
	}
	if !IsVoice(voice) {
		param := "session.voice"
		if d == GA {
			param = "session.audio.output.voice"
		}
		return NewInvalidValueError(param, voice, voices)
	}
	if voice != cur && audioOutPresent {
		return NewCannotUpdateVoiceError()
	}
	c.Voice = voice
	return nil
}

func checkMaxTokens(d Dialect, raw json.RawMessage) *Error {
	param := "session.max_response_output_tokens"
	if d == GA {
		param = "session.max_output_tokens"
	}
	return CheckMaxTokens(param, raw)
}

// CheckMaxTokens validates a max output tokens value: an integer in
// [1, 4096], "inf" or null.
func CheckMaxTokens(param string, raw json.RawMessage) *Error {
	if isNullJSON(raw) || string(raw) == `"inf"` {
		return nil
	}
	var n float64
	if json.Unmarshal(raw, &n) != nil || n != float64(int(n)) {
		return NewInvalidTypeError(param, `an integer or "inf"`, jsonKindOfRaw(raw))
	}
	if n < 1 {
		return NewBelowMinError(param, 1, n, true)
	}
	if n > 4096 {
		return NewAboveMaxError(param, 4096, n, true)
	}
	return nil
}

func jsonKindOfRaw(raw json.RawMessage) string {
	var p Parser
	v, err := p.Parse(raw)
	if err != nil {
		return "nothing"
	}
	return v.Kind().String()
}

// PyList formats a list as the service's Python-made messages do:
// ['a', 'b'].
func pyList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = "'" + x + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func cloneRaw(v Value) json.RawMessage { return append(json.RawMessage(nil), v.Raw()...) }
