// Package conformance tells whether a realtime client behaves: whether it
// truncates after barge-in, never races response.create, survives errors,
// sends valid 24 kHz audio in real time, speaks one protocol version, and
// so on: the pitfalls of the protocol reference's §8
// (reference/realtime-protocol.md), as named rules judged over a session's
// transcript.
//
// # Rules
//
// [Rules] is the catalogue. Each [Rule] has an id, a one-line reason that
// cites the reference, a severity, the built-in scenarios that exercise
// it, and a Check that judges one [Session]: pass, fail (with findings
// that quote the offending frames with their times and say what the
// service expects instead) or n/a (with why).
//
//	RT-BARGEIN-TRUNCATE   error    one truncate of the playing item after speech_started
//	RT-TRUNCATE-PLAYED    error    audio_end_ms ≤ min(received, elapsed since the first delta) + tolerance
//	RT-TRUNCATE-VALUE     error    integer audio_end_ms > 0, content_index 0, an assistant item with audio
//	RT-TRUNCATE-SPURIOUS  warning  no truncate without an interruption
//	RT-BARGEIN-REACTION   warning  the truncate within the reaction window (500 ms)
//	RT-ACTIVE-RESPONSE    error    no response.create while a response is in progress
//	RT-CANCEL-HANDLING    error    response_cancel_not_active or a cancelled response is not the end
//	RT-ERROR-RECOVERY     error    error events are not fatal; a refused response.create is retried
//	RT-FUNCTION-CALL      error    function_call_output before response.create, after the call's response.done
//	RT-AUDIO-FORMAT       error    whole samples, valid base64, the declared format and rate
//	RT-AUDIO-PACING       warning  live audio streams in real time (lead/lag ≤ 500 ms)
//	RT-COMMIT             error    commit only with ≥ 100 ms buffered; with server VAD the server commits
//	RT-CONFIG-FIRST       error    wait for session.updated before audio or response.create
//	RT-CONFIG-REJECTED    error    do not stream on after a refused session.update
//	RT-VOICE-CHANGE       warning  no voice change once the assistant has spoken
//	RT-DIALECT            error    one protocol version: the endpoint's
//	RT-EVENT-TYPES        error    only documented events and members, JSON text frames
//	RT-SESSION-END        error    after session_expired and the close, reconnect or end
//	RT-CLOSE-NORMAL       warning  end with close code 1000
//
// Errors fail a run; warnings are reported and do not. A scenario's own
// expect entries are judged too ([Expectations]) and reported as EXPECT-n.
//
// # Played audio
//
// Truncation is judged against what the user heard, so the rules model
// playback explicitly: the client is assumed to play an assistant item in
// real time from the arrival of its first audio delta. At time t it has
// played min(received, t − first delta) of the item, and it is still
// playing while that is less than what it received or the response is
// still streaming. A truncate may reach Limits.Tolerance (default 150 ms,
// rtmock conformance --tolerance) past the played audio, never past the
// audio received. speech_started while an item plays is a barge-in.
//
// On a WebRTC call the assistant's audio is RTP (the transcript's audio
// frames) and the service plays it from its own playout buffer, reported
// by output_audio_buffer.started, .stopped and .cleared: an item's audio is
// the packets sent while its response's buffer played, the audio sent is
// the audio played, and a barge-in is speech while the buffer plays. The
// service clearing its buffer on the barge-in (interrupt_response on), or
// the client's output_audio_buffer.clear, stops the audio as a truncate
// does on a WebSocket. Package conformance/browser runs a web page as a
// client.
//
// # Running clients
//
// [Run] drives a client through scenarios (default: every built-in), each
// in both dialects the scenario serves, against an in-process mock server,
// and judges every session. A client is a Go function ([Func]) or a shell
// command, started once per scenario and dialect with the environment the
// SDKs read:
//
//	AZURE_OPENAI_ENDPOINT       http://127.0.0.1:PORT (the mock)
//	AZURE_OPENAI_API_KEY        the key the mock accepts (also OPENAI_API_KEY)
//	AZURE_OPENAI_DEPLOYMENT     the deployment (also AZURE_OPENAI_DEPLOYMENT_NAME)
//	OPENAI_BASE_URL             the mock's URL + "/v1"
//	OPENAI_API_VERSION          2024-10-01-preview
//	RTMOCK_SCENARIO             the scenario's name
//	RTMOCK_DIALECT              preview or ga: connect to /openai/realtime?api-version=…&deployment=…
//	                            or to /openai/v1/realtime?model=… (or OpenAI's /v1/realtime)
//	RTMOCK_INPUT_WAV            user speech to stream in real time (24 kHz mono PCM16 WAV), or
//	RTMOCK_INPUT_TEXT           what the user types, to send as an item with response.create
//	RTMOCK_INPUT_FORMAT         the format to send the speech in: pcm16, g711_ulaw or g711_alaw
//
// The runner watches the sessions live and hangs up when the call is
// over: nothing is in progress, no scripted interruption is still to
// come, an expiring session has expired and the line has been quiet for a
// moment. Hanging up cancels a Go client's context; a command gets its
// stdin closed and SIGINT sent to its process group, and is killed 5 s
// later. A client then closes its session with 1000 and returns. After
// the server ends a session a client may reconnect: a run can hold
// several sessions. Runs go in parallel (they mostly wait on timers): all
// the built-in scenarios in both dialects take about as long as the
// longest, session-expired, about 6 s.
//
// The mock's transcript of every session is kept; with Options.OutDir the
// sessions of failing runs are written there as cassettes
// (SCENARIO-DIALECT.jsonl, one {"t":…,"dir":…,"event":…} frame per line
// after a header line), which [LoadSession] and rtmock conformance check
// read back.
//
// The runner measures how late its own timers fire. On a machine busy
// with other work every goroutine of the process is late, the mock's
// time-stamping included; when the lateness is more than half a timing
// rule's limit, that rule is n/a for the run rather than failed
// ([RunFacts.Jitter]).
//
// # Offline judging
//
// [LoadSession] reads a cassette recorded by rtrecord (through the
// cassette package) or a bare file of frame lines, and [Check] judges it.
// Rules that need to know what the client did outside the session
// (RT-SESSION-END) are n/a for recordings.
//
// # Reports
//
// A [Report] prints as text (a line per rule per run, failing frames
// quoted with their times), JSON, or JUnit XML. The rtmock conformance
// command exits 0 when every run passed, 1 when a rule failed and 2 for
// usage or setup errors.
//
// # Proof
//
// The refclient package is a well-behaved voice agent that passes every
// rule on every built-in scenario in both dialects; each of its
// deliberate bugs fails exactly one rule. The package's tests check both.
// go test ./conformance -args -client 'CMD' runs the suite against any
// client command instead.
package conformance
