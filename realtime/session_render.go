package realtime

import "encoding/json"

// AppendJSON appends the session object as dialect d shows it in
// session.created and session.updated.
func (c *SessionConfig) AppendJSON(dst []byte, d Dialect) []byte {
	var v any
	switch {
	case d == GA && c.Type == "transcription":
		v = c.renderGATranscription()
	case c.Type == "transcription":
		v = c.renderPreviewTranscription()
	case d == GA:
		v = c.renderGA()
	default:
		v = c.renderPreview()
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("realtime: cannot encode a session: " + err.Error())
	}
	return append(dst, b...)
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
	ClientSecret             json.RawMessage `json:"client_secret"`
	Include                  json.RawMessage `json:"include"`
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

func (c *SessionConfig) renderPreview() previewSession {
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
		Modalities: c.Modalities(), Instructions: c.Instructions, Voice: c.Voice,
		InputAudioFormat: c.InputFormat.String(), OutputAudioFormat: c.OutputFormat.String(),
		InputAudioTranscription: OrNull(c.Transcription), InputAudioNoiseReduction: OrNull(c.NoiseReduction),
		TurnDetection: td, Tools: OrNull(c.Tools), ToolChoice: OrNull(c.ToolChoice), Temperature: c.Temperature,
		MaxResponseOutputTokens: OrNull(c.MaxOutputTokens), Speed: c.Speed, Tracing: OrNull(c.Tracing),
		ClientSecret: jsonNull, Include: OrNull(c.Include),
	}
}

// OrNull returns r, or JSON null when r is empty.
func OrNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return jsonNull
	}
	return r
}

// GAFormat is a GA audio format object.
type GAFormat struct {
	Type string `json:"type"`
	Rate int    `json:"rate,omitempty"`
}

// GAFormatOf returns the GA format object of f.
func GAFormatOf(f Format) GAFormat {
	g := GAFormat{Type: f.GAType()}
	if f == PCM16 {
		g.Rate = 24000
	}
	return g
}

// AppendGAFormat appends f as a GA format object.
func AppendGAFormat(dst []byte, f Format) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, f.GAType()...)
	if f == PCM16 {
		return append(dst, `","rate":24000}`...)
	}
	return append(dst, `"}`...)
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
		Format         GAFormat        `json:"format"`
		Transcription  json.RawMessage `json:"transcription"`
		NoiseReduction json.RawMessage `json:"noise_reduction"`
		TurnDetection  any             `json:"turn_detection"`
	} `json:"input"`
	Output struct {
		Format GAFormat `json:"format"`
		Voice  string   `json:"voice"`
		Speed  float64  `json:"speed"`
	} `json:"output"`
}

func (c *SessionConfig) renderGA() gaSession {
	obj := "realtime.session"
	if c.Type == "transcription" {
		obj = "realtime.transcription_session"
	}
	s := gaSession{
		Type: c.Type, Object: obj, ID: c.ID, Model: c.Model, OutputModalities: c.OutputModalities(),
		Instructions: c.Instructions, Tools: OrNull(c.Tools), ToolChoice: OrNull(c.ToolChoice), MaxOutputTokens: OrNull(c.MaxOutputTokens),
		Tracing: OrNull(c.Tracing), Truncation: OrNull(c.Truncation), Prompt: OrNull(c.Prompt), ExpiresAt: c.ExpiresAt,
		Include: OrNull(c.Include),
	}
	s.Audio.Input.Format = GAFormatOf(c.InputFormat)
	s.Audio.Input.Transcription = OrNull(c.Transcription)
	s.Audio.Input.NoiseReduction = OrNull(c.NoiseReduction)
	if t := c.TurnDetection; t != nil {
		gt := gaTurnDetection{Type: t.Type, IdleTimeoutMs: t.IdleTimeoutMs, Eagerness: t.Eagerness, CreateResponse: t.CreateResponse, InterruptResponse: t.InterruptResponse}
		if t.Type == "server_vad" {
			gt.Threshold, gt.PrefixPaddingMs, gt.SilenceDurationMs = &t.Threshold, &t.PrefixPaddingMs, &t.SilenceDurationMs
		}
		s.Audio.Input.TurnDetection = gt
	}
	s.Audio.Output.Format = GAFormatOf(c.OutputFormat)
	s.Audio.Output.Voice = c.Voice
	s.Audio.Output.Speed = c.Speed
	return s
}

// gaTranscriptionSession is a GA transcription session as the service
// shows it (docs/live-service.md, item 3): input audio only, no model,
// instructions, voice, output or tools.
type gaTranscriptionSession struct {
	Type      string `json:"type"`
	Object    string `json:"object"`
	ID        string `json:"id"`
	ExpiresAt int64  `json:"expires_at"`
	Audio     struct {
		Input struct {
			Format         GAFormat        `json:"format"`
			Transcription  json.RawMessage `json:"transcription"`
			NoiseReduction json.RawMessage `json:"noise_reduction"`
			TurnDetection  any             `json:"turn_detection"`
		} `json:"input"`
	} `json:"audio"`
	Include json.RawMessage `json:"include"`
}

func (c *SessionConfig) renderGATranscription() gaTranscriptionSession {
	full := c.renderGA()
	s := gaTranscriptionSession{Type: "transcription", Object: "realtime.transcription_session", ID: c.ID, ExpiresAt: c.ExpiresAt, Include: OrNull(c.Include)}
	s.Audio.Input.Format = full.Audio.Input.Format
	s.Audio.Input.Transcription = full.Audio.Input.Transcription
	s.Audio.Input.NoiseReduction = full.Audio.Input.NoiseReduction
	if t := c.TurnDetection; t != nil {
		// The transcription session's VAD has no response to create or
		// interrupt: four members, as recorded.
		s.Audio.Input.TurnDetection = map[string]any{"type": t.Type, "threshold": t.Threshold,
			"prefix_padding_ms": t.PrefixPaddingMs, "silence_duration_ms": t.SilenceDurationMs}
	}
	return s
}

// previewTranscriptionSession is the preview transcription session object
// (transcription_session.created/updated): input audio only.
type previewTranscriptionSession struct {
	ID                       string          `json:"id"`
	Object                   string          `json:"object"`
	ExpiresAt                int64           `json:"expires_at"`
	Modalities               []string        `json:"modalities"`
	InputAudioFormat         string          `json:"input_audio_format"`
	InputAudioTranscription  json.RawMessage `json:"input_audio_transcription"`
	TurnDetection            any             `json:"turn_detection"`
	InputAudioNoiseReduction json.RawMessage `json:"input_audio_noise_reduction"`
	Include                  json.RawMessage `json:"include"`
	ClientSecret             json.RawMessage `json:"client_secret"`
}

func (c *SessionConfig) renderPreviewTranscription() previewTranscriptionSession {
	s := previewTranscriptionSession{ID: c.ID, Object: "realtime.transcription_session", ExpiresAt: c.ExpiresAt,
		Modalities: []string{"text"}, InputAudioFormat: c.InputFormat.String(),
		InputAudioTranscription: OrNull(c.Transcription), InputAudioNoiseReduction: OrNull(c.NoiseReduction),
		Include: OrNull(c.Include), ClientSecret: jsonNull}
	if t := c.TurnDetection; t != nil {
		s.TurnDetection = map[string]any{"type": t.Type, "threshold": t.Threshold,
			"prefix_padding_ms": t.PrefixPaddingMs, "silence_duration_ms": t.SilenceDurationMs}
	}
	return s
}
