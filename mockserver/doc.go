// Package mockserver is a mock of the Azure OpenAI / OpenAI Realtime API
// that unchanged SDKs can point at: it implements the session rather than
// replaying a script, so a client that sends events in another order still
// gets what the live service would send (docs/protocol.md).
//
// [New] starts a [Server] like httptest.NewServer: URL, Close (which ends
// every live session with 1001 and waits for all of its goroutines),
// Handler, Transcripts. [NewHandler] gives the http.Handler alone.
//
// # Routes
//
//	/openai/realtime?api-version=…&deployment=…   Azure, preview dialect
//	/openai/v1/realtime?model=…                   Azure, GA dialect
//	/v1/realtime?model=…                          OpenAI: GA, or preview with OpenAI-Beta: realtime=v1
//	/healthz                                      200 while the process serves
//	/readyz                                       200 while it takes sessions, 503 when shutting down or full
//
// The WebRTC routes (/v1/realtime/client_secrets, /v1/realtime/calls, …;
// docs/webrtc.md) and the call control of simulated SIP calls
// (POST /v1/realtime/calls/{id}/accept, /reject, /refer, /hangup, and
// their Azure twins under /openai/v1/; docs/sip.md) are served on the same
// port. [Handler.IncomingSIPCall] makes the mock ring: it posts the signed
// realtime.call.incoming webhook to Options.SIPWebhookURL; once the client
// accepted the call, its control WebSocket (?call_id=…) is a session that
// starts from the accepted session.
//
// A session's dialect is chosen by its URL; it never emits an event of the
// other dialect. With Options.APIKey, a wrong key gets what each service
// answers (HTTP 401 on Azure; 101, an error and close 3000 on OpenAI).
//
// # The session
//
// A session is a core that knows neither its transport nor its mode:
//
//	transport (WebSocket; WebRTC)  ──frames──►  fault layers  ──►  session  ──►  mode (simulate | replay)
//	                               ◄──frames──  fault layers  ◄──  (scheduler, pipeline, observer, transcript)
//
// Client events are decoded once (realtime.DecodeClient) and processed in
// the order they arrived, each at its arrival plus the service's latency
// for its kind but never before the event sent before it, so replies come
// in the service's order (§4(i)). Everything the session does later (the
// next delta of a response, a simulated barge-in, an expiry, a delayed
// frame) is a step on the session's clock (package clock); the session has no goroutine
// of its own: its transport's reader and its scheduler's timer take its
// lock in turn.
//
// The simulation implements the conversation (items, previous_item_id,
// create, retrieve, delete, truncate with the service's validation), the
// input audio buffer on the session's audio timeline with server VAD on
// the audio the client sends, responses with synthetic PCM16 or G.711 audio
// whose bytes equal their duration, function calls, cancellation, one
// active response at a time, usage and rate limits. A scenario
// (package scenarios) decides what the assistant says and when the
// simulated user interrupts. Replay plays a cassette back instead, each
// block of server frames anchored to the client event or the audio position
// that preceded it in the recording.
//
// # Pace
//
// Options.Pace: live (the service's latencies, Latencies, with audio
// generated faster than playback), realtime (audio at playback speed),
// instant, or a factor such as 4x. Tests use a clock.Manual and advance
// time instead of sleeping.
//
// # Faults, observers, transcripts
//
// Options.Faults and a scenario's faults are layers around the transport
// (package faults). Options.Observer sees every frame of every session,
// with its time, direction and decoded event, as it happens: conformance,
// serve --check, the timeline viewer and metrics subscribe to it. With
// Options.KeepTranscripts, Server.Transcripts returns each ended session's
// frames (cassette.Frame) as a [Transcript], which writes itself as a
// cassette.
//
// # Limits
//
// Options bound what a client can make the server hold: the message size
// (21 MiB), the client events waiting their turn (32 MiB), concurrent
// sessions, the session's duration, how long a write may block on a client
// that stopped reading (WriteTimeout, after which the connection is
// dropped), idle keep-alive connections and header size (docs/security.md).
package mockserver
