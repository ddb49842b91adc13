// Package cassette is the recording format of rtmock: one realtime WebSocket
// session, every frame in both directions with its time, as versioned JSON
// Lines.
//
// # Format, version 1
//
// A cassette is UTF-8 text, one JSON object per line, each line ended by
// "\n". Line 1 is the header:
//
//	{"rtcassette":1,"created":"2026-11-25T12:00:00Z","id":"…","dialect":"preview","provider":"azure","endpoint":{"path":"/openai/realtime","query":{"api-version":"2024-10-01-preview","deployment":"gpt-4o-realtime-preview"},"headers":{"User-Agent":"…"},"subprotocols":["realtime"],"subprotocol":"realtime"},"recorder":"rtrecord 0.1.0"}
//
// "rtcassette" is the format version and the only required member; a reader
// that meets a version it does not know fails with [ErrUnknownVersion]. The
// endpoint is what the client asked for: path, query, the non-secret
// handshake headers (OpenAI-Beta, User-Agent, x-ms-client-request-id), the
// subprotocols it offered and the one the server chose. Credentials never
// appear: the recorder leaves them out where they stand (headers, query
// parameters, subprotocols). A [Redactor] replaces values a user names,
// wherever they appear. "transport":"webrtc" marks the record of a WebRTC
// call (rtmock's transcripts of one): its events are the data channel's, and
// its audio travels as "audio" frames, not as audio events; a cassette
// without it is a WebSocket session.
//
// Every further line is one frame:
//
//	{"t":0.004123,"dir":"server","event":{"type":"session.created",…}}
//
// "t" is the time in seconds since the upgrade, written with exactly six
// decimals (microseconds). "dir" is "client" for what the client sent
// towards the server and "server" for what reached the client from the
// server (or was sent to it on the server's behalf, such as the recorder's
// own close on shutdown). Exactly one of the following members says what
// the frame is:
//
//	"event":{…}                     a text frame holding one line of valid JSON, verbatim, byte for byte
//	"text":"…"                      any other text frame (not JSON, or JSON spread over several lines), as a JSON string
//	"binary":"<base64>"             a binary frame, standard base64 with padding
//	"close":{"code":1000,"reason":""}  a close frame (1005 when it carried no code)
//	"error":"…"                     the connection failed without a close frame; the message says how
//	                                ("recording stopped: …" ends a recording cut short: see [Writer.Stop])
//	"http":{"status":401,"headers":{…},"body":"…"}  the server refused the upgrade with this response
//	"dropped":17                    this many frames in this direction are missing here: the recorder
//	                                could not write them in time (see the recorder package)
//	"fault":"drop response.output_audio.delta"  a fault the mock injected fired here (mock transcripts only)
//	"audio":{"rtp_ts":N,"seq":N,"pcm":"<base64>"}  one RTP packet of a WebRTC call's audio, as PCM16 LE
//	                                24 kHz mono, with the packet's RTP timestamp (48 kHz) and sequence number
//	                                (mock transcripts of WebRTC calls)
//
// Readers ignore members they do not know, so later versions of the
// recorder can annotate frames without breaking older readers; a frame
// with none of the members above is an error. Frames are in the order they
// were recorded and "t" never decreases in a recorded cassette.
//
// # Audio elision
//
// Audio dominates a cassette's size. A [Writer] with ElideAudio replaces the
// base64 audio of input_audio_buffer.append ("audio") and of
// response.audio.delta / response.output_audio.delta ("delta") by a marker
// string that keeps the format and the byte count:
//
//	"rtmock-elided:<format>:<bytes>"     e.g. "rtmock-elided:pcm16:4800" (100 ms)
//
// The format is the session's (pcm16, g711_ulaw or g711_alaw), as last
// announced by the server's session.created / session.updated, pcm16
// before that. A WebRTC audio frame's "pcm" becomes the same kind of marker
// (always pcm16) and reads back as silence of its size, keeping its RTP
// timing. Everything else in the event stays as it was, so durations,
// ids and ordering survive; [RestoreAudio] puts audio of the same size back
// (silence, or what a caller synthesises) for replay.
//
// # Writing and crash tolerance
//
// A [Writer] appends whole lines only: it formats frames into its buffer and
// hands complete lines to the underlying writer, one Write call per flush,
// never part of a line. A process killed while recording therefore leaves a
// cassette whose only possible damage is a half-written last line; [Reader]
// reports that as a warning ([Reader.Truncated]) after returning every
// complete frame before it. [Cassette.Save] replaces a file atomically
// (temporary file in the same directory, fsync, rename).
//
// # Reading
//
// [Reader] streams a cassette with memory bounded by its longest line;
// [Load] parses a whole file once into an immutable [Cassette] that any
// number of replay sessions may share. A loaded cassette keeps its
// payloads packed in a few large blocks and its frames as small records
// (see store.go), so it takes about its file's size in memory, 1.1 to 1.5
// times with many small frames (TestLoadMemory measures it); [ReadAudio]
// and [Inspect] stream instead. Errors point at the place in the file
// ([ParseError]: "cassette x.jsonl:12:5: …"). [Summarize] and [Inspect] give
// turns, durations, event counts, audio per direction and errors.
//
// The package imports only the standard library and rtmock's realtime
// package.
package cassette
