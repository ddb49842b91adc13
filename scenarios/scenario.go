package scenarios

import (
	"github.com/rtmock/rtmock/faults"
	"time"
	"unicode/utf8"

	"github.com/rtmock/rtmock/realtime"
)

// Scenario is a compiled, validated scenario: dialect-neutral, immutable once
// loaded and safe to share between sessions.
type Scenario struct {
	Name        string
	Description string
	// Source is where the scenario was loaded from ("builtin:barge-in" or a path).
	Source string
	// Dialects the scenario is meant for ("preview", "ga"); empty means both.
	Dialects []string
	// Premise lists what the client must do for the scenario to apply to
	// it (Premise* traits); empty means every client.
	Premise []string
	// Session overrides the server's default session configuration at
	// connect, before session.created is sent.
	Session *Session
	// Pace is the default pace of replies ("" = the server's pace).
	Pace Pace
	// Seed, when non-zero, fixes the session's randomness (ids, noise).
	Seed int64
	// Turns are matched in order against triggers; see Turn.
	Turns []Turn
	// DefaultReply answers a trigger no turn matches; nil means the
	// server's built-in default reply.
	DefaultReply *Reply
	// Expect lists what the client must (or must not) send.
	Expect []Expectation
	// ExpiresAfter, when non-zero, ends the session with a session_expired
	// error and a close this long after connect.
	ExpiresAfter time.Duration
	// Faults disturb every session that plays the scenario.
	Faults []faults.Fault
}

// Serves reports whether the scenario is meant for sessions of dialect d.
func (s *Scenario) Serves(d realtime.Dialect) bool {
	if len(s.Dialects) == 0 {
		return true
	}
	for _, x := range s.Dialects {
		if x == string(d) {
			return true
		}
	}
	return false
}

// Session is a dialect-neutral session configuration. Nil pointers and empty
// slices mean "leave the default".
type Session struct {
	Instructions       *string
	Voice              string
	Modalities         []string // "text", "audio" (audio implies its transcript)
	InputAudioFormat   string   // pcm16 | g711_ulaw | g711_alaw (GA spellings are normalized to these on load)
	OutputAudioFormat  string
	TurnDetection      *TurnDetection // nil: default; Type "none": manual mode
	InputTranscription *Transcription
	Tools              []Tool
	Temperature        *float64
}

// TurnDetection configures voice activity detection.
type TurnDetection struct {
	Type              string // server_vad | semantic_vad | none
	Threshold         *float64
	PrefixPaddingMs   *int
	SilenceDurationMs *int
	CreateResponse    *bool
	InterruptResponse *bool
	// Eagerness is semantic_vad's low | medium | high | auto ("" = default).
	Eagerness string
	// IdleTimeoutMs is server_vad's idle_timeout_ms: after a response has
	// played, this much time without speech fires
	// input_audio_buffer.timeout_triggered and an idle_timeout turn.
	IdleTimeoutMs *int
}

// Transcription enables input audio transcription.
type Transcription struct {
	Model    string
	Language string
	Prompt   string
}

// Tool is a function tool offered to the model.
type Tool struct {
	Name        string
	Description string
	Parameters  map[string]any // JSON Schema
}

// Trigger is what starts a turn.
type Trigger string

// Triggers.
const (
	OnConnect        Trigger = "connect"         // right after session.created (the assistant speaks first)
	OnResponseCreate Trigger = "response.create" // the client sent response.create
	OnUserSpeech     Trigger = "user_speech"     // server VAD committed a user turn and auto-responds
	OnItemCreate     Trigger = "item.create"     // the client created a conversation item (the turn answers the next response)
	OnCommit         Trigger = "commit"          // the client committed the input buffer (the turn answers the next response)
	OnResponse       Trigger = "response"        // any response: after response.create, a voice turn or an idle timeout
	OnIdleTimeout    Trigger = "idle_timeout"    // server_vad's idle_timeout_ms passed without speech after a response
)

// AfterInterrupt, as an expectation's After, opens a window where the
// simulated user talks over a reply (a turn's Interrupt), at the
// speech_started that interruption sends.
const AfterInterrupt = "interrupt"

// Traits a scenario's Premise may require of the client, as seen in its
// session.
const (
	PremiseAudioInput     = "audio_input"     // it streams audio (input_audio_buffer.append)
	PremiseTextInput      = "text_input"      // it creates text items
	PremiseResponseCreate = "response_create" // it sends response.create
	PremiseTools          = "tools"           // it declares tools
	PremiseServerVAD      = "server_vad"      // turn detection stays on
	PremiseManualTurns    = "manual_turns"    // turn detection is off
)

// Turn is one exchange. Each trigger takes the first unused turn whose When
// matches it; a turn with Repeat stays available.
type Turn struct {
	When   Trigger
	Repeat bool
	// User describes what the user said in this turn (input transcription).
	User *UserSpeech
	// Reply is what the assistant answers; nil with Error set means the
	// trigger is answered with an error event only.
	Reply *Reply
	// Interrupt makes the simulated user talk over the reply.
	Interrupt *Interrupt
	// Error is sent when the turn is triggered (before any reply).
	Error *ErrorSpec
	// Fault ends or disturbs the connection when the turn is triggered.
	Fault *Fault
}

// UserSpeech is the user's side of a voice turn.
type UserSpeech struct {
	Transcript string
	// TranscriptionFails makes input transcription emit .failed instead of .completed.
	TranscriptionFails bool
}

// Reply is the assistant's answer. A reply has a message item when it has
// words or audio (HasMessage), and function call items after it.
type Reply struct {
	Text       string // a text-only reply, or the transcript when Transcript is empty
	Transcript string // the transcript of the audio
	Audio      *AudioSpec
	Pace       Pace
	// FunctionCalls make the response call functions (after any message).
	FunctionCalls []FunctionCall
	// Status is the response's final status: completed (default),
	// incomplete or failed.
	Status string
	// StatusReason is the status_details.reason for incomplete responses
	// (max_output_tokens, content_filter), the error code of failed ones
	// (rate_limit_exceeded, inference_rate_limit_exceeded, server_error).
	StatusReason string
}

// Words returns what the reply says: Transcript, or Text when Transcript is
// empty. In an audio response they are the transcript of the audio.
func (r *Reply) Words() string {
	if r.Transcript != "" {
		return r.Transcript
	}
	return r.Text
}

// HasMessage reports whether the response has a message item: words or
// audio. A reply without one only calls functions.
func (r *Reply) HasMessage() bool {
	return r.Text != "" || r.Transcript != "" || r.Audio != nil
}

// AudioDuration is how long the reply's audio plays when the response has
// audio: Audio.Duration when it is set, otherwise [SpeechDuration] of
// Words. It is 0 for a reply without a message.
func (r *Reply) AudioDuration() time.Duration {
	if r.Audio != nil && r.Audio.Duration > 0 {
		return r.Audio.Duration
	}
	if !r.HasMessage() {
		return 0
	}
	return SpeechDuration(r.Words())
}

// The derived audio length: SpeechPerCharacter for every character
// (Unicode code point, spaces and punctuation included) of the words, at
// least MinSpeech. "Hello! How can I help you today?" (32 characters) is
// 2240ms.
const (
	SpeechPerCharacter = 70 * time.Millisecond
	MinSpeech          = 500 * time.Millisecond
)

// SpeechDuration is the audio length derived from words, for replies that
// give words but no audio duration.
func SpeechDuration(words string) time.Duration {
	return max(time.Duration(utf8.RuneCountInString(words))*SpeechPerCharacter, MinSpeech)
}

// AudioSpec is synthetic assistant audio.
type AudioSpec struct {
	ToneHz    float64
	Amplitude float64 // 0..1; 0 means the default
	Duration  time.Duration
	// Chunks are the delta durations in order; the last one repeats, and the
	// final delta carries the remainder. Empty means the server's default.
	Chunks []time.Duration
}

// FunctionCall is a function the assistant calls.
type FunctionCall struct {
	Name      string
	Arguments string // JSON text
	CallID    string // "" = generated
}

// Interrupt is a simulated barge-in: the user starts talking once the client
// has played AfterPlayed of the reply's audio (playback assumed to start at
// the first audio delta and run in real time).
type Interrupt struct {
	AfterPlayed time.Duration
	// Speech is how long the simulated user talks (default 600ms).
	Speech time.Duration
	// Transcript is the simulated user's words (for input transcription).
	Transcript string
}

// ErrorSpec is an error event the scenario sends.
type ErrorSpec struct {
	Type    string
	Code    string
	Message string
	Param   string
}

// Fault disturbs the connection.
type Fault struct {
	// Close closes the socket with this code and reason (after Delay).
	CloseCode   int
	CloseReason string
	Delay       time.Duration
}

// Expectation is something the client must (or must not) send.
//
// Every server event of type After opens a window (with After empty, one
// window opens at connect). The window closes at the first of: Within after
// it opened, the next server event of type Until, the next client event of
// type Before, the end of the session. A plain expectation is met when the
// client sends a matching event in every window; a Never expectation when it
// sends none in any window. Server event names may be spelled in either
// dialect; compare them by [realtime.Kind] (see AfterKind and UntilKind).
type Expectation struct {
	Client string        // client event type
	After  string        // server event type that starts the clock ("" = connect)
	Until  string        // server event type that closes the window ("" = none)
	Before string        // client event type that closes the window ("" = none)
	Within time.Duration // 0 = any time before the session ends
	Never  bool          // the client must not send it
	Match  map[string]Matcher
	// Description says why the client must do this, for reports.
	Description string
}

// AfterKind is the dialect-neutral kind of After (KindUnknown when After is
// empty).
func (e *Expectation) AfterKind() realtime.Kind { return serverKind(e.After) }

// UntilKind is the dialect-neutral kind of Until (KindUnknown when Until is
// empty).
func (e *Expectation) UntilKind() realtime.Kind { return serverKind(e.Until) }

// serverKind is the kind of a server event named in either dialect.
func serverKind(name string) realtime.Kind {
	if k := realtime.KindOf(realtime.Preview, name); k != realtime.KindUnknown {
		return k
	}
	return realtime.KindOf(realtime.GA, name)
}

// Matcher checks one field (a dotted path) of the client's event. Equals
// holds a value as encoding/json decodes it (string, float64, bool, nil,
// []any); Between, when set, is an inclusive numeric range and Equals is
// unused.
type Matcher struct {
	Equals  any
	Between *[2]float64
}

// Pace is how fast replies stream.
type Pace struct {
	Mode PaceMode
	// Factor divides the pace's waits: for PaceLive the live latencies
	// ("4x" = 4). ParsePace sets it to 1 for every other pace.
	Factor float64
}

// PaceMode names a pacing.
type PaceMode string

// Pace modes.
const (
	PaceDefault  PaceMode = ""
	PaceLive     PaceMode = "live"     // the live service's latencies; audio faster than playback
	PaceRealtime PaceMode = "realtime" // audio at exactly playback speed
	PaceInstant  PaceMode = "instant"  // no waiting at all
)

// Matches reports whether v, a field value as encoding/json decodes it,
// satisfies m. Numbers compare by value whatever their Go type, so a
// Matcher read from YAML matches an int from a hand-built event too.
func (m Matcher) Matches(v any) bool {
	if m.Between != nil {
		f, ok := toFloat(v)
		return ok && f >= m.Between[0] && f <= m.Between[1]
	}
	return jsonEqual(m.Equals, v)
}

func jsonEqual(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch a := a.(type) {
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !jsonEqual(av, bv) {
				return false
			}
		}
		return true
	case nil, string, bool:
		return a == b
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
