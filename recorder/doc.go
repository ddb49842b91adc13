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
// log says so, naming the queue bound: nothing is lost silently.
//
// A full disk (or any failed write) stops the recording, not the session:
// the cassette is cut back to its last whole line and ends with an "error"
// frame whose text starts with "recording stopped: " and says why
// (cassette.Writer.Stop), the log and Close report the error, and the rest
// of the session is relayed unrecorded. A session whose cassette header
// cannot be written is refused (500) and leaves no empty file. Cassettes
// are created exclusively; when the name template gives a name that
// exists (two recorders sharing a directory), "-2", "-3", … are tried.
// New fails at once for a directory that cannot be written to.
//
// # Secrets
//
// Credentials are scrubbed where credentials are: the api-key and
// Authorization headers are never recorded, credential query parameters
// (api-key, authorization, access_token, … found by their decoded name,
// whatever the encoding) are recorded as [REDACTED], and
// openai-insecure-api-key.* subprotocols as
// openai-insecure-api-key.[REDACTED]. The conversation is never searched
// for a credential's value: with the key "1" or "anything", doing so would
// rewrite ids, base64 audio and ordinary words. The recorder's own texts
// (log lines, error messages and the 502 body, close and error reasons, a
// refused upgrade's body) lose credential parameters of URLs by name, and
// each credential long and random enough to be looked for safely
// (12 bytes or more, not a plain word or number) by value; for other keys
// the log warns. Values in Options.Redact are replaced everywhere,
// conversation included, as the user asked; the log warns when one is
// short or plain.
//
// # Limits
//
// Only requests whose Host names this machine (or Options.AllowedHosts)
// are served, so that a web page cannot reach the recorder through DNS
// rebinding (package internal/hostcheck); browser origins must be loopback
// or match Options.OriginPatterns. Connections that are not upgraded have
// a header timeout, a read timeout, an idle timeout and a bound on their
// request head (431 beyond it); upgraded sessions have none of these
// deadlines. A message over Options.MaxMessageBytes closes the session
// with 1009 on both sides, the other side with a reason that names the
// limit. Values a peer chooses (event types, origins, error texts) are
// cut short in the log. docs/security.md lists every limit with its
// default and rtrecord flag.
//
// Closing frames pass through with their code and reason; the first close
// (or failure) of either side is recorded and ends the session. Pings are
// answered on each leg and not relayed.
package recorder
