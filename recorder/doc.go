// Package recorder is rtmock's recording proxy: it stands between a
// realtime client and the live Azure OpenAI or OpenAI service, relays the
// WebSocket session both ways unchanged, and writes every frame with its
// time to a cassette (package cassette), one file per session.
//
//	rec, err := recorder.New(&recorder.Options{Upstream: "https://my-resource.openai.azure.com", Dir: "cassettes"})
//	…
//	go rec.Serve(listener)   // or use rec as an http.Handler
//	defer rec.Close()        // closes every session (1001) and flushes every cassette
//
// # Handshake
//
// A client connects to any realtime path (/openai/realtime,
// /openai/v1/realtime, /v1/realtime) with any query. The recorder dials
// the upstream with the same path and query, offers the same subprotocols
// and forwards api-key, Authorization, OpenAI-Beta, x-ms-client-request-id
// and User-Agent. The client's own credentials are used; a client that
// brings none gets Options.APIKey as an api-key header, or else a bearer
// token from Options.TokenSource (Microsoft Entra ID in rtrecord). Only
// once the upstream has accepted is the client accepted, with the
// subprotocol the upstream chose. An upstream that refuses the upgrade
// (401, 404, 429, …) has its status, a few headers and its body (the first
// KiB) passed to the client and recorded.
//
// # Recording
//
// The relay reads a message from one side, queues it for the cassette and
// writes it to the other side; it does not parse or re-encode anything.
// Each session has one writer goroutine that drains its queue, formats
// whole lines and writes them with one call, flushing whenever the queue
// runs empty, so a killed recorder loses at most what it had not yet
// written and leaves at most a half-written last line.
//
// A slow disk never stalls the conversation: the queue is bounded in bytes
// (Options.QueueBytes, 16 MiB), and once that much waits for the disk,
// frames are left out of the cassette, not out of the conversation. The
// relay never blocks on the queue: dropping was chosen over waiting
// because a paused relay is a paused conversation, which is exactly what a
// recording of it must not contain. Where frames were left out, the
// cassette has a "dropped" line with their number and direction, and the
// log says so: nothing is lost silently.
//
// Secrets are scrubbed by value before anything is written or logged: the
// api-key header and query values, bearer tokens (the client's and those
// of the token source), openai-insecure-api-key.* subprotocols, the
// injected key, and every value in Options.Redact.
//
// Closing frames pass through with their code and reason; the first close
// (or failure) of either side is recorded and ends the session. Pings are
// answered on each leg and not relayed.
package recorder
