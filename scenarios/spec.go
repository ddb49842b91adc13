package scenarios

import (
	"regexp"
	"slices"
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// This file is the one table of the scenario language. The decoder checks
// keys, required keys, enums, patterns and ranges against it; schema.json and
// the key reference in docs/scenarios.md are generated from it (the tests
// fail when either has drifted, and rewrite both with -update).

// kind is the type of a value in a scenario file.
type kind uint8

const (
	kString     kind = iota + 1
	kBool            // true or false
	kInt             // an integer
	kNumber          // an integer or decimal number
	kDuration        // "1200ms", "1.5s", "2m"
	kFrequency       // "440Hz", "1.2kHz" or a number of hertz
	kPace            // live, realtime, instant, 4x
	kEnum            // one of a fixed set of strings
	kObject          // a mapping with the keys of obj
	kList            // a sequence of elem
	kJSONObject      // any mapping (a JSON Schema)
	kArguments       // a JSON object as text, or a mapping
	kChunks          // a duration or a sequence of durations
	kMatch           // a mapping of dotted paths to values or matchers
)

// value describes what a key accepts.
type value struct {
	kind     kind
	enum     []string // kEnum
	obj      *object  // kObject
	elem     *value   // kList
	nullable bool     // kObject: null is accepted
	pattern  string   // kString: a regular expression the whole string must match
	// Bounds of kInt and kNumber, or of kDuration and kChunks in
	// nanoseconds, or of kFrequency in hertz.
	lo, hi       float64
	hasLo, hasHi bool
	loExcl       bool // the lower bound itself is out of range
	wholeMs      bool // kDuration, kChunks: whole milliseconds only
	minItems     int  // kList
}

// field is one key of an object.
type field struct {
	key      string
	val      value
	required bool
	def      string // the documented default; "" when there is none
	example  string // a YAML value for the reference
	doc      string
}

// object is a mapping the language defines.
type object struct {
	name   string // the schema's $defs name and the reference's heading
	where  string // where the mapping appears, as a path
	doc    string
	fields []field
}

// lookup returns the field named key.
func (o *object) lookup(key string) *field {
	for i := range o.fields {
		if o.fields[i].key == key {
			return &o.fields[i]
		}
	}
	return nil
}

// keys returns the keys of o in table order.
func (o *object) keys() []string {
	ks := make([]string, len(o.fields))
	for i, f := range o.fields {
		ks[i] = f.key
	}
	return ks
}

func vString() value             { return value{kind: kString} }
func vPattern(p string) value    { return value{kind: kString, pattern: p} }
func vBool() value               { return value{kind: kBool} }
func vEnum(vals ...string) value { return value{kind: kEnum, enum: vals} }
func vObject(o *object) value    { return value{kind: kObject, obj: o} }
func vNullable(o *object) value  { return value{kind: kObject, obj: o, nullable: true} }
func vList(elem value) value     { return value{kind: kList, elem: &elem} }
func vPace() value               { return value{kind: kPace} }
func vInt(lo, hi float64) value {
	return value{kind: kInt, lo: lo, hi: hi, hasLo: true, hasHi: true}
}
func vNumber(lo, hi float64) value {
	return value{kind: kNumber, lo: lo, hi: hi, hasLo: true, hasHi: true}
}

// vDuration accepts durations in [lo, hi], or (lo, hi] with loExcl.
func vDuration(lo, hi time.Duration, loExcl, wholeMs bool) value {
	return value{kind: kDuration, lo: float64(lo), hi: float64(hi), hasLo: true, hasHi: true, loExcl: loExcl, wholeMs: wholeMs}
}

// Limits of the language, checked on load.
const (
	// MaxAudio is the longest reply audio a scenario may ask for.
	MaxAudio = 30 * time.Minute
	// MinChunk and MaxChunk bound the duration of one audio delta.
	MinChunk = 10 * time.Millisecond
	MaxChunk = 10 * time.Second
	// MaxExpiresAfter is the live service's longest session.
	MaxExpiresAfter = 60 * time.Minute
	// DefaultInterruptSpeech is how long the simulated user talks over a
	// reply when interrupt.speech is not given.
	DefaultInterruptSpeech = 600 * time.Millisecond
)

// Voices the live service offers.
var voices = []string{"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"}

// Audio format spellings: preview names first, then the GA types.
var formatNames = []string{"pcm16", "g711_ulaw", "g711_alaw", "audio/pcm", "audio/pcmu", "audio/pcma"}

var triggerNames = []string{string(OnConnect), string(OnResponseCreate), string(OnUserSpeech), string(OnItemCreate), string(OnCommit)}

// clientEventNames are the client event types of either dialect, in the
// order the preview service lists them, then the GA additions.
var clientEventNames = func() []string {
	names := realtime.ClientTypes(realtime.Preview)
	for _, n := range realtime.ClientTypes(realtime.GA) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}()

// serverEventNames are the server event types of either dialect.
var serverEventNames = func() []string {
	var names []string
	for k := realtime.Kind(1); ; k++ {
		p, g := realtime.Preview.Name(k), realtime.GA.Name(k)
		if p == "" && g == "" {
			break
		}
		for _, n := range []string{p, g} {
			if n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return names
}()

const (
	patName     = `^[A-Za-z0-9][A-Za-z0-9._-]*$`
	patToolName = `^[A-Za-z0-9_-]{1,64}$`
	patPath     = `^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$`
	patDuration = `^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*)$`
	patFreq     = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)([kK]?[hH][zZ])?$`
	patPace     = `^(live|realtime|instant|([0-9]+(\.[0-9]*)?|\.[0-9]+)x)$`
)

// patterns holds the compiled patterns of the table, built once.
var patterns = map[string]*regexp.Regexp{
	patName:     regexp.MustCompile(patName),
	patToolName: regexp.MustCompile(patToolName),
	patPath:     regexp.MustCompile(patPath),
}

var scenarioSpec = &object{
	name:  "scenario",
	where: "",
	doc:   "The top level of a scenario file.",
	fields: []field{
		{key: "name", val: vPattern(patName), def: "the file name without .yaml", example: "barge-in",
			doc: "The scenario's name, as `rtmock scenarios` lists it and `rtmock serve NAME` takes it."},
		{key: "description", val: vString(), example: "The user interrupts 1.2 s into a 5 s reply.",
			doc: "One line saying what the scenario exercises."},
		{key: "dialects", val: vList(vEnum("preview", "ga")), def: "both", example: "[ga]",
			doc: "The protocol dialects the scenario is meant for. Event names in `expect` must exist in each of them."},
		{key: "session", val: vObject(sessionSpec), def: "the server's defaults", example: "{voice: alloy}",
			doc: "The session configuration in effect at connect, reported in `session.created`. The client may still change it with `session.update`."},
		{key: "expires_after", val: vDuration(0, MaxExpiresAfter, true, false), def: "never", example: "5s",
			doc: "Ends the session this long after connect with a `session_expired` error and a close."},
		{key: "seed", val: value{kind: kInt}, def: "0 (random)", example: "42",
			doc: "Fixes the session's randomness (ids, noise) when not 0."},
		{key: "pace", val: vPace(), def: "the server's pace", example: "realtime",
			doc: "How fast replies stream: `live`, `realtime`, `instant` or a factor such as `4x`."},
		{key: "default_reply", val: vObject(replySpec), def: "the server's default reply", example: `{text: "I'm not sure."}`,
			doc: "Answers a trigger that no turn matches."},
		{key: "turns", val: vList(vObject(turnSpec)), example: "[{when: response.create, reply: {transcript: Hi}}]",
			doc: "The scripted exchanges, matched against triggers in order (see Turn matching)."},
		{key: "expect", val: vList(vObject(expectSpec)), example: "[{client: conversation.item.truncate, within: 500ms}]",
			doc: "What the client must, or must never, send."},
		{key: "faults", val: vList(vString()), def: "none", example: `["drop:match=response.*audio.delta,p=0.1", "disconnect:at=3s,code=1006"]`,
			doc: "Disturbances injected into every session, each in the syntax of `rtmock serve --fault` (see docs/faults.md): latency, stall, disconnect, drop, duplicate, reorder, error, expire, handshake, ratelimits."},
	},
}

var sessionSpec = &object{
	name:  "session",
	where: "session",
	doc:   "A dialect-neutral session configuration; the server renders it in the session's dialect. Keys left out keep the server's defaults.",
	fields: []field{
		{key: "voice", val: vEnum(voices...), def: "alloy", example: "coral",
			doc: "The assistant's voice."},
		{key: "instructions", val: vString(), def: "the server's", example: "You are a helpful assistant.",
			doc: "The system instructions."},
		{key: "modalities", val: value{kind: kList, elem: &value{kind: kEnum, enum: []string{"text", "audio"}}, minItems: 1}, def: "[text, audio]", example: "[text]",
			doc: "What the assistant answers with. `audio` includes its transcript; `[text]` makes text-only replies."},
		{key: "input_audio_format", val: vEnum(formatNames...), def: "pcm16", example: "g711_ulaw",
			doc: "The format of the audio the client appends. GA spellings (`audio/pcm`, `audio/pcmu`, `audio/pcma`) are accepted and mean the same."},
		{key: "output_audio_format", val: vEnum(formatNames...), def: "pcm16", example: "g711_ulaw",
			doc: "The format of the assistant's audio deltas, with the same spellings as `input_audio_format`."},
		{key: "turn_detection", val: vNullable(turnDetectionSpec), def: "server_vad", example: "{type: server_vad, silence_duration_ms: 200}",
			doc: "Voice activity detection. `null` (or `{type: none}`) is manual mode: no VAD events, the client commits."},
		{key: "input_audio_transcription", val: vNullable(transcriptionSpec), def: "off", example: "{model: whisper-1}",
			doc: "Enables transcription of the user's audio. `null` leaves it off."},
		{key: "tools", val: vList(vObject(toolSpec)), def: "none", example: "[{name: get_weather}]",
			doc: "Function tools offered to the model."},
		{key: "temperature", val: vNumber(0.6, 1.2), def: "0.8", example: "0.8",
			doc: "Sampling temperature (preview sessions report it; GA has none)."},
	},
}

var turnDetectionSpec = &object{
	name:  "turn_detection",
	where: "session.turn_detection",
	doc:   "Voice activity detection settings. `threshold`, `prefix_padding_ms` and `silence_duration_ms` apply to `server_vad`, `eagerness` to `semantic_vad`; `none` takes no other key.",
	fields: []field{
		{key: "type", val: vEnum("server_vad", "semantic_vad", "none"), def: "server_vad", example: "server_vad",
			doc: "The detector; `none` is manual mode."},
		{key: "threshold", val: vNumber(0, 1), def: "0.5", example: "0.5",
			doc: "Activation threshold, a fraction of full scale from 0 to 1."},
		{key: "prefix_padding_ms", val: vInt(0, 10000), def: "300", example: "300",
			doc: "Audio before the detected speech included in the user turn, in milliseconds (a plain integer)."},
		{key: "silence_duration_ms", val: vInt(1, 10000), def: "200", example: "500",
			doc: "Silence that ends the user turn, in milliseconds (a plain integer)."},
		{key: "eagerness", val: vEnum("low", "medium", "high", "auto"), def: "auto", example: "high",
			doc: "How soon `semantic_vad` ends the user turn."},
		{key: "create_response", val: vBool(), def: "true", example: "false",
			doc: "Whether the end of a user turn starts a response by itself."},
		{key: "interrupt_response", val: vBool(), def: "true", example: "false",
			doc: "Whether the user's speech cancels an active response."},
	},
}

var transcriptionSpec = &object{
	name:  "input_audio_transcription",
	where: "session.input_audio_transcription",
	doc:   "Input audio transcription settings. What the user said comes from the turn's `user.transcript`.",
	fields: []field{
		{key: "model", val: vString(), def: "whisper-1", example: "gpt-4o-transcribe",
			doc: "The transcription model (on Azure, a deployment name)."},
		{key: "language", val: vString(), def: "unset", example: "en",
			doc: "The input language, ISO-639-1."},
		{key: "prompt", val: vString(), def: "unset", example: "Expect weather words.",
			doc: "A prompt for the transcription model."},
	},
}

var toolSpec = &object{
	name:  "tool",
	where: "session.tools[]",
	doc:   "A function tool.",
	fields: []field{
		{key: "type", val: vEnum("function"), def: "function", example: "function",
			doc: "Always `function`; accepted so that tools can be pasted from API requests."},
		{key: "name", val: vPattern(patToolName), required: true, example: "get_weather",
			doc: "The function name: letters, digits, `_` and `-`, at most 64."},
		{key: "description", val: vString(), example: "Get the weather for a city.",
			doc: "What the function does."},
		{key: "parameters", val: value{kind: kJSONObject}, def: "none", example: "{type: object, properties: {city: {type: string}}}",
			doc: "The JSON Schema of the arguments, written as YAML."},
	},
}

var turnSpec = &object{
	name:  "turn",
	where: "turns[]",
	doc:   "One scripted exchange: what triggers it and what happens then. A turn needs at least one of `reply`, `error`, `fault` or (on `user_speech` and `commit` turns) `user`.",
	fields: []field{
		{key: "when", val: vEnum(triggerNames...), required: true, example: "response.create",
			doc: "The trigger that takes this turn (see Triggers)."},
		{key: "repeat", val: vBool(), def: "false", example: "true",
			doc: "Keeps the turn available after it has been used, so it answers every such trigger."},
		{key: "user", val: vObject(userSpec), example: `{transcript: "What's the weather?"}`,
			doc: "What the user said in a `user_speech` or `commit` turn, for input transcription."},
		{key: "reply", val: vObject(replySpec), def: "`default_reply`", example: `{transcript: "Sure."}`,
			doc: "The assistant's answer."},
		{key: "interrupt", val: vObject(interruptSpec), example: "{after_played: 1200ms}",
			doc: "The simulated user talks over the reply."},
		{key: "error", val: vObject(errorSpec), example: "{code: invalid_value, message: Nope.}",
			doc: "An `error` event sent when the turn is triggered, before any reply. Without a reply the trigger gets only the error."},
		{key: "fault", val: vObject(faultSpec), example: "{close: 1011, delay: 800ms}",
			doc: "Closes the connection when the turn is triggered (after `delay`)."},
	},
}

var userSpec = &object{
	name:  "user",
	where: "turns[].user",
	doc:   "The user's side of a voice turn. The audio itself is whatever the client sent.",
	fields: []field{
		{key: "transcript", val: vString(), def: `""`, example: "What's the weather tomorrow?",
			doc: "The input transcription of the user's audio."},
		{key: "transcription", val: vEnum("completed", "failed"), def: "completed", example: "failed",
			doc: "`failed` makes input transcription end with `.failed` instead of `.completed`."},
	},
}

var replySpec = &object{
	name:  "reply",
	where: "turns[].reply",
	doc: "The assistant's answer: a message, function calls, or both (the message first). `text` and `transcript` exclude each other; " +
		"so do `function_call` and `function_calls`. A reply with words but no `audio` gets audio whose length is derived from the words (see Derived audio length).",
	fields: []field{
		{key: "text", val: vString(), example: "Here is the answer.",
			doc: "The words of the reply: the text of a text-only response, or the transcript of its audio."},
		{key: "transcript", val: vString(), example: "Let me tell you a story.",
			doc: "The transcript of the reply's audio."},
		{key: "audio", val: vObject(audioSpec), def: "derived from the words", example: "{tone: 440Hz, duration: 5s, chunk: 100ms}",
			doc: "The synthetic audio of the reply."},
		{key: "pace", val: vPace(), def: "the scenario's `pace`", example: "instant",
			doc: "How fast this reply streams."},
		{key: "function_call", val: vObject(functionCallSpec), example: "{name: get_weather, arguments: {city: Paris}}",
			doc: "One function call, after the message if there is one."},
		{key: "function_calls", val: value{kind: kList, elem: &value{kind: kObject, obj: functionCallSpec}, minItems: 1}, example: "[{name: a}, {name: b}]",
			doc: "Several function calls in one response, in order."},
		{key: "status", val: vEnum("completed", "incomplete"), def: "completed", example: "incomplete",
			doc: "The response's final status."},
		{key: "reason", val: vEnum("max_output_tokens", "content_filter"), def: "max_output_tokens (when incomplete)", example: "content_filter",
			doc: "`status_details.reason` of an incomplete response."},
	},
}

var audioSpec = &object{
	name:  "audio",
	where: "turns[].reply.audio",
	doc:   "Synthetic assistant audio: a sine tone in the session's output format. Its byte count equals its duration exactly.",
	fields: []field{
		{key: "tone", val: value{kind: kFrequency, lo: 20, hi: 11000, hasLo: true, hasHi: true}, def: "440Hz", example: "440Hz",
			doc: "The tone's frequency: `440Hz`, `1.2kHz` or a plain number of hertz, 20 Hz to 11 kHz (below 4 kHz for G.711 output)."},
		{key: "duration", val: vDuration(0, MaxAudio, true, true), def: "derived from the words", example: "5s",
			doc: "How long the audio plays, in whole milliseconds, at most 30m."},
		{key: "chunk", val: value{kind: kChunks, lo: float64(MinChunk), hi: float64(MaxChunk), hasLo: true, hasHi: true, wholeMs: true}, def: "the server's", example: "[100ms, 150ms, 250ms]",
			doc: "The duration of each audio delta (10ms to 10s), or a list of them in order: the last one repeats and the final delta carries the remainder."},
		{key: "amplitude", val: value{kind: kNumber, lo: 0, hi: 1, hasLo: true, hasHi: true, loExcl: true}, def: "the server's", example: "0.3",
			doc: "Peak amplitude as a fraction of full scale, above 0 and at most 1."},
	},
}

var functionCallSpec = &object{
	name:  "function_call",
	where: "turns[].reply.function_call",
	doc:   "A function the assistant calls. The server streams the arguments in deltas.",
	fields: []field{
		{key: "name", val: vPattern(patToolName), required: true, example: "get_weather",
			doc: "The function's name; one of the session's tools when the scenario declares tools."},
		{key: "arguments", val: value{kind: kArguments}, def: "{}", example: `{city: Paris, unit: celsius}`,
			doc: "The arguments, a JSON object given as JSON text or as a YAML mapping; stored as compact JSON text."},
		{key: "call_id", val: vString(), def: "generated", example: "call_weather_1",
			doc: "The call id the client answers with `function_call_output`."},
	},
}

var interruptSpec = &object{
	name:  "interrupt",
	where: "turns[].interrupt",
	doc:   "A simulated barge-in: the user starts talking once the client has played `after_played` of the reply, counting real time from the first audio delta. Needs voice activity detection.",
	fields: []field{
		{key: "after_played", val: vDuration(0, MaxAudio, true, true), required: true, example: "1200ms",
			doc: "How much of the reply's audio has played when the user starts talking; shorter than the audio."},
		{key: "speech", val: vDuration(100*time.Millisecond, time.Minute, false, true), def: "600ms", example: "800ms",
			doc: "How long the simulated user talks, 100ms to 1m."},
		{key: "transcript", val: vString(), def: `""`, example: "Wait, stop.",
			doc: "What the simulated user says, for input transcription."},
	},
}

var errorSpec = &object{
	name:  "error",
	where: "turns[].error",
	doc:   "An `error` server event.",
	fields: []field{
		{key: "type", val: vEnum(realtime.InvalidRequestError, realtime.ServerError, "rate_limit_error"), def: realtime.InvalidRequestError, example: realtime.ServerError,
			doc: "`error.type`."},
		{key: "code", val: vString(), def: "null", example: realtime.CodeInvalidValue,
			doc: "`error.code`."},
		{key: "message", val: vString(), def: "required, except for server_error", example: `"Invalid value: 'ping'."`,
			doc: "`error.message`."},
		{key: "param", val: vString(), def: "null", example: "type",
			doc: "`error.param`."},
	},
}

var faultSpec = &object{
	name:  "fault",
	where: "turns[].fault",
	doc:   "A connection fault.",
	fields: []field{
		{key: "close", val: vInt(1000, 4999), required: true, example: "1011",
			doc: "Closes the WebSocket with this code (1000 to 4999, not the reserved 1004, 1005, 1006 and 1015)."},
		{key: "reason", val: vString(), def: `""`, example: "internal error",
			doc: "The close reason, at most 123 bytes."},
		{key: "delay", val: vDuration(0, time.Hour, false, false), def: "0", example: "800ms",
			doc: "How long after the trigger the fault happens; a reply streams meanwhile."},
	},
}

var expectSpec = &object{
	name:  "expectation",
	where: "expect[]",
	doc:   "Something the client must send, or must never send, in a window of the session (see Expectations).",
	fields: []field{
		{key: "client", val: vEnum(clientEventNames...), required: true, example: "conversation.item.truncate",
			doc: "The client event type."},
		{key: "after", val: vEnum(serverEventNames...), def: "connect", example: "input_audio_buffer.speech_started",
			doc: "A server event type; every such event opens a window."},
		{key: "until", val: vEnum(serverEventNames...), def: "end of session", example: "response.done",
			doc: "A server event type that closes the window."},
		{key: "before", val: vEnum(clientEventNames...), def: "end of session", example: "response.create",
			doc: "A client event type that closes the window: the expected event must come before it."},
		{key: "within", val: vDuration(0, time.Hour, true, false), def: "end of session", example: "500ms",
			doc: "Closes the window this long after it opened."},
		{key: "never", val: vBool(), def: "false", example: "true",
			doc: "The client must not send a matching event in any window."},
		{key: "match", val: value{kind: kMatch}, def: "any event of the type", example: "{content_index: 0, audio_end_ms: {between: [1000, 1400]}}",
			doc: "Field checks on the event: a dotted path (`item.type`, `item.content.0.type`) and a value it must equal, or `{between: [lo, hi]}` for a number in that range (inclusive)."},
		{key: "description", val: vString(), example: "The client truncates what was not heard.",
			doc: "Why the client must do this, for reports."},
	},
}

// objects lists every object of the language in reference order.
var objects = []*object{
	scenarioSpec, sessionSpec, turnDetectionSpec, transcriptionSpec, toolSpec,
	turnSpec, userSpec, replySpec, audioSpec, functionCallSpec, interruptSpec,
	errorSpec, faultSpec, expectSpec,
}

// Voices returns the voices a scenario's session may name: those the live
// service offers.
func Voices() []string { return slices.Clone(voices) }

// AudioFormats returns the audio format names a scenario's session accepts:
// the preview names, then the GA types that mean the same.
func AudioFormats() []string { return slices.Clone(formatNames) }
