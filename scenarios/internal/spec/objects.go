package spec

import (
	"time"

	"github.com/rtmock/rtmock/realtime"
)

// The objects of the language, in reference order (see Objects).

var Scenario = &Object{
	Name:  "scenario",
	Where: "",
	Doc:   "The top level of a scenario file.",
	Fields: []Field{
		{Key: "name", Val: vPattern(PatName), Def: "the file name without .yaml", Example: "barge-in",
			Doc: "The scenario's name, as `rtmock scenarios` lists it and `rtmock serve NAME` takes it."},
		{Key: "description", Val: vString(), Example: "The user interrupts 1.2 s into a 5 s reply.",
			Doc: "One line saying what the scenario exercises."},
		{Key: "dialects", Val: vItems("dialect", vEnum("preview", "ga")), Def: "both", Example: "[ga]",
			Doc: "The protocol dialects the scenario is meant for. Event names in `expect` must exist in each of them."},
		{Key: "premise", Val: vItems("trait", vEnum(Premises...)), Def: "none: every client", Example: "[audio_input, server_vad]",
			Doc: "What the client must do for the scenario to apply to it, as seen in its session: `audio_input` (it streams audio), `text_input` (it creates text items), `response_create` (it asks for responses), `tools` (it declares tools), `server_vad` (turn detection stays on), `manual_turns` (turn detection off). Conformance reports a client that does not as not applicable, with the reason, and judges nothing else of the run."},
		{Key: "session", Val: vObject(Session), Def: "the server's defaults", Example: "{voice: alloy}",
			Doc: "The session configuration in effect at connect, reported in `session.created`. The client may still change it with `session.update`."},
		{Key: "expires_after", Val: vDuration(0, MaxExpiresAfter, true, false), Def: "never", Example: "5s",
			Doc: "Ends the session this long after connect with a `session_expired` error and a close."},
		{Key: "seed", Val: Value{Kind: KInt}, Def: "0 (random)", Example: "42",
			Doc: "Fixes the session's randomness (ids, noise) when not 0."},
		{Key: "pace", Val: vPace(), Def: "the server's pace", Example: "realtime",
			Doc: "How fast replies stream: `live`, `realtime`, `instant` or a factor such as `4x`."},
		{Key: "default_reply", Val: vObject(Reply), Def: "the server's default reply", Example: `{text: "I'm not sure."}`,
			Doc: "Answers a trigger that no turn matches."},
		{Key: "turns", Val: vList(vObject(Turn)), Example: "[{when: response.create, reply: {transcript: Hi}}]",
			Doc: "The scripted exchanges, matched against triggers in order (see Turn matching)."},
		{Key: "expect", Val: vList(vObject(Expectation)), Example: "[{client: conversation.item.truncate, within: 500ms}]",
			Doc: "What the client must, or must never, send."},
		{Key: "faults", Val: vItems("fault", vString()), Def: "none", Example: `["drop:match=response.*audio.delta,p=0.1", "disconnect:at=3s,code=1006"]`,
			Doc: "Disturbances injected into every session, each in the syntax of `rtmock serve --fault` (see docs/faults.md): latency, stall, disconnect, drop, duplicate, reorder, error, expire, handshake, ratelimits."},
	},
}

var Session = &Object{
	Name:  "session",
	Where: "session",
	Doc:   "A dialect-neutral session configuration; the server renders it in the session's dialect. Keys left out keep the server's defaults.",
	Fields: []Field{
		{Key: "voice", Val: vEnum(Voices...), Def: "alloy", Example: "coral",
			Doc: "The assistant's voice."},
		{Key: "instructions", Val: vString(), Def: "the server's", Example: "You are a helpful assistant.",
			Doc: "The system instructions."},
		{Key: "modalities", Val: Value{Kind: KList, Elem: &Value{Kind: KEnum, Enum: []string{"text", "audio"}}, MinItems: 1, Item: "modality"}, Def: "[text, audio]", Example: "[text]",
			Doc: "What the assistant answers with. `audio` includes its transcript; `[text]` makes text-only replies."},
		{Key: "input_audio_format", Val: vEnum(Formats...), Def: "pcm16", Example: "g711_ulaw",
			Doc: "The format of the audio the client appends. GA spellings (`audio/pcm`, `audio/pcmu`, `audio/pcma`) are accepted and mean the same."},
		{Key: "output_audio_format", Val: vEnum(Formats...), Def: "pcm16", Example: "g711_ulaw",
			Doc: "The format of the assistant's audio deltas, with the same spellings as `input_audio_format`."},
		{Key: "turn_detection", Val: vNullable(TurnDetection), Def: "server_vad", Example: "{type: server_vad, silence_duration_ms: 200}",
			Doc: "Voice activity detection. `null` (or `{type: none}`) is manual mode: no VAD events, the client commits."},
		{Key: "input_audio_transcription", Val: vNullable(Transcription), Def: "off", Example: "{model: whisper-1}",
			Doc: "Enables transcription of the user's audio. `null` leaves it off."},
		{Key: "tools", Val: vList(vObject(Tool)), Def: "none", Example: "[{name: get_weather}]",
			Doc: "Function tools offered to the model."},
		{Key: "temperature", Val: vNumber(0.6, 1.2), Def: "0.8", Example: "0.8",
			Doc: "Sampling temperature (preview sessions report it; GA has none)."},
	},
}

var TurnDetection = &Object{
	Name:  "turn_detection",
	Where: "session.turn_detection",
	Doc:   "Voice activity detection settings. `threshold`, `prefix_padding_ms`, `silence_duration_ms` and `idle_timeout_ms` apply to `server_vad`, `eagerness` to `semantic_vad`; `none` takes no other key.",
	Fields: []Field{
		{Key: "type", Val: vEnum("server_vad", "semantic_vad", "none"), Def: "server_vad", Example: "server_vad",
			Hints: map[string]string{"server": "server_vad", "semantic": "semantic_vad", "null": "none", "manual": "none"},
			Doc:   "The detector; `none` is manual mode."},
		{Key: "threshold", Val: vNumber(0, 1), Def: "0.5", Example: "0.5",
			Doc: "Activation threshold, a fraction of full scale from 0 to 1."},
		{Key: "prefix_padding_ms", Val: vInt(0, 10000), Def: "300", Example: "300",
			Doc: "Audio before the detected speech included in the user turn, in milliseconds (a plain integer)."},
		{Key: "silence_duration_ms", Val: vInt(1, 10000), Def: "200", Example: "500",
			Doc: "Silence that ends the user turn, in milliseconds (a plain integer)."},
		{Key: "eagerness", Val: vEnum("low", "medium", "high", "auto"), Def: "auto", Example: "high",
			Doc: "How soon `semantic_vad` ends the user turn: after a short pause when the turn's `user.transcript` ends a sentence, after up to 8, 4 or 2 s (low, medium and auto, high) when it does not."},
		{Key: "idle_timeout_ms", Val: vInt(5000, 30000), Example: "6000",
			Doc: "`server_vad` only: after a response has played, this much time without speech sends `input_audio_buffer.timeout_triggered`, commits the silent audio and answers with an `idle_timeout` turn (GA)."},
		{Key: "create_response", Val: vBool(), Def: "true", Example: "false",
			Doc: "Whether the end of a user turn starts a response by itself."},
		{Key: "interrupt_response", Val: vBool(), Def: "true", Example: "false",
			Doc: "Whether the user's speech cancels an active response."},
	},
}

var Transcription = &Object{
	Name:  "input_audio_transcription",
	Where: "session.input_audio_transcription",
	Doc:   "Input audio transcription settings. What the user said comes from the turn's `user.transcript`.",
	Fields: []Field{
		{Key: "model", Val: vString(), Def: "whisper-1", Example: "gpt-4o-transcribe",
			Doc: "The transcription model (on Azure, a deployment name)."},
		{Key: "language", Val: vString(), Def: "unset", Example: "en",
			Doc: "The input language, ISO-639-1."},
		{Key: "prompt", Val: vString(), Def: "unset", Example: "Expect weather words.",
			Doc: "A prompt for the transcription model."},
	},
}

var Tool = &Object{
	Name:  "tool",
	Where: "session.tools[]",
	Doc:   "A function tool.",
	Fields: []Field{
		{Key: "type", Val: vEnum("function"), Def: "function", Example: "function",
			Doc: "Always `function`; accepted so that tools can be pasted from API requests."},
		{Key: "name", Val: vPattern(PatToolName), Required: true, Example: "get_weather",
			Doc: "The function name: letters, digits, `_` and `-`, at most 64."},
		{Key: "description", Val: vString(), Example: "Get the weather for a city.",
			Doc: "What the function does."},
		{Key: "parameters", Val: Value{Kind: KJSONObject}, Def: "none", Example: "{type: object, properties: {city: {type: string}}}",
			Doc: "The JSON Schema of the arguments, written as YAML."},
	},
}

var Turn = &Object{
	Name:  "turn",
	Where: "turns[]",
	Doc:   "One scripted exchange: what triggers it and what happens then. A turn needs at least one of `reply`, `error`, `fault` or (on `user_speech` and `commit` turns) `user`.",
	Fields: []Field{
		{Key: "when", Val: vEnum(Triggers...), Required: true, Example: "response.create",
			Hints: map[string]string{
				"conversation.item.create":          "item.create",
				"input_audio_buffer.commit":         "commit",
				"input_audio_buffer.committed":      "commit",
				"input_audio_buffer.speech_started": "user_speech",
				"input_audio_buffer.speech_stopped": "user_speech",
				"speech":                            "user_speech",
				"vad":                               "user_speech",
				"session.created":                   "connect",
				"response.created":                  "response.create",
			},
			Doc: "The trigger that takes this turn (see Triggers)."},
		{Key: "repeat", Val: vBool(), Def: "false", Example: "true",
			Doc: "Keeps the turn available after it has been used, so it answers every such trigger."},
		{Key: "user", Val: vObject(User), Example: `{transcript: "What's the weather?"}`,
			Doc: "What the user said in a `user_speech` or `commit` turn, for input transcription."},
		{Key: "reply", Val: vObject(Reply), Def: "`default_reply`", Example: `{transcript: "Sure."}`,
			Doc: "The assistant's answer."},
		{Key: "interrupt", Val: vObject(Interrupt), Example: "{after_played: 1200ms}",
			Doc: "The simulated user talks over the reply."},
		{Key: "error", Val: vObject(Error), Example: "{code: invalid_value, message: Nope.}",
			Doc: "An `error` event sent when the turn is triggered, before any reply. Without a reply the trigger gets only the error."},
		{Key: "fault", Val: vObject(Fault), Example: "{close: 1011, delay: 800ms}",
			Doc: "Closes the connection when the turn is triggered (after `delay`)."},
	},
}

var User = &Object{
	Name:  "user",
	Where: "turns[].user",
	Doc:   "The user's side of a voice turn. The audio itself is whatever the client sent.",
	Fields: []Field{
		{Key: "transcript", Val: vString(), Def: `""`, Example: "What's the weather tomorrow?",
			Doc: "The input transcription of the user's audio."},
		{Key: "transcription", Val: vEnum("completed", "failed"), Def: "completed", Example: "failed",
			Hints: map[string]string{"complete": "completed", "fail": "failed", "true": "completed", "false": "failed"},
			Doc:   "`failed` makes input transcription end with `.failed` instead of `.completed`."},
	},
}

var Reply = &Object{
	Name:  "reply",
	Where: "turns[].reply",
	Doc: "The assistant's answer: a message, function calls, or both (the message first). `text` and `transcript` exclude each other; " +
		"so do `function_call` and `function_calls`. A reply with words but no `audio` gets audio whose length is derived from the words (see Derived audio length).",
	Fields: []Field{
		{Key: "text", Val: vString(), Example: "Here is the answer.",
			Doc: "The words of the reply: the text of a text-only response, or the transcript of its audio."},
		{Key: "transcript", Val: vString(), Example: "Let me tell you a story.",
			Doc: "The transcript of the reply's audio."},
		{Key: "audio", Val: vObject(Audio), Def: "derived from the words", Example: "{tone: 440Hz, duration: 5s, chunk: 100ms}",
			Doc: "The synthetic audio of the reply."},
		{Key: "pace", Val: vPace(), Def: "the scenario's `pace`", Example: "instant",
			Doc: "How fast this reply streams."},
		{Key: "function_call", Val: vObject(FunctionCall), Example: "{name: get_weather, arguments: {city: Paris}}",
			Doc: "One function call, after the message if there is one."},
		{Key: "function_calls", Val: Value{Kind: KList, Elem: &Value{Kind: KObject, Obj: FunctionCall}, MinItems: 1}, Example: "[{name: a}, {name: b}]",
			Doc: "Several function calls in one response, in order."},
		{Key: "status", Val: vEnum("completed", "incomplete", "failed"), Def: "completed", Example: "incomplete",
			Doc: "The response's final status. A failed response has no output and zero usage: `response.created`, then `response.done` with `status_details.error`."},
		{Key: "reason", Val: vEnum("max_output_tokens", "content_filter", "rate_limit_exceeded", "inference_rate_limit_exceeded", "server_error"), Def: "max_output_tokens (incomplete), server_error (failed)", Example: "content_filter",
			Doc: "Why: `status_details.reason` of an incomplete response (`max_output_tokens`, `content_filter`), or the error code of a failed one (`rate_limit_exceeded` as OpenAI sends it, `inference_rate_limit_exceeded` as Azure's, `server_error`)."},
	},
}

var Audio = &Object{
	Name:  "audio",
	Where: "turns[].reply.audio",
	Doc:   "Synthetic assistant audio: a sine tone in the session's output format. Its byte count equals its duration exactly.",
	Fields: []Field{
		{Key: "tone", Val: Value{Kind: KFrequency, Lo: 20, Hi: 11000, HasLo: true, HasHi: true}, Def: "440Hz", Example: "440Hz",
			Doc: "The tone's frequency: `440Hz`, `1.2kHz` or a plain number of hertz, 20 Hz to 11 kHz (below 4 kHz for G.711 output)."},
		{Key: "duration", Val: vDuration(0, MaxAudio, true, true), Def: "derived from the words", Example: "5s",
			Doc: "How long the audio plays, in whole milliseconds, at most 30m."},
		{Key: "chunk", Val: Value{Kind: KChunks, Lo: float64(MinChunk), Hi: float64(MaxChunk), HasLo: true, HasHi: true, WholeMs: true}, Def: "the server's", Example: "[100ms, 150ms, 250ms]",
			Doc: "The duration of each audio delta (10ms to 10s), or a list of them in order: the last one repeats and the final delta carries the remainder."},
		{Key: "amplitude", Val: Value{Kind: KNumber, Lo: 0, Hi: 1, HasLo: true, HasHi: true, LoExcl: true}, Def: "the server's", Example: "0.3",
			Doc: "Peak amplitude as a fraction of full scale, above 0 and at most 1."},
	},
}

var FunctionCall = &Object{
	Name:  "function_call",
	Where: "turns[].reply.function_call",
	Doc:   "A function the assistant calls. The server streams the arguments in deltas.",
	Fields: []Field{
		{Key: "name", Val: vPattern(PatToolName), Required: true, Example: "get_weather",
			Doc: "The function's name; one of the session's tools when the scenario declares tools."},
		{Key: "arguments", Val: Value{Kind: KArguments}, Def: "{}", Example: `{city: Paris, unit: celsius}`,
			Doc: "The arguments, a JSON object given as JSON text or as a YAML mapping; stored as compact JSON text."},
		{Key: "call_id", Val: vString(), Def: "generated", Example: "call_weather_1",
			Doc: "The call id the client answers with `function_call_output`."},
	},
}

var Interrupt = &Object{
	Name:  "interrupt",
	Where: "turns[].interrupt",
	Doc:   "A simulated barge-in: the user starts talking once the client has played `after_played` of the reply, counting real time from the first audio delta. Needs voice activity detection.",
	Fields: []Field{
		{Key: "after_played", Val: vDuration(0, MaxAudio, true, true), Required: true, Example: "1200ms",
			Doc: "How much of the reply's audio has played when the user starts talking; shorter than the audio."},
		{Key: "speech", Val: vDuration(100*time.Millisecond, time.Minute, false, true), Def: "600ms", Example: "800ms",
			Doc: "How long the simulated user talks, 100ms to 1m."},
		{Key: "transcript", Val: vString(), Def: `""`, Example: "Wait, stop.",
			Doc: "What the simulated user says, for input transcription."},
	},
}

var Error = &Object{
	Name:  "error",
	Where: "turns[].error",
	Doc:   "An `error` server event.",
	Fields: []Field{
		{Key: "type", Val: vEnum(realtime.InvalidRequestError, realtime.ServerError, "rate_limit_error"), Def: realtime.InvalidRequestError, Example: realtime.ServerError,
			Doc: "`error.type`."},
		{Key: "code", Val: vString(), Def: "null", Example: realtime.CodeInvalidValue,
			Doc: "`error.code`."},
		{Key: "message", Val: vString(), Def: "required, except for server_error", Example: `"Invalid value: 'ping'."`,
			Doc: "`error.message`."},
		{Key: "param", Val: vString(), Def: "null", Example: "type",
			Doc: "`error.param`."},
	},
}

var Fault = &Object{
	Name:  "fault",
	Where: "turns[].fault",
	Doc:   "A connection fault.",
	Fields: []Field{
		{Key: "close", Val: vInt(1000, 4999), Required: true, Example: "1011",
			Doc: "Closes the WebSocket with this code (1000 to 4999, not the reserved 1004, 1005, 1006 and 1015)."},
		{Key: "reason", Val: vString(), Def: `""`, Example: "internal error",
			Doc: "The close reason, at most 123 bytes."},
		{Key: "delay", Val: vDuration(0, time.Hour, false, false), Def: "0", Example: "800ms",
			Doc: "How long after the trigger the fault happens; a reply streams meanwhile."},
	},
}

var Expectation = &Object{
	Name:  "expectation",
	Where: "expect[]",
	Doc:   "Something the client must send, or must never send, in a window of the session (see Expectations).",
	Fields: []Field{
		{Key: "client", Val: vEnum(ClientEvents...), Required: true, Example: "conversation.item.truncate",
			Doc: "The client event type."},
		{Key: "after", Val: vEnum(append([]string{InterruptAnchor}, ServerEvents...)...), Def: "connect", Example: "input_audio_buffer.speech_started",
			Doc: "A server event type; every such event opens a window. `interrupt` opens one where the simulated user talks over a reply (a turn's `interrupt`): at its `speech_started`, not at one the client's own audio caused."},
		{Key: "until", Val: vEnum(ServerEvents...), Def: "end of session", Example: "response.done",
			Doc: "A server event type that closes the window."},
		{Key: "before", Val: vEnum(ClientEvents...), Def: "end of session", Example: "response.create",
			Doc: "A client event type that closes the window: the expected event must come before it."},
		{Key: "within", Val: vDuration(0, time.Hour, true, false), Def: "end of session", Example: "500ms",
			Doc: "Closes the window this long after it opened."},
		{Key: "never", Val: vBool(), Def: "false", Example: "true",
			Doc: "The client must not send a matching event in any window."},
		{Key: "match", Val: Value{Kind: KMatch}, Def: "any event of the type", Example: "{content_index: 0, audio_end_ms: {between: [1000, 1400]}}",
			Doc: "Field checks on the event: a dotted path (`item.type`, `item.content.0.type`) and a value it must equal, or `{between: [lo, hi]}` for a number in that range (inclusive)."},
		{Key: "description", Val: vString(), Example: "The client truncates what was not heard.",
			Doc: "Why the client must do this, for reports."},
	},
}

// Objects lists every object of the language in reference order.
var Objects = []*Object{
	Scenario, Session, TurnDetection, Transcription, Tool,
	Turn, User, Reply, Audio, FunctionCall, Interrupt,
	Error, Fault, Expectation,
}
